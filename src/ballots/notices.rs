//! The messages a ballot sends: notices with voting links at publication,
//! announcements (extension, result) to the electorate and the LMC, and
//! reminders to practices that have not voted.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use super::model::Secrecy;
use super::service::{Loaded, load};
use super::store::{self, ElectorRow};
use crate::audit::service::{Event, record};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::mail::model::EventKind;
use crate::mail::service::{Mail, Outbox};
use crate::registry::store::{Practice, representatives};

/// What every message about a ballot says.
pub struct NoticeContext {
    base: serde_json::Value,
    organisation_id: i32,
    organisation_name: String,
    ballot_id: i32,
}

impl NoticeContext {
    pub fn new(outbox: &Outbox, loaded: &Loaded) -> Self {
        let ballot = &loaded.ballot;
        let ballot_url = format!("{}/ballots/{}", outbox.base_url(), ballot.id);
        let options: Vec<serde_json::Value> = loaded
            .options
            .iter()
            .map(|o| json!({"label": o.label, "description": o.description}))
            .collect();
        let rules: Vec<serde_json::Value> = loaded
            .rules
            .describe(loaded.kind)
            .into_iter()
            .map(|(key, value)| json!({"key": key, "value": value}))
            .collect();
        NoticeContext {
            base: json!({
                "organisation": loaded.organisation.name,
                "title": ballot.title,
                "question": ballot.question,
                "kind": loaded.kind.label(),
                "options": options,
                "options_heading": loaded.kind.options_heading(),
                "rules": rules,
                "opens": crate::time::date_time(ballot.opens_at),
                "closes": crate::time::date_time(ballot.closes_at),
                "ballot_url": ballot_url,
                "login_url": format!("{}/login", outbox.base_url()),
                "secret": loaded.rules.secrecy() == Secrecy::Secret,
                "may_change": loaded.rules.votes_may_change(),
                "amendment": (loaded.kind == super::model::BallotKind::ConstitutionAmendment).then(|| json!({
                    "current": ballot.current_text,
                    "proposed": ballot.proposed_text,
                })),
            }),
            organisation_id: loaded.organisation.id,
            organisation_name: loaded.organisation.name.clone(),
            ballot_id: ballot.id,
        }
    }

    fn mail(
        &self,
        template: &'static str,
        to: (&str, &str),
        user_id: i32,
        practice_id: Option<i32>,
        reason: String,
        extra: serde_json::Value,
    ) -> Mail {
        let mut context = self.base.clone();
        if let (Some(map), serde_json::Value::Object(extra)) = (context.as_object_mut(), extra) {
            map.extend(extra);
        }
        Mail {
            template,
            to_email: to.1.to_owned(),
            to_name: to.0.to_owned(),
            sender: self.organisation_name.clone(),
            reason,
            event: EventKind::Ballot,
            event_id: Some(self.ballot_id),
            organisation_id: Some(self.organisation_id),
            practice_id,
            user_id: Some(user_id),
            context,
            sealed: false,
        }
    }

    fn representative_reason(&self, rep_kind: &str, practice: &Practice) -> String {
        format!(
            "You get this email because you are the {} of {} ({}), a member practice of {}.",
            if rep_kind == "nominated" {
                "nominated voting representative"
            } else {
                "deputy voting representative"
            },
            practice.name,
            practice.ods_code,
            self.organisation_name
        )
    }

    pub fn to_representative(
        &self,
        rep: &representatives::CurrentRepresentative,
        practice: &Practice,
        weight: u64,
        link: Option<String>,
    ) -> Mail {
        let sealed = link.is_some();
        let mail = self.mail(
            "ballot_notice",
            (&rep.name, &rep.email),
            rep.user_id,
            Some(practice.id),
            self.representative_reason(&rep.kind, practice),
            json!({
                "practice": practice.name,
                "practice_code": practice.ods_code,
                "weight": weight,
                "link": link,
                "observer": false,
            }),
        );
        // The link is the practice's vote: whoever reads it can cast it.
        Mail { sealed, ..mail }
    }

    pub fn to_observer(&self, user_id: i32, name: &str, email: &str) -> Mail {
        self.mail(
            "ballot_notice",
            (name, email),
            user_id,
            None,
            format!(
                "You get this email because you observe {} for your local medical committee.",
                self.organisation_name
            ),
            json!({"practice": "", "practice_code": "", "weight": 0, "link": null, "observer": true}),
        )
    }
}

/// Everyone a ballot's announcements go to: each elector's voting
/// representatives (as frozen at publication) and the LMC's observers.
/// Someone an announcement goes to; `practice_id` for representatives.
struct Recipient {
    user_id: i32,
    name: String,
    email: String,
    practice_id: Option<i32>,
}

fn announcement_recipients(conn: &mut DbConn, loaded: &Loaded) -> AppResult<Vec<Recipient>> {
    let electors = store::electors(conn, loaded.ballot.id)?;
    let user_ids: Vec<i32> = electors
        .iter()
        .flat_map(|e| [e.nominated_user_id, e.deputy_user_id])
        .flatten()
        .collect();
    let users: HashMap<i32, (String, String)> = users_by_id(conn, &user_ids)?;
    let mut recipients = Vec::new();
    for elector in &electors {
        for user_id in [elector.nominated_user_id, elector.deputy_user_id]
            .into_iter()
            .flatten()
        {
            if let Some((name, email)) = users.get(&user_id) {
                recipients.push(Recipient {
                    user_id,
                    name: name.clone(),
                    email: email.clone(),
                    practice_id: Some(elector.practice_id),
                });
            }
        }
    }
    for (user_id, name, email) in crate::accounts::store::holders_of(conn, "lmc_observer", &loaded.covering_lmc_ids)? {
        recipients.push(Recipient {
            user_id,
            name,
            email,
            practice_id: None,
        });
    }
    Ok(recipients)
}

fn users_by_id(conn: &mut DbConn, ids: &[i32]) -> AppResult<HashMap<i32, (String, String)>> {
    use crate::db::schema::users;
    use diesel::prelude::*;
    let mut found = HashMap::new();
    for chunk in ids.chunks(5_000) {
        let rows: Vec<(i32, String, String)> = users::table
            .filter(users::id.eq_any(chunk))
            .select((users::id, users::name, users::email))
            .load(conn)?;
        found.extend(rows.into_iter().map(|(id, name, email)| (id, (name, email))));
    }
    Ok(found)
}

pub fn announce(
    conn: &mut DbConn,
    outbox: &Outbox,
    loaded: &Loaded,
    template: &'static str,
    extra: serde_json::Value,
) -> AppResult<usize> {
    let context = NoticeContext::new(outbox, loaded);
    let recipients = announcement_recipients(conn, loaded)?;
    let mails: Vec<Mail> = recipients
        .into_iter()
        .map(|recipient| {
            let reason = match recipient.practice_id {
                Some(_) => format!(
                    "You get this email because you are a voting representative of a practice in the electorate of this {} ballot.",
                    context.organisation_name
                ),
                None => format!(
                    "You get this email because you observe {} for your local medical committee.",
                    context.organisation_name
                ),
            };
            context.mail(
                template,
                (&recipient.name, &recipient.email),
                recipient.user_id,
                recipient.practice_id,
                reason,
                extra.clone(),
            )
        })
        .collect();
    Ok(outbox.enqueue_all(conn, mails)?)
}

/// Sends the reminders whose time has come to the practices that have not
/// voted; returns how many messages were written.
pub fn send_due_reminders(conn: &mut DbConn, outbox: &Outbox, id: i32, now: NaiveDateTime) -> AppResult<usize> {
    crate::db::claim_write_lock(conn)?;
    crate::db::lock_row(conn, crate::db::Locked::Ballot(id))?;
    let loaded = load(conn, id)?;
    if loaded.suspension().is_some() {
        return Ok(0);
    }
    let opened = loaded.ballot.opened_at.unwrap_or(loaded.ballot.opens_at);
    let mut written = 0;
    for days in &loaded.rules.reminder_days {
        let due_at = loaded.ballot.closes_at - Duration::days(i64::from(*days));
        let days = i32::try_from(*days).unwrap_or(i32::MAX);
        // A reminder due before voting opened would only repeat the notice.
        if due_at > now || due_at < opened || store::reminder_sent(conn, id, days)? {
            continue;
        }
        let voted: std::collections::HashSet<i32> = store::voted_practice_ids(conn, id)?.into_iter().collect();
        let context = NoticeContext::new(outbox, &loaded);
        let electors = store::electors(conn, id)?;
        let waiting: Vec<&ElectorRow> = electors.iter().filter(|e| !voted.contains(&e.practice_id)).collect();
        let user_ids: Vec<i32> = waiting
            .iter()
            .flat_map(|e| [e.nominated_user_id, e.deputy_user_id])
            .flatten()
            .collect();
        let users = users_by_id(conn, &user_ids)?;
        let practice_ids: Vec<i32> = waiting.iter().map(|e| e.practice_id).collect();
        let practices: HashMap<i32, Practice> = practices_by_id(conn, &practice_ids)?;
        let mut mails = Vec::new();
        for elector in waiting {
            let Some(practice) = practices.get(&elector.practice_id) else {
                continue;
            };
            for (user_id, kind) in [
                (elector.nominated_user_id, "nominated"),
                (elector.deputy_user_id, "deputy"),
            ] {
                let Some((name, email)) = user_id.and_then(|u| users.get(&u)) else {
                    continue;
                };
                mails.push(context.mail(
                    "ballot_reminder",
                    (name, email),
                    user_id.unwrap_or_default(),
                    Some(practice.id),
                    context.representative_reason(kind, practice),
                    json!({
                        "practice": practice.name,
                        "notice_sent": loaded.ballot.published_at.map(crate::time::date).unwrap_or_default(),
                        "may_vote": kind == "nominated" || loaded.rules.deputies_may_vote(),
                    }),
                ));
            }
        }
        let count = outbox.enqueue_all(conn, mails)?;
        store::insert_reminder(conn, id, days, now, i32::try_from(count).unwrap_or(i32::MAX))?;
        record(
            conn,
            &super::service::scheduler_actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "ballot.remind",
                object_kind: "ballot",
                object_key: &id.to_string(),
                summary: format!(
                    "Reminder {days} days before the close of \"{}\": {count} messages to practices that have not voted",
                    loaded.ballot.title
                ),
            },
        )?;
        written += count;
    }
    Ok(written)
}

fn practices_by_id(conn: &mut DbConn, ids: &[i32]) -> AppResult<HashMap<i32, Practice>> {
    use crate::db::schema::practices;
    use diesel::prelude::*;
    let mut found = HashMap::new();
    for chunk in ids.chunks(5_000) {
        let rows: Vec<Practice> = practices::table
            .filter(practices::id.eq_any(chunk))
            .select(Practice::as_select())
            .load(conn)?;
        found.extend(rows.into_iter().map(|p| (p.id, p)));
    }
    Ok(found)
}

//! A fresh voting link for a practice whose nominated representative
//! changed after publication. Messages that carry a link are never resent
//! to another address (see `mail::service::resend`); instead the practice's
//! current nominated representative — an account that has accepted its
//! invitation — gets a new link, and the practice's unused links stop
//! working, so only one person at a time holds the practice's vote.

use super::model::BallotState;
use super::service::{london_day, now, require_runs};
use super::store::{self, NewToken};
use crate::accounts::service::SessionUser;
use crate::accounts::store::User;
use crate::audit::service::{Event, record};
use crate::db::Pool;
use crate::error::{AppError, AppResult};
use crate::mail::service::Outbox;
use crate::registry::store::{Practice, representatives};

/// Sends `practice_code`'s current nominated representative a new link for
/// ballot `id`; answers their name and address.
pub fn reissue_link(
    pool: &Pool,
    outbox: &Outbox,
    actor: &SessionUser,
    id: i32,
    practice_code: &str,
) -> AppResult<(String, String)> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = require_runs(c, actor, id)?;
        let now = now();
        if !matches!(loaded.state, BallotState::Published | BallotState::Open) || now >= loaded.ballot.closes_at {
            return Err(AppError::Conflict(
                "New voting links can be sent only while the ballot is published or open.".into(),
            ));
        }
        let practice =
            Practice::find_by_code(c, &practice_code.trim().to_ascii_uppercase())?.ok_or(AppError::NotFound)?;
        let elector = store::elector(c, id, practice.id)?
            .ok_or_else(|| AppError::Conflict(format!("{} is not in this ballot's electorate.", practice.name)))?;
        if store::has_voted(c, id, practice.id)? {
            return Err(AppError::Conflict(format!(
                "{} has already voted: its vote stands and no new link is needed.",
                practice.name
            )));
        }
        let rep = representatives::voting_representatives_on(c, &[practice.id], london_day(now))?
            .into_iter()
            .find(|r| r.kind == "nominated")
            .ok_or_else(|| {
                AppError::Conflict(format!(
                    "{} has no nominated voting representative: name one on the practice's page first.",
                    practice.name
                ))
            })?;
        let account = User::find(c, rep.user_id)?.ok_or(AppError::NotFound)?;
        if !account.has_chosen_password() {
            return Err(AppError::Conflict(format!(
                "{} has not yet accepted their invitation to Quorate. Send the link once they have chosen a password, so it goes to an address they have confirmed.",
                rep.name
            )));
        }
        let withdrawn = store::revoke_tokens(c, id, practice.id, now)?;
        let raw = crate::token::link_token();
        store::insert_tokens(
            c,
            &[NewToken {
                ballot_id: id,
                practice_id: practice.id,
                user_id: Some(rep.user_id),
                token_digest: crate::token::digest(&raw),
                created_at: now,
            }],
        )?;
        let notice = super::notices::NoticeContext::new(outbox, &loaded);
        let weight = u64::try_from(elector.weight).unwrap_or(0);
        let link = format!("{}/vote/{raw}", outbox.base_url());
        outbox.enqueue(c, notice.to_representative(&rep, &practice, weight, Some(link)))?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "ballot.link_reissued",
                object_kind: "ballot",
                object_key: &id.to_string(),
                summary: format!(
                    "New voting link for {} ({}) sent to {} ({}), its nominated representative; {withdrawn} earlier unused link(s) withdrawn",
                    practice.name, practice.ods_code, rep.name, rep.email
                ),
            },
        )?;
        Ok((rep.name, rep.email))
    })
}

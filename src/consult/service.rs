//! Consultation use-cases: drafts, publishing with a notice to every member
//! practice, members' questions and the board's answers (the asker told at
//! once, all members in a digest at most daily), closing. One transaction
//! each.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime, Utc};
use serde_json::json;

use super::model::{
    ConsultOption, ConsultationDraft, ConsultationState, Position, PositionCount, check_answer, check_draft,
    check_positions, check_question, summarise,
};
use super::store::{self, Consultation, Question};
use crate::accounts::model::{Grants, Role};
use crate::accounts::service::SessionUser;
use crate::audit::service::{Event, record};
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult};
use crate::format::SafeCsv;
use crate::mail::model::EventKind;
use crate::mail::service::{Mail, Outbox};
use crate::registry::model::OrganisationCode;
use crate::registry::store::{Organisation, Practice, representatives};

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// What a user may do with a consultation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub runs: bool,
    pub observes: bool,
    pub member: bool,
}

pub struct Loaded {
    pub consultation: Consultation,
    pub state: ConsultationState,
    pub options: Vec<ConsultOption>,
    pub organisation: Organisation,
    pub access: Access,
}

fn member_practices(grants: &Grants) -> Vec<i32> {
    grants
        .0
        .iter()
        .filter(|g| g.role == Role::PracticeRep)
        .filter_map(|g| g.practice_id)
        .collect()
}

fn load(conn: &mut DbConn, grants: &Grants, id: i32) -> AppResult<Loaded> {
    let consultation = store::find(conn, id)?.ok_or(AppError::NotFound)?;
    let state =
        ConsultationState::parse(&consultation.state).ok_or_else(|| AppError::Internal("consultation state".into()))?;
    let options: Vec<ConsultOption> = serde_json::from_str(&consultation.options)
        .map_err(|e| AppError::Internal(format!("consultation options: {e}")))?;
    let organisation = Organisation::with_ids(conn, &[consultation.organisation_id])?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    let lmcs: Vec<i32> = Organisation::covering_lmcs(conn, organisation.id)?
        .iter()
        .map(|o| o.id)
        .collect();
    let runs = grants.runs_organisation(organisation.id);
    let observes = grants.observes_organisation(&lmcs);
    let represented = member_practices(grants);
    let today = crate::ballots::service::london_day(now());
    let member = grants.sits_on_organisation(organisation.id)
        || Practice::members_on(conn, organisation.id, today)?
            .iter()
            .any(|p| represented.contains(&p.id));
    let access = Access { runs, observes, member };
    let may_see = runs || (state != ConsultationState::Draft && (observes || member));
    if !may_see {
        return Err(if state == ConsultationState::Draft {
            AppError::NotFound
        } else {
            AppError::Forbidden(format!(
                "Only the people who run {}, its LMC's observers and its member practices can see its consultations.",
                organisation.name
            ))
        });
    }
    Ok(Loaded {
        consultation,
        state,
        options,
        organisation,
        access,
    })
}

fn organisation_run_by(conn: &mut DbConn, actor: &SessionUser, code: &str) -> AppResult<Organisation> {
    let code = OrganisationCode::parse("code", code).map_err(|_| AppError::NotFound)?;
    let organisation = Organisation::find_by_code(conn, code.as_str())?.ok_or(AppError::NotFound)?;
    if !actor.grants().runs_organisation(organisation.id) {
        return Err(AppError::Forbidden(format!(
            "Only administrators and the returning officer of {} can run its consultations.",
            organisation.name
        )));
    }
    Ok(organisation)
}

/// A checked draft as the table stores it.
fn draft_row(draft: &ConsultationDraft, now: NaiveDateTime) -> AppResult<store::DraftRow> {
    Ok(store::DraftRow {
        title: draft.title.trim().to_owned(),
        summary: draft.summary.trim().to_owned(),
        body: draft.body.trim().to_owned(),
        options: serde_json::to_string(&draft.options).map_err(|e| AppError::Internal(e.to_string()))?,
        closes_at: draft.closes_at.unwrap_or(now),
        updated_at: now,
    })
}

pub fn create(pool: &Pool, actor: &SessionUser, code: &str, draft: &ConsultationDraft) -> AppResult<i32> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let organisation = organisation_run_by(c, actor, code)?;
        let now = now();
        let errors = check_draft(draft, now);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let row = draft_row(draft, now)?;
        let id = store::insert(c, organisation.id, &row, actor.id, now)?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(organisation.id),
                action: "consultation.create",
                object_kind: "consultation",
                object_key: &id.to_string(),
                summary: format!("Draft consultation \"{}\"", row.title),
            },
        )?;
        Ok(id)
    })
}

/// The draft as it stands, for the edit form (who runs it only).
pub fn draft_of(pool: &Pool, actor: &SessionUser, id: i32) -> AppResult<(String, Consultation, Vec<ConsultOption>)> {
    let mut conn = pool.get()?;
    let loaded = runnable_draft(&mut conn, actor, id)?;
    Ok((
        loaded.organisation.ods_code.clone(),
        loaded.consultation,
        loaded.options,
    ))
}

fn runnable_draft(conn: &mut DbConn, actor: &SessionUser, id: i32) -> AppResult<Loaded> {
    let loaded = load(conn, &actor.grants(), id)?;
    if !loaded.access.runs {
        return Err(AppError::Forbidden(
            "Only the organisation's administrators and returning officer change its consultations.".into(),
        ));
    }
    if loaded.state != ConsultationState::Draft {
        return Err(AppError::Conflict(
            "This consultation has been published: it can no longer be changed or deleted.".into(),
        ));
    }
    Ok(loaded)
}

/// Changes a draft, all fields checked as when it was created.
pub fn update_draft(pool: &Pool, actor: &SessionUser, id: i32, draft: &ConsultationDraft) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = runnable_draft(c, actor, id)?;
        let now = now();
        let errors = check_draft(draft, now);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let row = draft_row(draft, now)?;
        if store::update_draft(c, id, &row)? == 0 {
            return Err(AppError::Conflict("The consultation was published meanwhile.".into()));
        }
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "consultation.edit",
                object_kind: "consultation",
                object_key: &id.to_string(),
                summary: format!("Changed the draft consultation \"{}\"", row.title),
            },
        )?;
        Ok(())
    })
}

/// Deletes a draft (never a published consultation); returns the
/// organisation's code, for the page to go back to.
pub fn delete_draft(pool: &Pool, actor: &SessionUser, id: i32) -> AppResult<String> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = runnable_draft(c, actor, id)?;
        if store::delete_draft(c, id)? == 0 {
            return Err(AppError::Conflict("The consultation was published meanwhile.".into()));
        }
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "consultation.delete",
                object_kind: "consultation",
                object_key: &id.to_string(),
                summary: format!("Deleted the draft consultation \"{}\"", loaded.consultation.title),
            },
        )?;
        Ok(loaded.organisation.ods_code.clone())
    })
}

/// Someone a consultation's messages go to: (user id, name, email, the
/// practice they represent — none for an observer).
type Recipient = (i32, String, String, Option<Practice>);

/// Everyone a consultation's messages go to: the nominated representative
/// and deputy of every member practice today, and the LMC's observers.
fn recipients(conn: &mut DbConn, organisation: &Organisation) -> AppResult<Vec<Recipient>> {
    let today = crate::ballots::service::london_day(now());
    let members = Practice::members_on(conn, organisation.id, today)?;
    let ids: Vec<i32> = members.iter().map(|p| p.id).collect();
    let by_id: HashMap<i32, &Practice> = members.iter().map(|p| (p.id, p)).collect();
    let mut out: Vec<(i32, String, String, Option<Practice>)> =
        representatives::voting_representatives_on(conn, &ids, today)?
            .into_iter()
            .map(|r| {
                (
                    r.user_id,
                    r.name,
                    r.email,
                    by_id.get(&r.practice_id).map(|p| (*p).clone()),
                )
            })
            .collect();
    let lmcs: Vec<i32> = Organisation::covering_lmcs(conn, organisation.id)?
        .iter()
        .map(|o| o.id)
        .collect();
    for (user_id, name, email) in crate::accounts::store::holders_of(conn, "lmc_observer", &lmcs)? {
        out.push((user_id, name, email, None));
    }
    Ok(out)
}

fn mails(
    outbox: &Outbox,
    loaded: &Loaded,
    recipients: Vec<Recipient>,
    template: &'static str,
    extra: serde_json::Value,
) -> Vec<Mail> {
    let c = &loaded.consultation;
    let org = &loaded.organisation;
    recipients
        .into_iter()
        .map(|(user_id, name, email, practice)| {
            let reason = match &practice {
                Some(p) => format!(
                    "You get this email because you represent {} ({}), a member practice of {}.",
                    p.name, p.ods_code, org.name
                ),
                None => format!(
                    "You get this email because you observe {} for your local medical committee.",
                    org.name
                ),
            };
            let mut context = json!({
                "organisation": org.name,
                "title": c.title,
                "summary": c.summary,
                "closes": crate::time::date_time(c.closes_at),
                "url": format!("{}/consultations/{}", outbox.base_url(), c.id),
                "options": loaded.options.iter().map(|o| o.label.clone()).collect::<Vec<_>>(),
            });
            if let (Some(map), serde_json::Value::Object(extra)) = (context.as_object_mut(), extra.clone()) {
                map.extend(extra);
            }
            Mail {
                template,
                to_email: email,
                to_name: name,
                sender: org.name.clone(),
                reason,
                event: EventKind::Consultation,
                event_id: Some(c.id),
                organisation_id: Some(org.id),
                practice_id: practice.map(|p| p.id),
                user_id: Some(user_id),
                context,
                sealed: false,
            }
        })
        .collect()
}

/// Opens a draft for comments and tells every member practice.
pub fn publish(pool: &Pool, outbox: &Outbox, actor: &SessionUser, id: i32) -> AppResult<usize> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = load(c, &actor.grants(), id)?;
        if !loaded.access.runs {
            return Err(AppError::Forbidden(
                "Only the organisation's administrators can publish it.".into(),
            ));
        }
        let now = now();
        if loaded.state != ConsultationState::Draft {
            return Err(AppError::Conflict(
                "This consultation has been published already.".into(),
            ));
        }
        if loaded.consultation.closes_at <= now {
            return Err(AppError::invalid(
                "closes-at",
                "The close has passed: change the draft's closing time first",
            ));
        }
        store::transition(c, id, "draft", "open", now)?;
        let recipients = recipients(c, &loaded.organisation)?;
        let notices = outbox.enqueue_all(c, mails(outbox, &loaded, recipients, "consultation_notice", json!({})))?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "consultation.publish",
                object_kind: "consultation",
                object_key: &id.to_string(),
                summary: format!("Published \"{}\"; {notices} notices written", loaded.consultation.title),
            },
        )?;
        Ok(notices)
    })
}

fn close_in(
    conn: &mut DbConn,
    consultation: &Consultation,
    actor: &crate::audit::model::Actor,
    now: NaiveDateTime,
) -> AppResult<bool> {
    if store::transition(conn, consultation.id, "open", "closed", now)? == 0 {
        return Ok(false);
    }
    record(
        conn,
        actor,
        Event {
            organisation_id: Some(consultation.organisation_id),
            action: "consultation.close",
            object_kind: "consultation",
            object_key: &consultation.id.to_string(),
            summary: format!("Consultation \"{}\" closed", consultation.title),
        },
    )?;
    Ok(true)
}

pub fn close(pool: &Pool, actor: &SessionUser, id: i32) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = load(c, &actor.grants(), id)?;
        if !loaded.access.runs {
            return Err(AppError::Forbidden(
                "Only the organisation's administrators can close it.".into(),
            ));
        }
        if !close_in(c, &loaded.consultation, &actor.actor(), now())? {
            return Err(AppError::Conflict("Only an open consultation can be closed.".into()));
        }
        Ok(())
    })
}

/// A representative asks a question for their practice.
pub fn ask(
    pool: &Pool,
    user: &SessionUser,
    id: i32,
    practice_code: Option<&str>,
    text: &str,
    anonymous: bool,
) -> AppResult<i32> {
    let question = check_question(text).map_err(|e| AppError::Invalid(vec![e]))?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = load(c, &user.grants(), id)?;
        if loaded.state != ConsultationState::Open {
            return Err(AppError::Conflict(format!(
                "The consultation is {}: questions can only be asked while it is open.",
                loaded.state.label().to_lowercase()
            )));
        }
        let today = crate::ballots::service::london_day(now());
        let represented = member_practices(&user.grants());
        let mine: Vec<Practice> = Practice::members_on(c, loaded.organisation.id, today)?
            .into_iter()
            .filter(|p| represented.contains(&p.id))
            .collect();
        let practice = match (mine.as_slice(), practice_code) {
            ([], _) => {
                return Err(AppError::Forbidden(
                    "Only the representatives of member practices can ask questions.".into(),
                ));
            }
            ([only], None) => only.clone(),
            (_, Some(code)) => mine
                .iter()
                .find(|p| p.ods_code.eq_ignore_ascii_case(code.trim()))
                .cloned()
                .ok_or_else(|| AppError::invalid("practice", "Choose one of the practices you represent"))?,
            (_, None) => return Err(AppError::invalid("practice", "Choose which practice is asking")),
        };
        let now = now();
        let qid = store::ask(c, id, practice.id, user.id, &question, anonymous, now)?;
        record(
            c,
            &user.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "consultation.question",
                object_kind: "consultation",
                object_key: &id.to_string(),
                summary: format!(
                    "{} ({}) asked question {qid}{}",
                    practice.name,
                    practice.ods_code,
                    if anonymous { ", asking not to be named" } else { "" }
                ),
            },
        )?;
        Ok(qid)
    })
}

/// The board answers a question; the asker is told at once, everyone in
/// the next digest.
pub fn answer(
    pool: &Pool,
    outbox: &Outbox,
    actor: &SessionUser,
    id: i32,
    question_id: i32,
    text: &str,
) -> AppResult<()> {
    let answer = check_answer(text).map_err(|e| AppError::Invalid(vec![e]))?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = load(c, &actor.grants(), id)?;
        if !loaded.access.runs {
            return Err(AppError::Forbidden(
                "Only the organisation's administrators answer questions.".into(),
            ));
        }
        let now = now();
        if store::answer(c, question_id, id, &answer, actor.id, now)? == 0 {
            return Err(AppError::Conflict(
                "That question does not exist or has been answered already.".into(),
            ));
        }
        let (question, code, name) = store::questions(c, id)?
            .into_iter()
            .find(|(q, _, _)| q.id == question_id)
            .ok_or(AppError::NotFound)?;
        if let Some(asker) = crate::accounts::store::User::find(c, question.asked_by)? {
            let practice = Practice::find_by_code(c, &code)?;
            let mail = mails(
                outbox,
                &loaded,
                vec![(asker.id, asker.name, asker.email, practice)],
                "consultation_answer",
                json!({"question": question.question, "answer": answer}),
            );
            outbox.enqueue_all(c, mail)?;
        }
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "consultation.answer",
                object_kind: "consultation",
                object_key: &id.to_string(),
                summary: format!("Question {question_id} from {name} ({code}) answered and published"),
            },
        )?;
        Ok(())
    })
}

/// One round of the consultations' timetable: closes those due, and sends
/// each open one's digest of new answers (at most one a day). Returns
/// (closed, digest messages).
pub fn run_schedule(pool: &Pool, outbox: &Outbox, now: NaiveDateTime) -> AppResult<(usize, usize)> {
    let mut conn = pool.get()?;
    let actor = crate::audit::model::Actor {
        user_id: None,
        label: "scheduler".into(),
    };
    let (mut closed, mut digests) = (0, 0);
    for consultation in store::in_state(&mut conn, "open")? {
        if consultation.closes_at <= now {
            if crate::db::write_transaction(&mut conn, |c| close_in(c, &consultation, &actor, now))? {
                closed += 1;
            }
            continue;
        }
        if consultation
            .last_digest_at
            .is_some_and(|last| now - last < Duration::hours(24))
        {
            continue;
        }
        digests += crate::db::write_transaction(&mut conn, |c| send_digest(c, outbox, &consultation, now))?;
    }
    Ok((closed, digests))
}

fn send_digest(
    conn: &mut DbConn,
    outbox: &Outbox,
    consultation: &Consultation,
    now: NaiveDateTime,
) -> AppResult<usize> {
    crate::db::claim_write_lock(conn)?;
    crate::db::lock_row(conn, crate::db::Locked::Consultation(consultation.id))?;
    let new: Vec<(Question, String, String)> = store::questions(conn, consultation.id)?
        .into_iter()
        .filter(|(q, _, _)| q.answered_at.is_some() && q.in_digest_at.is_none())
        .collect();
    if new.is_empty() {
        return Ok(0);
    }
    let organisation = Organisation::with_ids(conn, &[consultation.organisation_id])?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    let loaded = Loaded {
        consultation: consultation.clone(),
        state: ConsultationState::Open,
        options: serde_json::from_str(&consultation.options).unwrap_or_default(),
        organisation,
        access: Access {
            runs: false,
            observes: false,
            member: false,
        },
    };
    let answers: Vec<serde_json::Value> = new
        .iter()
        .map(|(q, _, name)| {
            json!({
                "asked_by": if q.anonymous { "A member practice".to_owned() } else { name.clone() },
                "question": q.question,
                "answer": q.answer,
            })
        })
        .collect();
    let recipients = recipients(conn, &loaded.organisation)?;
    let written = outbox.enqueue_all(
        conn,
        mails(
            outbox,
            &loaded,
            recipients,
            "consultation_answers",
            json!({"answers": answers}),
        ),
    )?;
    let ids: Vec<i32> = new.iter().map(|(q, _, _)| q.id).collect();
    store::mark_in_digest(conn, &ids, now)?;
    store::set_last_digest(conn, consultation.id, now)?;
    Ok(written)
}

/// A question as a page shows it.
pub struct QuestionView {
    pub id: i32,
    pub asked_by: String,
    pub question: String,
    pub asked_at: NaiveDateTime,
    pub answer: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    /// How long it waited (or has waited) for an answer.
    pub waited: Duration,
}

pub struct View {
    pub loaded: Loaded,
    pub questions: Vec<QuestionView>,
    /// The practices the viewer may ask for: (code, name).
    pub may_ask_for: Vec<(String, String)>,
}

/// A consultation's page. Members see answered questions (the asker's
/// practice named unless it asked not to be) and their own practice's
/// waiting ones; those who run or observe it
/// see every question, answered or not, with how long it waited.
pub fn view(pool: &Pool, grants: &Grants, id: i32) -> AppResult<View> {
    let mut conn = pool.get()?;
    let loaded = load(&mut conn, grants, id)?;
    let staff = loaded.access.runs || loaded.access.observes;
    let now = now();
    // A practice also sees its own questions while they wait.
    let own = member_practices(grants);
    let questions = store::questions(&mut conn, id)?
        .into_iter()
        .filter(|(q, _, _)| staff || q.answered_at.is_some() || own.contains(&q.practice_id))
        .map(|(q, code, name)| QuestionView {
            id: q.id,
            asked_by: if own.contains(&q.practice_id) && !staff {
                format!(
                    "Your practice, {name} ({code}){}",
                    if q.anonymous {
                        ", asking not to be named to other members"
                    } else {
                        ""
                    }
                )
            } else if q.anonymous && !staff {
                "A member practice".to_owned()
            } else if q.anonymous {
                format!("{name} ({code}), asking not to be named")
            } else {
                format!("{name} ({code})")
            },
            waited: q.answered_at.unwrap_or(now) - q.asked_at,
            question: q.question,
            asked_at: q.asked_at,
            answer: q.answer,
            answered_at: q.answered_at,
        })
        .collect();
    let today = crate::ballots::service::london_day(now);
    let represented = member_practices(grants);
    let may_ask_for = if loaded.state == ConsultationState::Open {
        Practice::members_on(&mut conn, loaded.organisation.id, today)?
            .into_iter()
            .filter(|p| represented.contains(&p.id))
            .map(|p| (p.ods_code, p.name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(View {
        loaded,
        questions,
        may_ask_for,
    })
}

/// A published consultation as one member practice sees it.
pub struct PracticeConsultation {
    pub consultation: Consultation,
    pub state: ConsultationState,
    /// The revision of the practice's response, if it has responded.
    pub responded: Option<i32>,
    /// Questions the practice asked, and how many are answered.
    pub questions_asked: usize,
    pub questions_answered: usize,
}

/// The published consultations of `organisation_id`, newest first, with
/// what practice `practice_id` has done in each.
pub fn for_practice(pool: &Pool, organisation_id: i32, practice_id: i32) -> AppResult<Vec<PracticeConsultation>> {
    let mut conn = pool.get()?;
    let mut found = Vec::new();
    for consultation in store::of_organisation(&mut conn, organisation_id)? {
        let Some(state) = ConsultationState::parse(&consultation.state) else {
            continue;
        };
        if state == ConsultationState::Draft {
            continue;
        }
        let responded = store::response_of(&mut conn, consultation.id, practice_id)?.map(|r| r.revision);
        let asked: Vec<_> = store::questions(&mut conn, consultation.id)?
            .into_iter()
            .filter(|(q, _, _)| q.practice_id == practice_id)
            .collect();
        found.push(PracticeConsultation {
            state,
            responded,
            questions_asked: asked.len(),
            questions_answered: asked.iter().filter(|(q, _, _)| q.answered_at.is_some()).count(),
            consultation,
        });
    }
    found.sort_by_key(|c| std::cmp::Reverse(c.consultation.closes_at));
    Ok(found)
}

/// An organisation's consultations (drafts only for those who run it).
pub fn list(pool: &Pool, grants: &Grants, code: &str) -> AppResult<(Organisation, bool, Vec<Consultation>)> {
    let code = OrganisationCode::parse("code", code).map_err(|_| AppError::NotFound)?;
    // Those who may see the organisation may see its published consultations.
    crate::registry::service::organisation_detail(pool, grants, code.as_str())?;
    let mut conn = pool.get()?;
    let organisation = Organisation::find_by_code(&mut conn, code.as_str())?.ok_or(AppError::NotFound)?;
    let runs = grants.runs_organisation(organisation.id);
    let consultations = store::of_organisation(&mut conn, organisation.id)?
        .into_iter()
        .filter(|c| runs || c.state != "draft")
        .collect();
    Ok((organisation, runs, consultations))
}

/// A practice's response: its position on each option and its comments,
/// revisable until the close. Returns the revision written.
pub fn respond(
    pool: &Pool,
    user: &SessionUser,
    id: i32,
    practice_code: &str,
    positions: &[Option<&str>],
    comment: &str,
) -> AppResult<i32> {
    let comment = comment.trim();
    if comment.chars().count() > 20_000 {
        return Err(AppError::invalid(
            "comment",
            "Your comments must be 20,000 characters or less",
        ));
    }
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = load(c, &user.grants(), id)?;
        if loaded.state != ConsultationState::Open {
            return Err(AppError::Conflict(format!(
                "The consultation is {}: responses can only be given or changed while it is open.",
                loaded.state.label().to_lowercase()
            )));
        }
        let positions = check_positions(&loaded.options, positions).map_err(AppError::Invalid)?;
        let today = crate::ballots::service::london_day(now());
        let represented = member_practices(&user.grants());
        let practice = Practice::members_on(c, loaded.organisation.id, today)?
            .into_iter()
            .find(|p| represented.contains(&p.id) && p.ods_code.eq_ignore_ascii_case(practice_code.trim()))
            .ok_or_else(|| {
                AppError::Forbidden("Only a member practice's own representatives can respond for it.".into())
            })?;
        crate::db::lock_row(c, crate::db::Locked::Practice(practice.id))?;
        let stored: Vec<&str> = positions.iter().map(|p| p.as_str()).collect();
        let json = serde_json::to_string(&stored).map_err(|e| AppError::Internal(e.to_string()))?;
        let revision = match store::save_response(c, id, practice.id, user.id, &json, comment, now()) {
            Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
                return Err(AppError::Conflict(
                    "Someone else sent your practice's response at the same moment: look at it and send yours again."
                        .into(),
                ));
            }
            other => other?,
        };
        record(
            c,
            &user.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "consultation.response",
                object_kind: "consultation",
                object_key: &id.to_string(),
                summary: format!(
                    "{} ({}) responded (revision {revision})",
                    practice.name, practice.ods_code
                ),
            },
        )?;
        Ok(revision)
    })
}

/// A practice's own response, if it has given one: (positions, comment, revision).
pub fn own_response(pool: &Pool, id: i32, practice_code: &str) -> AppResult<Option<(Vec<Position>, String, i32)>> {
    let mut conn = pool.get()?;
    let Some(practice) = Practice::find_by_code(&mut conn, practice_code)? else {
        return Ok(None);
    };
    Ok(store::response_of(&mut conn, id, practice.id)?.map(|r| {
        let positions: Vec<String> = serde_json::from_str(&r.positions).unwrap_or_default();
        (
            positions.iter().filter_map(|p| Position::parse(p)).collect(),
            r.comment,
            r.revision,
        )
    }))
}

/// The responses and their summary, for those who run or observe it.
pub struct Responses {
    pub options: Vec<ConsultOption>,
    /// Per option: support, neutral, oppose.
    pub summary: Vec<[PositionCount; 3]>,
    pub rows: Vec<ResponseRow>,
}

/// One practice's response, with its list size.
pub struct ResponseRow {
    pub code: String,
    pub name: String,
    pub list_size: u64,
    pub positions: Vec<Position>,
    pub comment: String,
    pub revision: i32,
    pub updated_at: NaiveDateTime,
}

pub fn responses(pool: &Pool, grants: &Grants, id: i32) -> AppResult<Responses> {
    let mut conn = pool.get()?;
    let loaded = load(&mut conn, grants, id)?;
    if !(loaded.access.runs || loaded.access.observes) {
        return Err(AppError::Forbidden(
            "Only the people who run the organisation and its LMC's observers see every practice's response.".into(),
        ));
    }
    let rows = store::responses(&mut conn, id)?;
    let ids: Vec<i32> = rows.iter().map(|(r, _, _)| r.practice_id).collect();
    let sizes =
        crate::registry::store::list_sizes::latest_on(&mut conn, &ids, crate::ballots::service::london_day(now()))?;
    let rows: Vec<_> = rows
        .into_iter()
        .map(|(r, code, name)| {
            let positions: Vec<String> = serde_json::from_str(&r.positions).unwrap_or_default();
            let positions: Vec<Position> = positions.iter().filter_map(|p| Position::parse(p)).collect();
            ResponseRow {
                list_size: sizes
                    .get(&r.practice_id)
                    .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0)),
                code,
                name,
                positions,
                comment: r.comment,
                revision: r.revision,
                updated_at: r.updated_at,
            }
        })
        .collect();
    let summary = summarise(
        loaded.options.len(),
        &rows
            .iter()
            .map(|r| (r.positions.clone(), r.list_size))
            .collect::<Vec<_>>(),
    );
    Ok(Responses {
        options: loaded.options,
        summary,
        rows,
    })
}

pub fn responses_csv(responses: &Responses) -> AppResult<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write_error = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
    let mut header = vec!["ods_code".to_owned(), "practice".to_owned(), "list_size".to_owned()];
    header.extend(responses.options.iter().map(|o| o.label.clone()));
    header.extend(["comment".to_owned(), "revision".to_owned(), "updated_at_utc".to_owned()]);
    writer.write_safe(&header).map_err(write_error)?;
    for r in &responses.rows {
        let mut row = vec![r.code.clone(), r.name.clone(), r.list_size.to_string()];
        row.extend(r.positions.iter().map(|p| p.as_str().to_owned()));
        row.extend([
            r.comment.clone(),
            r.revision.to_string(),
            r.updated_at.and_utc().to_rfc3339(),
        ]);
        writer.write_safe(&row).map_err(write_error)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| AppError::Internal(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(e.to_string()))
}

/// The practice a representative uses the impact tool for: the one named,
/// or their only member practice.
fn own_practice(
    conn: &mut DbConn,
    user: &SessionUser,
    organisation_id: i32,
    code: Option<&str>,
) -> AppResult<Practice> {
    let today = crate::ballots::service::london_day(now());
    let represented = member_practices(&user.grants());
    let mine: Vec<Practice> = Practice::members_on(conn, organisation_id, today)?
        .into_iter()
        .filter(|p| represented.contains(&p.id))
        .collect();
    match (mine.as_slice(), code) {
        ([], _) => Err(AppError::Forbidden(
            "The impact tool is for the representatives of member practices, for their own practice.".into(),
        )),
        ([only], None) => Ok(only.clone()),
        (_, Some(code)) => mine
            .into_iter()
            .find(|p| p.ods_code.eq_ignore_ascii_case(code.trim()))
            .ok_or_else(|| AppError::Forbidden("You can only assess the practices you represent.".into())),
        (_, None) => Err(AppError::invalid("practice", "Choose which practice to assess")),
    }
}

/// A saved assessment and when it was saved.
pub type SavedAssessment = (super::impact::Assessment, NaiveDateTime);

/// A practice's own impact assessment, for its representatives only.
pub fn impact(
    pool: &Pool,
    user: &SessionUser,
    id: i32,
    practice_code: Option<&str>,
) -> AppResult<(Loaded, Practice, Option<SavedAssessment>)> {
    let mut conn = pool.get()?;
    let loaded = load(&mut conn, &user.grants(), id)?;
    if loaded.state == ConsultationState::Draft {
        return Err(AppError::NotFound);
    }
    let practice = own_practice(&mut conn, user, loaded.organisation.id, practice_code)?;
    let saved = store::impact_of(&mut conn, id, practice.id)?
        .and_then(|(json, at)| serde_json::from_str(&json).ok().map(|a| (a, at)));
    Ok((loaded, practice, saved))
}

pub fn save_impact(
    pool: &Pool,
    user: &SessionUser,
    id: i32,
    practice_code: Option<&str>,
    assessment: &super::impact::Assessment,
) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = load(c, &user.grants(), id)?;
        if loaded.state == ConsultationState::Draft {
            return Err(AppError::NotFound);
        }
        let practice = own_practice(c, user, loaded.organisation.id, practice_code)?;
        let json = serde_json::to_string(assessment).map_err(|e| AppError::Internal(e.to_string()))?;
        store::save_impact(
            c,
            id,
            practice.id,
            &assessment.contract_type,
            i32::try_from(assessment.list_size).unwrap_or(i32::MAX),
            &json,
            &assessment.notes,
            user.id,
            now(),
        )?;
        // Only that the practice used the tool: its answers are its own.
        record(
            c,
            &user.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "consultation.impact",
                object_kind: "consultation",
                object_key: &id.to_string(),
                summary: format!("{} ({}) saved its impact assessment", practice.name, practice.ods_code),
            },
        )?;
        Ok(())
    })
}

/// The anonymised aggregate, for those who run or observe the organisation.
pub fn impact_aggregate(pool: &Pool, grants: &Grants, id: i32) -> AppResult<(Loaded, super::impact::Aggregate)> {
    let mut conn = pool.get()?;
    let loaded = load(&mut conn, grants, id)?;
    if !(loaded.access.runs || loaded.access.observes) {
        return Err(AppError::Forbidden(
            "The summary of the impact tool is for the board and the LMC; each practice sees its own.".into(),
        ));
    }
    let assessments: Vec<super::impact::Assessment> = store::impacts(&mut conn, id)?
        .iter()
        .filter_map(|json| serde_json::from_str(json).ok())
        .collect();
    let aggregate = super::impact::aggregate(loaded.options.len(), &assessments);
    Ok((loaded, aggregate))
}

/// Adds a document (administrators, before the close).
pub fn add_document(pool: &Pool, actor: &SessionUser, id: i32, file_name: &str, bytes: &[u8]) -> AppResult<i32> {
    let sha256 = crate::token::digest_bytes(bytes);
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = load(c, &actor.grants(), id)?;
        // Who may add is settled before the file is looked at.
        if !loaded.access.runs {
            return Err(AppError::Forbidden(
                "Only the organisation's administrators add documents.".into(),
            ));
        }
        let (name, content_type) =
            super::model::check_document(file_name, bytes).map_err(|e| AppError::Invalid(vec![e]))?;
        if loaded.state == ConsultationState::Closed {
            return Err(AppError::Conflict(
                "The consultation has closed: documents can no longer be added.".into(),
            ));
        }
        let doc = store::add_document(c, id, &name, content_type, bytes, &sha256, actor.id, now())?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "consultation.document",
                object_kind: "consultation",
                object_key: &id.to_string(),
                summary: format!("Document \"{name}\" added ({} bytes, SHA-256 {sha256})", bytes.len()),
            },
        )?;
        Ok(doc)
    })
}

pub fn documents(pool: &Pool, grants: &Grants, id: i32) -> AppResult<Vec<store::DocumentInfo>> {
    let mut conn = pool.get()?;
    load(&mut conn, grants, id)?;
    Ok(store::documents(&mut conn, id)?)
}

/// A document for download, for those who may see the consultation.
pub fn document(pool: &Pool, grants: &Grants, id: i32, doc: i32) -> AppResult<(String, String, Vec<u8>)> {
    let mut conn = pool.get()?;
    load(&mut conn, grants, id)?;
    store::document(&mut conn, id, doc)?.ok_or(AppError::NotFound)
}

/// Records which ballot a consultation leads to (or none).
pub fn link_ballot(pool: &Pool, actor: &SessionUser, id: i32, ballot_id: Option<i32>) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = load(c, &actor.grants(), id)?;
        if !loaded.access.runs {
            return Err(AppError::Forbidden(
                "Only the organisation's administrators link ballots.".into(),
            ));
        }
        if let Some(ballot) = ballot_id {
            let ours =
                crate::ballots::store::find(c, ballot)?.is_some_and(|b| b.organisation_id == loaded.organisation.id);
            if !ours {
                return Err(AppError::invalid("ballot", "Choose one of this organisation's ballots"));
            }
        }
        store::link_ballot(c, id, ballot_id)?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "consultation.link_ballot",
                object_kind: "consultation",
                object_key: &id.to_string(),
                summary: match ballot_id {
                    Some(b) => format!("Consultation \"{}\" leads to ballot {b}", loaded.consultation.title),
                    None => format!(
                        "Consultation \"{}\" no longer linked to a ballot",
                        loaded.consultation.title
                    ),
                },
            },
        )?;
        Ok(())
    })
}

/// The ballots a consultation could lead to: (id, title) of its organisation's.
pub fn ballots_to_link(pool: &Pool, organisation_id: i32) -> AppResult<Vec<(i32, String)>> {
    let mut conn = pool.get()?;
    Ok(crate::ballots::store::of_organisation(&mut conn, organisation_id)?
        .into_iter()
        .filter(|b| b.state != "cancelled")
        .map(|b| (b.id, b.title))
        .collect())
}

/// Everything that happened in a consultation, and in the ballot it leads
/// to, in order: from the audit log. For those who run or observe it
/// (entries name the practices that asked).
pub fn timeline(pool: &Pool, grants: &Grants, id: i32) -> AppResult<(Loaded, Vec<crate::audit::model::Stored>)> {
    let mut conn = pool.get()?;
    let loaded = load(&mut conn, grants, id)?;
    if !(loaded.access.runs || loaded.access.observes) {
        return Err(AppError::Forbidden(
            "The timeline is for the people who run the organisation and its LMC's observers.".into(),
        ));
    }
    let org = loaded.organisation.id;
    let mut entries = crate::audit::store::of_object(&mut conn, org, "consultation", &id.to_string())?;
    if let Some(ballot) = loaded.consultation.ballot_id {
        entries.extend(
            crate::audit::store::of_object(&mut conn, org, "ballot", &ballot.to_string())?
                .into_iter()
                .filter(|e| e.entry.action != "ballot.vote" && e.entry.action != "ballot.vote_change"),
        );
    }
    entries.sort_by_key(|e| e.id);
    Ok((loaded, entries))
}

/// For the LMC checklist: the questions of the consultations leading to a
/// ballot still unanswered at `at` (when voting opened). None when no
/// consultation leads to it.
pub fn unanswered_at(conn: &mut DbConn, ballot_id: i32, at: NaiveDateTime) -> AppResult<Option<(usize, usize)>> {
    let consultations = store::leading_to(conn, ballot_id)?;
    if consultations.is_empty() {
        return Ok(None);
    }
    let mut asked = 0;
    let mut unanswered = 0;
    for consultation in consultations {
        for (question, _, _) in store::questions(conn, consultation.id)? {
            if question.asked_at <= at {
                asked += 1;
                if question.answered_at.is_none_or(|answered| answered > at) {
                    unanswered += 1;
                }
            }
        }
    }
    Ok(Some((asked, unanswered)))
}

//! A person's data, for a subject access request (UK GDPR article 15): what
//! Quorate holds about one account, as JSON, for a system administrator to
//! send them. Left out, on purpose: secrets (password and key hashes,
//! tokens) and the text of emails sent, whose voting and sign-in links would
//! let whoever holds the export act as the person. Each export is audited.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::audit::model::Actor;
use crate::audit::service::{Event, record};
use crate::db::schema::{
    account_requests, api_tokens, audit_log, consultation_responses, consultations, identity_links, login_failures,
    outbox_messages, practices, representatives, two_factor_keys, users,
};
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult};
use crate::time::rfc3339;

fn maybe(t: Option<NaiveDateTime>) -> Value {
    t.map_or(Value::Null, |t| json!(rfc3339(t)))
}

/// The account's data as JSON, audited as exported by `by`.
pub fn export(pool: &Pool, by: &Actor, user_id: i32) -> AppResult<Value> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let exported = gather(c, user_id)?;
        record(
            c,
            by,
            Event {
                organisation_id: None,
                action: "account.subject_access",
                object_kind: "user",
                object_key: &user_id.to_string(),
                summary: format!(
                    "Exported the data held about {} for a subject access request",
                    exported["account"]["email"].as_str().unwrap_or_default()
                ),
            },
        )?;
        Ok(exported)
    })
}

/// The account of `email`, for the command line.
pub fn user_id_of(pool: &Pool, email: &str) -> AppResult<i32> {
    let normalized = crate::accounts::model::EmailAddress::parse("email", email)
        .map_err(|e| AppError::BadRequest(e.message))?
        .normalized()
        .to_owned();
    users::table
        .filter(users::email_normalized.eq(&normalized))
        .select(users::id)
        .first(&mut *pool.get()?)
        .optional()?
        .ok_or_else(|| AppError::BadRequest(format!("No account has the address {email}")))
}

fn gather(c: &mut DbConn, user_id: i32) -> AppResult<Value> {
    let (email, normalized, name, created_at): (String, String, String, NaiveDateTime) = users::table
        .find(user_id)
        .select((users::email, users::email_normalized, users::name, users::created_at))
        .first(c)
        .optional()?
        .ok_or(AppError::NotFound)?;
    let roles: Vec<Value> = super::store::roles_of(c, Some(&[user_id]))?
        .into_iter()
        .map(|r| {
            json!({
                "role": r.role,
                "organisation": r.organisation_code,
                "practice": r.practice_code,
            })
        })
        .collect();
    let represents: Vec<Value> = representatives::table
        .inner_join(practices::table)
        .filter(representatives::user_id.eq(user_id))
        .order(representatives::started_on.asc())
        .select((
            practices::ods_code,
            practices::name,
            representatives::kind,
            representatives::started_on,
            representatives::ended_on,
        ))
        .load::<(String, String, String, chrono::NaiveDate, Option<chrono::NaiveDate>)>(c)?
        .into_iter()
        .map(|(code, practice, kind, from, until)| {
            json!({"practice": code, "practice_name": practice, "as": kind, "from": from.to_string(), "until": until.map(|d| d.to_string())})
        })
        .collect();
    let two_factor: Option<NaiveDateTime> = two_factor_keys::table
        .find(user_id)
        .select(two_factor_keys::enrolled_at)
        .first(c)
        .optional()?;
    let links: Vec<Value> = identity_links::table
        .filter(identity_links::user_id.eq(user_id))
        .select((
            identity_links::provider,
            identity_links::email,
            identity_links::linked_at,
            identity_links::last_used_at,
        ))
        .load::<(String, Option<String>, NaiveDateTime, Option<NaiveDateTime>)>(c)?
        .into_iter()
        .map(|(provider, email, linked, used)| {
            json!({"provider": provider, "email": email, "linked_at": rfc3339(linked), "last_used_at": maybe(used)})
        })
        .collect();
    let tokens: Vec<Value> = api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .select((
            api_tokens::name,
            api_tokens::created_at,
            api_tokens::last_used_at,
            api_tokens::revoked_at,
        ))
        .load::<(String, NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>)>(c)?
        .into_iter()
        .map(|(name, created, used, revoked)| {
            json!({"name": name, "created_at": rfc3339(created), "last_used_at": maybe(used), "revoked_at": maybe(revoked)})
        })
        .collect();
    let requests: Vec<Value> = account_requests::table
        .filter(account_requests::user_id.eq(user_id))
        .select((
            account_requests::provider,
            account_requests::requested_at,
            account_requests::decision,
            account_requests::decided_at,
            account_requests::reason,
        ))
        .load::<(String, NaiveDateTime, Option<String>, Option<NaiveDateTime>, Option<String>)>(c)?
        .into_iter()
        .map(|(provider, asked, decision, decided, reason)| {
            json!({"provider": provider, "requested_at": rfc3339(asked), "decision": decision, "decided_at": maybe(decided), "reason": reason})
        })
        .collect();
    let emails: Vec<Value> = outbox_messages::table
        .filter(
            outbox_messages::user_id
                .eq(user_id)
                .or(outbox_messages::recipient_email.eq(&email)),
        )
        .order(outbox_messages::id.asc())
        .select((
            outbox_messages::template,
            outbox_messages::subject,
            outbox_messages::state,
            outbox_messages::created_at,
            outbox_messages::sent_at,
        ))
        .load::<(String, String, String, NaiveDateTime, Option<NaiveDateTime>)>(c)?
        .into_iter()
        .map(|(template, subject, state, queued, sent)| {
            json!({"kind": template, "subject": subject, "state": state, "queued_at": rfc3339(queued), "sent_at": maybe(sent)})
        })
        .collect();
    let responses: Vec<Value> = consultation_responses::table
        .inner_join(consultations::table)
        .inner_join(practices::table)
        .filter(consultation_responses::submitted_by.eq(user_id))
        .select((
            consultations::title,
            practices::ods_code,
            consultation_responses::positions,
            consultation_responses::comment,
            consultation_responses::submitted_at,
        ))
        .load::<(String, String, String, String, NaiveDateTime)>(c)?
        .into_iter()
        .map(|(title, practice, positions, comment, submitted)| {
            json!({
                "consultation": title, "for_practice": practice,
                "positions": serde_json::from_str::<Value>(&positions).unwrap_or(Value::String(positions)),
                "comment": comment, "submitted_at": rfc3339(submitted),
            })
        })
        .collect();
    let actions: Vec<Value> = audit_log::table
        .filter(audit_log::actor_user_id.eq(user_id))
        .order(audit_log::id.asc())
        .select((audit_log::at, audit_log::action, audit_log::summary))
        .load::<(NaiveDateTime, String, String)>(c)?
        .into_iter()
        .map(|(when, action, summary)| json!({"at": rfc3339(when), "action": action, "summary": summary}))
        .collect();
    let failed_sign_ins: Vec<String> = login_failures::table
        .filter(login_failures::subject.eq(super::model::account_subject(
            &super::model::EmailAddress::parse("email", &normalized).map_err(|e| AppError::Internal(e.message))?,
        )))
        .order(login_failures::failed_at.asc())
        .select(login_failures::failed_at)
        .load::<NaiveDateTime>(c)?
        .into_iter()
        .map(rfc3339)
        .collect();
    Ok(json!({
        "format": "quorate-subject-access-1",
        "exported_at": rfc3339(chrono::Utc::now().naive_utc()),
        "account": {
            "email": email, "name": name, "created_at": rfc3339(created_at),
            "roles": roles,
            "two_factor_enrolled_at": maybe(two_factor),
            "single_sign_on": links,
            "api_tokens": tokens,
            "account_requests": requests,
        },
        "represents": represents,
        "consultation_responses": responses,
        "emails": emails,
        "actions_in_the_audit_log": actions,
        "failed_sign_ins": failed_sign_ins,
        "before_sending": "Entries in the audit log may name other people (for example whom an email went to): remove what is not about this person before you send it.",
        "not_included": [
            "password, two-factor and token secrets (only their hashes are kept)",
            "the text of emails sent: their links would let whoever holds this export act for you; ask for a copy of one",
            "how your practice voted in a secret ballot: nobody can see it",
        ],
    }))
}

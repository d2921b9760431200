//! The count of a verifiable ballot. At the close the server multiplies the
//! encrypted papers into aggregates (per option: weighted and counted,
//! overall and per constituency) — anyone can do the same from the board.
//! The trustees decrypt only those aggregates, each with proofs; once enough
//! have, their parts are combined into the totals, which the ordinary rules
//! count. No paper is ever decrypted on its own.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde_json::json;

use super::ceremony::{Ceremony, election_of};
use super::model::{PartialUpload, tallies_from_totals};
use super::store;
use crate::accounts::service::SessionUser;
use crate::audit::model::Actor;
use crate::audit::service::{Event, record};
use crate::ballots::model::BallotState;
use crate::ballots::rules::{self, Elector};
use crate::ballots::service::Loaded;
use crate::crypto::paper::EncryptedPaper;
use crate::crypto::tally::{Aggregates, PartialDecryption, TallyPaper, aggregate, combine, verify_partial};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::mail::service::Outbox;

/// The aggregates of a ballot's papers, weighted by the frozen electorate.
pub fn aggregates_of(conn: &mut DbConn, loaded: &Loaded) -> AppResult<Aggregates> {
    let id = loaded.ballot.id;
    let electors: HashMap<i32, crate::ballots::store::ElectorRow> = crate::ballots::store::electors(conn, id)?
        .into_iter()
        .map(|e| (e.practice_id, e))
        .collect();
    let rows = store::papers(conn, id)?;
    let mut papers: Vec<(EncryptedPaper, u64, Option<String>)> = Vec::with_capacity(rows.len());
    for (row, code) in rows {
        let elector = electors
            .get(&row.practice_id)
            .ok_or_else(|| AppError::Internal(format!("ballot {id}: a paper of {code}, who is not an elector")))?;
        let paper: EncryptedPaper = serde_json::from_str(&row.paper)
            .map_err(|e| AppError::Internal(format!("ballot {id}: stored paper of {code}: {e}")))?;
        papers.push((
            paper,
            u64::try_from(elector.weight).unwrap_or(0),
            elector.constituency.clone(),
        ));
    }
    let tally_papers: Vec<TallyPaper<'_>> = papers
        .iter()
        .map(|(paper, weight, group)| TallyPaper {
            paper,
            weight: *weight,
            group: group.as_deref(),
        })
        .collect();
    aggregate(loaded.options.len(), &tally_papers).map_err(|e| AppError::Internal(format!("aggregates: {e}")))
}

/// At the close: the aggregates are computed and kept, and the trustees are
/// asked to decrypt them. Does nothing the second time.
pub fn close_in(conn: &mut DbConn, outbox: &Outbox, loaded: &Loaded, actor: &Actor) -> AppResult<()> {
    let id = loaded.ballot.id;
    let fresh = crate::ballots::service::load(conn, id)?;
    if fresh.ballot.aggregates.is_some() {
        return Ok(());
    }
    let aggregates = aggregates_of(conn, &fresh)?;
    let json = serde_json::to_string(&aggregates).map_err(|e| AppError::Internal(e.to_string()))?;
    store::set_aggregates(conn, id, &json)?;
    record(
        conn,
        actor,
        Event {
            organisation_id: Some(loaded.organisation.id),
            action: "ballot.aggregate",
            object_kind: "ballot",
            object_key: &id.to_string(),
            summary: format!(
                "The {} encrypted papers of \"{}\" were multiplied into {} aggregates for the trustees to decrypt",
                aggregates.overall.papers,
                loaded.ballot.title,
                aggregates.ciphertexts().len()
            ),
        },
    )?;
    let mails: Vec<crate::mail::service::Mail> = store::trustees(conn, id)?
        .into_iter()
        .map(|(row, name, email)| crate::mail::service::Mail {
            template: "ballot_decrypt",
            to_email: email,
            to_name: name,
            sender: loaded.organisation.name.clone(),
            reason: format!(
                "You get this email because you are a trustee of the ballot \"{}\".",
                loaded.ballot.title
            ),
            event: crate::mail::model::EventKind::Ballot,
            event_id: Some(id),
            organisation_id: Some(loaded.organisation.id),
            practice_id: None,
            user_id: Some(row.user_id),
            context: json!({
                "title": loaded.ballot.title,
                "organisation": loaded.organisation.name,
                "trustee": row.position,
                "threshold": loaded.rules.trustee_threshold,
                "trustees_url": format!("{}/ballots/{id}/trustees", outbox.base_url()),
                "board_url": format!("{}/ballots/{id}/board.json", outbox.base_url()),
            }),
            sealed: false,
        })
        .collect();
    outbox.enqueue_all(conn, mails)?;
    Ok(())
}

pub fn stored_aggregates(loaded: &Loaded) -> AppResult<Aggregates> {
    let json = loaded
        .ballot
        .aggregates
        .as_deref()
        .ok_or_else(|| AppError::Conflict("The ballot's aggregates are made at the close.".into()))?;
    serde_json::from_str(json).map_err(|e| AppError::Internal(format!("stored aggregates: {e}")))
}

/// Every partial decryption uploaded so far.
pub fn partials_of(conn: &mut DbConn, ballot_id: i32) -> AppResult<Vec<PartialDecryption>> {
    store::trustees(conn, ballot_id)?
        .into_iter()
        .filter_map(|(row, _, _)| row.partial)
        .map(|json| {
            serde_json::from_str::<PartialUpload>(&json)
                .map(|u| u.partial)
                .map_err(|e| AppError::Internal(format!("stored partial decryption: {e}")))
        })
        .collect()
}

/// A trustee's partial decryption: checked against the aggregates and their
/// verification key, kept, and once enough trustees have decrypted, the
/// totals are combined and counted. Answers whether the ballot was counted.
#[allow(clippy::too_many_arguments)]
pub fn upload_partial(
    conn: &mut DbConn,
    outbox: &Outbox,
    actor: &SessionUser,
    loaded: &Loaded,
    ceremony: &Ceremony,
    position: u32,
    text: &str,
    now: NaiveDateTime,
) -> AppResult<bool> {
    match loaded.state {
        BallotState::Closed => {}
        BallotState::Counted => {
            return Err(AppError::Conflict(
                "The result has been decrypted and counted already.".into(),
            ));
        }
        _ => {
            return Err(AppError::Conflict(
                "Decryptions are uploaded after voting has closed.".into(),
            ));
        }
    }
    let upload: PartialUpload = serde_json::from_str(text)
        .map_err(|e| AppError::invalid("upload", format!("This is not a partial decryption: {e}")))?;
    if upload.ballot != loaded.ballot.id || upload.partial.trustee != position {
        return Err(AppError::invalid(
            "upload",
            format!(
                "This decryption is by trustee {} of ballot {}; you are trustee {position} of ballot {}",
                upload.partial.trustee, upload.ballot, loaded.ballot.id
            ),
        ));
    }
    let election = election_of(loaded)?;
    let checked = election
        .check()
        .map_err(|e| AppError::Internal(format!("stored election: {e}")))?;
    let aggregates = stored_aggregates(loaded)?;
    verify_partial(&upload.partial, &aggregates, &election.trustees, &checked.fingerprint).map_err(|e| {
        AppError::invalid(
            "upload",
            format!("The decryption does not check against this ballot's aggregates and your key: {e}"),
        )
    })?;
    let json = serde_json::to_string(&upload).map_err(|e| AppError::Internal(e.to_string()))?;
    store::set_partial(
        conn,
        loaded.ballot.id,
        i32::try_from(position).unwrap_or(i32::MAX),
        &json,
        now,
    )?;
    record(
        conn,
        &actor.actor(),
        Event {
            organisation_id: Some(loaded.organisation.id),
            action: "ballot.trustee_decryption",
            object_kind: "ballot",
            object_key: &loaded.ballot.id.to_string(),
            summary: format!(
                "Trustee {position} ({}) decrypted their part of the {} aggregates, with proofs",
                actor.name,
                aggregates.ciphertexts().len()
            ),
        },
    )?;
    let partials = partials_of(conn, loaded.ballot.id)?;
    if partials.len() < ceremony.threshold as usize {
        return Ok(false);
    }
    let totals = combine(
        &aggregates,
        &partials,
        &election.trustees,
        election.threshold,
        &checked.fingerprint,
        &aggregates.bounds(),
    )
    .map_err(|e| AppError::Internal(format!("combining the decryptions: {e}")))?;
    let (overall, per_constituency) = tallies_from_totals(&election.options, &aggregates, &totals)
        .map_err(|e| AppError::Internal(format!("totals: {e}")))?;
    let electors: Vec<Elector> = crate::ballots::store::electors(conn, loaded.ballot.id)?
        .into_iter()
        .map(|e| Elector {
            weight: u64::try_from(e.weight).unwrap_or(0),
            constituency: e.constituency,
        })
        .collect();
    let result = rules::result_from_tallies(
        &loaded.option_keys(),
        &electors,
        overall,
        per_constituency,
        loaded.rules.quorum(),
        loaded.rules.decision(loaded.kind),
    );
    crate::ballots::service::record_count(conn, outbox, loaded, &result, &actor.actor(), now)?;
    Ok(true)
}

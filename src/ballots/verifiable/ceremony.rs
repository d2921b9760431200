//! The key ceremony of a verifiable ballot, while it is a draft: the
//! returning officer names the trustees and how many of them must take part
//! to decrypt; each trustee makes their key on their own machine
//! (`quorate trustee keygen`), uploads its public part, then uploads their
//! encrypted shares for the others (`quorate trustee shares`). Publication
//! needs the whole ceremony and fixes the election record.

use chrono::{NaiveDateTime, Utc};

use super::model::{ElectionRecord, KEY_FORMAT, KeyUpload, SHARES_FORMAT, SharesUpload};
use super::store::{self, TrusteeWithUser};
use crate::accounts::model::{EmailAddress, Grants};
use crate::accounts::service::SessionUser;
use crate::accounts::store::User;
use crate::audit::service::{Event, record};
use crate::ballots::model::BallotState;
use crate::ballots::service::{Access, Loaded, audit_ballot as audit, load};
use crate::crypto::trustees::{EncryptedShare, TrusteePublic, verify_public};
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult};

/// The most trustees one ballot may have.
pub const MAX_TRUSTEES: usize = 20;

/// One trustee, for pages.
#[derive(Debug, Clone)]
pub struct TrusteeView {
    pub position: u32,
    pub user_id: i32,
    pub name: String,
    pub email: String,
    pub key_at: Option<NaiveDateTime>,
    pub shares_at: Option<NaiveDateTime>,
    pub partial_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone)]
pub struct Ceremony {
    pub threshold: u32,
    pub trustees: Vec<TrusteeView>,
    pub publics: Vec<TrusteePublic>,
    pub shares: Vec<EncryptedShare>,
}

impl Ceremony {
    pub fn n(&self) -> u32 {
        u32::try_from(self.trustees.len()).unwrap_or(u32::MAX)
    }

    pub fn keys_complete(&self) -> bool {
        !self.trustees.is_empty() && self.trustees.iter().all(|t| t.key_at.is_some())
    }

    pub fn shares_complete(&self) -> bool {
        self.keys_complete() && self.trustees.iter().all(|t| t.shares_at.is_some())
    }

    pub fn position_of(&self, user_id: i32) -> Option<u32> {
        self.trustees.iter().find(|t| t.user_id == user_id).map(|t| t.position)
    }

    /// What is still to be done before the ballot can be published, if anything.
    pub fn missing(&self) -> Option<String> {
        if self.trustees.len() < 2 {
            return Some("name at least two trustees, who will hold the election key between them".into());
        }
        let waiting = |done: fn(&TrusteeView) -> bool| -> Vec<String> {
            self.trustees
                .iter()
                .filter(|t| !done(t))
                .map(|t| t.name.clone())
                .collect()
        };
        let keys = waiting(|t| t.key_at.is_some());
        if !keys.is_empty() {
            return Some(format!("waiting for the key of {}", keys.join(", ")));
        }
        let shares = waiting(|t| t.shares_at.is_some());
        if !shares.is_empty() {
            return Some(format!("waiting for the shares of {}", shares.join(", ")));
        }
        None
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(field: &str, json: &str, what: &str) -> AppResult<T> {
    serde_json::from_str(json).map_err(|e| AppError::invalid(field, format!("This is not {what}: {e}")))
}

fn ceremony_of(rows: Vec<TrusteeWithUser>, threshold: Option<u32>) -> AppResult<Ceremony> {
    let mut publics = Vec::new();
    let mut shares = Vec::new();
    let mut trustees = Vec::new();
    for (row, name, email) in rows {
        if let Some(json) = &row.public_part {
            let upload: KeyUpload =
                serde_json::from_str(json).map_err(|e| AppError::Internal(format!("stored trustee key: {e}")))?;
            publics.push(upload.public);
        }
        if let Some(json) = &row.shares {
            let upload: SharesUpload =
                serde_json::from_str(json).map_err(|e| AppError::Internal(format!("stored trustee shares: {e}")))?;
            shares.extend(upload.shares);
        }
        trustees.push(TrusteeView {
            position: u32::try_from(row.position).unwrap_or(0),
            user_id: row.user_id,
            name,
            email,
            key_at: row.public_at,
            shares_at: row.shares_at,
            partial_at: row.partial_at,
        });
    }
    let n = u32::try_from(trustees.len()).unwrap_or(u32::MAX);
    Ok(Ceremony {
        threshold: threshold.unwrap_or(n).min(n.max(1)),
        trustees,
        publics,
        shares,
    })
}

pub fn ceremony_in(conn: &mut DbConn, loaded: &Loaded) -> AppResult<Ceremony> {
    ceremony_of(store::trustees(conn, loaded.ballot.id)?, loaded.rules.trustee_threshold)
}

/// The ballot and its ceremony, for those who run or observe it and for
/// its trustees.
pub fn ceremony(pool: &Pool, user: &SessionUser, id: i32) -> AppResult<(Loaded, Access, Ceremony)> {
    let mut conn = pool.get()?;
    let loaded = load(&mut conn, id)?;
    if !loaded.rules.is_verifiable() {
        return Err(AppError::NotFound);
    }
    let ceremony = ceremony_in(&mut conn, &loaded)?;
    let grants = user.grants();
    let access = match crate::ballots::service::visible(&mut conn, &grants, id) {
        Ok((_, access)) => access,
        Err(e) if ceremony.position_of(user.id).is_none() => return Err(e),
        Err(_) => Access {
            runs: false,
            observes: false,
            member: false,
        },
    };
    if !(access.runs || access.observes || ceremony.position_of(user.id).is_some()) {
        return Err(AppError::Forbidden(
            "The ceremony page is for the ballot's trustees, those who run it and the LMC's observers.".into(),
        ));
    }
    Ok((loaded, access, ceremony))
}

/// Accounts the returning officer is offered as trustees: the
/// organisation's returning officers and its LMCs' observers.
pub fn suggested(pool: &Pool, loaded: &Loaded) -> AppResult<Vec<(String, String)>> {
    let mut conn = pool.get()?;
    let mut found: Vec<(String, String)> = Vec::new();
    for (_, name, email) in
        crate::accounts::store::holders_of(&mut conn, "returning_officer", &[loaded.organisation.id])?
            .into_iter()
            .chain(crate::accounts::store::holders_of(
                &mut conn,
                "lmc_observer",
                &loaded.covering_lmc_ids,
            )?)
    {
        if !found.iter().any(|(_, e)| *e == email) {
            found.push((name, email));
        }
    }
    Ok(found)
}

fn require_runs(conn: &mut DbConn, grants: &Grants, id: i32) -> AppResult<Loaded> {
    let (loaded, access) = crate::ballots::service::visible(conn, grants, id)?;
    if !access.runs {
        return Err(AppError::Forbidden(format!(
            "Only administrators and the returning officer of {} name a ballot's trustees.",
            loaded.organisation.name
        )));
    }
    Ok(loaded)
}

/// Names the trustees (addresses of existing accounts, one per line or
/// separated by commas) and the threshold; the ceremony starts again.
pub fn name_trustees(
    pool: &Pool,
    actor: &SessionUser,
    id: i32,
    addresses: &str,
    threshold: Option<u32>,
) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = require_runs(c, &actor.grants(), id)?;
        if loaded.state != BallotState::Draft {
            return Err(AppError::Conflict(
                "The ballot has been published: its trustees can no longer change.".into(),
            ));
        }
        if !loaded.rules.is_verifiable() {
            return Err(AppError::Conflict(
                "Only a verifiable secret ballot has trustees.".into(),
            ));
        }
        let mut users: Vec<User> = Vec::new();
        for typed in addresses
            .split([',', '\n', ';'])
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            let address = EmailAddress::parse("trustees", typed)
                .map_err(|e| AppError::invalid("trustees", format!("\"{typed}\": {}", e.message)))?;
            let user = User::find_by_email(c, address.normalized())?.ok_or_else(|| {
                AppError::invalid(
                    "trustees",
                    format!(
                        "{} has no Quorate account: invite them first, then name them here",
                        address.as_str()
                    ),
                )
            })?;
            if users.iter().any(|u| u.id == user.id) {
                return Err(AppError::invalid(
                    "trustees",
                    format!("{} is named twice", address.as_str()),
                ));
            }
            users.push(user);
        }
        if users.len() < 2 {
            return Err(AppError::invalid(
                "trustees",
                "Name at least two trustees, so that no one person can decrypt the papers",
            ));
        }
        if users.len() > MAX_TRUSTEES {
            return Err(AppError::invalid(
                "trustees",
                format!("Name at most {MAX_TRUSTEES} trustees"),
            ));
        }
        let n = u32::try_from(users.len()).unwrap_or(u32::MAX);
        if let Some(t) = threshold.filter(|t| *t < 1 || *t > n) {
            return Err(AppError::invalid(
                "trustee-threshold",
                format!("{t} of {n} trustees cannot decrypt: choose a number from 1 to {n}"),
            ));
        }
        let ids: Vec<i32> = users.iter().map(|u| u.id).collect();
        store::replace_trustees(c, id, &ids)?;
        let mut rules = loaded.rules.clone();
        rules.trustee_threshold = threshold.filter(|t| *t != n);
        let json = serde_json::to_string(&rules).map_err(|e| AppError::Internal(e.to_string()))?;
        crate::ballots::store::set_rules(c, id, &json)?;
        let names: Vec<String> = users.iter().map(|u| format!("{} ({})", u.name, u.email)).collect();
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "ballot.trustees",
                object_kind: "ballot",
                object_key: &id.to_string(),
                summary: format!(
                    "Trustees of \"{}\": {}; any {} of the {n} decrypt the result",
                    loaded.ballot.title,
                    names.join(", "),
                    threshold.unwrap_or(n)
                ),
            },
        )?;
        Ok(())
    })
}

/// What an upload was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploaded {
    Key,
    Shares,
    Decryption { counted: bool },
}

/// A trustee uploads a file the command line made: the public part of
/// their key, their shares, or their partial decryption of the result.
pub fn upload(
    pool: &Pool,
    outbox: &crate::mail::service::Outbox,
    actor: &SessionUser,
    id: i32,
    text: &str,
) -> AppResult<Uploaded> {
    let text = text.trim();
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        // Trustees uploading at once take turns, so the last of them sees
        // every other's part (and the count happens once).
        crate::db::lock_row(c, crate::db::Locked::Ballot(id))?;
        let loaded = load(c, id)?;
        if !loaded.rules.is_verifiable() {
            return Err(AppError::NotFound);
        }
        let ceremony = ceremony_in(c, &loaded)?;
        // Who may upload is settled before what was sent is looked at.
        let position = ceremony.position_of(actor.id).ok_or_else(|| {
            AppError::Forbidden("Only the ballot's trustees upload their keys, shares and decryptions.".into())
        })?;
        if text.is_empty() {
            return Err(AppError::invalid(
                "upload",
                "Choose the file the quorate command wrote, or paste its contents",
            ));
        }
        let value: serde_json::Value = parse_json("upload", text, "a file written by the quorate command")?;
        let format = value
            .get("format")
            .and_then(|f| f.as_str())
            .unwrap_or_default()
            .to_owned();
        let now = Utc::now().naive_utc();
        match format.as_str() {
            KEY_FORMAT => upload_key(c, actor, &loaded, &ceremony, position, text, now).map(|()| Uploaded::Key),
            SHARES_FORMAT => {
                upload_shares(c, actor, &loaded, &ceremony, position, text, now).map(|()| Uploaded::Shares)
            }
            super::model::PARTIAL_FORMAT => {
                super::tally::upload_partial(c, outbox, actor, &loaded, &ceremony, position, text, now)
                    .map(|counted| Uploaded::Decryption { counted })
            }
            other => Err(AppError::invalid(
                "upload",
                format!(
                    "This file is \"{other}\", not the public part of a trustee key, trustee shares or a partial decryption"
                ),
            )),
        }
    })
}

fn upload_key(
    conn: &mut DbConn,
    actor: &SessionUser,
    loaded: &Loaded,
    ceremony: &Ceremony,
    position: u32,
    text: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    if loaded.state != BallotState::Draft {
        return Err(AppError::Conflict(
            "The ballot has been published: its election key is fixed.".into(),
        ));
    }
    let upload: KeyUpload = parse_json("upload", text, "the public part of a trustee key")?;
    if upload.ballot != loaded.ballot.id || upload.trustee != position || upload.public.index != position {
        return Err(AppError::invalid(
            "upload",
            format!(
                "This key was made for trustee {} of ballot {}; you are trustee {position} of ballot {}. Run the command shown on this page.",
                upload.trustee, upload.ballot, loaded.ballot.id
            ),
        ));
    }
    verify_public(&upload.public, ceremony.n(), ceremony.threshold)
        .map_err(|e| AppError::invalid("upload", format!("The key does not check: {e}")))?;
    let json = serde_json::to_string(&upload).map_err(|e| AppError::Internal(e.to_string()))?;
    let position_db = i32::try_from(position).unwrap_or(i32::MAX);
    store::set_public(conn, loaded.ballot.id, position_db, &json, now)?;
    // Shares made for an earlier set of keys cannot be used with this one.
    let cleared = store::clear_shares(conn, loaded.ballot.id)?;
    audit(
        conn,
        actor,
        loaded,
        "ballot.trustee_key",
        format!(
            "Trustee {position} ({}) uploaded the public part of their key{}",
            actor.name,
            if cleared > 0 && ceremony.trustees.iter().any(|t| t.shares_at.is_some()) {
                "; the trustees' shares must be made again"
            } else {
                ""
            }
        ),
    )
}

fn upload_shares(
    conn: &mut DbConn,
    actor: &SessionUser,
    loaded: &Loaded,
    ceremony: &Ceremony,
    position: u32,
    text: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    if loaded.state != BallotState::Draft {
        return Err(AppError::Conflict(
            "The ballot has been published: its election key is fixed.".into(),
        ));
    }
    if !ceremony.keys_complete() {
        return Err(AppError::Conflict(
            "Shares are made once every trustee has uploaded the public part of their key.".into(),
        ));
    }
    let upload: SharesUpload = parse_json("upload", text, "trustee shares")?;
    if upload.ballot != loaded.ballot.id || upload.trustee != position {
        return Err(AppError::invalid(
            "upload",
            format!(
                "These shares are from trustee {} of ballot {}; you are trustee {position} of ballot {}",
                upload.trustee, upload.ballot, loaded.ballot.id
            ),
        ));
    }
    let mut recipients: Vec<u32> = upload.shares.iter().map(|s| s.recipient).collect();
    recipients.sort_unstable();
    let others: Vec<u32> = ceremony
        .trustees
        .iter()
        .map(|t| t.position)
        .filter(|p| *p != position)
        .collect();
    if upload.shares.iter().any(|s| s.sender != position) || recipients != others {
        return Err(AppError::invalid(
            "upload",
            "These shares are not one for each other trustee: make them again with the current list of keys",
        ));
    }
    let json = serde_json::to_string(&upload).map_err(|e| AppError::Internal(e.to_string()))?;
    store::set_shares(
        conn,
        loaded.ballot.id,
        i32::try_from(position).unwrap_or(i32::MAX),
        &json,
        now,
    )?;
    audit(
        conn,
        actor,
        loaded,
        "ballot.trustee_shares",
        format!("Trustee {position} ({}) uploaded their encrypted shares", actor.name),
    )
}

/// The election record publication fixes, or what is still missing.
pub fn election_for_publication(conn: &mut DbConn, loaded: &Loaded) -> AppResult<ElectionRecord> {
    let ceremony = ceremony_in(conn, loaded)?;
    if let Some(missing) = ceremony.missing() {
        return Err(AppError::invalid(
            "trustees",
            format!("The election key is not ready: {missing}. See the trustees' page."),
        ));
    }
    ElectionRecord::new(
        loaded.ballot.id,
        &loaded.organisation.ods_code,
        loaded.option_keys(),
        ceremony.threshold,
        ceremony.publics,
        ceremony.shares,
    )
    .map_err(|e| AppError::invalid("trustees", format!("The trustees' keys do not fit together: {e}")))
}

/// The record fixed at publication.
pub fn election_of(loaded: &Loaded) -> AppResult<ElectionRecord> {
    let json = loaded
        .ballot
        .election
        .as_deref()
        .ok_or_else(|| AppError::Conflict("This ballot has no election key yet.".into()))?;
    serde_json::from_str(json).map_err(|e| AppError::Internal(format!("stored election: {e}")))
}

//! Casting a vote. Checks run on the request's thread; the writes go to one
//! writer thread that commits every vote waiting at that moment in one
//! transaction (group commit) and answers each voter only after the commit.
//! A durable commit costs a disk flush, so one flush for many votes is what
//! lets hundreds of practices vote at once without weakening durability.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc;

use chrono::{NaiveDateTime, Utc};
use diesel::Connection;
use serde_json::json;

use super::model::{BallotState, Secrecy, new_paper_id, new_receipt_code, receipt_digest};
use super::service::{Loaded, load, load_without_access_facts, london_day, open_if_due};
use super::store::{self, ElectorRow, PaperRow};
use super::verifiable::casting::{PaperSource, PaperVote};
use crate::accounts::model::Role;
use crate::accounts::service::SessionUser;
use crate::audit::model::Actor;
use crate::audit::service::{Event, record_all};
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult};
use crate::mail::model::EventKind;
use crate::mail::service::{Mail, Outbox};
use crate::registry::store::{Practice, representatives};

/// Who is voting, and how they proved it.
#[derive(Debug, Clone)]
pub enum Credential {
    /// The single-use link from the notice.
    Link(String),
    /// A representative signed in to the site.
    SignedIn(SessionUser),
    /// A representative's personal API token.
    Api(SessionUser),
}

impl Credential {
    fn method(&self) -> &'static str {
        match self {
            Credential::Link(_) => "link",
            Credential::SignedIn(_) => "signed_in",
            Credential::Api(_) => "api",
        }
    }
}

/// Refuses a second vote; `may_change` says whether the ballot lets a
/// practice change its vote (then only a vote racing another is refused).
pub fn already_voted(may_change: bool) -> AppError {
    AppError::Conflict(if may_change {
        "Another vote for your practice was being recorded at the same moment. Try again: its last vote counts."
            .to_owned()
    } else {
        format!(
            "Your practice has already voted in this ballot. {}",
            super::model::VOTE_IS_FINAL
        )
    })
}

/// The ballot, practice and voter a credential stands for.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub loaded: Loaded,
    pub practice: Practice,
    pub elector: ElectorRow,
    /// (user id, name, email) of the person voting.
    pub voter: Option<(i32, String, String)>,
    pub method: &'static str,
    pub token_digest: Option<String>,
    pub already_voted: bool,
    /// The voter votes for the practice as its proxy, under this instrument.
    pub proxy: Option<super::proxy::store::AppointmentRow>,
}

/// Why voting is not possible now, if it is not.
pub fn window_problem(loaded: &Loaded, now: NaiveDateTime) -> Option<String> {
    let ballot = &loaded.ballot;
    if let Some(suspension) = loaded.suspension() {
        return Some(format!(
            "Voting is suspended while something is looked into: {} It was suspended at {}. You will be told by email when voting resumes, and your practice can vote then.",
            sentence(&suspension.reason),
            crate::time::date_time(suspension.suspended_at)
        ));
    }
    match loaded.state {
        BallotState::Void => Some(match &loaded.interruptions.void {
            Some(void) => format!(
                "This ballot was declared void at {}: {} Its votes will not be counted.{}",
                crate::time::date_time(void.voided_at),
                sentence(&void.reason),
                if void.rerun_ballot_id.is_some() {
                    " It is being re-run: your practice will get the new ballot's notice, with a new voting link. Links to this ballot no longer work."
                } else {
                    ""
                }
            ),
            None => "This ballot was declared void.".to_owned(),
        }),
        BallotState::Cancelled => Some(format!(
            "This ballot was cancelled{}.",
            ballot
                .cancel_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        )),
        BallotState::Draft => Some("This ballot has not been published.".into()),
        BallotState::Published if now < ballot.opens_at => Some(format!(
            "Voting has not opened yet. It opens at {}.",
            crate::time::date_time(ballot.opens_at)
        )),
        BallotState::Closed | BallotState::Counted => Some(format!(
            "Voting closed at {}. Votes can no longer be cast.",
            crate::time::date_time(ballot.closes_at)
        )),
        _ if now >= ballot.closes_at => Some(format!(
            "Voting closed at {}. Votes can no longer be cast.",
            crate::time::date_time(ballot.closes_at)
        )),
        _ => None,
    }
}

/// A reason as a sentence: ending with a full stop.
fn sentence(reason: &str) -> String {
    let reason = reason.trim();
    if reason.ends_with(['.', '!', '?']) {
        reason.to_owned()
    } else {
        format!("{reason}.")
    }
}

/// Works out which ballot and practice a credential votes for. With a
/// link, the link names both; a signed-in representative names the
/// ballot, and the practice when they represent more than one in it.
pub fn resolve(
    pool: &Pool,
    credential: &Credential,
    ballot_id: Option<i32>,
    practice_code: Option<&str>,
) -> AppResult<Resolved> {
    resolve_checking(pool, credential, ballot_id, practice_code, true)
}

/// `resolve`; without `check_voted` a vote by another credential is not
/// looked for (the writer refuses it anyway), to save a query per vote.
fn resolve_checking(
    pool: &Pool,
    credential: &Credential,
    ballot_id: Option<i32>,
    practice_code: Option<&str>,
    check_voted: bool,
) -> AppResult<Resolved> {
    let mut conn = pool.get()?;
    let mut proxy = None;
    let (ballot_id, practice_id, voter, token_digest, token_used) = match credential {
        Credential::Link(raw) => {
            let digest = crate::token::digest(raw.trim());
            let (token, voter) = store::token_with_recipient(&mut conn, &digest)?.ok_or_else(|| {
                AppError::Gone(
                    "This voting link is not valid. Check that you copied the whole link from the notice, or sign in to vote."
                        .into(),
                )
            })?;
            if token.revoked_at.is_some() && token.used_at.is_none() {
                return Err(AppError::Gone(
                    "This voting link was replaced by a newer one, sent to the practice's nominated representative. Use the link in the newest notice."
                        .into(),
                ));
            }
            if ballot_id.is_some_and(|id| id != token.ballot_id) {
                return Err(AppError::Forbidden(
                    "This voting link is for a different ballot.".into(),
                ));
            }
            (
                token.ballot_id,
                token.practice_id,
                voter,
                Some(digest),
                token.used_at.is_some(),
            )
        }
        Credential::SignedIn(user) | Credential::Api(user) => {
            let ballot_id = ballot_id.ok_or(AppError::NotFound)?;
            let (practice_id, held) = represented_practice(&mut conn, user, ballot_id, practice_code)?;
            proxy = held;
            (
                ballot_id,
                practice_id,
                Some((user.id, user.name.clone(), user.email.clone())),
                None,
                false,
            )
        }
    };
    let loaded = load_without_access_facts(&mut conn, ballot_id)?;
    if loaded.state == BallotState::Draft {
        return Err(AppError::NotFound);
    }
    let (elector, practice) = store::elector_with_practice(&mut conn, ballot_id, practice_id)?.ok_or_else(|| {
        AppError::Forbidden("This practice is not in the electorate of this ballot, so it cannot vote in it.".into())
    })?;
    let already_voted = token_used || (check_voted && store::has_voted(&mut conn, ballot_id, practice_id)?);
    Ok(Resolved {
        loaded,
        practice,
        elector,
        voter,
        method: credential.method(),
        token_digest,
        already_voted,
        proxy,
    })
}

/// What the holder of a voting link may read: the ballot and what it
/// follows, as a representative of the link's practice would (read-only:
/// the grants serve only to decide what is visible).
#[derive(Debug, Clone)]
pub struct LinkReader {
    pub ballot_id: i32,
    pub practice_id: i32,
    pub grants: crate::accounts::model::Grants,
}

pub fn link_reader(pool: &Pool, raw: &str) -> AppResult<LinkReader> {
    let resolved = resolve(pool, &Credential::Link(raw.to_owned()), None, None)?;
    Ok(LinkReader {
        ballot_id: resolved.loaded.ballot.id,
        practice_id: resolved.practice.id,
        grants: crate::accounts::model::Grants(vec![crate::accounts::model::Grant {
            role: Role::PracticeRep,
            organisation_id: None,
            practice_id: Some(resolved.practice.id),
        }]),
    })
}

/// The practice (in the ballot's electorate) that `user` may vote for now.
/// The practices in the ballot's electorate a signed-in user is a voting
/// representative of (nominated, or a deputy where deputies may vote).
pub(super) fn own_practices(conn: &mut DbConn, user: &SessionUser, loaded: &Loaded) -> AppResult<Vec<i32>> {
    let candidates: Vec<i32> = user
        .grants()
        .0
        .iter()
        .filter(|g| g.role == Role::PracticeRep)
        .filter_map(|g| g.practice_id)
        .collect();
    let today = london_day(Utc::now().naive_utc());
    let current = representatives::voting_representatives_on(conn, &candidates, today)?;
    let mut voting_for: Vec<i32> = Vec::new();
    for rep in current.iter().filter(|r| r.user_id == user.id) {
        let may_vote = rep.kind == "nominated" || loaded.rules.deputies_may_vote();
        if may_vote && store::elector(conn, loaded.ballot.id, rep.practice_id)?.is_some() {
            voting_for.push(rep.practice_id);
        }
    }
    voting_for.sort_unstable();
    voting_for.dedup();
    Ok(voting_for)
}

/// The practice a signed-in user votes for: one they are a voting
/// representative of, or one whose proxy appointment they hold (through
/// their practice, or as the chair) and accepted (then with the instrument).
fn represented_practice(
    conn: &mut DbConn,
    user: &SessionUser,
    ballot_id: i32,
    practice_code: Option<&str>,
) -> AppResult<(i32, Option<super::proxy::store::AppointmentRow>)> {
    let loaded = load(conn, ballot_id)?;
    let mut voting_for = own_practices(conn, user, &loaded)?;
    let held: Vec<super::proxy::store::AppointmentRow> =
        super::proxy::service::held_by(conn, &user.grants(), &loaded, &voting_for)?
            .into_iter()
            .filter(|a| a.accepted_at.is_some())
            .collect();
    let own = voting_for.clone();
    voting_for.extend(held.iter().map(|a| a.practice_id));
    voting_for.sort_unstable();
    voting_for.dedup();
    let with_instrument = |practice_id: i32| {
        let instrument = (!own.contains(&practice_id))
            .then(|| held.iter().find(|a| a.practice_id == practice_id).cloned())
            .flatten();
        (practice_id, instrument)
    };
    let who = if loaded.rules.deputies_may_vote() {
        "nominated voting representative or deputy"
    } else {
        "nominated voting representative"
    };
    match (voting_for.as_slice(), practice_code) {
        ([], _) => Err(AppError::Forbidden(format!(
            "Only the {who} of a practice in this ballot's electorate can vote in it."
        ))),
        ([only], None) => Ok(with_instrument(*only)),
        (_, Some(code)) => {
            let code = code.trim().to_ascii_uppercase();
            let practice = Practice::find_by_code(conn, &code)?.filter(|p| voting_for.contains(&p.id));
            practice.map(|p| with_instrument(p.id)).ok_or_else(|| {
                AppError::invalid(
                    "practice",
                    format!("You cannot vote for practice {code} in this ballot"),
                )
            })
        }
        (_, None) => Err(AppError::invalid(
            "practice",
            "You represent more than one practice in this ballot: choose which one you are voting for",
        )),
    }
}

/// A checked vote, ready for the writer.
#[derive(Debug, Clone)]
pub struct PreparedVote {
    pub ballot_id: i32,
    pub organisation_id: i32,
    pub organisation_name: String,
    pub ballot_title: String,
    pub practice_id: i32,
    pub practice_code: String,
    pub practice_name: String,
    pub option_key: String,
    pub option_label: String,
    pub weight: i64,
    pub constituency: Option<String>,
    pub method: &'static str,
    pub token_digest: Option<String>,
    pub voter: Option<(i32, String, String)>,
    pub secret: bool,
    pub may_change: bool,
    /// A verifiable ballot's encrypted paper (the option is then not kept).
    pub encrypted: Option<PaperVote>,
    /// Proxies are allowed in the ballot: the writer checks instruments.
    pub proxies: bool,
    /// Cast by proxy under this instrument (its id).
    pub proxy: Option<i32>,
}

/// What a voter casts: an option, or (verifiable ballots) an option to be
/// encrypted from the seed in their form, or a paper they encrypted.
#[derive(Debug, Clone)]
pub enum Choice {
    Option(String),
    Seeded {
        option: String,
        seed: [u8; 32],
    },
    Paper(Box<crate::crypto::paper::EncryptedPaper>),
    /// An election's paper as the page's number boxes: each candidate's
    /// option key and what was typed beside it.
    Boxes(Vec<(String, String)>),
    /// An election's paper as the API sends it: candidates' keys in order.
    Ranking(Vec<String>),
}

/// Resolves the credential and checks the vote: the ballot is open, the
/// practice is in its electorate and has not voted (unless a recorded
/// ballot lets it change its vote), and the option exists.
pub fn prepare(
    pool: &Pool,
    credential: &Credential,
    ballot_id: Option<i32>,
    practice_code: Option<&str>,
    option: &str,
) -> AppResult<PreparedVote> {
    prepare_choice(
        pool,
        credential,
        ballot_id,
        practice_code,
        Choice::Option(option.to_owned()),
    )
}

/// `prepare` for any kind of choice.
pub fn prepare_choice(
    pool: &Pool,
    credential: &Credential,
    ballot_id: Option<i32>,
    practice_code: Option<&str>,
    choice: Choice,
) -> AppResult<PreparedVote> {
    // A signed-in practice that voted may change its vote in a recorded
    // ballot that allows it, so it needs to know whether it voted.
    let check_voted = !matches!(credential, Credential::Link(_));
    let mut resolved = resolve_checking(pool, credential, ballot_id, practice_code, check_voted)?;
    let now = Utc::now().naive_utc();
    if resolved.loaded.state == BallotState::Published && now >= resolved.loaded.ballot.opens_at {
        open_if_due(pool, resolved.loaded.ballot.id)?;
        resolved = resolve_checking(pool, credential, ballot_id, practice_code, check_voted)?;
    }
    let loaded = &resolved.loaded;
    if let Some(problem) = window_problem(loaded, now) {
        return Err(AppError::Forbidden(problem));
    }
    let secret = loaded.rules.secrecy() == Secrecy::Secret;
    let may_change = loaded.rules.votes_may_change();
    if resolved.already_voted && !may_change {
        return Err(already_voted(false));
    }
    if loaded.rules.proxy_limit.is_some() && resolved.proxy.is_none() {
        // A practice whose proxy appointment stands does not vote itself.
        let mut conn = pool.get()?;
        match super::proxy::service::check_own_vote(&mut conn, loaded.ballot.id, &resolved.practice) {
            Err(AppError::Forbidden(standing)) => {
                // Its proxy may have voted already: then that is the answer.
                if store::has_voted(&mut conn, loaded.ballot.id, resolved.practice.id)? {
                    return Err(already_voted(may_change));
                }
                return Err(AppError::Forbidden(standing));
            }
            other => other?,
        }
    }
    let verifiable = loaded.rules.is_verifiable();
    let (option, source) = match choice {
        Choice::Paper(paper) if verifiable => {
            let election = super::verifiable::casting::election(loaded)?;
            let paper_vote = super::verifiable::casting::make_paper(
                election,
                &resolved.practice.ods_code,
                None,
                PaperSource::Voter(paper),
            )?;
            return Ok(prepared(
                &resolved,
                String::new(),
                String::new(),
                secret,
                may_change,
                Some(paper_vote),
            ));
        }
        Choice::Paper(_) => {
            return Err(AppError::invalid(
                "paper",
                "This ballot takes an option, not an encrypted paper: send {\"option\": \"…\"}",
            ));
        }
        Choice::Boxes(boxes) if loaded.kind.is_election() => (ranking_from_boxes(loaded, &boxes)?, PaperSource::Fresh),
        Choice::Ranking(keys) if loaded.kind.is_election() => (ranking_from_keys(&keys)?, PaperSource::Fresh),
        Choice::Boxes(_) | Choice::Ranking(_) => {
            return Err(AppError::invalid(
                "ranking",
                "This ballot is not an election: send {\"option\": \"…\"}",
            ));
        }
        Choice::Option(option) => (option, PaperSource::Fresh),
        Choice::Seeded { option, seed } => (option, PaperSource::Seeded(seed)),
    };
    let option = option.trim();
    if loaded.kind.is_election() {
        // Verifiable elections are refused when drafted, so the paper is plain.
        let ranking = super::election::ranking::decode(option, &loaded.option_keys())
            .map_err(|why| AppError::invalid("ranking", why))?;
        let keys: Vec<&str> = ranking.iter().map(|&c| loaded.options[c].option_key.as_str()).collect();
        return Ok(prepared(
            &resolved,
            super::election::ranking::encode(&keys),
            super::election::ranking::in_words(&ranking, &loaded.ballot_options()),
            secret,
            may_change,
            None,
        ));
    }
    let Some(chosen) = loaded.options.iter().find(|o| o.option_key == option) else {
        let keys: Vec<&str> = loaded.options.iter().map(|o| o.option_key.as_str()).collect();
        return Err(AppError::invalid(
            "option",
            if option.is_empty() {
                "Choose an option".to_owned()
            } else {
                format!(
                    "\"{option}\" is not an option in this ballot; the options are {}",
                    keys.join(", ")
                )
            },
        ));
    };
    if let Some(instrument) = &resolved.proxy {
        let mut conn = pool.get()?;
        super::proxy::service::check_proxy_vote(&mut conn, loaded, instrument, &chosen.option_key)?;
    }
    let encrypted = if verifiable {
        let election = super::verifiable::casting::election(loaded)?;
        Some(super::verifiable::casting::make_paper(
            election,
            &resolved.practice.ods_code,
            Some(&chosen.option_key),
            source,
        )?)
    } else {
        None
    };
    Ok(prepared(
        &resolved,
        chosen.option_key.clone(),
        chosen.label.clone(),
        secret,
        may_change,
        encrypted,
    ))
}

/// The ranking an API client sends, as stored; each key is checked against
/// the candidates afterwards, as a stored ranking is.
fn ranking_from_keys(keys: &[String]) -> AppResult<String> {
    if keys.len() > super::election::ranking::MAX_CANDIDATES {
        return Err(AppError::invalid(
            "ranking",
            format!(
                "A ranking lists at most {} candidates",
                super::election::ranking::MAX_CANDIDATES
            ),
        ));
    }
    if let Some(place) = keys
        .iter()
        .position(|k| k.trim().is_empty() || k.contains(super::election::ranking::SEPARATOR))
    {
        return Err(AppError::invalid(
            "ranking",
            format!(
                "Preference {} of the ranking is not a candidate's key: give each candidate's key on its own",
                place + 1
            ),
        ));
    }
    Ok(super::election::ranking::encode(keys))
}

/// The ranking the number boxes give, as stored ("bea>ann"), or an error
/// for each box that is wrong, naming the box.
fn ranking_from_boxes(loaded: &super::service::Loaded, boxes: &[(String, String)]) -> AppResult<String> {
    let names: Vec<String> = loaded.options.iter().map(|o| o.label.clone()).collect();
    let typed: Vec<(usize, &str)> = loaded
        .options
        .iter()
        .enumerate()
        .map(|(c, o)| {
            let text = boxes
                .iter()
                .find(|(key, _)| *key == o.option_key)
                .map_or("", |(_, t)| t.as_str());
            (c, text)
        })
        .collect();
    match crate::ballots::stv::paper::ranking_from_boxes(&typed, &names) {
        Ok(ranking) => {
            let keys: Vec<&str> = ranking.iter().map(|&c| loaded.options[c].option_key.as_str()).collect();
            Ok(super::election::ranking::encode(&keys))
        }
        Err(errors) => Err(AppError::Invalid(
            errors
                .into_iter()
                .map(|e| match e.candidate.and_then(|c| loaded.options.get(c)) {
                    Some(option) => crate::error::FieldError::new(&format!("rank-{}", option.option_key), e.message),
                    None => crate::error::FieldError::new("ranking", e.message),
                })
                .collect(),
        )),
    }
}

fn prepared(
    resolved: &Resolved,
    option_key: String,
    option_label: String,
    secret: bool,
    may_change: bool,
    encrypted: Option<PaperVote>,
) -> PreparedVote {
    let loaded = &resolved.loaded;
    PreparedVote {
        ballot_id: loaded.ballot.id,
        organisation_id: loaded.organisation.id,
        organisation_name: loaded.organisation.name.clone(),
        ballot_title: loaded.ballot.title.clone(),
        practice_id: resolved.practice.id,
        practice_code: resolved.practice.ods_code.clone(),
        practice_name: resolved.practice.name.clone(),
        option_key,
        option_label,
        weight: resolved.elector.weight,
        constituency: resolved.elector.constituency.clone(),
        method: resolved.method,
        token_digest: resolved.token_digest.clone(),
        voter: resolved.voter.clone(),
        secret,
        may_change,
        encrypted,
        proxies: loaded.rules.proxy_limit.is_some(),
        proxy: resolved.proxy.as_ref().map(|a| a.id),
    }
}

/// What the voter is told once the vote is committed.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub code: String,
    pub ballot_id: i32,
    pub ballot_title: String,
    pub practice_name: String,
    pub option_label: String,
    pub changed: bool,
    pub cast_at: NaiveDateTime,
}

struct Job {
    vote: PreparedVote,
    reply: tokio::sync::oneshot::Sender<AppResult<Receipt>>,
}

/// Most votes committed in one transaction.
const MAX_BATCH: usize = 512;

/// The handle requests submit votes through; cheap to clone.
#[derive(Clone)]
pub struct VoteWriter {
    sender: mpsc::Sender<Job>,
    /// Votes committed through this writer (for `/metrics`).
    accepted: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl VoteWriter {
    /// Starts the writer thread. It ends when every handle is dropped; the
    /// join handle lets the process wait for it (and for its database
    /// connections to close) before exiting.
    pub fn start(pool: Pool, outbox: Outbox) -> std::io::Result<(VoteWriter, std::thread::JoinHandle<()>)> {
        let (sender, receiver) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new().name("vote-writer".into()).spawn(move || {
            while let Ok(first) = receiver.recv() {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match receiver.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                write_batch(&pool, &outbox, batch);
            }
        })?;
        Ok((
            VoteWriter {
                sender,
                accepted: Default::default(),
            },
            thread,
        ))
    }

    /// Records the vote; answers once it is committed.
    pub async fn submit(&self, vote: PreparedVote) -> AppResult<Receipt> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.sender
            .send(Job { vote, reply })
            .map_err(|_| AppError::Unavailable("the vote writer has stopped".into()))?;
        let receipt = answer
            .await
            .map_err(|_| AppError::Unavailable("the vote writer stopped before answering".into()))??;
        self.accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(receipt)
    }

    /// Votes committed through this writer since the server started.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn write_batch(pool: &Pool, outbox: &Outbox, mut batch: Vec<Job>) {
    // Within one commit, the order of writing says nothing about the order
    // of arrival.
    store::shuffle(&mut batch);
    let now = Utc::now().naive_utc();
    let votes: Vec<&PreparedVote> = batch.iter().map(|job| &job.vote).collect();
    let outcome = pool.get().map_err(AppError::from).and_then(|mut conn| {
        conn.transaction::<_, AppError, _>(|c| {
            crate::db::claim_write_lock(c)?;
            write_all(c, outbox, &votes, now)
        })
    });
    match outcome {
        Ok(results) => {
            for (job, result) in batch.into_iter().zip(results) {
                let _ = job.reply.send(result);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, votes = batch.len(), "a batch of votes could not be committed");
            for job in batch {
                let _ = job
                    .reply
                    .send(Err(AppError::Unavailable(format!("the vote was not saved: {e}"))));
            }
        }
    }
}

fn voter_actor(vote: &PreparedVote) -> Actor {
    actor_of(vote.voter.as_ref(), &vote.practice_code)
}

/// Who acts for the audit log: the representative, or the practice's link.
pub fn actor_of(voter: Option<&(i32, String, String)>, practice_code: &str) -> Actor {
    match voter {
        Some((id, name, email)) => Actor::user(*id, name, email),
        None => Actor {
            user_id: None,
            label: format!("voting link of {practice_code}"),
        },
    }
}

fn closed_error(closes_at: NaiveDateTime) -> AppError {
    AppError::Forbidden(format!(
        "Voting closed at {}. Votes can no longer be cast.",
        crate::time::date_time(closes_at)
    ))
}

/// Writes a batch of votes in the caller's transaction, with a constant
/// number of statements however many votes there are. Each vote gets its
/// own answer: recorded, or why not.
fn write_all(
    conn: &mut DbConn,
    outbox: &Outbox,
    votes: &[&PreparedVote],
    now: NaiveDateTime,
) -> AppResult<Vec<AppResult<Receipt>>> {
    let mut results: Vec<Option<AppResult<Receipt>>> = votes.iter().map(|_| None).collect();
    let pending = |results: &[Option<AppResult<Receipt>>], i: usize| results[i].is_none();

    // The ballots must still be open; on PostgreSQL each is held against a
    // concurrent close until this commits.
    let mut closes_at: HashMap<i32, (bool, NaiveDateTime)> = HashMap::new();
    for vote in votes {
        if let std::collections::hash_map::Entry::Vacant(slot) = closes_at.entry(vote.ballot_id) {
            store::hold_against_close(conn, vote.ballot_id)?;
            let ballot = store::find(conn, vote.ballot_id)?.ok_or(AppError::NotFound)?;
            let suspended = super::investigation::store::is_suspended(conn, vote.ballot_id)?;
            slot.insert((
                ballot.state == "open" && now < ballot.closes_at && !suspended,
                ballot.closes_at,
            ));
        }
    }
    for (i, vote) in votes.iter().enumerate() {
        let (open, closes) = closes_at[&vote.ballot_id];
        if !open {
            results[i] = Some(Err(closed_error(closes)));
        }
    }

    // Encrypted papers: every proof is checked before anything is written,
    // and a paper opened for a check is never cast.
    check_papers(conn, votes, &mut results)?;
    check_proxies(conn, votes, &mut results)?;

    // A link works once, unless the ballot lets a practice change its vote.
    let digests: Vec<String> = votes
        .iter()
        .enumerate()
        .filter(|(i, _)| pending(&results, *i))
        .filter_map(|(_, v)| v.token_digest.clone())
        .collect();
    let fresh: HashSet<String> = store::use_tokens(conn, &digests, now)?.into_iter().collect();
    for (i, vote) in votes.iter().enumerate() {
        if pending(&results, i) && !vote.may_change && vote.token_digest.as_ref().is_some_and(|d| !fresh.contains(d)) {
            results[i] = Some(Err(already_voted(false)));
        }
    }

    let mut events = Vec::new();
    let mut receipts = Vec::new();
    let mut record_vote = |i: usize, code: String, changed: bool, results: &mut Vec<Option<AppResult<Receipt>>>| {
        let vote = votes[i];
        events.push((voter_actor(vote), audit_summary(vote, changed)));
        receipts.push((vote, code.clone(), changed, closes_at[&vote.ballot_id].1));
        results[i] = Some(Ok(Receipt {
            code,
            ballot_id: vote.ballot_id,
            ballot_title: vote.ballot_title.clone(),
            practice_name: vote.practice_name.clone(),
            option_label: vote.option_label.clone(),
            changed,
            cast_at: now,
        }));
    };

    // A recorded ballot that allows it: a practice that voted changes its vote.
    for (i, vote) in votes.iter().enumerate() {
        if !(pending(&results, i) && vote.may_change) {
            continue;
        }
        if let Some(paper_id) = store::recorded_paper(conn, vote.ballot_id, vote.practice_id)? {
            let code = new_receipt_code();
            store::change_paper(
                conn,
                vote.ballot_id,
                &paper_id,
                &vote.option_key,
                &receipt_digest(&code),
            )?;
            store::note_recorded_change(conn, vote.ballot_id, vote.practice_id, now)?;
            record_vote(i, code, true, &mut results);
        }
    }

    // New votes: the primary key of `ballot_voters` admits one per practice,
    // whatever the timing; a second in this same batch is refused here.
    let mut seen = HashSet::new();
    let mut voters = Vec::new();
    for (i, vote) in votes.iter().enumerate() {
        if !pending(&results, i) {
            continue;
        }
        if seen.insert((vote.ballot_id, vote.practice_id)) {
            voters.push(store::NewVoter {
                ballot_id: vote.ballot_id,
                practice_id: vote.practice_id,
                voted_at: now,
                method: vote.method,
            });
        } else {
            results[i] = Some(Err(already_voted(vote.may_change)));
        }
    }
    let written: HashSet<(i32, i32)> = store::insert_voters(conn, &voters)?.into_iter().collect();
    let mut papers = Vec::new();
    let mut encrypted_papers = Vec::new();
    let mut recorded = Vec::new();
    for (i, vote) in votes.iter().enumerate() {
        if !pending(&results, i) {
            continue;
        }
        if !written.contains(&(vote.ballot_id, vote.practice_id)) {
            results[i] = Some(Err(already_voted(vote.may_change)));
            continue;
        }
        if let Some(encrypted) = &vote.encrypted {
            encrypted_papers.push(super::verifiable::store::EncryptedPaperRow {
                ballot_id: vote.ballot_id,
                practice_id: vote.practice_id,
                tracker: encrypted.tracker.clone(),
                paper: encrypted.json.clone(),
            });
            record_vote(
                i,
                super::verifiable::model::tracker_words(&encrypted.tracker),
                false,
                &mut results,
            );
            continue;
        }
        let code = new_receipt_code();
        let paper_id = new_paper_id();
        if !vote.secret {
            recorded.push(store::NewRecordedVote {
                ballot_id: vote.ballot_id,
                practice_id: vote.practice_id,
                paper_id: paper_id.clone(),
                cast_at: now,
                changes: 0,
            });
        }
        papers.push(PaperRow {
            ballot_id: vote.ballot_id,
            paper_id,
            receipt_digest: receipt_digest(&code),
            option_key: vote.option_key.clone(),
            weight: vote.weight,
            constituency: vote.constituency.clone(),
        });
        record_vote(i, code, false, &mut results);
    }
    store::insert_papers(conn, &papers)?;
    super::verifiable::store::insert_papers(conn, &encrypted_papers)?;
    store::insert_recorded_all(conn, &recorded)?;

    let ballot_keys: Vec<String> = receipts.iter().map(|(v, ..)| v.ballot_id.to_string()).collect();
    record_all(
        conn,
        events
            .into_iter()
            .zip(&ballot_keys)
            .zip(&receipts)
            .map(|(((actor, summary), key), (vote, _, changed, _))| {
                (
                    actor,
                    Event {
                        organisation_id: Some(vote.organisation_id),
                        action: if *changed { "ballot.vote_change" } else { "ballot.vote" },
                        object_kind: "ballot",
                        object_key: key,
                        summary,
                    },
                )
            })
            .collect(),
    )?;
    let mails: Vec<Mail> = receipts
        .iter()
        .filter_map(|(vote, code, changed, closes)| receipt_mail(outbox, vote, code, *changed, now, *closes))
        .collect();
    outbox.enqueue_all(conn, mails)?;
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(AppError::Internal("a vote was left unanswered".into()))))
        .collect())
}

/// Refuses, in `results`, every pending encrypted paper whose proofs do not
/// verify (checked together per ballot) or that was opened for a check.
/// Proxy instruments as they stand when the vote is written (a revocation
/// and a vote take turns on the ballot's row): a proxy's vote needs its
/// instrument standing and accepted; a practice's own vote needs none
/// standing, so a practice is never both voted for by proxy and voting.
fn check_proxies(
    conn: &mut DbConn,
    votes: &[&PreparedVote],
    results: &mut [Option<AppResult<Receipt>>],
) -> AppResult<()> {
    let checked: Vec<&&PreparedVote> = votes.iter().filter(|v| v.proxies).collect();
    if checked.is_empty() {
        return Ok(());
    }
    let ballots: Vec<i32> = checked.iter().map(|v| v.ballot_id).collect();
    let practices: Vec<i32> = checked.iter().map(|v| v.practice_id).collect();
    let standing = super::proxy::store::standing_for(conn, &ballots, &practices)?;
    for (i, vote) in votes.iter().enumerate() {
        if results[i].is_some() || !vote.proxies {
            continue;
        }
        let instrument = standing
            .iter()
            .find(|a| a.ballot_id == vote.ballot_id && a.practice_id == vote.practice_id);
        results[i] = match (vote.proxy, instrument) {
            (Some(id), Some(a)) if a.id == id && a.accepted_at.is_some() => None,
            (Some(_), _) => Some(Err(AppError::Conflict(
                "The practice revoked its proxy appointment: the proxy can no longer vote for it.".into(),
            ))),
            (None, Some(_)) => Some(Err(AppError::Conflict(
                "The practice has appointed a proxy to vote for it: revoke the appointment before voting yourself."
                    .into(),
            ))),
            (None, None) => None,
        };
    }
    Ok(())
}

fn check_papers(
    conn: &mut DbConn,
    votes: &[&PreparedVote],
    results: &mut [Option<AppResult<Receipt>>],
) -> AppResult<()> {
    let mut by_ballot: HashMap<i32, Vec<usize>> = HashMap::new();
    for (i, vote) in votes.iter().enumerate() {
        if results[i].is_none() && vote.encrypted.is_some() {
            by_ballot.entry(vote.ballot_id).or_default().push(i);
        }
    }
    for (ballot_id, indices) in by_ballot {
        let Some(election) = votes[indices[0]].encrypted.as_ref().map(|e| e.election.clone()) else {
            continue;
        };
        let papers: Vec<(&str, &crate::crypto::paper::EncryptedPaper)> = indices
            .iter()
            .filter_map(|&i| {
                votes[i]
                    .encrypted
                    .as_ref()
                    .map(|e| (votes[i].practice_code.as_str(), &e.paper))
            })
            .collect();
        let checked = super::verifiable::casting::verify_all(&election, &papers);
        let trackers: Vec<String> = indices
            .iter()
            .filter_map(|&i| votes[i].encrypted.as_ref().map(|e| e.tracker.clone()))
            .collect();
        let spoiled: HashSet<String> = super::verifiable::store::spoiled_among(conn, ballot_id, &trackers)?
            .into_iter()
            .collect();
        for (&i, outcome) in indices.iter().zip(checked) {
            let tracker = votes[i]
                .encrypted
                .as_ref()
                .map(|e| e.tracker.as_str())
                .unwrap_or_default();
            if let Err(why) = outcome {
                results[i] = Some(Err(AppError::invalid(
                    "paper",
                    format!("The encrypted paper was refused: {why}. Nothing was recorded."),
                )));
            } else if spoiled.contains(tracker) {
                results[i] = Some(Err(AppError::invalid(
                    "paper",
                    "This paper was opened for a check, so it can no longer be cast: cast a new one. Nothing was recorded.",
                )));
            }
        }
    }
    Ok(())
}

fn audit_summary(vote: &PreparedVote, changed: bool) -> String {
    let summary = own_audit_summary(vote, changed);
    match vote.proxy {
        Some(instrument) => format!("{summary}, by proxy (instrument {instrument})"),
        None => summary,
    }
}

fn own_audit_summary(vote: &PreparedVote, changed: bool) -> String {
    match (vote.secret, changed) {
        (true, _) => format!("{} ({}) voted", vote.practice_name, vote.practice_code),
        (false, false) => format!(
            "{} ({}) voted: {}",
            vote.practice_name, vote.practice_code, vote.option_label
        ),
        (false, true) => format!(
            "{} ({}) changed its vote to: {}",
            vote.practice_name, vote.practice_code, vote.option_label
        ),
    }
}

fn receipt_mail(
    outbox: &Outbox,
    vote: &PreparedVote,
    code: &str,
    changed: bool,
    now: NaiveDateTime,
    closes_at: NaiveDateTime,
) -> Option<Mail> {
    let (user_id, name, email) = vote.voter.clone()?;
    Some(Mail {
        template: "ballot_receipt",
        to_email: email,
        to_name: name,
        sender: vote.organisation_name.clone(),
        reason: format!(
            "You get this email because you voted for {} ({}).",
            vote.practice_name, vote.practice_code
        ),
        event: EventKind::Ballot,
        event_id: Some(vote.ballot_id),
        organisation_id: Some(vote.organisation_id),
        practice_id: Some(vote.practice_id),
        user_id: Some(user_id),
        context: json!({
            "title": vote.ballot_title,
            "practice": vote.practice_name,
            "receipt": code,
            "option": if vote.secret { None } else { Some(&vote.option_label) },
            "changed": changed,
            "cast_at": crate::time::date_time(now),
            "closes": crate::time::date_time(closes_at),
            "ballot_url": format!("{}/ballots/{}", outbox.base_url(), vote.ballot_id),
        }),
        // With the recipient, a secret ballot's receipt code would tie the
        // practice to its paper.
        sealed: vote.secret,
    })
}

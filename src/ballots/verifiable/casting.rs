//! Encrypted papers at cast time. Without JavaScript, the server encrypts
//! the voter's choice under the election key the moment it is cast and
//! keeps neither the choice nor the randomness; a voter may instead post a
//! paper encrypted on their own machine (`quorate vote`). Either way the
//! proofs are checked before the vote is acknowledged (in batches, by the
//! vote writer). For a cast-as-intended check, the randomness comes from a
//! seed that lives only in the voter's form, so the paper shown can be
//! opened on request — and an opened paper is never counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::ceremony::election_of;
use super::model::Election;
use crate::ballots::service::Loaded;
use crate::crypto::group::{OsRandom, ScalarSource, Seeded};
use crate::crypto::paper::{EncryptedPaper, Opening, encrypt_paper, tracker, verify_papers_batch};
use crate::error::{AppError, AppResult};

/// Checked elections, by the digest of their stored record: the record is
/// fixed at publication, and checking it and building the key's tables
/// costs milliseconds. (Keyed by content, not by ballot number, so two
/// databases served by one process never share an entry.)
fn cache() -> &'static Mutex<HashMap<String, Arc<Election>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Election>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

pub fn election(loaded: &Loaded) -> AppResult<Arc<Election>> {
    let id = loaded.ballot.id;
    let stored = loaded
        .ballot
        .election
        .as_deref()
        .ok_or_else(|| AppError::Conflict("This ballot has no election key yet.".into()))?;
    let digest = crate::token::digest(stored);
    if let Some(found) = cache().lock().ok().and_then(|c| c.get(&digest).cloned()) {
        return Ok(found);
    }
    let checked = election_of(loaded)?
        .check()
        .map_err(|e| AppError::Internal(format!("ballot {id}: stored election: {e}")))?;
    let checked = Arc::new(checked);
    if let Ok(mut cache) = cache().lock() {
        cache.insert(digest, checked.clone());
    }
    if matches!(
        loaded.state,
        crate::ballots::model::BallotState::Published | crate::ballots::model::BallotState::Open
    ) {
        // A server that did not publish the ballot starts a modest pool
        // at its first vote; publication sets one for the whole electorate.
        pool::warm(checked.clone(), pool::ON_FIRST_VOTE);
    }
    Ok(checked)
}

/// After publication: keep a paper ready for each practice (bounded).
pub fn warm_for_electorate(loaded: &Loaded, electors: usize) {
    if let Ok(election) = election(loaded) {
        pool::warm(election, electors);
    }
}

/// Papers prepared ahead of the votes (see `crypto::prepared`): a thread
/// does the slow half of encrypting while the server is idle, so a vote
/// costs only the fast half; when the pool is empty a vote is encrypted
/// in full, as before. Each prepared paper is used once and dropped.
pub mod pool {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    use std::time::{Duration, Instant};

    use crate::ballots::verifiable::model::Election;
    use crate::crypto::group::OsRandom;
    use crate::crypto::prepared::{PreparedPaper, prepare};

    /// Most papers kept ready for one election, and for all together
    /// (about 6 KB each with three options).
    pub const PER_ELECTION: usize = 2_048;
    pub const ON_FIRST_VOTE: usize = 256;
    const ALL: usize = 16_384;
    /// An election nobody has voted in for this long is forgotten.
    const IDLE: Duration = Duration::from_secs(3_600);

    struct Entry {
        election: Arc<Election>,
        ready: Vec<PreparedPaper>,
        target: usize,
        used: Instant,
    }

    fn pools() -> &'static Mutex<HashMap<String, Entry>> {
        static POOLS: OnceLock<Mutex<HashMap<String, Entry>>> = OnceLock::new();
        POOLS.get_or_init(|| Mutex::new(HashMap::new()))
    }

    fn key(election: &Election) -> String {
        hex::encode(election.fingerprint)
    }

    /// Starts keeping up to `target` papers ready for `election`.
    pub fn warm(election: Arc<Election>, target: usize) {
        let Ok(mut pools) = pools().lock() else { return };
        let entry = pools.entry(key(&election)).or_insert_with(|| Entry {
            election: election.clone(),
            ready: Vec::new(),
            target: 0,
            used: Instant::now(),
        });
        entry.target = entry.target.max(target.min(PER_ELECTION));
        entry.used = Instant::now();
        drop(pools);
        start_filler();
    }

    pub fn take(election: &Election) -> Option<PreparedPaper> {
        let mut pools = pools().lock().ok()?;
        let entry = pools.get_mut(&key(election))?;
        entry.used = Instant::now();
        // Each vote is one practice fewer to prepare for: the pool shrinks
        // as the ballot fills, instead of being topped up during a rush.
        entry.target = entry.target.saturating_sub(1);
        let prepared = entry.ready.pop()?;
        prepared.is_for(&election.key).then_some(prepared)
    }

    /// How many papers are ready for `election`.
    pub fn ready(election: &Election) -> usize {
        pools()
            .lock()
            .ok()
            .and_then(|p| p.get(&key(election)).map(|e| e.ready.len()))
            .unwrap_or(0)
    }

    fn start_filler() {
        static STARTED: OnceLock<()> = OnceLock::new();
        STARTED.get_or_init(|| {
            let spawned = std::thread::Builder::new()
                .name("paper-pool".into())
                .spawn(fill_forever);
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "papers will be encrypted at cast time only");
            }
        });
    }

    /// One paper at a time, for the emptiest pool, so a vote never waits
    /// for the filler's lock for more than a push.
    fn fill_forever() {
        loop {
            let next = {
                let Ok(mut pools) = pools().lock() else { return };
                pools.retain(|_, e| e.used.elapsed() < IDLE);
                let total: usize = pools.values().map(|e| e.ready.len()).sum();
                pools
                    .values()
                    .filter(|e| e.ready.len() < e.target && total < ALL)
                    .min_by_key(|e| e.ready.len() * 1_000 / e.target.max(1))
                    .map(|e| e.election.clone())
            };
            let Some(election) = next else {
                std::thread::sleep(Duration::from_millis(200));
                continue;
            };
            let prepared = prepare(&election.key, election.options.len(), &mut OsRandom);
            if let Ok(mut pools) = pools().lock() {
                if let Some(entry) = pools.get_mut(&key(&election)) {
                    entry.ready.push(prepared);
                }
            }
        }
    }
}

/// How the paper of a vote is made.
#[derive(Debug, Clone)]
pub enum PaperSource {
    /// Encrypted by the server now, with fresh randomness.
    Fresh,
    /// Encrypted by the server from a seed kept in the voter's form.
    Seeded([u8; 32]),
    /// Encrypted by the voter.
    Voter(Box<EncryptedPaper>),
}

/// A vote's encrypted paper, ready for the writer.
#[derive(Debug, Clone)]
pub struct PaperVote {
    pub election: Arc<Election>,
    pub paper: EncryptedPaper,
    pub tracker: String,
    pub json: String,
}

fn seeded(seed: [u8; 32]) -> Seeded {
    Seeded::new("quorate paper v1", seed)
}

/// The paper for `option` (None for a voter's own paper) of `practice_code`.
pub fn make_paper(
    election: Arc<Election>,
    practice_code: &str,
    option: Option<&str>,
    source: PaperSource,
) -> AppResult<PaperVote> {
    let encrypt = |chosen_key: Option<&str>, randomness: &mut dyn ScalarSource| -> AppResult<EncryptedPaper> {
        let chosen = chosen_key
            .and_then(|k| election.option_index(k))
            .ok_or_else(|| AppError::invalid("option", "Choose an option"))?;
        encrypt_paper(
            &election.key,
            &election.fingerprint,
            practice_code,
            election.options.len(),
            chosen,
            randomness,
        )
        .map(|(paper, _)| paper)
        .map_err(|e| AppError::Internal(format!("encrypting a paper: {e}")))
    };
    let paper = match source {
        PaperSource::Fresh => match pool::take(&election) {
            Some(prepared) => {
                let chosen = option
                    .and_then(|k| election.option_index(k))
                    .ok_or_else(|| AppError::invalid("option", "Choose an option"))?;
                crate::crypto::prepared::fill(prepared, &election.key, &election.fingerprint, practice_code, chosen)
                    .map(|(paper, _)| paper)
                    .map_err(|e| AppError::Internal(format!("encrypting a paper: {e}")))?
            }
            None => encrypt(option, &mut OsRandom)?,
        },
        PaperSource::Seeded(seed) => encrypt(option, &mut seeded(seed))?,
        PaperSource::Voter(paper) => *paper,
    };
    // The canonical JSON is what the tracker is the digest of; storing the
    // same bytes costs one serialisation instead of two.
    let json = serde_json_canonicalizer::to_string(&paper).map_err(|e| AppError::Internal(format!("paper: {e}")))?;
    let tracker = crate::token::digest(&json);
    debug_assert_eq!(tracker, crate::crypto::paper::tracker(&paper).unwrap_or_default());
    Ok(PaperVote {
        election,
        paper,
        tracker,
        json,
    })
}

/// Opens the paper a seed makes, for a cast-as-intended check.
pub fn open_seeded(
    election: &Election,
    practice_code: &str,
    option: &str,
    seed: [u8; 32],
) -> AppResult<(EncryptedPaper, Opening, String)> {
    let chosen = election
        .option_index(option)
        .ok_or_else(|| AppError::invalid("option", "Choose an option"))?;
    let (paper, opening) = encrypt_paper(
        &election.key,
        &election.fingerprint,
        practice_code,
        election.options.len(),
        chosen,
        &mut seeded(seed),
    )
    .map_err(|e| AppError::Internal(format!("encrypting a paper: {e}")))?;
    let tracker = tracker(&paper).map_err(|e| AppError::Internal(format!("tracker: {e}")))?;
    Ok((paper, opening, tracker))
}

/// Checks the proofs of papers cast in one ballot together; answers, for
/// each, whether it verified (and why not).
pub fn verify_all(election: &Election, papers: &[(&str, &EncryptedPaper)]) -> Vec<Result<(), String>> {
    match verify_papers_batch(
        &election.key,
        &election.fingerprint,
        election.options.len(),
        papers,
        &mut OsRandom,
    ) {
        Ok(()) => papers.iter().map(|_| Ok(())).collect(),
        Err(crate::crypto::CryptoError::BatchRejected { bad, .. }) => (0..papers.len())
            .map(|i| {
                if bad.contains(&i) {
                    let (code, paper) = papers[i];
                    let why = crate::crypto::paper::verify_paper(
                        &election.key,
                        &election.fingerprint,
                        code,
                        election.options.len(),
                        paper,
                    )
                    .err()
                    .map_or_else(|| "it does not verify".to_owned(), |e| e.to_string());
                    Err(why)
                } else {
                    Ok(())
                }
            })
            .collect(),
        Err(other) => papers.iter().map(|_| Err(other.to_string())).collect(),
    }
}

/// Opens the paper of a prepared vote for a cast-as-intended check: marks
/// its tracker spoiled (so it is never cast) and answers the opened paper.
pub fn spoil(
    pool: &crate::db::Pool,
    vote: &crate::ballots::casting::PreparedVote,
    encrypted: &PaperVote,
    option: &str,
    seed: [u8; 32],
) -> AppResult<super::model::OpenedPaper> {
    let (paper, opening, tracker) = open_seeded(&encrypted.election, &vote.practice_code, option, seed)?;
    if tracker != encrypted.tracker {
        return Err(AppError::Internal("the opened paper is not the one shown".into()));
    }
    let mut conn = pool.get()?;
    let record = crate::db::write_transaction(&mut conn, |c| {
        let loaded = crate::ballots::service::load(c, vote.ballot_id)?;
        let record = election_of(&loaded)?;
        super::store::spoil(c, vote.ballot_id, &tracker)?;
        crate::audit::service::record(
            c,
            &crate::audit::model::Actor {
                user_id: vote.voter.as_ref().map(|(id, _, _)| *id),
                label: format!("voter for {}", vote.practice_code),
            },
            crate::audit::service::Event {
                organisation_id: Some(vote.organisation_id),
                action: "ballot.paper_opened",
                object_kind: "ballot",
                object_key: &vote.ballot_id.to_string(),
                summary: format!(
                    "A paper for {} was opened for a cast-as-intended check (tracker {tracker}); it can never be cast",
                    vote.practice_code
                ),
            },
        )?;
        Ok::<_, AppError>(record)
    })?;
    Ok(super::model::OpenedPaper {
        format: super::model::OPENING_FORMAT.into(),
        ballot: vote.ballot_id,
        practice: vote.practice_code.clone(),
        option: option.to_owned(),
        tracker,
        paper,
        opening,
        election: Some(record),
    })
}

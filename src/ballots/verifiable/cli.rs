//! What trustees and voters run on their own machines, offline: making a
//! trustee key, the shares for the other trustees, checking the shares
//! received, decrypting the totals (after checking the whole board), and
//! encrypting a paper. Each returns what to print, or why it cannot.

use std::path::Path;

use super::model::{
    ELECTION_FORMAT, ElectionRecord, KEY_FORMAT, KeyUpload, OPENING_FORMAT, OpenedPaper, PAPER_FORMAT, PARTIAL_FORMAT,
    PRIVATE_FORMAT, PaperFile, PartialUpload, PrivateFile, SHARES_FORMAT, SharesUpload,
};
use crate::certify::verifiable::{VerifiableBoard, check_board};
use crate::crypto::group::OsRandom;
use crate::crypto::paper::{check_opening, encrypt_paper, tracker};
use crate::crypto::tally::partial_decrypt;
use crate::crypto::trustees::{
    EncryptedShare, SecretShare, TrusteePublic, keygen, receive_shares, shares_for_others, verification_key,
    verify_public,
};

/// A command's failure: bad usage (exit 2) or a check that failed (exit 1).
#[derive(Debug)]
pub enum Failure {
    Usage(String),
    Failed(String),
}

type Outcome = Result<String, Failure>;

fn read<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, Failure> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| Failure::Usage(format!("{} is not {what}: {e}", path.display())))
}

fn pretty<T: serde::Serialize>(value: &T) -> Outcome {
    serde_json::to_string_pretty(value).map_err(|e| Failure::Failed(e.to_string()))
}

/// The ceremony file of `/ballots/ID/trustees.json`.
#[derive(serde::Deserialize)]
struct CeremonyFile {
    format: String,
    ballot: i32,
    threshold: u32,
    trustees: Vec<TrusteePublic>,
    shares: Vec<EncryptedShare>,
}

fn read_private(path: &Path) -> Result<PrivateFile, Failure> {
    let file: PrivateFile = read(path, "a Quorate trustee key file")?;
    if file.format != PRIVATE_FORMAT {
        return Err(Failure::Usage(format!(
            "{} is a \"{}\" file, not a trustee key file",
            path.display(),
            file.format
        )));
    }
    Ok(file)
}

fn read_ceremony(path: &Path, key: &PrivateFile) -> Result<CeremonyFile, Failure> {
    let ceremony: CeremonyFile = read(path, "the ceremony file of a ballot (trustees.json)")?;
    if ceremony.format != "quorate-ceremony/1" {
        return Err(Failure::Usage(format!("{} is not a ceremony file", path.display())));
    }
    if ceremony.ballot != key.ballot {
        return Err(Failure::Usage(format!(
            "the ceremony is of ballot {}, your key of ballot {}",
            ceremony.ballot, key.ballot
        )));
    }
    Ok(ceremony)
}

/// `quorate trustee keygen`: writes the private key file (owner-only, never
/// overwritten) and answers the public part to upload.
pub fn keygen_command(ballot: i32, trustee: u32, of: u32, threshold: u32, out: &Path) -> Outcome {
    if of < 2 || trustee < 1 || trustee > of || threshold < 1 || threshold > of {
        return Err(Failure::Usage(format!(
            "trustee {trustee} of {of} with {threshold} needed: the trustee must be from 1 to {of}, the number needed from 1 to {of}, and there must be at least 2 trustees"
        )));
    }
    if out.exists() {
        return Err(Failure::Usage(format!(
            "{} exists already: a trustee key is never overwritten (choose another file, or keep using that key)",
            out.display()
        )));
    }
    let (private, public) =
        keygen(trustee, of, threshold, &mut OsRandom).map_err(|e| Failure::Failed(e.to_string()))?;
    let file = PrivateFile {
        format: PRIVATE_FORMAT.into(),
        ballot,
        trustee,
        trustees: of,
        threshold,
        private,
    };
    let text = serde_json::to_string_pretty(&file).map_err(|e| Failure::Failed(e.to_string()))?;
    write_private(out, &text)?;
    pretty(&KeyUpload {
        format: KEY_FORMAT.into(),
        ballot,
        trustee,
        public,
    })
}

fn write_private(path: &Path, text: &str) -> Result<(), Failure> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Failure::Usage(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Failure::Failed(format!("cannot write {}: {e}", path.display())))
}

/// `quorate trustee shares`: a share of this trustee's key for each other
/// trustee, encrypted to them, from the ceremony's public parts.
pub fn shares_command(key: &Path, ceremony: &Path) -> Outcome {
    let key = read_private(key)?;
    let ceremony = read_ceremony(ceremony, &key)?;
    if ceremony.trustees.len() != key.trustees as usize {
        return Err(Failure::Failed(format!(
            "the ceremony has {} of the {} trustees' keys: wait until every trustee has uploaded theirs",
            ceremony.trustees.len(),
            key.trustees
        )));
    }
    for public in &ceremony.trustees {
        verify_public(public, key.trustees, key.threshold)
            .map_err(|e| Failure::Failed(format!("the key of trustee {} does not check: {e}", public.index)))?;
    }
    let shares = shares_for_others(&key.private, &ceremony.trustees, &mut OsRandom)
        .map_err(|e| Failure::Failed(e.to_string()))?;
    pretty(&SharesUpload {
        format: SHARES_FORMAT.into(),
        ballot: key.ballot,
        trustee: key.trustee,
        shares,
    })
}

fn my_share(key: &PrivateFile, trustees: &[TrusteePublic], shares: &[EncryptedShare]) -> Result<SecretShare, Failure> {
    let mine: Vec<EncryptedShare> = shares.iter().filter(|s| s.recipient == key.trustee).cloned().collect();
    receive_shares(&key.private, trustees, &mine).map_err(|e| Failure::Failed(e.to_string()))
}

/// `quorate trustee check`: the shares sent to this trustee decrypt and fit
/// their senders' public commitments.
pub fn check_command(key: &Path, ceremony: &Path) -> Outcome {
    let key = read_private(key)?;
    let ceremony = read_ceremony(ceremony, &key)?;
    let share = my_share(&key, &ceremony.trustees, &ceremony.shares)?;
    let senders: Vec<String> = ceremony
        .shares
        .iter()
        .filter(|s| s.recipient == key.trustee)
        .map(|s| s.sender.to_string())
        .collect();
    Ok(format!(
        "PASS: the shares from trustees {} decrypt with your key and fit their published commitments.\nYour verification key (any {} of the {} trustees decrypt): {}",
        senders.join(", "),
        ceremony.threshold,
        ceremony.trustees.len(),
        Point::mul_base(share.value()).to_hex()
    ))
}

use crate::crypto::group::Point;

/// `quorate trustee decrypt`: checks the whole board first (the election,
/// every paper, the aggregates), then decrypts this trustee's part of the
/// aggregates — never a paper — with proofs.
pub fn decrypt_command(key: &Path, board: &Path) -> Outcome {
    let key = read_private(key)?;
    let board: VerifiableBoard = read(board, "the board of a verifiable ballot (board.json)")?;
    if board.ballot != key.ballot {
        return Err(Failure::Usage(format!(
            "the board is of ballot {}, your key of ballot {}",
            board.ballot, key.ballot
        )));
    }
    let mine = board.election.trustees.iter().find(|t| t.index == key.trustee);
    if !mine.is_some_and(|public| key.private.matches(public)) {
        return Err(Failure::Failed(format!(
            "the board's trustee {} is not your key: the election was made with another key",
            key.trustee
        )));
    }
    let (checks, checked) = check_board(&board);
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    let Some(checked) = checked.filter(|_| failed.is_empty()) else {
        return Err(Failure::Failed(format!(
            "the board does not check, so nothing was decrypted: {}",
            failed.join("; ")
        )));
    };
    let Some(aggregates) = checked.aggregates else {
        return Err(Failure::Failed(
            "the board has no aggregates yet: voting has not closed".into(),
        ));
    };
    let share = my_share(&key, &board.election.trustees, &board.election.shares)?;
    if Point::mul_base(share.value()) != verification_key(key.trustee, &board.election.trustees) {
        return Err(Failure::Failed(
            "your share does not match your verification key".into(),
        ));
    }
    let partial = partial_decrypt(&share, &aggregates, &checked.election.fingerprint, &mut OsRandom);
    pretty(&PartialUpload {
        format: PARTIAL_FORMAT.into(),
        ballot: key.ballot,
        partial,
    })
}

/// `quorate vote`: a paper encrypted on this machine under the election
/// record, for posting to the API; with `open`, the paper opened for a
/// cast-as-intended check instead (never cast it).
pub fn vote_command(election: &Path, practice: &str, option: &str, open: bool) -> Outcome {
    let record: ElectionRecord = read(election, "an election record (election.json)")?;
    if record.format != ELECTION_FORMAT {
        return Err(Failure::Usage(format!(
            "{} is not an election record",
            election.display()
        )));
    }
    let checked = record
        .check()
        .map_err(|e| Failure::Failed(format!("the election record does not check: {e}")))?;
    let chosen = checked.option_index(option).ok_or_else(|| {
        Failure::Usage(format!(
            "\"{option}\" is not an option of this ballot; the options are {}",
            checked.options.join(", ")
        ))
    })?;
    let practice = practice.trim().to_ascii_uppercase();
    let (paper, opening) = encrypt_paper(
        &checked.key,
        &checked.fingerprint,
        &practice,
        checked.options.len(),
        chosen,
        &mut OsRandom,
    )
    .map_err(|e| Failure::Failed(e.to_string()))?;
    if open {
        let tracker = tracker(&paper).map_err(|e| Failure::Failed(e.to_string()))?;
        return pretty(&OpenedPaper {
            format: OPENING_FORMAT.into(),
            ballot: record.ballot,
            practice,
            option: option.to_owned(),
            tracker,
            paper,
            opening,
            election: Some(record),
        });
    }
    pretty(&PaperFile {
        format: PAPER_FORMAT.into(),
        ballot: record.ballot,
        practice,
        paper,
    })
}

/// Checks an opened paper: it encrypts the option it says, under the
/// election it names. Answers the lines to print.
pub fn check_opened(opened: &OpenedPaper, election: &ElectionRecord) -> Result<Vec<String>, String> {
    let checked = election
        .check()
        .map_err(|e| format!("the election record does not check: {e}"))?;
    let mut lines = vec![format!(
        "election {} of ballot {}",
        election.fingerprint, election.ballot
    )];
    let tracker = tracker(&opened.paper).map_err(|e| e.to_string())?;
    if tracker != opened.tracker {
        return Err(format!(
            "the tracker {} is not this paper's ({tracker})",
            opened.tracker
        ));
    }
    crate::crypto::paper::verify_paper(
        &checked.key,
        &checked.fingerprint,
        &opened.practice,
        checked.options.len(),
        &opened.paper,
    )
    .map_err(|e| format!("the paper's proofs: {e}"))?;
    let index = check_opening(&checked.key, &opened.paper, &opened.opening).map_err(|e| e.to_string())?;
    let option = checked.options.get(index).cloned().unwrap_or_default();
    if option != opened.option {
        return Err(format!("the paper encrypts \"{option}\", not \"{}\"", opened.option));
    }
    lines.push(format!(
        "the paper with tracker {} encrypts \"{option}\" for {}, with valid proofs",
        super::model::tracker_words(&tracker),
        opened.practice
    ));
    Ok(lines)
}

//! The LMC's checklist for a ballot: each line green, amber or red with the
//! evidence behind it, computed from facts gathered elsewhere. No I/O.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Green,
    Amber,
    Red,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Green => "Done",
            Status::Amber => "Not yet, or not known",
            Status::Red => "Problem",
        }
    }

    /// NHS tag colour.
    pub fn colour(self) -> &'static str {
        match self {
            Status::Green => "green",
            Status::Amber => "yellow",
            Status::Red => "red",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub check: &'static str,
    pub status: Status,
    pub evidence: String,
}

/// What the checklist is computed from.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub published: bool,
    /// Days between publication and opening (whole days, rounded down).
    pub notice_days: Option<i64>,
    pub required_notice_days: u32,
    pub electorate: i64,
    /// "Name (CODE)" of each practice with no nominated representative to tell.
    pub without_representative: Vec<String>,
    pub closing: Closing,
    pub notices_sent: i64,
    pub notices_failed: i64,
    pub notices_pending: i64,
    pub papers_given: bool,
    pub counted: bool,
    pub cancelled: bool,
    pub quorum_met: Option<bool>,
    pub outcome: Option<String>,
    /// None: no certificate yet; Some(true): it verifies with its board.
    pub certificate_valid: Option<bool>,
    /// None: the chain is intact; Some(id): the first entry that breaks it.
    pub audit_break: Option<i32>,
    /// Practices in the frozen electorate but not members on the day of
    /// publication, and the other way round.
    pub electorate_extra: Vec<String>,
    pub electorate_missing: Vec<String>,
    /// Questions of the consultations leading to the ballot: (asked, still
    /// unanswered when voting opened); None when no consultation leads to it.
    pub questions: Option<(usize, usize)>,
    /// Changes of the constitution settings in the run-up to the notice
    /// (see `in_run_up`), in words.
    pub run_up_changes: Vec<String>,
    /// The longest minimum notice in force during the run-up, when a change
    /// lowered it below that.
    pub notice_lowered_from: Option<u32>,
    /// A secret ballot: practices whose vote its totals could show, of all
    /// (see `ballots::privacy`).
    pub privacy_at_risk: Option<(usize, usize)>,
    /// A counted secret election: papers whose whole ranking no other paper
    /// has, of all papers (the board publishes every ranking).
    pub unique_rankings: Option<(usize, usize)>,
    /// A verifiable ballot: None before the count; then whether every
    /// paper's proofs, the aggregates and the trustees' decryptions check.
    pub verifiable: Option<Option<bool>>,
    /// A verifiable ballot's trustees (names) and threshold.
    pub trustees: Option<(Vec<String>, u32)>,
    /// The outside deadline the result is needed for, in words, and where
    /// the ballot's dates fall after the timetable planned back from it.
    pub deadline: Option<(String, Vec<String>)>,
    /// Each suspension of voting, in words, and whether one is in force.
    pub suspensions: Vec<String>,
    pub suspended_now: bool,
    /// Declared void: the record in words.
    pub void: Option<String>,
    /// A re-run: the void ballot's record in words.
    pub rerun_of: Option<String>,
    /// A ballot that takes proxy votes: how its instruments stand.
    pub proxies: Option<crate::ballots::proxy::service::ProxyCounts>,
}

/// How voting ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Closing {
    #[default]
    NotYet,
    AtPublishedTime,
    /// Closed before the published time: when, how early, and why.
    Early {
        at: String,
        by: String,
        reason: Option<String>,
    },
}

/// A change of the constitution settings before a ballot's notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsChange {
    pub at: chrono::NaiveDateTime,
    pub notice_before: u32,
    pub notice_after: u32,
}

/// Whether a change falls in the run-up to a notice given at `published`:
/// within the minimum notice in force before it, after it, or at
/// publication, whichever is longest — so cutting the notice from 14 days to
/// 0 shortly before publishing is caught however short the new notice is.
pub fn in_run_up(published: chrono::NaiveDateTime, frozen_notice: u32, change: &SettingsChange) -> bool {
    let days = frozen_notice.max(change.notice_before).max(change.notice_after);
    change.at <= published && published - change.at <= chrono::Duration::days(i64::from(days))
}

fn line(check: &'static str, status: Status, evidence: impl Into<String>) -> Line {
    Line {
        check,
        status,
        evidence: evidence.into(),
    }
}

pub fn checklist(f: &Facts) -> Vec<Line> {
    let mut lines = Vec::new();
    if !f.published {
        lines.push(line(
            "Notice given",
            Status::Amber,
            "The ballot has not been published.",
        ));
        return lines;
    }
    lines.push(match f.notice_days {
        Some(days) if f.notice_lowered_from.is_some_and(|was| days < i64::from(was)) => line(
            "Notice period met",
            Status::Amber,
            format!(
                "{days} days between notice and opening. The constitution in force at publication requires {}, but it required {} days until it was changed in the run-up to the notice.",
                f.required_notice_days,
                f.notice_lowered_from.unwrap_or_default()
            ),
        ),
        Some(days) if days >= i64::from(f.required_notice_days) => line(
            "Notice period met",
            Status::Green,
            format!(
                "{days} days between notice and opening; the constitution in force at publication requires {}.",
                f.required_notice_days
            ),
        ),
        Some(days) => line(
            "Notice period met",
            Status::Red,
            format!(
                "Only {days} days between notice and opening; the constitution in force at publication requires {}.",
                f.required_notice_days
            ),
        ),
        None => line(
            "Notice period met",
            Status::Amber,
            "The times of notice and opening are not known.",
        ),
    });
    lines.push(if f.run_up_changes.is_empty() {
        line(
            "Constitution unchanged in the run-up to the notice",
            Status::Green,
            "The constitution settings were not changed in the run-up to the notice; the ballot keeps those in force at publication.",
        )
    } else {
        line(
            "Constitution unchanged in the run-up to the notice",
            Status::Amber,
            format!(
                "The constitution settings changed shortly before notice was given: {}",
                f.run_up_changes.join(" ")
            ),
        )
    });
    let told = if !f.without_representative.is_empty() || f.notices_failed > 0 {
        Status::Red
    } else if f.notices_pending > 0 {
        Status::Amber
    } else {
        Status::Green
    };
    lines.push(line(
        "Every practice sent a notice, and delivered",
        told,
        format!(
            "{} in the electorate; {}. Notices: {} delivered, {} failed, {} waiting.",
            crate::format::plural(usize::try_from(f.electorate).unwrap_or(0), "practice", "practices"),
            if f.without_representative.is_empty() {
                "every one had a nominated voting representative to tell".to_owned()
            } else {
                format!(
                    "{} no nominated voting representative to tell, and the board published knowing it: {}",
                    crate::format::plural(f.without_representative.len(), "practice had", "practices had"),
                    f.without_representative.join(", ")
                )
            },
            f.notices_sent,
            f.notices_failed,
            f.notices_pending
        ),
    ));
    if !f.cancelled {
        lines.push(match &f.closing {
            Closing::NotYet => line(
                "Voting ran to its published close",
                Status::Amber,
                "Voting has not closed yet.",
            ),
            Closing::AtPublishedTime => line(
                "Voting ran to its published close",
                Status::Green,
                "Voting closed at the published time.",
            ),
            Closing::Early { at, by, reason } => line(
                "Voting ran to its published close",
                Status::Amber,
                format!(
                    "Voting was closed early, at {at}, {by} before the published close. {}",
                    reason.as_ref().map_or_else(
                        || "No reason was recorded.".to_owned(),
                        |r| format!("Reason given: {r}")
                    )
                ),
            ),
        });
    }
    if let Some(words) = &f.rerun_of {
        lines.push(line(
            "A re-run of a void ballot",
            Status::Amber,
            format!("This ballot re-runs one declared void. {words}."),
        ));
    }
    if let Some(words) = &f.void {
        lines.push(line(
            "Declared void",
            Status::Red,
            format!("{words}. Its papers are kept sealed and were not counted; there is no result."),
        ));
    }
    if !f.suspensions.is_empty() {
        lines.push(line(
            "Voting ran without suspension",
            Status::Amber,
            format!(
                "{}{}",
                if f.suspended_now {
                    "Voting is suspended now. "
                } else {
                    ""
                },
                f.suspensions.join(" ")
            ),
        ));
    }
    if let Some((deadline, warnings)) = &f.deadline {
        lines.push(if warnings.is_empty() {
            line(
                "Timetable leaves time for the deadline",
                Status::Green,
                format!("The result is needed by {deadline}; the ballot's dates leave the time the plan needs to certify it."),
            )
        } else {
            line(
                "Timetable leaves time for the deadline",
                Status::Amber,
                format!("The result is needed by {deadline}. {}", warnings.join(" ")),
            )
        });
    }
    lines.push(if f.papers_given {
        line(
            "Papers published before the opening",
            Status::Green,
            "The papers were published with the notice, before voting opened, and did not change.",
        )
    } else {
        line(
            "Papers published before the opening",
            Status::Amber,
            "The ballot has no papers beyond its question and options.",
        )
    });
    lines.push(match f.questions {
        None => line(
            "Members' questions answered before voting opened",
            Status::Amber,
            "No consultation in Quorate leads to this ballot, so its questions cannot be checked here.",
        ),
        Some((asked, 0)) => line(
            "Members' questions answered before voting opened",
            Status::Green,
            format!("All {asked} questions asked in the consultation were answered before voting opened."),
        ),
        Some((asked, unanswered)) => line(
            "Members' questions answered before voting opened",
            Status::Red,
            format!("{unanswered} of the {asked} questions asked in the consultation were still unanswered when voting opened."),
        ),
    });
    lines.push(match (f.cancelled, f.counted, f.quorum_met, &f.outcome) {
        (true, _, _, _) => line("Quorum and threshold", Status::Red, "The ballot was cancelled."),
        (_, true, Some(true), Some(outcome)) => line("Quorum and threshold", Status::Green, outcome.clone()),
        (_, true, Some(false), Some(outcome)) => line("Quorum and threshold", Status::Red, outcome.clone()),
        _ => line("Quorum and threshold", Status::Amber, "Not counted yet."),
    });
    lines.push(match f.certificate_valid {
        Some(true) => line(
            "Certificate signature valid",
            Status::Green,
            "The certificate verifies: signature, Merkle root, electorate and a recount from the board.",
        ),
        Some(false) => line(
            "Certificate signature valid",
            Status::Red,
            "The certificate does not verify against its board.",
        ),
        None => line(
            "Certificate signature valid",
            Status::Amber,
            "No certificate has been issued yet.",
        ),
    });
    if let Some((at_risk, practices)) = f.privacy_at_risk {
        lines.push(if at_risk == 0 {
            line(
                "Totals cannot show a practice's vote",
                Status::Green,
                format!("Every one of the {practices} practices shares its weight with another in its group, so no total names one."),
            )
        } else {
            line(
                "Totals cannot show a practice's vote",
                Status::Amber,
                format!(
                    "{at_risk} of the {practices} practices have a weight no other practice in their group has: if one were alone in choosing an option, the published totals would show how it voted."
                ),
            )
        });
    }
    if let Some((unique, papers)) = f.unique_rankings.filter(|(_, papers)| *papers > 0) {
        lines.push(if unique == 0 {
            line(
                "Published rankings cannot single out a paper",
                Status::Green,
                format!("The ranking on each of the {papers} papers on the board is shared with at least one other paper."),
            )
        } else {
            line(
                "Published rankings cannot single out a paper",
                Status::Amber,
                format!(
                    "{unique} of the {papers} papers {} a ranking no other paper has. The board publishes every ranking, so a voter who had been told to number the candidates in an unusual order could be checked there.",
                    if unique == 1 { "has" } else { "have" }
                ),
            )
        });
    }
    if let Some(proxies) = f.proxies {
        lines.push(line(
            "Proxy votes are on record",
            Status::Green,
            format!(
                "{} cast by proxy, each under an accepted instrument on record ({} appointed, {} revoked); the electorate page lists them.",
                crate::format::plural(proxies.votes, "vote was", "votes were"),
                proxies.appointed,
                proxies.revoked
            ),
        ));
    }
    if let Some(verified) = f.verifiable {
        let trustees = f.trustees.as_ref().map_or_else(String::new, |(names, t)| {
            format!(
                " The key was held by {} (any {t} of them to decrypt).",
                names.join(", ")
            )
        });
        lines.push(match verified {
            Some(true) => line(
                "Encrypted papers and their decryption checked",
                Status::Green,
                format!("Every paper's proofs, the encrypted totals recomputed from the papers and weights, and each trustee's decryption check; no paper was decrypted on its own.{trustees}"),
            ),
            Some(false) => line(
                "Encrypted papers and their decryption checked",
                Status::Red,
                format!("The board does not check: see the certificate's verification.{trustees}"),
            ),
            None => line(
                "Encrypted papers and their decryption checked",
                Status::Amber,
                format!("The trustees have not decrypted the totals yet.{trustees}"),
            ),
        });
    }
    lines.push(match f.audit_break {
        None => line(
            "Audit chain intact",
            Status::Green,
            "Every entry of the audit log matches the chain.",
        ),
        Some(id) => line(
            "Audit chain intact",
            Status::Red,
            format!("Entry {id} does not match the chain: it or an entry before it was changed."),
        ),
    });
    lines.push(if f.electorate_extra.is_empty() && f.electorate_missing.is_empty() {
        line(
            "Electorate matches the register at publication",
            Status::Green,
            format!(
                "The {} practices frozen are the active members on the day of publication.",
                f.electorate
            ),
        )
    } else {
        line(
            "Electorate matches the register at publication",
            Status::Red,
            format!(
                "Frozen but not members that day: {}. Members that day but not frozen: {}.",
                none_or(&f.electorate_extra),
                none_or(&f.electorate_missing)
            ),
        )
    });
    lines
}

fn none_or(codes: &[String]) -> String {
    if codes.is_empty() {
        "none".to_owned()
    } else {
        codes.join(", ")
    }
}

/// The worst line: the ballot's overall status.
pub fn overall(lines: &[Line]) -> Status {
    lines.iter().map(|l| l.status).max().unwrap_or(Status::Amber)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Facts {
        Facts {
            published: true,
            notice_days: Some(14),
            required_notice_days: 14,
            electorate: 35,
            notices_sent: 35,
            papers_given: true,
            counted: true,
            quorum_met: Some(true),
            outcome: Some("Carried".into()),
            certificate_valid: Some(true),
            closing: Closing::AtPublishedTime,
            ..Facts::default()
        }
    }

    fn status_of(facts: &Facts, check: &str) -> Status {
        checklist(facts)
            .into_iter()
            .find(|l| l.check == check)
            .map(|l| l.status)
            .expect("line")
    }

    #[test]
    fn a_well_run_ballot_is_green_but_for_what_cannot_be_known() {
        let lines = checklist(&good());
        assert_eq!(lines.iter().filter(|l| l.status == Status::Green).count(), 9);
        assert_eq!(overall(&lines), Status::Amber, "no consultation leads to it");
    }

    #[test]
    fn a_timetable_that_may_miss_its_deadline_is_amber() {
        assert!(
            checklist(&good())
                .iter()
                .all(|l| l.check != "Timetable leaves time for the deadline")
        );
        let on_time = Facts {
            deadline: Some(("9 January 2015 (Application to NHS England)".into(), vec![])),
            ..good()
        };
        assert_eq!(
            status_of(&on_time, "Timetable leaves time for the deadline"),
            Status::Green
        );
        let late = Facts {
            deadline: Some((
                "9 January 2015".into(),
                vec!["Voting closes on 9 January 2015, after the latest day …".into()],
            )),
            ..good()
        };
        assert_eq!(
            status_of(&late, "Timetable leaves time for the deadline"),
            Status::Amber
        );
    }

    #[test]
    fn short_notice_failed_notices_and_a_broken_chain_are_red() {
        let short = Facts {
            notice_days: Some(13),
            ..good()
        };
        assert_eq!(status_of(&short, "Notice period met"), Status::Red);
        let failed = Facts {
            notices_failed: 1,
            notices_sent: 34,
            ..good()
        };
        assert_eq!(
            status_of(&failed, "Every practice sent a notice, and delivered"),
            Status::Red
        );
        let untold = Facts {
            without_representative: vec!["Practice 4 (F84004)".into(), "Practice 5 (F84005)".into()],
            ..good()
        };
        let evidence = checklist(&untold)
            .into_iter()
            .find(|l| l.check == "Every practice sent a notice, and delivered")
            .map(|l| l.evidence)
            .unwrap_or_default();
        assert!(
            evidence.contains("2 practices had no nominated voting representative")
                && evidence.contains("Practice 5 (F84005)"),
            "{evidence}"
        );
        let early = Facts {
            closing: Closing::Early {
                at: "1 December 2026 at 9:00am".into(),
                by: "22 hours".into(),
                reason: Some("Every practice had voted".into()),
            },
            ..good()
        };
        let line = checklist(&early)
            .into_iter()
            .find(|l| l.check == "Voting ran to its published close")
            .expect("line");
        assert_eq!(line.status, Status::Amber);
        assert!(
            line.evidence.contains("22 hours before") && line.evidence.contains("Every practice had voted"),
            "{}",
            line.evidence
        );
        assert_eq!(
            status_of(&untold, "Every practice sent a notice, and delivered"),
            Status::Red
        );
        let waiting = Facts {
            notices_pending: 3,
            ..good()
        };
        assert_eq!(
            status_of(&waiting, "Every practice sent a notice, and delivered"),
            Status::Amber
        );
        let broken = Facts {
            audit_break: Some(12),
            ..good()
        };
        assert_eq!(status_of(&broken, "Audit chain intact"), Status::Red);
        let drifted = Facts {
            electorate_extra: vec!["F84001".into()],
            ..good()
        };
        assert_eq!(overall(&checklist(&drifted)), Status::Red);
        let answered = Facts {
            questions: Some((4, 0)),
            ..good()
        };
        assert_eq!(overall(&checklist(&answered)), Status::Green, "everything done");
        let waiting_questions = Facts {
            questions: Some((4, 1)),
            ..good()
        };
        assert_eq!(
            status_of(&waiting_questions, "Members' questions answered before voting opened"),
            Status::Red
        );
        let unpublished = Facts::default();
        assert_eq!(checklist(&unpublished).len(), 1);
    }

    #[test]
    fn a_notice_cut_just_before_publishing_is_amber() {
        let cut = Facts {
            notice_days: Some(0),
            required_notice_days: 0,
            notice_lowered_from: Some(14),
            run_up_changes: vec!["At 5:00pm: minimum notice 14 days → 0 days. Reason: urgent.".into()],
            ..good()
        };
        assert_eq!(status_of(&cut, "Notice period met"), Status::Amber);
        assert_eq!(
            status_of(&cut, "Constitution unchanged in the run-up to the notice"),
            Status::Amber
        );
        assert_eq!(
            status_of(&good(), "Constitution unchanged in the run-up to the notice"),
            Status::Green
        );
    }

    #[test]
    fn the_run_up_is_the_longest_notice_in_force() {
        let published = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("time");
        let at = |days: i64| published - chrono::Duration::days(days);
        let cut = SettingsChange {
            at: published - chrono::Duration::minutes(6),
            notice_before: 14,
            notice_after: 0,
        };
        assert!(in_run_up(published, 0, &cut), "cut minutes before");
        let old = SettingsChange {
            at: at(15),
            notice_before: 14,
            notice_after: 0,
        };
        assert!(!in_run_up(published, 0, &old), "longer ago than any notice in force");
        let within = SettingsChange {
            at: at(20),
            notice_before: 7,
            notice_after: 7,
        };
        assert!(
            in_run_up(published, 28, &within),
            "within the notice in force at publication"
        );
        let later = SettingsChange {
            at: published + chrono::Duration::minutes(1),
            notice_before: 14,
            notice_after: 0,
        };
        assert!(
            !in_run_up(published, 0, &later),
            "after publication the ballot's rules are frozen"
        );
    }
}

//! The count: tallies, quorum, thresholds, dual majorities, constituencies
//! and ties, as pure functions over plain data. Nothing here touches the
//! database, so every rule is tested with hand-worked examples and
//! properties.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::registry::constitution::{QuorumBasis, Threshold};

pub const FOR: &str = "for";
pub const AGAINST: &str = "against";
pub const ABSTAIN: &str = "abstain";

/// Against what a For/Against threshold is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdBase {
    /// For ÷ (For + Against); abstentions do not count.
    VotesCast,
    /// For ÷ the whole electorate.
    Electorate,
}

/// How a question is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// For / Against / Abstain.
    ForAgainst {
        threshold: Threshold,
        base: ThresholdBase,
        /// Both the share of practices and the share of weight must reach it.
        dual_majority: bool,
    },
    /// One of several options: the most weight wins …
    Plurality,
    /// … or the winner needs more than half of the weight cast.
    AbsoluteMajority,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quorum {
    pub basis: QuorumBasis,
    pub percent: u32,
}

/// One practice in the frozen electorate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elector {
    pub weight: u64,
    pub constituency: Option<String>,
}

/// One counted paper (secret or not, the count sees only this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paper {
    pub option: String,
    pub weight: u64,
    pub constituency: Option<String>,
}

/// Practices and weight behind one option.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Votes {
    pub practices: u64,
    pub weight: u64,
}

impl Votes {
    /// Saturating: real weights are list sizes, far from the limit, but a
    /// tally recounted from a board or certificate someone else wrote must
    /// not panic on theirs (a total at the limit fails the recount instead).
    fn add(&mut self, weight: u64) {
        self.practices = self.practices.saturating_add(1);
        self.weight = self.weight.saturating_add(weight);
    }
}

/// Votes per option, in the ballot's option order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub options: Vec<(String, Votes)>,
    /// Papers for options the ballot does not have (never expected: the
    /// casting step refuses them), kept visible rather than dropped.
    pub unknown: Votes,
}

impl Tally {
    pub fn votes(&self, option: &str) -> Votes {
        self.options
            .iter()
            .find(|(key, _)| key == option)
            .map(|(_, v)| *v)
            .unwrap_or_default()
    }

    pub fn turnout(&self) -> Votes {
        let mut total = self.unknown;
        for (_, votes) in &self.options {
            total.practices = total.practices.saturating_add(votes.practices);
            total.weight = total.weight.saturating_add(votes.weight);
        }
        total
    }

    /// The votes cast: every vote for an option, abstentions left out (they
    /// count towards turnout and quorum only). The one meaning of "votes
    /// cast" on every page, sentence and certificate.
    pub fn cast(&self) -> Votes {
        let mut total = Votes::default();
        for (_, votes) in self.options.iter().filter(|(key, _)| key != ABSTAIN) {
            total.practices = total.practices.saturating_add(votes.practices);
            total.weight = total.weight.saturating_add(votes.weight);
        }
        total
    }
}

pub fn tally<'a>(options: &[String], papers: impl IntoIterator<Item = &'a Paper>) -> Tally {
    let mut counts: BTreeMap<&str, Votes> = options.iter().map(|o| (o.as_str(), Votes::default())).collect();
    let mut unknown = Votes::default();
    for paper in papers {
        match counts.get_mut(paper.option.as_str()) {
            Some(votes) => votes.add(paper.weight),
            None => unknown.add(paper.weight),
        }
    }
    Tally {
        options: options.iter().map(|o| (o.clone(), counts[o.as_str()])).collect(),
        unknown,
    }
}

/// The electorate's size, in practices and weight.
pub fn electorate_size<'a>(electors: impl IntoIterator<Item = &'a Elector>) -> Votes {
    let mut size = Votes::default();
    for elector in electors {
        size.add(elector.weight);
    }
    size
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    QuorumNotMet,
    Carried,
    NotCarried,
    Won {
        option: String,
    },
    /// The leading options have exactly the same weight: reported, never decided silently.
    Tie {
        options: Vec<String>,
    },
    /// No option has more than half of the weight cast.
    NoMajority,
    /// An election's count: the candidates (option keys) elected, in the
    /// order the count elected them.
    Elected {
        candidates: Vec<String>,
    },
    /// An election with no more validly nominated candidates than seats:
    /// all are declared elected and no vote is held.
    ElectedUnopposed {
        candidates: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub tally: Tally,
    pub electorate: Votes,
    pub quorum_met: bool,
    pub outcome: Outcome,
}

pub fn quorum_met(quorum: Quorum, turnout: Votes, electorate: Votes) -> bool {
    let share = Threshold {
        numerator: quorum.percent.min(100),
        denominator: 100,
        strictly_more: false,
    };
    match quorum.basis {
        QuorumBasis::None => true,
        QuorumBasis::Practices => quorum.percent == 0 || share.is_met(turnout.practices, electorate.practices),
        QuorumBasis::Weight => quorum.percent == 0 || share.is_met(turnout.weight, electorate.weight),
    }
}

fn decide(decision: Decision, tally: &Tally, electorate: Votes) -> Outcome {
    match decision {
        Decision::ForAgainst {
            threshold,
            base,
            dual_majority,
        } => {
            let (for_votes, against) = (tally.votes(FOR), tally.votes(AGAINST));
            let whole = |by: fn(Votes) -> u64| match base {
                ThresholdBase::VotesCast => by(for_votes).saturating_add(by(against)),
                ThresholdBase::Electorate => by(electorate),
            };
            let by_weight = threshold.is_met(for_votes.weight, whole(|v| v.weight));
            let by_practices = threshold.is_met(for_votes.practices, whole(|v| v.practices));
            let carried = if dual_majority {
                by_weight && by_practices
            } else {
                by_weight
            };
            if carried { Outcome::Carried } else { Outcome::NotCarried }
        }
        Decision::Plurality | Decision::AbsoluteMajority => {
            let top = tally.options.iter().map(|(_, v)| v.weight).max().unwrap_or(0);
            let leaders: Vec<String> = tally
                .options
                .iter()
                .filter(|(_, v)| v.weight == top)
                .map(|(k, _)| k.clone())
                .collect();
            let cast = tally.cast().weight;
            if top == 0 {
                return Outcome::NoMajority;
            }
            if leaders.len() > 1 {
                return Outcome::Tie { options: leaders };
            }
            if decision == Decision::AbsoluteMajority && !Threshold::SIMPLE_MAJORITY.is_met(top, cast) {
                return Outcome::NoMajority;
            }
            Outcome::Won {
                option: leaders.into_iter().next().unwrap_or_default(),
            }
        }
    }
}

/// Counts one electorate's papers.
pub fn count(options: &[String], electors: &[Elector], papers: &[Paper], quorum: Quorum, decision: Decision) -> Count {
    count_tally(tally(options, papers), electors, quorum, decision)
}

/// Decides one electorate's tally (counted from papers, or decrypted from
/// a verifiable ballot's aggregates).
pub fn count_tally(tally: Tally, electors: &[Elector], quorum: Quorum, decision: Decision) -> Count {
    let electorate = electorate_size(electors);
    let quorum_met = quorum_met(quorum, tally.turnout(), electorate);
    let outcome = if quorum_met {
        decide(decision, &tally, electorate)
    } else {
        Outcome::QuorumNotMet
    };
    Count {
        tally,
        electorate,
        quorum_met,
        outcome,
    }
}

/// The overall count and one per constituency; with constituencies, a
/// For/Against question carries only if it carries overall and in every one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotResult {
    pub overall: Count,
    pub constituencies: Vec<(String, Count)>,
    pub outcome: Outcome,
    /// An election's count, stage by stage (`overall` then holds the first
    /// preferences). Absent for other ballots, so their stored results and
    /// certificates are as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stv: Option<super::stv::report::CountReport>,
}

pub fn result(
    options: &[String],
    electors: &[Elector],
    papers: &[Paper],
    quorum: Quorum,
    decision: Decision,
) -> BallotResult {
    let overall = tally(options, papers);
    let names: std::collections::BTreeSet<&str> = electors.iter().filter_map(|e| e.constituency.as_deref()).collect();
    let per_constituency: BTreeMap<String, Tally> = names
        .into_iter()
        .map(|name| {
            let in_it = |c: &Option<String>| c.as_deref() == Some(name);
            (
                name.to_owned(),
                tally(options, papers.iter().filter(|p| in_it(&p.constituency))),
            )
        })
        .collect();
    result_from_tallies(options, electors, overall, per_constituency, quorum, decision)
}

/// The result from tallies already made: overall and per constituency (a
/// constituency missing from `per_constituency` had no papers).
pub fn result_from_tallies(
    options: &[String],
    electors: &[Elector],
    overall: Tally,
    mut per_constituency: BTreeMap<String, Tally>,
    quorum: Quorum,
    decision: Decision,
) -> BallotResult {
    let overall = count_tally(overall, electors, quorum, decision);
    let names: std::collections::BTreeSet<&str> = electors.iter().filter_map(|e| e.constituency.as_deref()).collect();
    let constituencies: Vec<(String, Count)> = names
        .into_iter()
        .map(|name| {
            let electors: Vec<Elector> = electors
                .iter()
                .filter(|e| e.constituency.as_deref() == Some(name))
                .cloned()
                .collect();
            let tally = per_constituency
                .remove(name)
                .unwrap_or_else(|| self::tally(options, std::iter::empty()));
            (name.to_owned(), count_tally(tally, &electors, quorum, decision))
        })
        .collect();
    let outcome = match (&overall.outcome, decision) {
        (Outcome::Carried, Decision::ForAgainst { .. })
            if constituencies.iter().any(|(_, c)| c.outcome != Outcome::Carried) =>
        {
            Outcome::NotCarried
        }
        (outcome, _) => outcome.clone(),
    };
    BallotResult {
        overall,
        constituencies,
        outcome,
        stv: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::constitution::Weighting;
    use proptest::prelude::*;

    fn for_against() -> Vec<String> {
        vec![FOR.into(), AGAINST.into(), ABSTAIN.into()]
    }

    fn paper(option: &str, weight: u64) -> Paper {
        Paper {
            option: option.into(),
            weight,
            constituency: None,
        }
    }

    fn electors(n: usize, weight: u64) -> Vec<Elector> {
        vec![
            Elector {
                weight,
                constituency: None
            };
            n
        ]
    }

    const HALF_OF_PRACTICES: Quorum = Quorum {
        basis: QuorumBasis::Practices,
        percent: 50,
    };
    const NO_QUORUM: Quorum = Quorum {
        basis: QuorumBasis::None,
        percent: 0,
    };

    fn two_thirds_of_cast() -> Decision {
        Decision::ForAgainst {
            threshold: Threshold::TWO_THIRDS,
            base: ThresholdBase::VotesCast,
            dual_majority: false,
        }
    }

    #[test]
    fn two_thirds_of_votes_cast_with_abstentions_counting_for_quorum() {
        // 35 practices; 20 vote: 13 for, 6 against, 1 abstains.
        let mut papers = vec![paper(FOR, 1); 13];
        papers.extend(vec![paper(AGAINST, 1); 6]);
        papers.push(paper(ABSTAIN, 1));
        let c = count(
            &for_against(),
            &electors(35, 1),
            &papers,
            HALF_OF_PRACTICES,
            two_thirds_of_cast(),
        );
        assert!(c.quorum_met, "20 of 35 took part");
        assert_eq!(c.tally.turnout().practices, 20);
        // 13 / 19 = 68.4% ≥ 66.7%.
        assert_eq!(c.outcome, Outcome::Carried);
        // One fewer for: 12 / 18 = exactly two thirds: still carried ("at least").
        let mut fewer = papers.clone();
        fewer.remove(0);
        let c = count(
            &for_against(),
            &electors(35, 1),
            &fewer,
            HALF_OF_PRACTICES,
            two_thirds_of_cast(),
        );
        assert_eq!(c.outcome, Outcome::Carried);
        // 12 for, 7 against: 63% — not carried.
        fewer.push(paper(AGAINST, 1));
        let c = count(
            &for_against(),
            &electors(35, 1),
            &fewer,
            HALF_OF_PRACTICES,
            two_thirds_of_cast(),
        );
        assert_eq!(c.outcome, Outcome::NotCarried);
    }

    #[test]
    fn quorum_not_met_decides_nothing() {
        let papers = vec![paper(FOR, 1); 17];
        let c = count(
            &for_against(),
            &electors(35, 1),
            &papers,
            HALF_OF_PRACTICES,
            two_thirds_of_cast(),
        );
        assert!(!c.quorum_met, "17 of 35 is under half");
        assert_eq!(c.outcome, Outcome::QuorumNotMet);
        let c = count(
            &for_against(),
            &electors(34, 1),
            &papers,
            HALF_OF_PRACTICES,
            two_thirds_of_cast(),
        );
        assert!(c.quorum_met, "17 of 34 is exactly half");
    }

    #[test]
    fn weighted_one_vote_per_2000_patients_rounded_up() {
        // Three practices of 9,323, 2,000 and 1,450 patients: 5, 1 and 1 votes.
        let rule = Weighting::PerPatients(2000);
        let weights: Vec<u64> = [9_323, 2_000, 1_450]
            .iter()
            .map(|n| rule.weight(Some(*n)).expect("size known"))
            .collect();
        assert_eq!(weights, vec![5, 1, 1]);
        let electorate: Vec<Elector> = weights
            .iter()
            .map(|w| Elector {
                weight: *w,
                constituency: None,
            })
            .collect();
        // The big practice votes for, the two small ones against.
        let papers = vec![paper(FOR, 5), paper(AGAINST, 1), paper(AGAINST, 1)];
        let simple = Decision::ForAgainst {
            threshold: Threshold::SIMPLE_MAJORITY,
            base: ThresholdBase::VotesCast,
            dual_majority: false,
        };
        let c = count(&for_against(), &electorate, &papers, NO_QUORUM, simple);
        assert_eq!(
            c.tally.votes(FOR),
            Votes {
                practices: 1,
                weight: 5
            }
        );
        assert_eq!(c.outcome, Outcome::Carried, "5 of 7 weighted votes");
        // With a dual majority, 1 practice of 3 is not a majority of practices.
        let dual = Decision::ForAgainst {
            threshold: Threshold::SIMPLE_MAJORITY,
            base: ThresholdBase::VotesCast,
            dual_majority: true,
        };
        assert_eq!(
            count(&for_against(), &electorate, &papers, NO_QUORUM, dual).outcome,
            Outcome::NotCarried
        );
    }

    #[test]
    fn dual_majority_needs_both_practices_and_patients() {
        // 4 practices: three small (1,000 patients each) vote for; one large (9,000) against.
        let electorate = vec![
            Elector {
                weight: 1_000,
                constituency: None,
            },
            Elector {
                weight: 1_000,
                constituency: None,
            },
            Elector {
                weight: 1_000,
                constituency: None,
            },
            Elector {
                weight: 9_000,
                constituency: None,
            },
        ];
        let papers = vec![
            paper(FOR, 1_000),
            paper(FOR, 1_000),
            paper(FOR, 1_000),
            paper(AGAINST, 9_000),
        ];
        let dual = Decision::ForAgainst {
            threshold: Threshold::SIMPLE_MAJORITY,
            base: ThresholdBase::VotesCast,
            dual_majority: true,
        };
        // 75% of practices but 25% of patients.
        assert_eq!(
            count(&for_against(), &electorate, &papers, NO_QUORUM, dual).outcome,
            Outcome::NotCarried
        );
        // If the large practice votes for too: 100% and 100%.
        let all_for = vec![
            paper(FOR, 1_000),
            paper(FOR, 1_000),
            paper(FOR, 1_000),
            paper(FOR, 9_000),
        ];
        assert_eq!(
            count(&for_against(), &electorate, &all_for, NO_QUORUM, dual).outcome,
            Outcome::Carried
        );
    }

    #[test]
    fn a_threshold_of_the_whole_electorate_counts_those_who_did_not_vote() {
        let papers = vec![paper(FOR, 1); 10];
        let of_electorate = Decision::ForAgainst {
            threshold: Threshold::SIMPLE_MAJORITY,
            base: ThresholdBase::Electorate,
            dual_majority: false,
        };
        assert_eq!(
            count(&for_against(), &electors(20, 1), &papers, NO_QUORUM, of_electorate).outcome,
            Outcome::NotCarried,
            "10 of 20 is not more than half"
        );
        assert_eq!(
            count(&for_against(), &electors(19, 1), &papers, NO_QUORUM, of_electorate).outcome,
            Outcome::Carried
        );
    }

    #[test]
    fn votes_cast_leave_out_abstentions_everywhere() {
        let papers = vec![
            paper(FOR, 1),
            paper(FOR, 1),
            paper(FOR, 1),
            paper(AGAINST, 1),
            paper(AGAINST, 1),
            paper(ABSTAIN, 1),
        ];
        let t = tally(&for_against(), &papers);
        assert_eq!(t.turnout().practices, 6, "turnout counts abstentions");
        assert_eq!(t.cast().practices, 5, "votes cast do not");
        assert_eq!(
            super::super::model::percent(t.votes(FOR).weight, t.cast().weight),
            "60%"
        );
        // An option ballot's majority is of the votes cast too.
        let options: Vec<String> = ["level_1", "level_2", ABSTAIN].iter().map(|s| s.to_string()).collect();
        let papers = vec![paper("level_1", 2), paper("level_2", 1), paper(ABSTAIN, 1)];
        assert_eq!(
            count(
                &options,
                &electors(4, 1),
                &papers,
                NO_QUORUM,
                Decision::AbsoluteMajority
            )
            .outcome,
            Outcome::Won {
                option: "level_1".into()
            },
            "2 of 3 votes cast is more than half, whatever the abstention"
        );
    }

    #[test]
    fn choices_report_ties_and_missing_majorities() {
        let options: Vec<String> = ["level_1", "level_2", "level_3"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let papers = vec![
            paper("level_1", 1),
            paper("level_2", 1),
            paper("level_2", 1),
            paper("level_3", 1),
        ];
        assert_eq!(
            count(&options, &electors(4, 1), &papers, NO_QUORUM, Decision::Plurality).outcome,
            Outcome::Won {
                option: "level_2".into()
            }
        );
        assert_eq!(
            count(
                &options,
                &electors(4, 1),
                &papers,
                NO_QUORUM,
                Decision::AbsoluteMajority
            )
            .outcome,
            Outcome::NoMajority,
            "2 of 4 is not more than half"
        );
        let tied = vec![paper("level_1", 1), paper("level_2", 1)];
        assert_eq!(
            count(&options, &electors(4, 1), &tied, NO_QUORUM, Decision::Plurality).outcome,
            Outcome::Tie {
                options: vec!["level_1".into(), "level_2".into()]
            }
        );
    }

    #[test]
    fn a_merger_must_pass_in_every_constituency() {
        let north = Some("North".to_owned());
        let south = Some("South".to_owned());
        let mut electorate = vec![
            Elector {
                weight: 1,
                constituency: north.clone()
            };
            10
        ];
        electorate.extend(vec![
            Elector {
                weight: 1,
                constituency: south.clone()
            };
            4
        ]);
        // North 9 for 1 against; South 1 for 3 against: overall 10/14 = 71%.
        let mut papers = vec![
            Paper {
                option: FOR.into(),
                weight: 1,
                constituency: north.clone()
            };
            9
        ];
        papers.push(Paper {
            option: AGAINST.into(),
            weight: 1,
            constituency: north,
        });
        papers.push(Paper {
            option: FOR.into(),
            weight: 1,
            constituency: south.clone(),
        });
        papers.extend(vec![
            Paper {
                option: AGAINST.into(),
                weight: 1,
                constituency: south
            };
            3
        ]);
        let r = result(&for_against(), &electorate, &papers, NO_QUORUM, two_thirds_of_cast());
        assert_eq!(r.overall.outcome, Outcome::Carried);
        assert_eq!(r.constituencies.len(), 2);
        assert_eq!(r.constituencies[1].1.outcome, Outcome::NotCarried);
        assert_eq!(r.outcome, Outcome::NotCarried, "fails in the South");
    }

    fn arbitrary_papers() -> impl Strategy<Value = Vec<Paper>> {
        proptest::collection::vec((0usize..3, 1u64..20), 0..200).prop_map(|papers| {
            papers
                .into_iter()
                .map(|(o, w)| paper([FOR, AGAINST, ABSTAIN][o], w))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn the_tally_does_not_depend_on_paper_order(papers in arbitrary_papers(), seed in any::<u64>()) {
            let mut shuffled = papers.clone();
            // A deterministic shuffle from the seed.
            let n = shuffled.len();
            for i in 0..n {
                let j = ((seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64)) % (n as u64)) as usize;
                shuffled.swap(i, j);
            }
            prop_assert_eq!(tally(&for_against(), &papers), tally(&for_against(), &shuffled));
        }

        #[test]
        fn the_totals_equal_the_turnout(papers in arbitrary_papers()) {
            let t = tally(&for_against(), &papers);
            prop_assert_eq!(t.turnout().practices, papers.len() as u64);
            prop_assert_eq!(t.turnout().weight, papers.iter().map(|p| p.weight).sum::<u64>());
        }

        #[test]
        fn moving_a_vote_from_against_to_for_never_loses_the_motion(papers in arbitrary_papers(), dual in any::<bool>(), electorate_base in any::<bool>()) {
            let decision = Decision::ForAgainst {
                threshold: Threshold::TWO_THIRDS,
                base: if electorate_base { ThresholdBase::Electorate } else { ThresholdBase::VotesCast },
                dual_majority: dual,
            };
            let voters: Vec<Elector> = papers.iter().map(|p| Elector { weight: p.weight, constituency: None }).collect();
            let before = count(&for_against(), &voters, &papers, HALF_OF_PRACTICES, decision);
            if let Some(i) = papers.iter().position(|p| p.option == AGAINST) {
                let mut moved = papers.clone();
                moved[i].option = FOR.into();
                let after = count(&for_against(), &voters, &moved, HALF_OF_PRACTICES, decision);
                if before.outcome == Outcome::Carried {
                    prop_assert_eq!(after.outcome, Outcome::Carried);
                }
            }
        }
    }
}

//! Hand-worked counts: each case is small enough to check on paper, and
//! the comments show the working.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

fn profile(seats: usize, names: &[&str], papers: &[(u64, &[usize])]) -> Profile {
    Profile::new(
        "Test".into(),
        seats,
        names.iter().map(|n| n.to_string()).collect(),
        BTreeSet::new(),
        papers
            .iter()
            .map(|(weight, ranking)| RankedPaper {
                weight: *weight,
                ranking: ranking.to_vec(),
            })
            .collect(),
        None,
    )
    .expect("a valid profile")
}

fn elected_names(count: &Count) -> Vec<&str> {
    count.elected.iter().map(|c| count.candidates[*c].as_str()).collect()
}

fn five(text: &str) -> Value {
    Arithmetic::new(5).parse(text).expect("a decimal")
}

#[test]
fn single_seat_is_the_alternative_vote() {
    // Quota: 9 ÷ 2 = 4, plus one: 5. Ann 4, Ben 3, Cat 2: nobody has it;
    // Cat is excluded and her two papers go to Ben, who reaches 5.
    const A: usize = 0;
    const B: usize = 1;
    const C: usize = 2;
    let profile = profile(1, &["Ann", "Ben", "Cat"], &[(4, &[A]), (3, &[B]), (2, &[C, B])]);
    for rule in [CountRule::Scottish, CountRule::Meek] {
        let count = count(&profile, rule);
        assert_eq!(elected_names(&count), ["Ben"], "{rule}");
    }
    let scottish = count(&profile, CountRule::Scottish);
    assert_eq!(scottish.quota(), five("5"));
    assert_eq!(scottish.stages.len(), 2);
    assert_eq!(scottish.stages[1].action, StageAction::Exclusion { candidate: C });
    assert_eq!(scottish.final_votes(B), five("5"));
}

#[test]
fn surplus_transfer_values_are_truncated_to_five_places() {
    // 2 seats, 10 papers; quota 10 ÷ 3 = 3, plus one: 4. Ann has 7: surplus
    // 3, and each of her papers is worth 3 ÷ 7 = 0.428571… → 0.42857.
    // Her 7 papers go on to Ben: 2.99999; 0.00001 is lost to rounding.
    let profile = profile(2, &["Ann", "Ben", "Cat"], &[(7, &[0, 1]), (2, &[2]), (1, &[1])]);
    let count = count(&profile, CountRule::Scottish);
    let after_surplus = &count.stages[1];
    assert_eq!(
        after_surplus.action,
        StageAction::Surplus {
            candidate: 0,
            surplus: five("3")
        }
    );
    assert_eq!(after_surplus.votes, vec![five("4"), five("3.99999"), five("2")]);
    assert_eq!(after_surplus.residual, five("0.00001"));
    // Ben (3.99999) and Cat (2) are the only two left for one seat: Cat is
    // excluded, her papers are non-transferable, and Ben takes the seat.
    assert_eq!(elected_names(&count), ["Ann", "Ben"]);
}

#[test]
fn every_stage_accounts_for_every_vote() {
    let profile = profile(
        3,
        &["A", "B", "C", "D", "E", "F"],
        &[
            (31, &[0, 1, 2]),
            (17, &[1, 0]),
            (9, &[2, 3, 4]),
            (8, &[3]),
            (7, &[4, 5, 0]),
            (3, &[5, 4]),
        ],
    );
    let count = count(&profile, CountRule::Scottish);
    let total = Arithmetic::new(5).from_whole(count.valid);
    for stage in &count.stages {
        let held: Value = stage.votes.iter().sum();
        assert_eq!(
            held + stage.non_transferable + stage.residual,
            total,
            "stage {}",
            stage.number
        );
    }
}

#[test]
fn an_exclusion_tie_goes_to_the_most_recent_stage_where_they_differed() {
    // Quota 25 ÷ 2 + 1 = 13. First stage: Ann 10, Ben 6, Cat 5, Dan 4.
    // Dan is excluded: one paper to Cat, three exhausted; Ben and Cat now
    // tie on 6. At stage 1 Cat had fewer (5 < 6), so Cat goes (rule 51).
    let profile = profile(
        1,
        &["Ann", "Ben", "Cat", "Dan"],
        &[(10, &[0]), (6, &[1]), (5, &[2]), (1, &[3, 2, 1]), (3, &[3])],
    );
    let count = count(&profile, CountRule::Scottish);
    let stage3 = &count.stages[2];
    assert_eq!(stage3.action, StageAction::Exclusion { candidate: 2 });
    let tie = stage3.tie.as_ref().expect("the tie is recorded");
    assert_eq!(
        (tie.between.clone(), tie.chosen, tie.by_stage),
        (vec![1, 2], 2, Some(1))
    );
    // Cat's papers: five with no next preference, one on to Ben (7).
    assert_eq!(stage3.votes[1], five("7"));
    assert_eq!(elected_names(&count), ["Ann"]);
}

#[test]
fn a_tie_at_every_stage_goes_by_the_recorded_draw() {
    // Ann and Ben have 3 each from the start; Cat 6. One seat, quota
    // 12 ÷ 2 + 1 = 7: one of Ann and Ben must be excluded, and they were
    // equal at every stage, so the draw decides.
    let papers: &[(u64, &[usize])] = &[(3, &[0, 2]), (3, &[1]), (6, &[2])];
    let by_file_order = count(&profile(1, &["Ann", "Ben", "Cat"], papers), CountRule::Scottish);
    let tie = by_file_order.stages[1].tie.clone().expect("a tie");
    assert_eq!((tie.chosen, tie.by_stage), (0, None), "Ann is first in the file");
    assert_eq!(elected_names(&by_file_order), ["Cat"]);

    let drawn = Profile::new(
        "Test".into(),
        1,
        vec!["Ann".into(), "Ben".into(), "Cat".into()],
        BTreeSet::new(),
        papers
            .iter()
            .map(|(w, r)| RankedPaper {
                weight: *w,
                ranking: r.to_vec(),
            })
            .collect(),
        Some(vec![1, 0, 2]),
    )
    .expect("valid");
    for rule in [CountRule::Scottish, CountRule::Meek] {
        let count = count(&drawn, rule);
        let excluded_first = count.stages.iter().find_map(|s| s.excluded.first().copied());
        assert_eq!(excluded_first, Some(1), "{rule}: the draw put Ben first, so Ben goes");
    }
}

#[test]
fn a_surplus_at_the_last_stage_is_not_transferred() {
    // Two seats, quota 16 ÷ 3 + 1 = 6. Ann (10) is elected; her surplus of
    // 4 takes Ben from 5 to 9: elected, and with both seats filled his
    // surplus of 3 stays where it is (rule 52(2)).
    let profile = profile(2, &["Ann", "Ben", "Cat"], &[(10, &[0, 1]), (5, &[1]), (1, &[2])]);
    let count = count(&profile, CountRule::Scottish);
    assert_eq!(elected_names(&count), ["Ann", "Ben"]);
    assert_eq!(count.stages.len(), 2);
    assert_eq!(count.final_votes(1), five("9"));
    assert_eq!(count.final_votes(0), five("6"));
}

#[test]
fn candidates_without_votes_are_excluded_one_stage_at_a_time() {
    // Neither rule excludes in bulk: three candidates with no votes go one
    // per stage (ties by the draw), and the result is as if they had not stood.
    let with_zeros = profile(
        2,
        &["A", "B", "C", "Z1", "Z2", "Z3"],
        &[(9, &[0]), (4, &[1]), (5, &[2, 1])],
    );
    let without = profile(2, &["A", "B", "C"], &[(9, &[0]), (4, &[1]), (5, &[2, 1])]);
    for rule in [CountRule::Scottish, CountRule::Meek] {
        let with = count(&with_zeros, rule);
        let plain = count(&without, rule);
        assert_eq!(elected_names(&with), elected_names(&plain), "{rule}");
        assert!(with.stages.iter().all(|s| s.excluded.len() <= 1), "{rule}");
    }
    // Under Scottish STV, after Ann's surplus nobody has a quota, so the
    // three go first, in the draw's order, then Ben. (Under Meek the quota
    // falls as Ann's surplus exhausts, and Cat is elected before anyone
    // need be excluded.)
    let scottish = count(&with_zeros, CountRule::Scottish);
    let excluded: Vec<usize> = scottish.stages.iter().flat_map(|s| s.excluded.clone()).collect();
    assert_eq!(excluded, [3, 4, 5, 1]);
}

#[test]
fn withdrawn_candidates_are_struck_out_and_empty_papers_set_aside() {
    let profile = Profile::new(
        "Test".into(),
        1,
        vec!["Ann".into(), "Ben".into(), "Cat".into()],
        BTreeSet::from([2]),
        vec![
            RankedPaper {
                weight: 4,
                ranking: vec![2, 1],
            },
            RankedPaper {
                weight: 3,
                ranking: vec![0],
            },
            RankedPaper {
                weight: 2,
                ranking: vec![2],
            },
        ],
        None,
    )
    .expect("valid");
    let count = count(&profile, CountRule::Scottish);
    assert_eq!((count.valid, count.invalid), (7, 2));
    assert_eq!(count.stages[0].votes, vec![five("3"), five("4"), 0]);
    assert_eq!(count.stages[0].standing[2], Standing::Withdrawn);
    assert_eq!(elected_names(&count), ["Ben"]);
}

#[test]
fn fewer_candidates_than_seats_are_all_elected() {
    // Quota 6 ÷ 4 + 1 = 2: Ann reaches it, Ben (1) does not, yet with
    // three seats both are elected.
    let profile = profile(3, &["Ann", "Ben"], &[(5, &[0]), (1, &[1, 0])]);
    for rule in [CountRule::Scottish, CountRule::Meek] {
        let count = count(&profile, rule);
        assert_eq!(elected_names(&count).len(), 2, "{rule}");
        assert_eq!(count.final_stage().action, StageAction::ElectRemaining);
    }
}

#[test]
fn a_bad_profile_is_refused_with_its_reason() {
    let names = vec!["Ann".to_string(), "Ben".to_string()];
    let make =
        |seats, papers: Vec<RankedPaper>| Profile::new("T".into(), seats, names.clone(), BTreeSet::new(), papers, None);
    assert_eq!(make(0, vec![]), Err(ProfileError::NoSeats));
    assert_eq!(
        make(
            1,
            vec![RankedPaper {
                weight: 1,
                ranking: vec![0, 0]
            }]
        ),
        Err(ProfileError::RepeatedCandidate {
            paper: 1,
            candidate: "Ann".into()
        })
    );
    assert_eq!(
        make(
            1,
            vec![RankedPaper {
                weight: 1,
                ranking: vec![2]
            }]
        ),
        Err(ProfileError::UnknownCandidate {
            paper: 1,
            number: 3,
            candidates: 2
        })
    );
    assert_eq!(
        make(
            1,
            vec![RankedPaper {
                weight: 0,
                ranking: vec![0]
            }]
        ),
        Err(ProfileError::ZeroWeight { paper: 1 })
    );
    assert_eq!(
        make(
            1,
            vec![
                RankedPaper {
                    weight: MAX_TOTAL_WEIGHT,
                    ranking: vec![0]
                },
                RankedPaper {
                    weight: 1,
                    ranking: vec![1]
                }
            ]
        ),
        Err(ProfileError::TooMuchWeight)
    );
    let twins = Profile::new(
        "T".into(),
        1,
        vec!["Ann".into(), "Ann".into()],
        BTreeSet::new(),
        vec![],
        None,
    );
    assert_eq!(twins, Err(ProfileError::DuplicateName("Ann".into())));
}

#[test]
fn blt_refuses_equal_preferences_and_names_the_line() {
    let text = "3 1\n1 1 2 0\n2 1=2 3 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"T\"\n";
    let error = blt::parse(text).expect_err("equal preferences");
    assert_eq!(
        error.to_string(),
        "Line 3: \"1=2\" gives equal preferences; each rank must name one candidate"
    );
    for (text, expected) in [
        (
            "3 1\n1 1 1 0\n0\n\"A\"\n\"B\"\n\"C\"\n",
            "Line 2: candidate 1 is ranked more than once",
        ),
        (
            "3 1\n1 4 0\n0\n\"A\"\n\"B\"\n\"C\"\n",
            "Line 2: \"4\" is not a candidate: use numbers from 1 to 3",
        ),
        (
            "3 1\n1.5 1 0\n0\n\"A\"\n\"B\"\n\"C\"\n",
            "Line 2: the weight \"1.5\" must be a whole number (a count of papers, or a practice's weight)",
        ),
        (
            "3 1\n1 1 -\n",
            "Line 2: a skipped rank (\"-\") is not accepted: number the preferences in order",
        ),
        ("3 1\n1 1 0\n", "The file ends before the 0 that ends the papers"),
        (
            "3 1\n1 1 0\n0\n\"A\"\n\"B\"\n",
            "The file ends before every candidate has a name",
        ),
        (
            "3 0\n1 1 0\n0\n\"A\"\n\"B\"\n\"C\"\n",
            "There must be at least one seat to fill",
        ),
        (
            "x\n",
            "Line 1: the first line must be two numbers: how many candidates, and how many seats",
        ),
    ] {
        assert_eq!(
            blt::parse(text).map(|_| ()).map_err(|e| e.to_string()),
            Err(expected.to_string()),
            "{text:?}"
        );
    }
}

#[test]
fn blt_reads_withdrawals_identifiers_and_comments() {
    let text =
        "# a comment\n4 2\n-4\n(p1) 3 1 2 0\n2 3 0  # trailing\n0\n\"Ann\" \"Ben\"\n\"Cat #1\"\n\"Dan\"\n\"Title\"\n";
    let profile = blt::parse(text).expect("parses");
    assert_eq!(profile.candidates(), ["Ann", "Ben", "Cat #1", "Dan"]);
    assert_eq!(profile.withdrawn(), &BTreeSet::from([3]));
    assert_eq!(
        profile.papers()[0],
        RankedPaper {
            weight: 3,
            ranking: vec![0, 1]
        }
    );
    assert_eq!(profile.title(), "Title");
}

fn arbitrary_profile() -> impl Strategy<Value = Profile> {
    (2usize..7, 1usize..4).prop_flat_map(|(candidates, seats)| {
        let paper = (
            1u64..20,
            Just((0..candidates).collect::<Vec<_>>()).prop_shuffle(),
            1..=candidates,
        )
            .prop_map(|(weight, order, length)| RankedPaper {
                weight,
                ranking: order[..length].to_vec(),
            });
        prop::collection::vec(paper, 1..40).prop_map(move |papers| {
            Profile::new(
                "Random".into(),
                seats,
                (0..candidates).map(|c| format!("C{c}")).collect(),
                BTreeSet::new(),
                papers,
                None,
            )
            .expect("valid")
        })
    })
}

proptest! {
    #[test]
    fn scottish_counts_conserve_value_and_fill_the_seats(profile in arbitrary_profile()) {
        let count = count(&profile, CountRule::Scottish);
        let total = Arithmetic::new(5).from_whole(count.valid);
        for stage in &count.stages {
            let held: Value = stage.votes.iter().sum();
            prop_assert_eq!(held + stage.non_transferable + stage.residual, total);
            prop_assert!(stage.residual >= 0);
        }
        prop_assert_eq!(count.elected.len(), profile.seats().min(profile.candidates().len()));
    }

    #[test]
    fn meek_fills_the_seats_and_never_loses_value(profile in arbitrary_profile()) {
        let count = count(&profile, CountRule::Meek);
        prop_assert_eq!(count.elected.len(), profile.seats().min(profile.candidates().len()));
        let total = Arithmetic::new(9).from_whole(count.valid);
        for stage in &count.stages {
            let held: Value = stage.votes.iter().sum();
            prop_assert!(held <= total);
        }
    }

    #[test]
    fn a_weight_counts_as_that_many_identical_papers(profile in arbitrary_profile()) {
        let spread: Vec<RankedPaper> = profile
            .papers()
            .iter()
            .flat_map(|p| std::iter::repeat_n(RankedPaper { weight: 1, ranking: p.ranking.clone() }, p.weight as usize))
            .collect();
        let unweighted = Profile::new(
            "Random".into(),
            profile.seats(),
            profile.candidates().to_vec(),
            BTreeSet::new(),
            spread,
            None,
        )
        .expect("valid");
        for rule in [CountRule::Scottish, CountRule::Meek] {
            let a = count(&profile, rule);
            let b = count(&unweighted, rule);
            prop_assert_eq!(&a.elected, &b.elected);
            prop_assert_eq!(a.final_stage(), b.final_stage());
        }
    }

    #[test]
    fn blt_export_reads_back_to_the_same_count(profile in arbitrary_profile()) {
        let again = blt::parse(&blt::write(&profile)).expect("our own export parses");
        for rule in [CountRule::Scottish, CountRule::Meek] {
            prop_assert_eq!(count(&profile, rule).stages, count(&again, rule).stages);
        }
    }
}

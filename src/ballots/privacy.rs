//! Whether the published totals of a secret ballot could show how a practice
//! voted, and which weightings would make that rarer. Pure: no I/O.
//!
//! After the count a ballot publishes, per option, the total weight and the
//! number of practices, for each constituency (or for the whole electorate
//! when it has none). Under list-size weighting almost every weight is
//! unique, so a total can name a practice.
//!
//! The definition used here: a practice's vote *could be inferred from the
//! published totals* when, in the worst case that it is the only practice in
//! its group to choose some option, that option's totals (1 practice, weight
//! w) name it because no other practice in the group has weight w. So a
//! practice is at risk exactly when no other practice in its group has the
//! same weight; the only practice of a group is always at risk.
//!
//! Its group is its constituency, or all practices in no constituency (the
//! whole electorate when there are no constituencies). The overall totals
//! published beside the constituencies' add nothing to this worst case: a
//! constituency's totals already narrow it further, and the overall totals
//! minus the constituencies' are exactly the totals of the practices in none.
//!
//! A unanimous vote shows how everyone voted in any ballot, weighted or not,
//! so it is not counted. And this is a lower bound: the totals can also give
//! away several practices together when only one set of them adds up to a
//! published weight, which is not counted either.

use std::collections::HashMap;

use crate::format::{count, plural};
use crate::registry::constitution::Weighting;

/// One set of practices whose totals are published together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupExposure {
    /// The constituency; `None` for the practices in no constituency.
    pub group: Option<String>,
    pub practices: usize,
    /// Indices into the input of the practices at risk, in ascending order.
    pub at_risk: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Exposure {
    /// Sorted by name, the practices in no constituency first.
    pub groups: Vec<GroupExposure>,
    /// Practices at risk, over all groups.
    pub at_risk: usize,
    pub practices: usize,
}

/// Which practices could have their vote read off the published totals,
/// given each practice's weight and constituency (`None`: no constituency).
pub fn exposure(electors: &[(u64, Option<&str>)]) -> Exposure {
    // (index, weight) pushed in input order, so each group's at-risk list comes out sorted.
    type Members = Vec<(usize, u64)>;
    let mut members: HashMap<Option<&str>, Members> = HashMap::new();
    for (index, &(weight, group)) in electors.iter().enumerate() {
        members.entry(group).or_default().push((index, weight));
    }
    let mut members: Vec<(Option<&str>, Members)> = members.into_iter().collect();
    members.sort_unstable_by_key(|(group, _)| *group);

    // One map reused across groups keeps a national run to a handful of allocations.
    let mut sharing: HashMap<u64, usize> = HashMap::new();
    let groups: Vec<GroupExposure> = members
        .into_iter()
        .map(|(group, practices)| {
            sharing.clear();
            for &(_, weight) in &practices {
                *sharing.entry(weight).or_default() += 1;
            }
            let at_risk = practices
                .iter()
                .filter(|(_, weight)| sharing.get(weight) == Some(&1))
                .map(|&(index, _)| index)
                .collect();
            GroupExposure {
                group: group.map(str::to_owned),
                practices: practices.len(),
                at_risk,
            }
        })
        .collect();
    Exposure {
        at_risk: groups.iter().map(|g| g.at_risk.len()).sum(),
        practices: electors.len(),
        groups,
    }
}

/// How many practices would be at risk under one practice one vote, one vote
/// per 1,000, 2,000, 5,000 and 10,000 patients, list size and the `current`
/// weighting, fewest first (ties keep that order), each weighting once.
///
/// Weights come from [`Weighting::weight`], the rule the frozen electorate
/// uses. A weighting that leaves some practice without a weight (a list-size
/// rule and an unknown list size) is left out: the electorate could not be
/// frozen under it, so there would be no ballot to publish totals of.
pub fn remedies(list_sizes: &[(Option<u32>, Option<&str>)], current: Weighting) -> Vec<(Weighting, usize)> {
    let mut weightings = vec![
        Weighting::PerPractice,
        Weighting::PerPatients(1_000),
        Weighting::PerPatients(2_000),
        Weighting::PerPatients(5_000),
        Weighting::PerPatients(10_000),
        Weighting::ListSize,
    ];
    if !weightings.contains(&current) {
        weightings.push(current);
    }
    let mut remedies: Vec<(Weighting, usize)> = weightings
        .into_iter()
        .filter_map(|weighting| {
            let electors: Option<Vec<(u64, Option<&str>)>> = list_sizes
                .iter()
                .map(|&(size, group)| weighting.weight(size).map(|weight| (weight, group)))
                .collect();
            electors.map(|electors| (weighting, exposure(&electors).at_risk))
        })
        .collect();
    // Stable, so equal counts stay in the order above.
    remedies.sort_by_key(|&(_, at_risk)| at_risk);
    remedies
}

/// The exposure in plain words for a returning officer.
pub fn explain(exposure: &Exposure) -> String {
    if exposure.practices == 0 {
        return "There are no practices in the electorate, so there are no totals that could show a vote.".to_owned();
    }
    let named = exposure.groups.iter().filter(|g| g.group.is_some()).count();
    let within = if named == 0 {
        "in the electorate"
    } else if named == exposure.groups.len() {
        "in its constituency"
    } else {
        "in its constituency (or, for a practice in no constituency, among the others in none)"
    };
    if exposure.at_risk == 0 {
        return format!(
            "With these weights, every practice has the same weight as at least one other practice {within}, \
             so even a practice alone in choosing an option could not be named from the published totals."
        );
    }
    if exposure.practices == 1 {
        return "With only 1 practice in the electorate, the published totals show how it voted.".to_owned();
    }
    let (who, subject) = if exposure.at_risk == exposure.practices {
        (
            format!("each of the {}", plural(exposure.practices, "practice", "practices")),
            "each has",
        )
    } else {
        (
            format!(
                "{} of {}",
                count(exposure.at_risk as u64),
                plural(exposure.practices, "practice", "practices")
            ),
            if exposure.at_risk == 1 { "it has" } else { "each has" },
        )
    };
    let mut words = format!(
        "With these weights, the published totals could show how {who} voted: {subject} a weight no other practice \
         {within} has, so if it were alone in choosing an option, the totals would name it."
    );
    // Worth saying apart: no weighting can hide a constituency's only practice.
    let alone = exposure
        .groups
        .iter()
        .filter(|g| g.group.is_some() && g.practices == 1)
        .count();
    if alone > 0 {
        let sentence = if alone == exposure.at_risk && alone == 1 {
            " It is the only practice in its constituency, which no weighting can change.".to_owned()
        } else if alone == 1 {
            " 1 of them is the only practice in its constituency, which no weighting can change.".to_owned()
        } else {
            format!(
                " {} of them are the only practice in their constituency, which no weighting can change.",
                count(alone as u64)
            )
        };
        words.push_str(&sentence);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_GROUP: [(u64, Option<&str>); 6] = [(1, None), (1, None), (2, None), (3, None), (3, None), (3, None)];

    fn at_risk(exposure: &Exposure) -> Vec<(Option<&str>, usize, Vec<usize>)> {
        exposure
            .groups
            .iter()
            .map(|g| (g.group.as_deref(), g.practices, g.at_risk.clone()))
            .collect()
    }

    #[test]
    fn a_weight_nobody_else_in_the_group_has_is_at_risk() {
        let found = exposure(&ONE_GROUP);
        assert_eq!(at_risk(&found), vec![(None, 6, vec![2])]);
        assert_eq!((found.at_risk, found.practices), (1, 6));
    }

    #[test]
    fn constituencies_are_counted_apart() {
        // Same weights as ONE_GROUP; the second 1 and two of the 3s form "North", listed after "South".
        let split = [
            (1, Some("South")),
            (1, Some("North")),
            (2, Some("South")),
            (3, Some("South")),
            (3, Some("North")),
            (3, Some("North")),
        ];
        let found = exposure(&split);
        assert_eq!(
            at_risk(&found),
            vec![(Some("North"), 3, vec![1]), (Some("South"), 3, vec![0, 2, 3])]
        );
        assert_eq!((found.at_risk, found.practices), (4, 6));

        // Splitting so that equal weights stay together changes nothing.
        let kept = [
            (1, Some("A")),
            (1, Some("A")),
            (2, Some("A")),
            (3, Some("B")),
            (3, Some("B")),
            (3, Some("B")),
        ];
        assert_eq!(exposure(&kept).at_risk, 1);
    }

    #[test]
    fn practices_in_no_constituency_are_a_group_of_their_own() {
        let mixed = [(5, Some("A")), (5, None), (7, None), (7, None)];
        let found = exposure(&mixed);
        assert_eq!(at_risk(&found), vec![(None, 3, vec![1]), (Some("A"), 1, vec![0])]);
    }

    #[test]
    fn the_only_practice_of_a_group_is_at_risk() {
        let found = exposure(&[(5, Some("A")), (5, Some("B")), (5, Some("B"))]);
        assert_eq!(at_risk(&found), vec![(Some("A"), 1, vec![0]), (Some("B"), 2, vec![])]);
        assert_eq!(exposure(&[(1, None)]).at_risk, 1);
    }

    #[test]
    fn no_practices_no_exposure() {
        assert_eq!(exposure(&[]), Exposure::default());
        assert_eq!(remedies(&[], Weighting::ListSize).len(), 6);
        assert!(remedies(&[], Weighting::ListSize).iter().all(|&(_, n)| n == 0));
        assert!(explain(&Exposure::default()).starts_with("There are no practices"));
    }

    #[test]
    fn remedies_are_fewest_first_and_each_once() {
        let sizes = [
            (Some(1_500), None),
            (Some(1_800), None),
            (Some(4_100), None),
            (Some(9_000), None),
        ];
        // Per 1,000: 2 2 5 9; per 2,000: 1 1 3 5; per 5,000: 1 1 1 2; per 10,000: all 1.
        assert_eq!(
            remedies(&sizes, Weighting::PerPatients(2_000)),
            vec![
                (Weighting::PerPractice, 0),
                (Weighting::PerPatients(10_000), 0),
                (Weighting::PerPatients(5_000), 1),
                (Weighting::PerPatients(1_000), 2),
                (Weighting::PerPatients(2_000), 2),
                (Weighting::ListSize, 4),
            ]
        );
        // A weighting of the organisation's own is included, per 3,000: 1 1 2 3.
        let own = remedies(&sizes, Weighting::PerPatients(3_000));
        assert_eq!(own.len(), 7);
        assert!(own.contains(&(Weighting::PerPatients(3_000), 2)));
    }

    #[test]
    fn a_weighting_that_cannot_weigh_every_practice_is_left_out() {
        let sizes = [(Some(1_500), Some("A")), (None, Some("A"))];
        assert_eq!(remedies(&sizes, Weighting::ListSize), vec![(Weighting::PerPractice, 0)]);
    }

    #[test]
    fn explanations_have_the_right_plurals() {
        let one = explain(&exposure(&ONE_GROUP));
        assert_eq!(
            one,
            "With these weights, the published totals could show how 1 of 6 practices voted: it has a weight no \
             other practice in the electorate has, so if it were alone in choosing an option, the totals would name it."
        );
        let many = explain(&exposure(&[
            (1, Some("A")),
            (2, Some("A")),
            (3, Some("A")),
            (3, Some("A")),
        ]));
        assert!(
            many.contains("how 2 of 4 practices voted: each has a weight no other practice in its constituency has")
        );
        let all = explain(&exposure(&[(1, None), (2, None)]));
        assert!(all.contains("how each of the 2 practices voted: each has"), "{all}");
        let lone = explain(&exposure(&[(1, Some("A")), (1, Some("B")), (1, Some("B"))]));
        assert!(lone.contains("how 1 of 3 practices voted: it has"), "{lone}");
        assert!(lone.ends_with(" It is the only practice in its constituency, which no weighting can change."));
        let lone_two = explain(&exposure(&[
            (1, Some("A")),
            (1, Some("B")),
            (2, Some("C")),
            (3, Some("C")),
        ]));
        assert!(lone_two.contains("how each of the 4 practices voted"), "{lone_two}");
        assert!(
            lone_two
                .ends_with(" 2 of them are the only practice in their constituency, which no weighting can change.")
        );
        let mixed = explain(&exposure(&[(1, Some("A")), (2, None), (3, None)]));
        assert!(
            mixed.contains("in its constituency (or, for a practice in no constituency, among the others in none) has")
        );
        assert!(explain(&exposure(&[(9, None)])).starts_with("With only 1 practice"));
        let safe = explain(&exposure(&[(1, None), (1, None)]));
        assert!(safe.starts_with(
            "With these weights, every practice has the same weight as at least one other practice in the electorate"
        ));
    }

    /// (CCG, list size) of the SEX=ALL, AGE=ALL rows of an NHS Digital
    /// "Patients Registered at a GP Practice" file.
    fn list_sizes(csv: &str) -> Vec<(&str, u32)> {
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
        let column = |name: &str| header.iter().position(|h| *h == name).expect("a column");
        let (ccg, sex, age, patients) = (
            column("CCG_CODE"),
            column("SEX"),
            column("AGE"),
            column("NUMBER_OF_PATIENTS"),
        );
        lines
            .map(|line| line.split(',').collect::<Vec<&str>>())
            .filter(|fields| fields[sex] == "ALL" && fields[age] == "ALL")
            .map(|fields| (fields[ccg], fields[patients].parse().expect("a list size")))
            .collect()
    }

    const JANUARY_2021: &str = include_str!("../../tests/fixtures/gp-reg-pat-prac-all_01JAN2021_08V_16C.csv");

    fn at_risk_in(ccg: &str, weighting: Weighting) -> (usize, usize) {
        let electors: Vec<(u64, Option<&str>)> = list_sizes(JANUARY_2021)
            .into_iter()
            .filter(|(code, _)| *code == ccg)
            .map(|(_, size)| (weighting.weight(Some(size)).expect("a weight"), None))
            .collect();
        let found = exposure(&electors);
        (found.at_risk, found.practices)
    }

    #[test]
    fn tower_hamlets_in_january_2021() {
        // Every one of 08V's 36 list sizes is different.
        assert_eq!(at_risk_in("08V", Weighting::ListSize), (36, 36));
        // Only F84747 (24,039 patients, 13 votes; the next largest has 8) keeps a weight of its own.
        assert_eq!(at_risk_in("08V", Weighting::PerPatients(2_000)), (1, 36));
        assert_eq!(at_risk_in("08V", Weighting::PerPractice), (0, 36));
        assert_eq!(at_risk_in("16C", Weighting::ListSize), (81, 81));
        assert_eq!(at_risk_in("16C", Weighting::PerPatients(2_000)), (2, 81));

        let sizes: Vec<(Option<u32>, Option<&str>)> = list_sizes(JANUARY_2021)
            .into_iter()
            .filter(|(code, _)| *code == "08V")
            .map(|(_, size)| (Some(size), None))
            .collect();
        assert_eq!(
            remedies(&sizes, Weighting::ListSize),
            vec![
                (Weighting::PerPractice, 0),
                (Weighting::PerPatients(2_000), 1),
                (Weighting::PerPatients(5_000), 1),
                (Weighting::PerPatients(10_000), 1),
                (Weighting::PerPatients(1_000), 6),
                (Weighting::ListSize, 36),
            ]
        );
    }

    #[test]
    fn two_ccgs_as_constituencies_of_one_electorate() {
        let electors: Vec<(u64, Option<&str>)> = list_sizes(JANUARY_2021)
            .into_iter()
            .filter(|(code, _)| *code == "08V" || *code == "16C")
            .map(|(code, size)| {
                (
                    Weighting::PerPatients(2_000).weight(Some(size)).expect("a weight"),
                    Some(code),
                )
            })
            .collect();
        let found = exposure(&electors);
        let groups: Vec<(Option<&str>, usize, usize)> = found
            .groups
            .iter()
            .map(|g| (g.group.as_deref(), g.practices, g.at_risk.len()))
            .collect();
        assert_eq!(groups, vec![(Some("08V"), 36, 1), (Some("16C"), 81, 2)]);
        assert_eq!(
            explain(&found),
            "With these weights, the published totals could show how 3 of 117 practices voted: each has a weight no \
             other practice in its constituency has, so if it were alone in choosing an option, the totals would name it."
        );
    }
}

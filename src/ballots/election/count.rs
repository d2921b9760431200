//! An election's result from its ranked papers: the first preferences as
//! the ballot's tally (turnout, quorum and every page that shows a tally
//! read them as for any ballot) and the STV count stage by stage. The
//! server's count and `quorate verify`'s recount from the board both run
//! this. Pure: no I/O.

use super::ranking;
use crate::ballots::rules::{self, BallotResult, Decision, Elector, Outcome, Paper, Quorum};
use crate::ballots::stv::{self, CountRule, Profile, RankedPaper, report::CountReport};

/// What the count needs to know of the election.
pub struct Election<'a> {
    pub title: &'a str,
    /// The candidates' option keys and names, in the ballot's order.
    pub keys: &'a [String],
    pub names: &'a [String],
    pub seats: u32,
    pub rule: CountRule,
    /// Who goes first where the rule says "by lot": positions in `keys`.
    pub tie_order: Vec<usize>,
}

/// The result of an election's papers (each paper's option is a stored
/// ranking, see [`ranking`]). Fails, naming the paper, when a paper's
/// ranking is not one of this election's.
pub fn result(
    election: &Election<'_>,
    electors: &[Elector],
    papers: &[Paper],
    quorum: Quorum,
) -> Result<BallotResult, String> {
    let mut firsts = Vec::with_capacity(papers.len());
    let mut ranked = Vec::with_capacity(papers.len());
    for (number, paper) in papers.iter().enumerate() {
        let ranking = ranking::decode(&paper.option, election.keys)
            .map_err(|why| format!("paper {} (\"{}\"): {why}", number + 1, paper.option))?;
        firsts.push(Paper {
            option: election.keys[ranking[0]].clone(),
            weight: paper.weight,
            constituency: paper.constituency.clone(),
        });
        // A practice of weight 0 (no registered patients) took part, which
        // turnout shows, but its paper moves no votes.
        if paper.weight > 0 {
            ranked.push(RankedPaper {
                weight: paper.weight,
                ranking,
            });
        }
    }
    let mut result = rules::result(election.keys, electors, &firsts, quorum, Decision::Plurality);
    if election.keys.len() <= election.seats as usize {
        // Uncontested: no poll is held, so there is no quorum to meet and
        // no paper to count; a paper here means the poll was held wrongly.
        if !papers.is_empty() {
            return Err(format!(
                "{} papers in an uncontested election ({} candidates for {} seats)",
                papers.len(),
                election.keys.len(),
                election.seats
            ));
        }
        let unopposed = Outcome::ElectedUnopposed {
            candidates: election.keys.to_vec(),
        };
        result.overall.quorum_met = true;
        result.overall.outcome = unopposed.clone();
        result.outcome = unopposed;
        return Ok(result);
    }
    if !result.overall.quorum_met {
        result.overall.outcome = Outcome::QuorumNotMet;
        result.outcome = Outcome::QuorumNotMet;
        return Ok(result);
    }
    if ranked.is_empty() {
        // Without a valid vote nobody is elected: seats are not filled by lot.
        let nobody = Outcome::Elected { candidates: Vec::new() };
        result.overall.outcome = nobody.clone();
        result.outcome = nobody;
        return Ok(result);
    }
    let profile = Profile::new(
        election.title.to_owned(),
        election.seats as usize,
        election.names.to_vec(),
        Default::default(),
        ranked,
        Some(election.tie_order.clone()),
    )
    .map_err(|e| e.to_string())?;
    let count = stv::count(&profile, election.rule);
    let elected = Outcome::Elected {
        candidates: count.elected.iter().map(|&c| election.keys[c].clone()).collect(),
    };
    result.overall.outcome = elected.clone();
    result.outcome = elected;
    result.stv = Some(CountReport::new(&count));
    Ok(result)
}

/// A tie order drawn at random when the election is published, before any
/// paper exists: the recorded draw that settles ties the rule leaves to lot.
/// Kept in the rules (as option keys) and in the count report.
pub fn draw_tie_order(keys: &[String]) -> Vec<String> {
    let mut order = keys.to_vec();
    crate::ballots::store::shuffle(&mut order);
    order
}

/// The draw a count uses, as positions in `keys`: the one recorded at
/// publication or, for a ballot without one, the candidates' own order (as
/// a BLT file alone is counted by Droop and OpenSTV).
pub fn recorded_draw(order: Option<&[String]>, keys: &[String]) -> Vec<usize> {
    order
        .and_then(|order| tie_order_positions(order, keys))
        .unwrap_or_else(|| (0..keys.len()).collect())
}

/// The recorded draw as positions in `keys`, when it names each once.
pub fn tie_order_positions(order: &[String], keys: &[String]) -> Option<Vec<usize>> {
    let positions: Vec<usize> = order
        .iter()
        .map(|key| keys.iter().position(|k| k == key))
        .collect::<Option<_>>()?;
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    sorted.dedup();
    (sorted.len() == keys.len() && positions.len() == keys.len()).then_some(positions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::constitution::QuorumBasis;

    fn keys() -> Vec<String> {
        ["ann", "bea", "cal"].iter().map(|s| s.to_string()).collect()
    }

    fn names() -> Vec<String> {
        ["Ann", "Bea", "Cal"].iter().map(|s| s.to_string()).collect()
    }

    fn paper(option: &str) -> Paper {
        Paper {
            option: option.into(),
            weight: 1,
            constituency: None,
        }
    }

    fn electors(n: usize) -> Vec<Elector> {
        vec![
            Elector {
                weight: 1,
                constituency: None
            };
            n
        ]
    }

    /// An election for one seat among `keys`.
    fn chair<'a>(keys: &'a [String], names: &'a [String], rule: CountRule, tie_order: Vec<usize>) -> Election<'a> {
        Election {
            title: "Chair",
            keys,
            names,
            seats: 1,
            rule,
            tie_order,
        }
    }

    const NO_QUORUM: Quorum = Quorum {
        basis: QuorumBasis::None,
        percent: 0,
    };

    #[test]
    fn the_alternative_vote_transfers_the_lowest() {
        // Ann 4, Bea 3, Cal 2 (all to Bea): Bea wins 5 to 4 after Cal goes.
        let (keys, names) = (keys(), names());
        let election = chair(&keys, &names, CountRule::Scottish, vec![0, 1, 2]);
        let mut papers = vec![paper("ann"); 4];
        papers.extend(vec![paper("bea>ann"); 3]);
        papers.extend(vec![paper("cal>bea"); 2]);
        let result = result(&election, &electors(10), &papers, NO_QUORUM).expect("counts");
        assert_eq!(
            result.outcome,
            Outcome::Elected {
                candidates: vec!["bea".into()]
            }
        );
        assert_eq!(result.overall.tally.votes("ann").practices, 4, "first preferences");
        assert_eq!(result.overall.tally.turnout().practices, 9);
        let report = result.stv.expect("stage table");
        assert_eq!(report.elected, vec!["Bea".to_string()]);
        assert_eq!(report.stages.len(), 2);
        assert_eq!(report.tie_order, names, "the draw, by name");
    }

    #[test]
    fn a_paper_from_another_election_is_named() {
        let (keys, names) = (keys(), names());
        let election = chair(&keys, &names, CountRule::Meek, vec![0, 1, 2]);
        let why = result(&election, &electors(2), &[paper("ann"), paper("dan")], NO_QUORUM).expect_err("refused");
        assert!(why.starts_with("paper 2 (\"dan\")"), "{why}");
    }

    #[test]
    fn no_count_without_quorum() {
        let (keys, names) = (keys(), names());
        let election = chair(&keys, &names, CountRule::Scottish, vec![0, 1, 2]);
        let quorum = Quorum {
            basis: QuorumBasis::Practices,
            percent: 50,
        };
        let result = result(&election, &electors(10), &[paper("ann")], quorum).expect("counts");
        assert_eq!(result.outcome, Outcome::QuorumNotMet);
        assert!(result.stv.is_none());
    }

    #[test]
    fn a_drawn_tie_order_lists_every_candidate_once() {
        let keys = keys();
        let order = draw_tie_order(&keys);
        let mut positions = tie_order_positions(&order, &keys).expect("every candidate");
        positions.sort_unstable();
        assert_eq!(positions, vec![0, 1, 2]);
        assert_eq!(
            tie_order_positions(&["ann".into(), "ann".into(), "cal".into()], &keys),
            None
        );
        assert_eq!(tie_order_positions(&["ann".into()], &keys), None);
        let drawn: Vec<String> = ["cal", "ann", "bea"].iter().map(|s| s.to_string()).collect();
        assert_eq!(recorded_draw(Some(&drawn), &keys), vec![2, 0, 1]);
        assert_eq!(
            recorded_draw(None, &keys),
            vec![0, 1, 2],
            "no draw: the candidates' order"
        );
    }

    #[test]
    fn a_tie_left_to_lot_follows_the_recorded_draw() {
        // Ann and Bea have one paper each for one seat: the rule excludes
        // one "by lot", the first in the draw, so the other is elected.
        let (keys, names) = (keys(), names());
        let papers = [paper("ann"), paper("bea")];
        let elected = |tie_order: Vec<usize>| {
            let election = chair(&keys, &names, CountRule::Scottish, tie_order);
            result(&election, &electors(2), &papers, NO_QUORUM)
                .expect("counts")
                .outcome
        };
        let ann = Outcome::Elected {
            candidates: vec!["ann".into()],
        };
        let bea = Outcome::Elected {
            candidates: vec!["bea".into()],
        };
        assert_eq!(elected(vec![1, 0, 2]), ann, "Bea is drawn first to go");
        assert_eq!(elected(vec![0, 1, 2]), bea, "Ann is drawn first to go");
    }

    #[test]
    fn weightless_papers_take_part_but_move_no_votes_and_no_papers_elect_nobody() {
        let (keys, names) = (keys(), names());
        let election = chair(&keys, &names, CountRule::Meek, vec![0, 1, 2]);
        let mut weightless = paper("cal");
        weightless.weight = 0;
        let result_of = |papers: &[Paper]| result(&election, &electors(3), papers, NO_QUORUM).expect("counts");
        let counted = result_of(&[paper("ann"), weightless.clone()]);
        assert_eq!(counted.overall.tally.turnout().practices, 2);
        assert_eq!(
            counted.outcome,
            Outcome::Elected {
                candidates: vec!["ann".into()]
            }
        );
        let nobody = result_of(&[weightless]);
        assert_eq!(nobody.outcome, Outcome::Elected { candidates: vec![] });
        assert!(nobody.stv.is_none());
    }
}

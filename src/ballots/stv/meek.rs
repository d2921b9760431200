//! Meek STV as the Proportional Representation Foundation's reference rule
//! states it (steps A, B.1–B.4, C and procedure T, quoted where used):
//! nine decimal places, omega 0.000001, no batch defeats.

use super::{Candidate, Count, CountRule, Profile, Remainders, StageAction, Standing, Tableau, Tie, TiePurpose, Value};

const ARITHMETIC: super::Arithmetic = super::Arithmetic::new(9);
/// Omega, 10⁻⁶, in units of 10⁻⁹.
const OMEGA: Value = 1_000;
/// A guard far above what the rule needs: each iteration lowers the total
/// surplus or ends the round (step B.2.e), so this is never reached.
const MAX_ITERATIONS: u32 = 1_000_000;

struct Counter<'a> {
    tableau: Tableau<'a>,
    papers: Vec<super::RankedPaper>,
    keep: Vec<Value>,
    quota: Value,
    surplus: Value,
    /// Value passed beyond every candidate on the papers (exhausted) plus
    /// what rounding kept back: the rule's "excess".
    excess: Value,
}

enum Iterated {
    Elected(Vec<Candidate>),
    Converged,
}

pub(super) fn count(profile: &Profile) -> Count {
    let (papers, invalid) = profile.standing_papers();
    let valid: u64 = papers.iter().map(|p| p.weight).sum();
    // A. Hopeful candidates keep everything (kf = 1), withdrawn nothing.
    let tableau = Tableau::new(profile);
    let keep = tableau
        .standing
        .iter()
        .map(|s| if *s == Standing::Hopeful { ARITHMETIC.one() } else { 0 })
        .collect();
    let total = ARITHMETIC.from_whole(valid);
    let mut counter = Counter {
        tableau,
        papers,
        keep,
        quota: ARITHMETIC.div_whole_down(total, profile.seats() as u64 + 1) + ARITHMETIC.epsilon(),
        surplus: 0,
        excess: 0,
    };
    counter.run(total);
    counter.tableau.finish(CountRule::Meek, valid, invalid)
}

impl Counter<'_> {
    fn run(&mut self, total: Value) {
        for paper in &self.papers {
            self.tableau.votes[paper.ranking[0]] += ARITHMETIC.from_whole(paper.weight);
        }
        self.record(StageAction::FirstPreferences, Vec::new(), Vec::new(), None);
        // B.1: go on while there are more hopefuls than seats left.
        while self.tableau.hopeful().len() > self.tableau.seats_left() && self.tableau.seats_left() > 0 {
            let mut iterations = 0;
            let mut last_surplus = total;
            let outcome = loop {
                iterations += 1;
                match self.iterate(&mut last_surplus) {
                    Some(outcome) => break outcome,
                    None if iterations >= MAX_ITERATIONS => break Iterated::Converged,
                    None => {}
                }
            };
            match outcome {
                Iterated::Elected(elected) => {
                    self.record(StageAction::Iteration { iterations }, elected, Vec::new(), None);
                }
                Iterated::Converged => {
                    // B.3: defeat the lowest hopeful; every hopeful within the
                    // total surplus of the lowest counts as tied with it.
                    let hopeful = self.tableau.hopeful();
                    let low = hopeful.iter().map(|c| self.tableau.votes[*c]).min().unwrap_or(0);
                    let tied: Vec<Candidate> = hopeful
                        .into_iter()
                        .filter(|c| self.tableau.votes[*c] <= low + self.surplus)
                        .collect();
                    let (lowest, tie) = self.tableau.break_tie(&tied, true, false, TiePurpose::Exclude);
                    self.tableau.standing[lowest] = Standing::Excluded;
                    self.keep[lowest] = 0;
                    self.record(StageAction::Iteration { iterations }, Vec::new(), vec![lowest], tie);
                    self.tableau.votes[lowest] = 0;
                }
            }
        }
        // C.1: elect the remaining hopefuls if seats are unfilled.
        let mut remaining = self.tableau.hopeful();
        if !remaining.is_empty() && self.tableau.seats_left() > 0 {
            self.tableau.by_votes_descending(&mut remaining);
            for &candidate in &remaining {
                self.tableau.elect(candidate);
            }
            self.record(StageAction::ElectRemaining, remaining, Vec::new(), None);
        }
        // C.2: once the seats are filled the other hopefuls are simply not
        // elected; their last totals stay in the table.
    }

    /// One pass of B.2; `Some` when the round ends.
    fn iterate(&mut self, last_surplus: &mut Value) -> Option<Iterated> {
        // B.2.a: each paper starts with weight 1; each candidate in turn keeps
        // w × kf (rounded up) and passes the rest on.
        for (candidate, votes) in self.tableau.votes.iter_mut().enumerate() {
            if matches!(self.tableau.standing[candidate], Standing::Hopeful | Standing::Elected) {
                *votes = 0;
            }
        }
        // A paper's weight and a keep factor are at most one (10⁹ units)
        // but for rare moments, so their product almost always fits in 64
        // bits: the fast path, rounding up exactly as `mul_up` does.
        let one = ARITHMETIC.one();
        let mut credited = 0;
        for paper in &self.papers {
            let mut weight = one;
            let multiplier = i128::from(paper.weight);
            for &candidate in &paper.ranking {
                let factor = self.keep[candidate];
                if factor == 0 {
                    continue;
                }
                let kept = match (u64::try_from(weight), u64::try_from(factor)) {
                    (Ok(w), Ok(f)) if weight <= one && factor <= one => i128::from((w * f).div_ceil(one as u64)),
                    _ => ARITHMETIC.mul_up(weight, factor),
                };
                let value = kept * multiplier;
                self.tableau.votes[candidate] += value;
                credited += value;
                weight -= kept;
                if weight <= 0 {
                    break;
                }
            }
        }
        let total = ARITHMETIC.from_whole(self.papers.iter().map(|p| p.weight).sum());
        self.excess = total - credited;
        // B.2.b: quota = votes ÷ (seats + 1), truncated, plus 10⁻⁹.
        self.quota =
            ARITHMETIC.div_whole_down(credited, self.tableau.profile.seats() as u64 + 1) + ARITHMETIC.epsilon();
        // B.2.c: elect every hopeful at or above the quota.
        let reached = self.tableau.reaching(self.quota);
        for &candidate in &reached {
            self.tableau.elect(candidate);
        }
        // B.2.d: the total surplus of the elected, not below 0.
        let elected = self.elected();
        self.surplus = elected
            .iter()
            .map(|c| self.tableau.votes[*c] - self.quota)
            .sum::<Value>()
            .max(0);
        // B.2.e: an election ends the round; so does a surplus below omega
        // or one that stopped falling.
        if !reached.is_empty() {
            return Some(Iterated::Elected(reached));
        }
        if self.surplus < OMEGA || self.surplus >= *last_surplus {
            return Some(Iterated::Converged);
        }
        *last_surplus = self.surplus;
        // B.2.f: kf = kf × q (rounded up) ÷ v (rounded up).
        for candidate in elected {
            let votes = self.tableau.votes[candidate];
            if votes > 0 {
                self.keep[candidate] = ARITHMETIC.div_up(ARITHMETIC.mul_up(self.keep[candidate], self.quota), votes);
            }
        }
        None
    }

    fn elected(&self) -> Vec<Candidate> {
        let standing = &self.tableau.standing;
        (0..standing.len())
            .filter(|c| standing[*c] == Standing::Elected)
            .collect()
    }

    fn record(&mut self, action: StageAction, elected: Vec<Candidate>, excluded: Vec<Candidate>, tie: Option<Tie>) {
        let totals = Remainders {
            non_transferable: self.excess,
            residual: 0,
            quota: self.quota,
        };
        self.tableau.record(action, totals, elected, excluded, tie);
    }
}

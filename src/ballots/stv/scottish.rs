//! Scottish STV: the Scottish Local Government Elections Order 2007
//! (SSI 2007/42), Schedule 1, rules 45–52, as the Glasgow counts of 2007
//! applied them. Rule numbers in the comments are the Order's.

use super::{
    Candidate, Count, CountRule, Profile, RankedPaper, Remainders, StageAction, Standing, Tableau, Tie, TiePurpose,
    Value,
};

/// A paper (or identical papers) in the count: where it sits and its value.
struct Parcel {
    weight: u64,
    ranking: Vec<Candidate>,
    /// Index in `ranking` of the candidate holding it; `ranking.len()` once
    /// it is non-transferable.
    at: usize,
    /// The value of one paper: one at first, then its transfer value.
    value: Value,
}

impl Parcel {
    fn holder(&self) -> Option<Candidate> {
        self.ranking.get(self.at).copied()
    }

    fn amount(&self) -> Value {
        self.value * i128::from(self.weight)
    }
}

struct Counter<'a> {
    tableau: Tableau<'a>,
    parcels: Vec<Parcel>,
    /// Elected candidates whose surplus is not yet transferred.
    pending: Vec<Candidate>,
    non_transferable: Value,
    residual: Value,
    quota: Value,
}

pub(super) fn count(profile: &Profile) -> Count {
    let arithmetic = CountRule::Scottish.arithmetic();
    let (papers, invalid) = profile.standing_papers();
    let valid: u64 = papers.iter().map(|p| p.weight).sum();
    // Rule 46: valid papers ÷ (seats + 1), decimals ignored, plus one.
    let quota = arithmetic.from_whole(valid / (profile.seats() as u64 + 1) + 1);
    let mut counter = Counter {
        tableau: Tableau::new(profile),
        parcels: papers
            .into_iter()
            .map(|RankedPaper { weight, ranking }| Parcel {
                weight,
                ranking,
                at: 0,
                value: arithmetic.one(),
            })
            .collect(),
        pending: Vec::new(),
        non_transferable: 0,
        residual: 0,
        quota,
    };
    counter.run();
    counter.tableau.finish(CountRule::Scottish, valid, invalid)
}

impl Counter<'_> {
    fn run(&mut self) {
        // Rule 45: first preferences.
        for parcel in &self.parcels {
            if let Some(holder) = parcel.holder() {
                self.tableau.votes[holder] += parcel.amount();
            }
        }
        let mut action = StageAction::FirstPreferences;
        let mut excluded = Vec::new();
        let mut tie = None;
        loop {
            // Rule 47: at the end of each stage, a quota elects.
            let elected = self.elect_quota_holders();
            self.record(action, elected, excluded, tie);
            if self.complete() {
                break;
            }
            excluded = Vec::new();
            if self.pending.is_empty() {
                // Rule 50: nothing left to transfer, exclude the lowest.
                let (lowest, decided) = self.lowest_hopeful();
                tie = decided;
                self.exclude(lowest);
                excluded.push(lowest);
                action = StageAction::Exclusion { candidate: lowest };
            } else {
                // Rules 48–49: the highest surplus first.
                let (highest, decided) = self.highest_surplus();
                tie = decided;
                let surplus = self.tableau.votes[highest] - self.quota;
                self.transfer_surplus(highest, surplus);
                action = StageAction::Surplus {
                    candidate: highest,
                    surplus,
                };
            }
        }
        // Rule 52: as many continuing candidates as vacancies.
        let mut remaining = self.tableau.hopeful();
        if !remaining.is_empty() && remaining.len() <= self.tableau.seats_left() {
            self.tableau.by_votes_descending(&mut remaining);
            for &candidate in &remaining {
                self.tableau.elect(candidate);
            }
            self.record(StageAction::ElectRemaining, remaining, Vec::new(), None);
        }
    }

    fn complete(&self) -> bool {
        let seats_left = self.tableau.seats_left();
        seats_left == 0 || self.tableau.hopeful().len() <= seats_left
    }

    fn elect_quota_holders(&mut self) -> Vec<Candidate> {
        let mut reached = self.tableau.reaching(self.quota);
        reached.truncate(self.tableau.seats_left());
        for &candidate in &reached {
            self.tableau.elect(candidate);
            if self.tableau.votes[candidate] > self.quota {
                self.pending.push(candidate);
            }
        }
        reached
    }

    fn highest_surplus(&mut self) -> (Candidate, Option<Tie>) {
        let votes = &self.tableau.votes;
        let top = self.pending.iter().map(|c| votes[*c]).max().unwrap_or(0);
        let tied: Vec<Candidate> = self.pending.iter().copied().filter(|c| votes[*c] == top).collect();
        let (chosen, tie) = self.tableau.break_tie(&tied, false, true, TiePurpose::TransferFirst);
        self.pending.retain(|c| *c != chosen);
        (chosen, tie)
    }

    fn lowest_hopeful(&self) -> (Candidate, Option<Tie>) {
        let hopeful = self.tableau.hopeful();
        let votes = &self.tableau.votes;
        let low = hopeful.iter().map(|c| votes[*c]).min().unwrap_or(0);
        let tied: Vec<Candidate> = hopeful.into_iter().filter(|c| votes[*c] == low).collect();
        self.tableau.break_tie(&tied, true, true, TiePurpose::Exclude)
    }

    /// Rule 48(3): each paper's new value is surplus × its value ÷ the
    /// candidate's votes, to five places with the remainder ignored; the
    /// values of papers with no next preference are non-transferable.
    fn transfer_surplus(&mut self, from: Candidate, surplus: Value) {
        let total = self.tableau.votes[from];
        let arithmetic = CountRule::Scottish.arithmetic();
        let mut moved = 0;
        for index in 0..self.parcels.len() {
            if self.parcels[index].holder() != Some(from) {
                continue;
            }
            let parcel = &mut self.parcels[index];
            parcel.value = arithmetic.mul_div_down(parcel.value, surplus, total);
            moved += parcel.amount();
            self.pass_on(index);
        }
        self.tableau.votes[from] = self.quota;
        // What truncation kept back from the surplus.
        self.residual += surplus - moved;
    }

    /// Rule 50(2)–(4): every paper moves on at the value it arrived with.
    fn exclude(&mut self, candidate: Candidate) {
        self.tableau.standing[candidate] = Standing::Excluded;
        for index in 0..self.parcels.len() {
            if self.parcels[index].holder() == Some(candidate) {
                self.pass_on(index);
            }
        }
        self.tableau.votes[candidate] = 0;
    }

    /// To the next continuing candidate (one neither elected nor excluded).
    fn pass_on(&mut self, index: usize) {
        let parcel = &mut self.parcels[index];
        parcel.at += 1;
        while let Some(next) = parcel.holder() {
            if self.tableau.standing[next] == Standing::Hopeful {
                break;
            }
            parcel.at += 1;
        }
        let amount = parcel.amount();
        match parcel.holder() {
            Some(next) => self.tableau.votes[next] += amount,
            None => self.non_transferable += amount,
        }
    }

    fn record(&mut self, action: StageAction, elected: Vec<Candidate>, excluded: Vec<Candidate>, tie: Option<Tie>) {
        let totals = Remainders {
            non_transferable: self.non_transferable,
            residual: self.residual,
            quota: self.quota,
        };
        self.tableau.record(action, totals, elected, excluded, tie);
    }
}

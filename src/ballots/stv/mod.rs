//! Single transferable vote: the preference profile, the two counting rules
//! Quorate offers, and the stage-by-stage record of a count.
//!
//! Pure and I/O-free, like the rest of the count: the server, the offline
//! `quorate stv count` and `quorate verify` run this same code, and an
//! independent scrutineer can recount the BLT export with another program
//! (Droop, OpenSTV, the ERS program) and compare the stage tables.
//!
//! - [`CountRule::Scottish`]: the Scottish Local Government Elections Order
//!   2007 (SSI 2007/42), Schedule 1, rules 45–52 — weighted inclusive
//!   Gregory, transfer values to five decimal places with every remainder
//!   ignored.
//! - [`CountRule::Meek`]: the Proportional Representation Foundation's
//!   reference Meek rule — keep factors iterated to omega = 10⁻⁶, nine
//!   decimal places, rounding up where the rule says so.
//!
//! A practice's weight is the multiplicity of its paper, exactly as a BLT
//! line's leading count is: a paper of weight 9 counts as nine identical
//! papers, under both rules. A single-seat election is counted by the same
//! code (it is then the alternative vote).

pub mod blt;
pub mod cli;
pub mod fixed;
mod meek;
pub mod paper;
pub mod report;
mod scottish;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

pub use fixed::{Arithmetic, Value};

/// Total weight a profile may carry: every value stays exact in 128-bit
/// integers at nine decimal places, with room for the rules' products.
pub const MAX_TOTAL_WEIGHT: u64 = 1_000_000_000_000;
/// Enough for any election a membership body runs; bounds the work of a count.
pub const MAX_CANDIDATES: usize = 1_000;

/// The candidate's position in [`Profile::candidates`].
pub type Candidate = usize;

/// One paper (or a BLT line of identical papers): its preferences in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedPaper {
    pub weight: u64,
    pub ranking: Vec<Candidate>,
}

/// Everything a count needs, checked on construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    title: String,
    seats: usize,
    candidates: Vec<String>,
    withdrawn: BTreeSet<Candidate>,
    papers: Vec<RankedPaper>,
    tie_order: Vec<Candidate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("There must be at least one seat to fill")]
    NoSeats,
    #[error("There must be at least one candidate")]
    NoCandidates,
    #[error("There are {0} candidates; a count takes at most {MAX_CANDIDATES}")]
    TooManyCandidates(usize),
    #[error("Two candidates are both called \"{0}\"; each needs a name of its own")]
    DuplicateName(String),
    #[error("Withdrawn candidate number {0} is not one of the candidates")]
    UnknownWithdrawn(usize),
    #[error(
        "Paper {paper} gives a preference for candidate number {number}, but there are only {candidates} candidates"
    )]
    UnknownCandidate {
        paper: usize,
        number: usize,
        candidates: usize,
    },
    #[error("Paper {paper} ranks {candidate} more than once; each candidate may be ranked once")]
    RepeatedCandidate { paper: usize, candidate: String },
    #[error("Paper {paper} has a weight of 0; every paper counts at least once")]
    ZeroWeight { paper: usize },
    #[error("The papers' weights add up to more than {MAX_TOTAL_WEIGHT}")]
    TooMuchWeight,
    #[error("The tie order must list every candidate exactly once")]
    BadTieOrder,
}

impl Profile {
    /// Checks the profile. Ties that a rule says are decided by lot go to
    /// the first tied candidate in `tie_order` (a recorded random draw);
    /// without one, the candidates' own order, as Droop and OpenSTV do.
    pub fn new(
        title: String,
        seats: usize,
        candidates: Vec<String>,
        withdrawn: BTreeSet<Candidate>,
        papers: Vec<RankedPaper>,
        tie_order: Option<Vec<Candidate>>,
    ) -> Result<Self, ProfileError> {
        if seats == 0 {
            return Err(ProfileError::NoSeats);
        }
        if candidates.is_empty() {
            return Err(ProfileError::NoCandidates);
        }
        if candidates.len() > MAX_CANDIDATES {
            return Err(ProfileError::TooManyCandidates(candidates.len()));
        }
        let mut names = BTreeSet::new();
        for name in &candidates {
            if !names.insert(name.as_str()) {
                return Err(ProfileError::DuplicateName(name.clone()));
            }
        }
        if let Some(number) = withdrawn.iter().find(|c| **c >= candidates.len()) {
            return Err(ProfileError::UnknownWithdrawn(number + 1));
        }
        let mut total: u64 = 0;
        for (index, paper) in papers.iter().enumerate() {
            let number = index + 1;
            if paper.weight == 0 {
                return Err(ProfileError::ZeroWeight { paper: number });
            }
            total = total
                .checked_add(paper.weight)
                .filter(|t| *t <= MAX_TOTAL_WEIGHT)
                .ok_or(ProfileError::TooMuchWeight)?;
            let mut seen = vec![false; candidates.len()];
            for &candidate in &paper.ranking {
                let Some(slot) = seen.get_mut(candidate) else {
                    return Err(ProfileError::UnknownCandidate {
                        paper: number,
                        number: candidate + 1,
                        candidates: candidates.len(),
                    });
                };
                if std::mem::replace(slot, true) {
                    return Err(ProfileError::RepeatedCandidate {
                        paper: number,
                        candidate: candidates[candidate].clone(),
                    });
                }
            }
        }
        let tie_order = match tie_order {
            Some(order) => {
                let distinct: BTreeSet<_> = order.iter().copied().collect();
                if order.len() != candidates.len()
                    || distinct.len() != order.len()
                    || order.iter().any(|c| *c >= candidates.len())
                {
                    return Err(ProfileError::BadTieOrder);
                }
                order
            }
            None => (0..candidates.len()).collect(),
        };
        Ok(Profile {
            title,
            seats,
            candidates,
            withdrawn,
            papers,
            tie_order,
        })
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn seats(&self) -> usize {
        self.seats
    }

    pub fn candidates(&self) -> &[String] {
        &self.candidates
    }

    pub fn withdrawn(&self) -> &BTreeSet<Candidate> {
        &self.withdrawn
    }

    pub fn papers(&self) -> &[RankedPaper] {
        &self.papers
    }

    pub fn tie_order(&self) -> &[Candidate] {
        &self.tie_order
    }

    /// The papers as the count sees them: withdrawn candidates struck out,
    /// papers left with no preference set aside as invalid, and identical
    /// rankings counted together (identical papers take the same path and
    /// values under both rules, so this changes no figure, only the work).
    fn standing_papers(&self) -> (Vec<RankedPaper>, u64) {
        let mut invalid = 0;
        let mut grouped: std::collections::BTreeMap<Vec<Candidate>, u64> = std::collections::BTreeMap::new();
        for paper in &self.papers {
            let ranking: Vec<Candidate> = paper
                .ranking
                .iter()
                .copied()
                .filter(|c| !self.withdrawn.contains(c))
                .collect();
            if ranking.is_empty() {
                invalid += paper.weight;
            } else {
                *grouped.entry(ranking).or_default() += paper.weight;
            }
        }
        let papers = grouped
            .into_iter()
            .map(|(ranking, weight)| RankedPaper { weight, ranking })
            .collect();
        (papers, invalid)
    }
}

/// Which rule counts the papers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CountRule {
    Scottish,
    Meek,
}

impl CountRule {
    pub fn as_str(&self) -> &'static str {
        match self {
            CountRule::Scottish => "scottish",
            CountRule::Meek => "meek",
        }
    }

    pub fn description(&self) -> &'static str {
        match self {
            CountRule::Scottish => {
                "Scottish STV (SSI 2007/42, Schedule 1, rules 45–52: weighted inclusive Gregory, five decimal places)"
            }
            CountRule::Meek => {
                "Meek STV (Proportional Representation Foundation reference rule: nine decimal places, omega 0.000001)"
            }
        }
    }

    pub fn arithmetic(&self) -> Arithmetic {
        match self {
            CountRule::Scottish => Arithmetic::new(5),
            CountRule::Meek => Arithmetic::new(9),
        }
    }
}

impl FromStr for CountRule {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "scottish" => Ok(CountRule::Scottish),
            "meek" => Ok(CountRule::Meek),
            other => Err(format!("\"{other}\" is not a count rule: use scottish or meek")),
        }
    }
}

impl fmt::Display for CountRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a candidate stands at the end of a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Hopeful,
    Elected,
    Excluded,
    Withdrawn,
}

/// What happened at a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StageAction {
    /// The first preferences (rule 45; Meek's starting point).
    FirstPreferences,
    /// An elected candidate's surplus transferred (Scottish rules 48–49).
    Surplus { candidate: Candidate, surplus: Value },
    /// The lowest candidate excluded and their papers transferred
    /// (Scottish rule 50; Meek step B.3).
    Exclusion { candidate: Candidate },
    /// Meek: keep factors iterated until a candidate reached the quota
    /// or the surplus fell below omega.
    Iteration { iterations: u32 },
    /// As many continuing candidates as seats left: all elected
    /// (Scottish rule 52; Meek step C.1).
    ElectRemaining,
}

/// How a tie was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tie {
    pub between: Vec<Candidate>,
    pub chosen: Candidate,
    /// The stage whose totals decided it, or none when it went by lot (the
    /// first of the tied candidates in the recorded tie order).
    pub by_stage: Option<usize>,
    pub purpose: TiePurpose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TiePurpose {
    /// Which equal surplus to transfer first (Scottish rule 49).
    TransferFirst,
    /// Which lowest candidate to exclude (Scottish rule 51, Meek procedure T).
    Exclude,
}

/// One stage of the count, with the totals at its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    pub number: usize,
    pub action: StageAction,
    pub votes: Vec<Value>,
    pub standing: Vec<Standing>,
    pub non_transferable: Value,
    /// Value lost to the rule's rounding so far.
    pub residual: Value,
    pub quota: Value,
    /// Elected at this stage (in order of election).
    pub elected: Vec<Candidate>,
    pub excluded: Vec<Candidate>,
    pub tie: Option<Tie>,
}

/// A finished count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub rule: CountRule,
    pub title: String,
    pub seats: usize,
    pub candidates: Vec<String>,
    pub tie_order: Vec<Candidate>,
    /// Weight of the valid papers (each counted as its weight).
    pub valid: u64,
    /// Weight of papers with no preference for a standing candidate.
    pub invalid: u64,
    pub stages: Vec<Stage>,
    /// The elected, in the order they were elected.
    pub elected: Vec<Candidate>,
}

impl Count {
    pub fn arithmetic(&self) -> Arithmetic {
        self.rule.arithmetic()
    }

    /// The totals at the end of the count.
    pub fn final_stage(&self) -> &Stage {
        // A count always records its first stage.
        &self.stages[self.stages.len() - 1]
    }

    pub fn final_votes(&self, candidate: Candidate) -> Value {
        self.final_stage().votes[candidate]
    }

    pub fn quota(&self) -> Value {
        self.final_stage().quota
    }
}

/// Counts the profile under the rule.
pub fn count(profile: &Profile, rule: CountRule) -> Count {
    match rule {
        CountRule::Scottish => scottish::count(profile),
        CountRule::Meek => meek::count(profile),
    }
}

/// Shared by both rules: the totals, who stands where, and the record of
/// stages and ties.
struct Tableau<'a> {
    profile: &'a Profile,
    votes: Vec<Value>,
    standing: Vec<Standing>,
    stages: Vec<Stage>,
    elected: Vec<Candidate>,
}

/// The totals a stage ends with that differ between the rules.
struct Remainders {
    non_transferable: Value,
    residual: Value,
    quota: Value,
}

impl<'a> Tableau<'a> {
    fn new(profile: &'a Profile) -> Self {
        let candidates = profile.candidates().len();
        let standing = (0..candidates)
            .map(|c| {
                if profile.withdrawn().contains(&c) {
                    Standing::Withdrawn
                } else {
                    Standing::Hopeful
                }
            })
            .collect();
        Tableau {
            profile,
            votes: vec![0; candidates],
            standing,
            stages: Vec::new(),
            elected: Vec::new(),
        }
    }

    fn hopeful(&self) -> Vec<Candidate> {
        (0..self.votes.len())
            .filter(|c| self.standing[*c] == Standing::Hopeful)
            .collect()
    }

    fn seats_left(&self) -> usize {
        self.profile.seats().saturating_sub(self.elected.len())
    }

    /// The hopefuls at or above the quota, highest first.
    fn reaching(&self, quota: Value) -> Vec<Candidate> {
        let mut reached: Vec<Candidate> = self.hopeful().into_iter().filter(|c| self.votes[*c] >= quota).collect();
        self.by_votes_descending(&mut reached);
        reached
    }

    /// Highest votes first; equal votes in the candidates' order.
    fn by_votes_descending(&self, candidates: &mut [Candidate]) {
        candidates.sort_by(|a, b| self.votes[*b].cmp(&self.votes[*a]).then(a.cmp(b)));
    }

    fn elect(&mut self, candidate: Candidate) {
        self.standing[candidate] = Standing::Elected;
        self.elected.push(candidate);
    }

    fn record(
        &mut self,
        action: StageAction,
        totals: Remainders,
        elected: Vec<Candidate>,
        excluded: Vec<Candidate>,
        tie: Option<Tie>,
    ) {
        self.stages.push(Stage {
            number: self.stages.len() + 1,
            action,
            votes: self.votes.clone(),
            standing: self.standing.clone(),
            non_transferable: totals.non_transferable,
            residual: totals.residual,
            quota: totals.quota,
            elected,
            excluded,
            tie,
        });
    }

    fn finish(self, rule: CountRule, valid: u64, invalid: u64) -> Count {
        Count {
            rule,
            title: self.profile.title().to_string(),
            seats: self.profile.seats(),
            candidates: self.profile.candidates().to_vec(),
            tie_order: self.profile.tie_order().to_vec(),
            valid,
            invalid,
            stages: self.stages,
            elected: self.elected,
        }
    }

    /// Among tied candidates, the one the rule picks: the first preceding
    /// stage (most recent first) at which their totals differed decides —
    /// highest or lowest as `lowest` says — else the recorded tie order.
    /// (Meek's procedure T goes straight to the tie order: `look_back` off.)
    fn break_tie(
        &self,
        tied: &[Candidate],
        lowest: bool,
        look_back: bool,
        purpose: TiePurpose,
    ) -> (Candidate, Option<Tie>) {
        let tie_order = self.profile.tie_order();
        if tied.len() == 1 {
            return (tied[0], None);
        }
        let mut tied: Vec<Candidate> = tied.to_vec();
        tied.sort_unstable();
        let preceding = if look_back { &self.stages[..] } else { &[][..] };
        for stage in preceding.iter().rev() {
            let values = tied.iter().map(|c| stage.votes[*c]);
            let target = if lowest {
                values.clone().min()
            } else {
                values.clone().max()
            };
            let Some(target) = target else { break };
            let at_target: Vec<Candidate> = tied.iter().copied().filter(|c| stage.votes[*c] == target).collect();
            if at_target.len() == 1 {
                let chosen = at_target[0];
                return (
                    chosen,
                    Some(Tie {
                        between: tied,
                        chosen,
                        by_stage: Some(stage.number),
                        purpose,
                    }),
                );
            }
        }
        let chosen = tie_order.iter().copied().find(|c| tied.contains(c)).unwrap_or(tied[0]);
        (
            chosen,
            Some(Tie {
                between: tied,
                chosen,
                by_stage: None,
                purpose,
            }),
        )
    }
}

#[cfg(test)]
mod tests;

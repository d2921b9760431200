//! Ballots without I/O: kinds and their preset options, the lifecycle,
//! checking a draft, and freezing the electorate.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::rules::{ABSTAIN, AGAINST, Decision, Elector, FOR, Quorum, ThresholdBase};
use crate::error::FieldError;
use crate::registry::constitution::{ConstitutionSettings, QuorumBasis, Threshold, Voters, Weighting};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BallotKind {
    General,
    CoCommissioning,
    ConstitutionAmendment,
    Motion,
    /// Seats filled by single transferable vote; the options are the
    /// candidates and a paper ranks them.
    Election,
}

impl BallotKind {
    pub const ALL: [BallotKind; 5] = [
        BallotKind::CoCommissioning,
        BallotKind::ConstitutionAmendment,
        BallotKind::Motion,
        BallotKind::Election,
        BallotKind::General,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BallotKind::General => "general",
            BallotKind::CoCommissioning => "co_commissioning",
            BallotKind::ConstitutionAmendment => "constitution_amendment",
            BallotKind::Motion => "motion",
            BallotKind::Election => "election",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BallotKind::General => "General question",
            BallotKind::CoCommissioning => "Co-commissioning level",
            BallotKind::ConstitutionAmendment => "Constitution amendment",
            BallotKind::Motion => "Motion",
            BallotKind::Election => "Election (single transferable vote)",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "general" => Some(BallotKind::General),
            "co_commissioning" => Some(BallotKind::CoCommissioning),
            "constitution_amendment" => Some(BallotKind::ConstitutionAmendment),
            "motion" => Some(BallotKind::Motion),
            "election" => Some(BallotKind::Election),
            _ => None,
        }
    }

    /// The options a ballot of this kind starts with (editable in draft).
    pub fn preset_options(self) -> Vec<BallotOption> {
        let option = |key: &str, label: &str, description: &str| BallotOption {
            key: key.to_owned(),
            label: label.to_owned(),
            description: description.to_owned(),
        };
        match self {
            BallotKind::General | BallotKind::Election => Vec::new(),
            BallotKind::CoCommissioning => vec![
                option(
                    "level_1",
                    "Level 1 — greater involvement",
                    "Greater involvement in primary care decision making with NHS England.",
                ),
                option(
                    "level_2",
                    "Level 2 — joint commissioning",
                    "Joint commissioning of primary care services with NHS England through a joint committee.",
                ),
                option(
                    "level_3",
                    "Level 3 — delegated commissioning",
                    "Delegated commissioning: the CCG takes on NHS England's responsibility for GP contracts.",
                ),
                option("no_change", "No change", "Keep the current arrangements."),
            ],
            BallotKind::ConstitutionAmendment | BallotKind::Motion => vec![
                option(FOR, "For", ""),
                option(AGAINST, "Against", ""),
                option(ABSTAIN, "Abstain", ""),
            ],
        }
    }

    /// For / Against / Abstain questions (the others choose one option).
    pub fn is_for_against(self) -> bool {
        matches!(self, BallotKind::ConstitutionAmendment | BallotKind::Motion)
    }

    /// What pages and notices call the options.
    pub fn options_heading(self) -> &'static str {
        if self.is_election() {
            "The candidates"
        } else {
            "The options"
        }
    }

    /// Candidates ranked on the paper and counted by STV.
    pub fn is_election(self) -> bool {
        self == BallotKind::Election
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BallotOption {
    pub key: String,
    pub label: String,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BallotState {
    Draft,
    Published,
    Open,
    Closed,
    Counted,
    Cancelled,
    /// Declared void after an investigation (kept as `cancelled`, with a
    /// record in `ballot_voids`): its papers are never counted or published.
    Void,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Publish,
    Open,
    Close,
    Count,
    Cancel,
}

impl BallotState {
    pub const ALL: [BallotState; 7] = [
        BallotState::Draft,
        BallotState::Published,
        BallotState::Open,
        BallotState::Closed,
        BallotState::Counted,
        BallotState::Cancelled,
        BallotState::Void,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BallotState::Draft => "draft",
            BallotState::Published => "published",
            BallotState::Open => "open",
            BallotState::Closed => "closed",
            BallotState::Counted => "counted",
            BallotState::Cancelled => "cancelled",
            BallotState::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            BallotState::Draft => "Draft",
            BallotState::Published => "Notice given",
            BallotState::Open => "Open for voting",
            BallotState::Closed => "Closed",
            BallotState::Counted => "Counted",
            BallotState::Cancelled => "Cancelled",
            BallotState::Void => "Void",
        }
    }

    /// NHS tag colour for the state.
    pub fn tag_colour(self) -> &'static str {
        match self {
            BallotState::Draft => "grey",
            BallotState::Published => "blue",
            BallotState::Open => "green",
            BallotState::Closed => "orange",
            BallotState::Counted => "purple",
            BallotState::Cancelled | BallotState::Void => "red",
        }
    }

    /// The state after `transition`, or why it is not allowed.
    pub fn after(self, transition: Transition) -> Result<BallotState, String> {
        use BallotState::*;
        match (self, transition) {
            (Draft, Transition::Publish) => Ok(Published),
            (Published, Transition::Open) => Ok(Open),
            (Open, Transition::Close) => Ok(Closed),
            (Closed, Transition::Count) => Ok(Counted),
            (Counted, Transition::Cancel) => Err("A counted ballot cannot be cancelled".into()),
            (Cancelled, _) => Err("The ballot has been cancelled".into()),
            (Void, _) => Err("The ballot has been declared void".into()),
            (_, Transition::Cancel) => Ok(Cancelled),
            (state, transition) => Err(format!("A {state:?} ballot cannot {transition:?}").to_lowercase()),
        }
    }
}

/// A draft as an administrator (or an API client) sends it.
#[derive(Debug, Clone)]
pub struct DraftInput {
    pub kind: BallotKind,
    pub title: String,
    pub question: String,
    pub options: Vec<BallotOption>,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    /// An election whose candidates are the published list of nominations:
    /// their number is what the nominations gave (checked at publication).
    pub candidates_from_nominations: bool,
}

pub const MAX_OPTIONS: usize = 20;

/// Checks a draft; each problem names its field.
pub fn check_draft(input: &DraftInput, now: NaiveDateTime) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if input.title.trim().is_empty() {
        errors.push(FieldError::new("title", "Enter a ballot title"));
    } else if input.title.chars().count() > 120 {
        errors.push(FieldError::new("title", "Ballot title must be 120 characters or less"));
    }
    if input.question.trim().is_empty() {
        errors.push(FieldError::new("question", "Enter the question practices are asked"));
    } else if input.question.chars().count() > 2000 {
        errors.push(FieldError::new("question", "Question must be 2,000 characters or less"));
    }
    if input.kind.is_for_against() {
        let keys: Vec<&str> = input.options.iter().map(|o| o.key.as_str()).collect();
        if keys != [FOR, AGAINST, ABSTAIN] {
            errors.push(FieldError::new(
                "options",
                "A motion or amendment has the options for, against and abstain",
            ));
        }
    } else if input.kind.is_election() {
        // No candidates yet: they will come from a call for nominations.
        if !input.options.is_empty() && !input.candidates_from_nominations {
            errors.extend(super::election::ranking::check_candidates(&input.options));
        }
    } else if input.options.len() < 2 || input.options.len() > MAX_OPTIONS {
        errors.push(FieldError::new(
            "options",
            format!("Give between 2 and {MAX_OPTIONS} options"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for option in &input.options {
        let key_ok = !option.key.is_empty()
            && option.key.len() <= 40
            && option
                .key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            errors.push(FieldError::new(
                "options",
                format!(
                    "Option key \"{}\" must be lower-case letters, numbers and _",
                    option.key
                ),
            ));
        } else if !seen.insert(option.key.as_str()) {
            errors.push(FieldError::new(
                "options",
                format!("Option key \"{}\" is used twice", option.key),
            ));
        }
        if option.label.trim().is_empty() {
            errors.push(FieldError::new("options", "Every option needs a label"));
        }
    }
    if input.opens_at <= now {
        errors.push(FieldError::new("opens-at", "Voting must open in the future"));
    }
    if input.closes_at <= input.opens_at {
        errors.push(FieldError::new("closes-at", "Voting must close after it opens"));
    }
    errors
}

/// Publishing gives notice: voting may not open sooner than the
/// constitution's minimum notice after publication.
pub fn check_notice(
    published_at: NaiveDateTime,
    opens_at: NaiveDateTime,
    minimum_notice_days: u32,
) -> Result<(), FieldError> {
    let earliest = published_at + Duration::days(i64::from(minimum_notice_days));
    if opens_at < earliest {
        return Err(FieldError::new(
            "opens-at",
            format!(
                "Voting opens at {}, but the constitution needs {minimum_notice_days} days' notice: it can open at {} at the earliest",
                crate::time::date_time(opens_at),
                crate::time::date_time(earliest)
            ),
        ));
    }
    Ok(())
}

/// A member practice as the register has it on the electorate date.
#[derive(Debug, Clone)]
pub struct Member {
    pub practice_id: i32,
    pub code: String,
    pub active: bool,
    pub list_size: Option<u32>,
    pub constituency: Option<String>,
}

/// One practice in the frozen electorate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrozenElector {
    pub practice_id: i32,
    pub elector: Elector,
}

/// Freezes the electorate: every active member with its weight and
/// constituency. Refuses (naming them) when a list-size rule applies and
/// practices have no list size on the date.
pub fn freeze_electorate(members: &[Member], weighting: Weighting) -> Result<Vec<FrozenElector>, FieldError> {
    let mut missing = Vec::new();
    let mut electors = Vec::new();
    for member in members.iter().filter(|m| m.active) {
        match weighting.weight(member.list_size) {
            Some(weight) => electors.push(FrozenElector {
                practice_id: member.practice_id,
                elector: Elector {
                    weight,
                    constituency: member.constituency.clone(),
                },
            }),
            None => missing.push(member.code.clone()),
        }
    }
    if !missing.is_empty() {
        missing.sort();
        return Err(FieldError::new(
            "weighting",
            format!(
                "Votes are weighted by list size, but {} practice(s) have no list size on the electorate date: {}. Import list sizes first",
                missing.len(),
                missing.join(", ")
            ),
        ));
    }
    if electors.is_empty() {
        return Err(FieldError::new(
            "electorate",
            "The organisation has no active member practices on the electorate date",
        ));
    }
    Ok(electors)
}

/// What a motion is about (it decides which majority the constitution needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MotionKind {
    /// Remove a named governing-body member.
    RemoveMember,
    /// Recall (dissolve) the governing body.
    Recall,
    Merger,
    Application,
}

impl MotionKind {
    pub const ALL: [MotionKind; 4] = [
        MotionKind::RemoveMember,
        MotionKind::Recall,
        MotionKind::Merger,
        MotionKind::Application,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MotionKind::RemoveMember => "remove_member",
            MotionKind::Recall => "recall",
            MotionKind::Merger => "merger",
            MotionKind::Application => "application",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            MotionKind::RemoveMember => "Remove a named member of the governing body",
            MotionKind::Recall => "Recall (dissolve) the governing body",
            MotionKind::Merger => "Approve a merger",
            MotionKind::Application => "Approve an application",
        }
    }
}

/// The rules a ballot is decided by, as stored with it (JSON) and as the
/// API shows them. They start from the constitution settings and are fixed
/// at publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotRules {
    /// "verifiable" (secret, with encrypted papers and trustees), "secret"
    /// (plain secret: one practice one vote without constituencies only) or
    /// "recorded".
    pub secrecy: String,
    /// "per_practice", "per_patients" or "list_size".
    pub weighting: String,
    pub patients_per_vote: u32,
    /// Weights use each practice's latest list size extracted on or before
    /// this date (the publication date when not given).
    pub list_size_date: Option<NaiveDate>,
    /// "none", "practices" or "weight".
    pub quorum_basis: String,
    pub quorum_percent: u32,
    /// For / Against questions: "gt:1/2", "ge:2/3" …
    pub threshold: String,
    /// "votes_cast" or "electorate".
    pub threshold_base: String,
    pub dual_majority: bool,
    /// Choices among options: "plurality" or "absolute_majority".
    pub choice_rule: String,
    /// "nominated" or "nominated_or_deputy".
    pub voters: String,
    pub allow_early_close: bool,
    /// Recorded ballots only: a practice may change its vote until the close.
    pub allow_vote_change: bool,
    /// ODS code → constituency; empty when the electorate is not split.
    pub constituencies: BTreeMap<String, String>,
    /// Reminders to practices that have not voted, days before the close.
    pub reminder_days: Vec<u32>,
    /// A verifiable ballot: how many of its trustees must take part to
    /// decrypt the result (all of them when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trustee_threshold: Option<u32>,
    /// An outside deadline the result is needed for (e.g. NHS England's
    /// application date), and what is due then: the ballot's dates are
    /// checked against the timetable planned back from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_label: Option<String>,
    /// An election: how many seats it fills. (Absent for other ballots, so
    /// their stored rules and certificates are as before.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats: Option<u32>,
    /// An election: "scottish" or "meek" (`stv::CountRule`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_rule: Option<String>,
    /// An election: the candidates' order on the paper, fixed at
    /// publication (`election::ranking::paper_order`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paper_order: Option<String>,
    /// An election: the candidates' keys in the order of a random draw made
    /// at publication, which settles ties the count rule leaves to lot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tie_order: Option<Vec<String>>,
    /// Proxy votes are allowed: the most practices one representative may
    /// vote for by proxy (absent: no proxies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_limit: Option<u32>,
    /// An election for one constituency (a locality): only the member
    /// practices `constituencies` assigns to it vote, nominate and stand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
}

/// The same rules with every field optional: what an API client or the
/// form sends; what is missing comes from the defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesInput {
    pub secrecy: Option<String>,
    pub weighting: Option<String>,
    pub patients_per_vote: Option<u32>,
    pub list_size_date: Option<NaiveDate>,
    pub quorum_basis: Option<String>,
    pub quorum_percent: Option<u32>,
    pub threshold: Option<String>,
    pub threshold_base: Option<String>,
    pub dual_majority: Option<bool>,
    pub choice_rule: Option<String>,
    pub voters: Option<String>,
    pub allow_early_close: Option<bool>,
    pub allow_vote_change: Option<bool>,
    pub constituencies: Option<BTreeMap<String, String>>,
    pub reminder_days: Option<Vec<u32>>,
    pub trustee_threshold: Option<u32>,
    pub seats: Option<u32>,
    pub count_rule: Option<String>,
    pub paper_order: Option<String>,
    pub proxy_limit: Option<u32>,
    pub locality: Option<String>,
}

/// The rule on changing a vote, in the words every page and email use.
pub const VOTE_IS_FINAL: &str = "A vote is final once cast: it cannot be changed.";
pub const LAST_VOTE_COUNTS: &str = "A practice may change its vote until voting closes; its last vote counts.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrecy {
    Secret,
    Recorded,
}

pub const DEFAULT_REMINDER_DAYS: [u32; 2] = [7, 1];

impl BallotRules {
    /// The defaults for a ballot of `kind` under the organisation's settings.
    pub fn defaults(settings: &ConstitutionSettings, kind: BallotKind, motion: Option<MotionKind>) -> Self {
        let (weighting, patients_per_vote) = match settings.weighting {
            Weighting::PerPractice => ("per_practice", 2000),
            Weighting::PerPatients(n) => ("per_patients", n),
            Weighting::ListSize => ("list_size", 2000),
        };
        let threshold = match (kind, motion) {
            (BallotKind::ConstitutionAmendment, _) => settings.amendment,
            (BallotKind::Motion, Some(MotionKind::RemoveMember)) => settings.removal,
            (BallotKind::Motion, Some(MotionKind::Recall | MotionKind::Merger)) => settings.dissolution,
            _ => settings.ordinary,
        };
        let election = kind.is_election();
        BallotRules {
            // An election's preferences cannot be counted from encrypted
            // totals: it is secret where no weight can name a paper's
            // practice, and recorded otherwise.
            secrecy: match (election, settings.weighting) {
                (false, _) => "verifiable",
                (true, Weighting::PerPractice) => "secret",
                (true, _) => "recorded",
            }
            .into(),
            weighting: weighting.into(),
            patients_per_vote,
            list_size_date: None,
            quorum_basis: match settings.quorum_basis {
                QuorumBasis::None => "none",
                QuorumBasis::Practices => "practices",
                QuorumBasis::Weight => "weight",
            }
            .into(),
            quorum_percent: settings.quorum_percent,
            threshold: threshold.stored(),
            threshold_base: "votes_cast".into(),
            dual_majority: false,
            choice_rule: if kind == BallotKind::CoCommissioning {
                "absolute_majority"
            } else {
                "plurality"
            }
            .into(),
            voters: match settings.voters {
                Voters::Nominated => "nominated",
                Voters::NominatedOrDeputy => "nominated_or_deputy",
            }
            .into(),
            allow_early_close: false,
            allow_vote_change: false,
            constituencies: BTreeMap::new(),
            reminder_days: DEFAULT_REMINDER_DAYS.to_vec(),
            trustee_threshold: None,
            deadline: None,
            deadline_label: None,
            seats: election.then_some(1),
            count_rule: election.then(|| "scottish".to_owned()),
            paper_order: election.then(|| "alphabetical".to_owned()),
            tie_order: None,
            proxy_limit: None,
            locality: None,
        }
    }

    /// The defaults with what `input` gives laid over them.
    pub fn with(mut self, input: RulesInput) -> Self {
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(v) = input.$field { self.$field = v; } )* };
        }
        take!(
            secrecy,
            weighting,
            patients_per_vote,
            quorum_basis,
            quorum_percent,
            threshold,
            threshold_base,
            dual_majority,
            choice_rule,
            voters,
            allow_early_close,
            allow_vote_change,
            constituencies,
            reminder_days
        );
        if input.list_size_date.is_some() {
            self.list_size_date = input.list_size_date;
        }
        if input.trustee_threshold.is_some() {
            self.trustee_threshold = input.trustee_threshold;
        }
        let locality = input.locality.map(|l| l.trim().to_owned());
        if let Some(locality) = locality {
            self.locality = (!locality.is_empty()).then_some(locality);
        }
        // 0 says "no proxies", as leaving it out does.
        if let Some(limit) = input.proxy_limit {
            self.proxy_limit = (limit > 0).then_some(limit);
        }
        // Only an election has seats and a count rule.
        if self.seats.is_some() {
            if input.seats.is_some() {
                self.seats = input.seats;
            }
            if input.count_rule.is_some() {
                self.count_rule = input.count_rule;
            }
            if input.paper_order.is_some() {
                self.paper_order = input.paper_order;
            }
        }
        self
    }

    /// Every problem, each naming its field.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut require = |ok: bool, field: &str, message: &str| {
            if !ok {
                errors.push(FieldError::new(field, message));
            }
        };
        require(
            matches!(self.secrecy.as_str(), "verifiable" | "secret" | "recorded"),
            "secrecy",
            "Secrecy must be verifiable, secret or recorded",
        );
        // A plain secret ballot's board lists every paper with its weight and
        // constituency: where weights differ or constituencies are small, a
        // paper names its practice. Only the verifiable mode keeps those secret.
        let plain_secret_ok =
            self.secrecy != "secret" || (self.weighting == "per_practice" && self.constituencies.is_empty());
        require(
            plain_secret_ok || self.seats.is_some(),
            "secrecy",
            "A weighted secret ballot, or one with constituencies, must be verifiable: in a plain secret ballot a paper's weight or constituency could name its practice",
        );
        require(
            self.seats.is_none() || self.secrecy != "secret" || self.weighting == "per_practice",
            "secrecy",
            "A weighted election must be recorded: its board lists every ranking with its weight, which could name the practice, and an election cannot be counted from encrypted totals",
        );
        require(
            self.trustee_threshold.is_none_or(|t| (1..=20).contains(&t)),
            "trustee-threshold",
            "The number of trustees needed to decrypt must be from 1 to 20",
        );
        require(
            matches!(self.weighting.as_str(), "per_practice" | "per_patients" | "list_size"),
            "weighting",
            "Weighting must be per_practice, per_patients or list_size",
        );
        require(
            (1..=100_000).contains(&self.patients_per_vote),
            "patients-per-vote",
            "Patients per vote must be a whole number between 1 and 100,000",
        );
        require(
            matches!(self.quorum_basis.as_str(), "none" | "practices" | "weight"),
            "quorum-basis",
            "Quorum basis must be none, practices or weight",
        );
        require(
            self.quorum_percent <= 100,
            "quorum-percent",
            "Quorum must be a percentage from 0 to 100",
        );
        require(
            Threshold::parse(&self.threshold).is_some(),
            "threshold",
            "Threshold must look like gt:1/2 (more than half) or ge:2/3 (at least two thirds)",
        );
        require(
            matches!(self.threshold_base.as_str(), "votes_cast" | "electorate"),
            "threshold-base",
            "Threshold base must be votes_cast or electorate",
        );
        require(
            matches!(self.choice_rule.as_str(), "plurality" | "absolute_majority"),
            "choice-rule",
            "Choice rule must be plurality or absolute_majority",
        );
        require(
            matches!(self.voters.as_str(), "nominated" | "nominated_or_deputy"),
            "voters",
            "Voters must be nominated or nominated_or_deputy",
        );
        require(
            !(self.allow_vote_change && self.secrecy != "recorded"),
            "allow-vote-change",
            "A vote in a secret ballot is final: votes can only be changed in a recorded ballot",
        );
        require(
            self.reminder_days.len() <= 5 && self.reminder_days.iter().all(|d| (1..=60).contains(d)),
            "reminder-days",
            "Give at most 5 reminders, each 1 to 60 days before the close",
        );
        if let Some(limit) = self.proxy_limit {
            let rules = super::proxy::model::ProxyRules {
                allowed: true,
                per_holder: limit,
            };
            require(
                rules.problem().is_none(),
                "proxy-limit",
                "The most proxies one representative may hold must be from 1 to 50",
            );
            require(
                !self.is_verifiable(),
                "proxy-limit",
                "A verifiable ballot takes no proxy votes: each practice encrypts its own paper. Choose secret or recorded to allow proxies",
            );
        }
        if let Some(seats) = self.seats {
            require(
                (1..=super::election::model::MAX_SEATS).contains(&seats),
                "seats",
                "Seats to fill must be a whole number from 1 to 50",
            );
            require(
                self.count_rule
                    .as_deref()
                    .is_some_and(|r| r.parse::<crate::ballots::stv::CountRule>().is_ok()),
                "count-rule",
                "The count rule must be scottish or meek",
            );
            require(
                self.paper_order
                    .as_deref()
                    .is_none_or(|o| super::election::ranking::PAPER_ORDERS.contains(&o)),
                "paper-order",
                "The order of candidates on the paper must be alphabetical, random or as_entered",
            );
            require(
                !self.is_verifiable(),
                "secrecy",
                "An election cannot be verifiable: its preferences are counted paper by paper, which encrypted totals cannot do. Choose secret (one practice, one vote) or recorded",
            );
            match &self.locality {
                None => require(
                    self.constituencies.is_empty(),
                    "constituencies",
                    "An election counts one electorate for its seats: hold one election for each constituency, naming it as the election's locality",
                ),
                Some(locality) => require(
                    self.constituencies.values().any(|name| name == locality),
                    "locality",
                    "The locality must be one of the constituencies listed: give each of its practices a line, like F84012, North",
                ),
            }
        } else {
            require(
                self.locality.is_none(),
                "locality",
                "Only an election is held for one locality; another ballot takes constituencies instead",
            );
        }
        let names_ok = self
            .constituencies
            .iter()
            .all(|(code, name)| !code.trim().is_empty() && !name.trim().is_empty() && name.chars().count() <= 80);
        require(
            names_ok,
            "constituencies",
            "Each constituency needs an ODS code and a name of 80 characters or less",
        );
        errors
    }

    pub fn secrecy(&self) -> Secrecy {
        if self.secrecy == "recorded" {
            Secrecy::Recorded
        } else {
            Secrecy::Secret
        }
    }

    /// The one rule on changing a vote, on every path (signed in, voting
    /// link, API): only a recorded ballot that allows it; the last vote counts.
    pub fn votes_may_change(&self) -> bool {
        self.allow_vote_change && self.secrecy() == Secrecy::Recorded
    }

    /// `votes_may_change` in words, the same on every page and email.
    pub fn vote_change_rule(&self) -> &'static str {
        if self.votes_may_change() {
            LAST_VOTE_COUNTS
        } else {
            VOTE_IS_FINAL
        }
    }

    /// Secret with encrypted papers, decrypted only in aggregate by trustees.
    pub fn is_verifiable(&self) -> bool {
        self.secrecy == "verifiable"
    }

    pub fn weighting(&self) -> Weighting {
        match self.weighting.as_str() {
            "per_patients" => Weighting::PerPatients(self.patients_per_vote.max(1)),
            "list_size" => Weighting::ListSize,
            _ => Weighting::PerPractice,
        }
    }

    pub fn quorum(&self) -> Quorum {
        Quorum {
            basis: match self.quorum_basis.as_str() {
                "practices" => QuorumBasis::Practices,
                "weight" => QuorumBasis::Weight,
                _ => QuorumBasis::None,
            },
            percent: self.quorum_percent,
        }
    }

    pub fn threshold(&self) -> Threshold {
        Threshold::parse(&self.threshold).unwrap_or(Threshold::SIMPLE_MAJORITY)
    }

    pub fn decision(&self, kind: BallotKind) -> Decision {
        if kind.is_for_against() {
            Decision::ForAgainst {
                threshold: self.threshold(),
                base: if self.threshold_base == "electorate" {
                    ThresholdBase::Electorate
                } else {
                    ThresholdBase::VotesCast
                },
                dual_majority: self.dual_majority,
            }
        } else if self.choice_rule == "absolute_majority" {
            Decision::AbsoluteMajority
        } else {
            Decision::Plurality
        }
    }

    /// An election's count rule (`None` for other ballots).
    pub fn count_rule(&self) -> Option<crate::ballots::stv::CountRule> {
        self.count_rule.as_deref()?.parse().ok()
    }

    pub fn deputies_may_vote(&self) -> bool {
        self.voters == "nominated_or_deputy"
    }

    /// The rules in words, for the ballot page and the notice.
    pub fn describe(&self, kind: BallotKind) -> Vec<(&'static str, String)> {
        let quorum = match self.quorum().basis {
            QuorumBasis::None => "None".to_owned(),
            QuorumBasis::Practices => format!("{}% of practices must vote", self.quorum_percent),
            QuorumBasis::Weight => format!("{}% of the weighted vote must be cast", self.quorum_percent),
        };
        let mut rows = vec![
            (
                "Secrecy",
                match self.secrecy() {
                    Secrecy::Secret if self.is_verifiable() => "Secret and verifiable: each practice's paper is encrypted; only the totals are decrypted, by the ballot's trustees, and anyone can check the count".to_owned(),
                    Secrecy::Secret => "Secret: nobody can see how a practice voted".to_owned(),
                    Secrecy::Recorded => "Recorded: each practice's vote is shown to the board and the LMC, and to members after the close".to_owned(),
                },
            ),
            ("Weighting", self.weighting().label()),
            ("Quorum", format!("{quorum} (abstentions count towards it)")),
        ];
        if let Some(day) = self.list_size_date {
            rows.push((
                "List sizes",
                format!("As extracted on or before {}", crate::time::day(day)),
            ));
        }
        if let (Some(seats), Some(rule)) = (self.seats, self.count_rule()) {
            rows.push((
                "Seats",
                format!("{seats} to fill; voters number the candidates in order of preference, as many as they wish"),
            ));
            rows.push(("Count", rule.description().to_owned()));
            rows.push((
                "Order on the paper",
                match self.paper_order.as_deref() {
                    Some("random") => "Drawn at random when the ballot is published",
                    Some("as_entered") => "As the returning officer listed them",
                    _ => "Alphabetical by surname",
                }
                .to_owned(),
            ));
        }
        if let Some(limit) = self.proxy_limit {
            rows.push((
                "Proxy votes",
                format!(
                    "Allowed: a practice may appoint another member practice's voting representative to vote for it, with or without a direction; one representative may hold at most {}",
                    crate::format::plural(limit as usize, "proxy", "proxies")
                ),
            ));
        }
        let decision = match self.decision(kind) {
            _ if kind.is_election() => String::new(),
            Decision::ForAgainst {
                threshold,
                base,
                dual_majority,
            } => {
                let of = match base {
                    ThresholdBase::VotesCast => "of the votes cast for or against",
                    ThresholdBase::Electorate => "of the whole electorate",
                };
                let dual = if dual_majority {
                    ", both by number of practices and by weight"
                } else {
                    ""
                };
                format!("{} {of}{dual}", threshold.label())
            }
            Decision::Plurality => "The option with the most votes wins".to_owned(),
            Decision::AbsoluteMajority => "An option needs more than half of the votes cast".to_owned(),
        };
        if !decision.is_empty() {
            rows.push(("Majority needed", decision));
        }
        if let Some(locality) = &self.locality {
            rows.push((
                "Locality",
                format!("{locality}: only its member practices vote, nominate and stand"),
            ));
        } else if !self.constituencies.is_empty() {
            let names: std::collections::BTreeSet<&str> = self.constituencies.values().map(String::as_str).collect();
            rows.push((
                "Constituencies",
                format!(
                    "Must pass overall and in each of: {}",
                    names.into_iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        rows.push((
            "Who votes",
            if self.deputies_may_vote() {
                "The practice's nominated voting representative or their deputy".to_owned()
            } else {
                "The practice's nominated voting representative".to_owned()
            },
        ));
        rows.push((
            "Early close",
            if self.allow_early_close {
                "The returning officer may close voting early".to_owned()
            } else {
                "Voting stays open until the published close".to_owned()
            },
        ));
        if self.secrecy() == Secrecy::Recorded {
            rows.push(("Changing a vote", self.vote_change_rule().to_owned()));
        }
        rows
    }
}

/// A receipt code: 160 random bits in Crockford base32, shown in groups of
/// four ("7K2M-…"). Papers keep only its SHA-256 digest.
pub fn new_receipt_code() -> String {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the operating system's random number source failed");
    group_receipt(&base32(&bytes))
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(CROCKFORD[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(CROCKFORD[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

fn group_receipt(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A receipt code as someone typed it, in the form its digest is taken of:
/// upper case, no spaces or dashes, and the letters people confuse with
/// digits read as those digits.
pub fn normalise_receipt(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

pub fn receipt_digest(code: &str) -> String {
    crate::token::digest(&normalise_receipt(code))
}

/// The random key of a paper: nothing about who cast it or when.
pub fn new_paper_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random number source failed");
    hex::encode(bytes)
}

/// A share as a page shows it: "71.4%", "50%" (rounded down, so a share
/// just under a threshold never looks as if it reached it).
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".to_owned();
    }
    let tenths = u128::from(part) * 1000 / u128::from(whole);
    if tenths % 10 == 0 {
        format!("{}%", tenths / 10)
    } else {
        format!("{}.{}%", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn a_secret_ballot_is_verifiable_unless_asked_otherwise_and_plain_secret_never_names_a_practice() {
        let settings = ConstitutionSettings::default();
        let defaults = BallotRules::defaults(&settings, BallotKind::Motion, Some(MotionKind::Application));
        assert_eq!(defaults.secrecy, "verifiable");
        assert!(
            defaults.is_verifiable() && defaults.check().is_empty(),
            "{:?}",
            defaults.check()
        );
        let plain = |input: RulesInput| {
            BallotRules::defaults(&settings, BallotKind::Motion, Some(MotionKind::Application))
                .with(RulesInput {
                    secrecy: Some("secret".into()),
                    ..input
                })
                .check()
        };
        assert!(
            plain(RulesInput {
                weighting: Some("per_practice".into()),
                ..RulesInput::default()
            })
            .is_empty()
        );
        for (what, input) in [
            (
                "weights",
                RulesInput {
                    weighting: Some("list_size".into()),
                    ..RulesInput::default()
                },
            ),
            (
                "constituencies",
                RulesInput {
                    weighting: Some("per_practice".into()),
                    constituencies: Some(BTreeMap::from([("F84001".to_owned(), "North".to_owned())])),
                    ..RulesInput::default()
                },
            ),
        ] {
            let errors = plain(input);
            assert!(
                errors
                    .iter()
                    .any(|e| e.field == "secrecy" && e.message.contains("must be verifiable")),
                "{what}: {errors:?}"
            );
        }
    }

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, day)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .expect("time")
    }

    fn draft(kind: BallotKind) -> DraftInput {
        let options = if kind == BallotKind::General {
            vec![
                BallotOption {
                    key: "yes".into(),
                    label: "Yes".into(),
                    description: String::new(),
                },
                BallotOption {
                    key: "no".into(),
                    label: "No".into(),
                    description: String::new(),
                },
            ]
        } else {
            kind.preset_options()
        };
        DraftInput {
            kind,
            title: "Delegated commissioning".into(),
            question: "Which level?".into(),
            options,
            opens_at: at(10, 9),
            closes_at: at(17, 17),
            candidates_from_nominations: false,
        }
    }

    #[test]
    fn each_kind_has_its_preset_options() {
        assert_eq!(BallotKind::CoCommissioning.preset_options().len(), 4);
        assert_eq!(
            BallotKind::Motion
                .preset_options()
                .iter()
                .map(|o| o.key.as_str())
                .collect::<Vec<_>>(),
            vec![FOR, AGAINST, ABSTAIN]
        );
        for kind in [
            BallotKind::General,
            BallotKind::CoCommissioning,
            BallotKind::ConstitutionAmendment,
            BallotKind::Motion,
        ] {
            assert!(check_draft(&draft(kind), at(1, 9)).is_empty(), "{kind:?}");
        }
    }

    #[test]
    fn drafts_name_their_problems() {
        let mut bad = draft(BallotKind::General);
        bad.title = String::new();
        bad.options.truncate(1);
        bad.closes_at = bad.opens_at;
        let fields: Vec<String> = check_draft(&bad, at(1, 9)).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["title", "options", "closes-at"]);
        let mut duplicate = draft(BallotKind::General);
        duplicate.options[1].key = "yes".into();
        assert!(check_draft(&duplicate, at(1, 9))[0].message.contains("used twice"));
        let mut motion = draft(BallotKind::Motion);
        motion.options.pop();
        assert!(
            check_draft(&motion, at(1, 9))[0]
                .message
                .contains("for, against and abstain")
        );
        assert_eq!(
            check_draft(&draft(BallotKind::General), at(11, 9))[0].field,
            "opens-at",
            "opening in the past"
        );
    }

    #[test]
    fn the_lifecycle_only_moves_forward() {
        use BallotState::*;
        assert_eq!(Draft.after(Transition::Publish), Ok(Published));
        assert_eq!(Published.after(Transition::Open), Ok(Open));
        assert_eq!(Open.after(Transition::Close), Ok(Closed));
        assert_eq!(Closed.after(Transition::Count), Ok(Counted));
        assert_eq!(Open.after(Transition::Cancel), Ok(Cancelled));
        assert!(Counted.after(Transition::Cancel).is_err());
        assert!(Cancelled.after(Transition::Open).is_err());
        assert!(Draft.after(Transition::Open).is_err());
        assert!(Closed.after(Transition::Open).is_err());
    }

    #[test]
    fn notice_is_enforced_and_may_be_zero() {
        assert!(check_notice(at(1, 9), at(15, 9), 14).is_ok());
        let error = check_notice(at(1, 9), at(14, 9), 14).expect_err("too soon");
        assert!(error.message.contains("14 days' notice"), "{}", error.message);
        assert!(check_notice(at(1, 9), at(1, 9), 0).is_ok());
    }

    #[test]
    fn the_electorate_is_the_active_members_with_their_weights() {
        let member = |id: i32, active: bool, size: Option<u32>| Member {
            practice_id: id,
            code: format!("F8401{id}"),
            active,
            list_size: size,
            constituency: None,
        };
        let members = vec![
            member(1, true, Some(9_323)),
            member(2, true, Some(2_000)),
            member(3, false, Some(5_000)),
        ];
        let frozen = freeze_electorate(&members, Weighting::PerPatients(2000)).expect("frozen");
        assert_eq!(
            frozen
                .iter()
                .map(|e| (e.practice_id, e.elector.weight))
                .collect::<Vec<_>>(),
            vec![(1, 5), (2, 1)]
        );
        let unknown = vec![member(1, true, Some(9_323)), member(4, true, None)];
        let error = freeze_electorate(&unknown, Weighting::PerPatients(2000)).expect_err("missing size");
        assert!(error.message.contains("F84014"), "{}", error.message);
        assert_eq!(
            freeze_electorate(&unknown, Weighting::PerPractice)
                .expect("one each")
                .len(),
            2
        );
        assert!(freeze_electorate(&[member(3, false, None)], Weighting::PerPractice).is_err());
    }
}

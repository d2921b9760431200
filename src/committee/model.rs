//! A committee's terms of reference and the rules of its meetings, without
//! I/O: who may vote on an item once declarations of interest have been
//! managed, whether the item is quorate after those recusals and
//! substitutions, and what the recorded votes decide with the chair's
//! casting vote.
//!
//! The shape is the primary care commissioning committee's (PCCC): a lay
//! chair, lay members, executives and GPs, some voting and some not; one
//! vote each; quorate with a share of the voting members present, perhaps
//! including named roles; the chair has a second and deciding vote on a
//! tie; and a voting GP member conflicted on an item is replaced for that
//! item by a non-voting GP member named as their substitute.

use std::collections::{BTreeMap, BTreeSet};

/// A member's place on the committee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    LayChair,
    LayViceChair,
    LayMember,
    Executive,
    Gp,
    PracticeManager,
    LmcAttendee,
    HealthwatchAttendee,
    LocalAuthorityAttendee,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::LayChair,
        Role::LayViceChair,
        Role::LayMember,
        Role::Executive,
        Role::Gp,
        Role::PracticeManager,
        Role::LmcAttendee,
        Role::HealthwatchAttendee,
        Role::LocalAuthorityAttendee,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Role::LayChair => "lay_chair",
            Role::LayViceChair => "lay_vice_chair",
            Role::LayMember => "lay_member",
            Role::Executive => "executive",
            Role::Gp => "gp",
            Role::PracticeManager => "practice_manager",
            Role::LmcAttendee => "lmc_attendee",
            Role::HealthwatchAttendee => "healthwatch_attendee",
            Role::LocalAuthorityAttendee => "local_authority_attendee",
        }
    }

    pub fn parse(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }

    pub fn words(self) -> &'static str {
        match self {
            Role::LayChair => "Lay chair",
            Role::LayViceChair => "Lay vice-chair",
            Role::LayMember => "Lay member",
            Role::Executive => "Executive",
            Role::Gp => "GP",
            Role::PracticeManager => "Practice manager",
            Role::LmcAttendee => "LMC attendee",
            Role::HealthwatchAttendee => "Healthwatch attendee",
            Role::LocalAuthorityAttendee => "Local authority attendee",
        }
    }

    /// The role within a sentence.
    pub fn noun(self) -> &'static str {
        match self {
            Role::LayChair => "lay chair",
            Role::LayViceChair => "lay vice-chair",
            Role::LayMember => "lay member",
            Role::Executive => "executive",
            Role::Gp => "GP",
            Role::PracticeManager => "practice manager",
            Role::LmcAttendee => "LMC attendee",
            Role::HealthwatchAttendee => "Healthwatch attendee",
            Role::LocalAuthorityAttendee => "local authority attendee",
        }
    }

    /// Attendees sit with the committee but are never its voting members.
    pub fn is_attendee(self) -> bool {
        matches!(
            self,
            Role::LmcAttendee | Role::HealthwatchAttendee | Role::LocalAuthorityAttendee
        )
    }

    pub fn is_lay(self) -> bool {
        matches!(self, Role::LayChair | Role::LayViceChair | Role::LayMember)
    }
}

/// One member under the terms of reference. `id` is the person's id in the
/// register of interests, so a member's standing interests follow them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: i32,
    pub name: String,
    pub role: Role,
    pub voting: bool,
    /// For a non-voting member: the voting member they may stand in for
    /// when that member is conflicted on an item or gives apologies.
    pub substitute_for: Option<i32>,
}

/// A share of the voting membership, as a fraction (one third is 1/3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub numerator: u32,
    pub denominator: u32,
}

impl Share {
    /// The fewest of `of` that make up the share, rounding up: one third of
    /// seven voting members is three.
    pub fn of(self, of: usize) -> usize {
        let wanted = of as u64 * u64::from(self.numerator);
        wanted.div_ceil(u64::from(self.denominator.max(1))) as usize
    }

    pub fn words(self) -> String {
        match (self.numerator, self.denominator) {
            (1, 2) => "half".into(),
            (1, 3) => "one third".into(),
            (2, 3) => "two thirds".into(),
            (1, 4) => "one quarter".into(),
            (3, 4) => "three quarters".into(),
            (n, d) if n == d => "all".into(),
            (n, d) => format!("{n}/{d}"),
        }
    }
}

/// A part of a compositional quorum: at least `at_least` of the voting
/// members counted must hold one of `roles` ("the chair or vice-chair",
/// "one lay member", "one executive").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub roles: BTreeSet<Role>,
    pub at_least: u32,
}

impl Requirement {
    /// The roles in words: "lay chair or lay vice-chair".
    pub fn who(&self) -> String {
        let lay: BTreeSet<Role> = [Role::LayChair, Role::LayViceChair, Role::LayMember].into();
        if self.roles == lay {
            return "lay member (the chair and vice-chair count)".to_owned();
        }
        let names: Vec<&str> = self.roles.iter().map(|r| r.noun()).collect();
        match names.as_slice() {
            [] => "nobody".to_owned(),
            [one] => (*one).to_owned(),
            [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        }
    }

    pub fn words(&self) -> String {
        let who = self.who();
        if self.at_least == 1 {
            format!("{} {who}", article(&who))
        } else {
            format!("{} of: {who}", self.at_least)
        }
    }

    /// What is missing when the requirement is not met.
    fn shortfall(&self) -> String {
        if self.at_least == 1 {
            format!("no {} able to vote", self.who())
        } else {
            format!("fewer than {} of: {} able to vote", self.at_least, self.who())
        }
    }
}

fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) || noun.starts_with("LMC") {
        "an"
    } else {
        "a"
    }
}

/// When an item is quorate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumRule {
    pub share: Share,
    pub including: Vec<Requirement>,
}

impl QuorumRule {
    pub fn words(&self) -> String {
        let mut text = format!("{} of the voting members", self.share.words());
        if !self.including.is_empty() {
            let parts: Vec<String> = self.including.iter().map(Requirement::words).collect();
            text.push_str(&format!(", including {}", parts.join(" and ")));
        }
        text
    }
}

/// The terms of reference that the meeting rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub members: Vec<Member>,
    pub quorum: QuorumRule,
    /// The chair has a second and deciding vote on a tie.
    pub casting_vote: bool,
    /// Papers of an item are withheld from a member conflicted on it.
    pub withhold_papers_from_conflicted: bool,
}

/// What is wrong with terms of reference, each naming what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermsProblem {
    NoVotingMembers,
    ShareOutOfRange,
    RequirementEmpty,
    RequirementTooLarge { requirement: String, available: usize },
    AttendeeVoting(String),
    SubstituteVotes(String),
    SubstituteOfUnknown(String),
    SubstituteOfNonVoting(String),
    SubstituteRole(String),
    DuplicateMember(String),
    TwoChairs,
}

impl std::fmt::Display for TermsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TermsProblem::NoVotingMembers => write!(f, "The committee needs at least one voting member"),
            TermsProblem::ShareOutOfRange => {
                write!(f, "The quorum must be a share from 1/100 to all of the voting members")
            }
            TermsProblem::RequirementEmpty => {
                write!(f, "A part of the quorum must name a role and need at least one member")
            }
            TermsProblem::RequirementTooLarge { requirement, available } => write!(
                f,
                "The quorum needs {requirement}, but only {available} voting member(s) hold such a role"
            ),
            TermsProblem::AttendeeVoting(name) => {
                write!(f, "{name} attends for another body and cannot be a voting member")
            }
            TermsProblem::SubstituteVotes(name) => {
                write!(f, "{name} is a voting member, so cannot also be a substitute")
            }
            TermsProblem::SubstituteOfUnknown(name) => {
                write!(f, "{name} is named as a substitute for someone who is not a member")
            }
            TermsProblem::SubstituteOfNonVoting(name) => {
                write!(f, "{name} is named as a substitute for a member who does not vote")
            }
            TermsProblem::SubstituteRole(name) => write!(
                f,
                "{name} can substitute only for a member in the same role, and not for the chair or vice-chair"
            ),
            TermsProblem::DuplicateMember(name) => write!(f, "{name} is listed twice"),
            TermsProblem::TwoChairs => write!(f, "The committee has one chair and at most one vice-chair"),
        }
    }
}

impl Terms {
    pub fn voting_members(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.voting)
    }

    pub fn member(&self, id: i32) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    /// Every problem with the terms, so a form can show them all at once.
    pub fn problems(&self) -> Vec<TermsProblem> {
        let mut problems = Vec::new();
        let voting: Vec<&Member> = self.voting_members().collect();
        if voting.is_empty() {
            problems.push(TermsProblem::NoVotingMembers);
        }
        let share = self.quorum.share;
        if share.denominator == 0
            || share.numerator == 0
            || share.numerator > share.denominator
            || share.denominator > 100
        {
            problems.push(TermsProblem::ShareOutOfRange);
        }
        for requirement in &self.quorum.including {
            if requirement.roles.is_empty() || requirement.at_least == 0 {
                problems.push(TermsProblem::RequirementEmpty);
                continue;
            }
            let available = voting.iter().filter(|m| requirement.roles.contains(&m.role)).count();
            if (requirement.at_least as usize) > available {
                problems.push(TermsProblem::RequirementTooLarge {
                    requirement: requirement.words(),
                    available,
                });
            }
        }
        let mut seen = BTreeSet::new();
        for member in &self.members {
            if !seen.insert(member.id) {
                problems.push(TermsProblem::DuplicateMember(member.name.clone()));
            }
            if member.voting && member.role.is_attendee() {
                problems.push(TermsProblem::AttendeeVoting(member.name.clone()));
            }
            if let Some(of) = member.substitute_for {
                if member.voting {
                    problems.push(TermsProblem::SubstituteVotes(member.name.clone()));
                }
                match self.member(of) {
                    None => problems.push(TermsProblem::SubstituteOfUnknown(member.name.clone())),
                    Some(m) if !m.voting => problems.push(TermsProblem::SubstituteOfNonVoting(member.name.clone())),
                    Some(m) if !member.voting && !may_substitute(member, m) => {
                        problems.push(TermsProblem::SubstituteRole(member.name.clone()))
                    }
                    Some(_) => {}
                }
            }
        }
        let chairs = self.members.iter().filter(|m| m.role == Role::LayChair).count();
        let vices = self.members.iter().filter(|m| m.role == Role::LayViceChair).count();
        if chairs > 1 || vices > 1 {
            problems.push(TermsProblem::TwoChairs);
        }
        problems
    }

    /// Who presides: the chair if present and not excluded from the item,
    /// otherwise the vice-chair on the same terms.
    pub fn presiding(&self, voters: &BTreeSet<i32>) -> Option<&Member> {
        [Role::LayChair, Role::LayViceChair]
            .into_iter()
            .find_map(|role| self.members.iter().find(|m| m.role == role && voters.contains(&m.id)))
    }
}

/// A member's attendance at a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attendance {
    Present,
    Apologies,
    Absent,
}

impl Attendance {
    pub fn key(self) -> &'static str {
        match self {
            Attendance::Present => "present",
            Attendance::Apologies => "apologies",
            Attendance::Absent => "absent",
        }
    }

    pub fn parse(key: &str) -> Option<Attendance> {
        [Attendance::Present, Attendance::Apologies, Attendance::Absent]
            .into_iter()
            .find(|a| a.key() == key)
    }
}

/// What the meeting decided about a member's declared interest in an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The interest is recorded; the member takes part and votes.
    RemainsAndVotes,
    /// The member stays in the room but takes no part in the vote.
    RemainsWithoutVoting,
    /// The member leaves the meeting for the item.
    LeavesForItem,
    /// The member leaves and their named substitute votes in their place.
    Substituted,
}

impl Action {
    pub const ALL: [Action; 4] = [
        Action::RemainsAndVotes,
        Action::RemainsWithoutVoting,
        Action::LeavesForItem,
        Action::Substituted,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Action::RemainsAndVotes => "remains_and_votes",
            Action::RemainsWithoutVoting => "remains_without_voting",
            Action::LeavesForItem => "leaves",
            Action::Substituted => "substituted",
        }
    }

    pub fn parse(key: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.key() == key)
    }

    pub fn words(self) -> &'static str {
        match self {
            Action::RemainsAndVotes => "remained and voted",
            Action::RemainsWithoutVoting => "remained but did not vote",
            Action::LeavesForItem => "left the meeting for the item",
            Action::Substituted => "left the meeting and was replaced by their substitute",
        }
    }

    /// Whether the member keeps their vote on the item.
    pub fn votes(self) -> bool {
        self == Action::RemainsAndVotes
    }
}

/// Why a member present at the meeting does not vote on an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exclusion {
    /// A conflict of interest, managed by this action.
    Conflict(Action),
    /// To be substituted, but no substitute was present and free of
    /// conflict: the member left and the seat stayed empty.
    Unsubstituted,
    /// A non-voting member who is not standing in for anyone.
    NonVoting,
}

/// Who votes on an item and whether it is quorate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemVoters {
    /// The members who may vote on the item, in the terms' order; a
    /// substitute appears in place of the member they replace.
    pub voters: Vec<i32>,
    /// Substitute → the member they stand in for.
    pub standing_in: BTreeMap<i32, i32>,
    pub excluded: Vec<(i32, Exclusion)>,
    pub quorum: QuorumCheck,
}

/// The quorum of one item, counted after recusals and substitutions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumCheck {
    pub voting_members: usize,
    pub needed: usize,
    pub counted: usize,
    /// The parts of a compositional rule not met, in words.
    pub missing: Vec<String>,
}

impl QuorumCheck {
    pub fn quorate(&self) -> bool {
        self.counted >= self.needed && self.missing.is_empty()
    }

    pub fn words(&self) -> String {
        if self.quorate() {
            format!(
                "Quorate: {} voting member(s) able to vote, of the {} needed from {}.",
                self.counted, self.needed, self.voting_members
            )
        } else {
            let mut reasons = Vec::new();
            if self.counted < self.needed {
                reasons.push(format!(
                    "{} voting member(s) able to vote, fewer than the {} needed from {}",
                    self.counted, self.needed, self.voting_members
                ));
            }
            reasons.extend(self.missing.iter().cloned());
            format!("Not quorate, so the item cannot be decided: {}.", reasons.join("; "))
        }
    }
}

/// Works out who votes on an item. `attendance` gives each member's
/// attendance at the meeting (a member not listed is absent); `actions`
/// gives the action agreed on each declaration made for the item.
///
/// A substitute votes in place of a voting member who is conflicted and
/// `Substituted`, or who sent apologies, provided the substitute is present
/// and not conflicted on the item themselves. The share is of the whole
/// voting membership, so a recusal without a substitute can make an item
/// inquorate that the meeting as a whole is not.
pub fn item_voters(
    terms: &Terms,
    attendance: &BTreeMap<i32, Attendance>,
    actions: &BTreeMap<i32, Action>,
) -> ItemVoters {
    let present = |id: i32| attendance.get(&id) == Some(&Attendance::Present);
    let mut voters = Vec::new();
    let mut standing_in: BTreeMap<i32, i32> = BTreeMap::new();
    let mut excluded = Vec::new();
    let mut seen = BTreeSet::new();
    for member in &terms.members {
        // A member listed twice still has one seat.
        if !member.voting || !seen.insert(member.id) {
            continue;
        }
        let action = actions.get(&member.id).copied();
        let replaced = match (present(member.id), action) {
            (true, None) => {
                voters.push(member.id);
                continue;
            }
            (true, Some(action)) if action.votes() => {
                voters.push(member.id);
                continue;
            }
            (true, Some(action)) => action == Action::Substituted,
            // Only a member who sent apologies is deputised for; a
            // declaration is made by a member present.
            (false, _) => attendance.get(&member.id) == Some(&Attendance::Apologies),
        };
        let substitute = replaced
            .then(|| {
                terms.members.iter().find(|s| {
                    may_substitute(s, member)
                        && present(s.id)
                        && actions.get(&s.id).is_none_or(|a| a.votes())
                        && !standing_in.contains_key(&s.id)
                })
            })
            .flatten();
        if let Some(substitute) = substitute {
            voters.push(substitute.id);
            standing_in.insert(substitute.id, member.id);
        }
        match action {
            Some(Action::Substituted) if present(member.id) && substitute.is_none() => {
                excluded.push((member.id, Exclusion::Unsubstituted));
            }
            Some(action) if present(member.id) => excluded.push((member.id, Exclusion::Conflict(action))),
            _ => {}
        }
    }
    for member in &terms.members {
        if !member.voting && present(member.id) && !standing_in.contains_key(&member.id) && seen.insert(member.id) {
            match actions.get(&member.id) {
                Some(action) if !action.votes() => excluded.push((member.id, Exclusion::Conflict(*action))),
                _ => excluded.push((member.id, Exclusion::NonVoting)),
            }
        }
    }
    let quorum = check_quorum(terms, &voters, &standing_in);
    ItemVoters {
        voters,
        standing_in,
        excluded,
        quorum,
    }
}

/// Whether `substitute` may stand in for `member` under the terms: a
/// non-voting member named as their substitute, in the same role (a GP
/// for a GP), never an attendee and never for the chair or vice-chair,
/// who are replaced in the chair by each other instead.
pub fn may_substitute(substitute: &Member, member: &Member) -> bool {
    substitute.substitute_for == Some(member.id)
        && !substitute.voting
        && substitute.role == member.role
        && !substitute.role.is_attendee()
        && !matches!(member.role, Role::LayChair | Role::LayViceChair)
}

fn check_quorum(terms: &Terms, voters: &[i32], standing_in: &BTreeMap<i32, i32>) -> QuorumCheck {
    let voting_members = terms.voting_members().count();
    // A substitute fills the seat of the member they replace, so counts in
    // that member's role.
    let seat_roles: Vec<Role> = voters
        .iter()
        .filter_map(|id| terms.member(*standing_in.get(id).unwrap_or(id)))
        .map(|m| m.role)
        .collect();
    let missing = terms
        .quorum
        .including
        .iter()
        .filter(|r| seat_roles.iter().filter(|role| r.roles.contains(role)).count() < r.at_least as usize)
        .map(Requirement::shortfall)
        .collect();
    QuorumCheck {
        voting_members,
        needed: terms.quorum.share.of(voting_members).max(1),
        counted: voters.len(),
        missing,
    }
}

/// A member's recorded vote on a motion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    For,
    Against,
    Abstain,
}

impl Vote {
    pub fn key(self) -> &'static str {
        match self {
            Vote::For => "for",
            Vote::Against => "against",
            Vote::Abstain => "abstain",
        }
    }

    pub fn parse(key: &str) -> Option<Vote> {
        [Vote::For, Vote::Against, Vote::Abstain]
            .into_iter()
            .find(|v| v.key() == key)
    }
}

/// The outcome of a motion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Carried,
    Lost,
}

/// A decision as the minutes state it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    pub for_votes: usize,
    pub against: usize,
    pub abstentions: usize,
    /// The chair's second and deciding vote, given only on a tie.
    pub casting: Option<(i32, Vote)>,
}

/// Why a motion cannot be decided as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionProblem {
    NotQuorate(String),
    NotEligible(String),
    Missing(Vec<String>),
    CastingWithoutTie,
    CastingNotAllowed,
    CastingNeeded(String),
    CastingAbstains,
    NoPresidingChair,
}

impl std::fmt::Display for DecisionProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecisionProblem::NotQuorate(why) => write!(f, "{why}"),
            DecisionProblem::NotEligible(name) => write!(f, "{name} may not vote on this item"),
            DecisionProblem::Missing(names) => {
                write!(f, "Record a vote (for, against or abstain) for {}", names.join(", "))
            }
            DecisionProblem::CastingWithoutTie => {
                write!(f, "The chair's casting vote is given only when the votes are tied")
            }
            DecisionProblem::CastingNotAllowed => {
                write!(f, "The committee's terms of reference give the chair no casting vote")
            }
            DecisionProblem::CastingNeeded(chair) => {
                write!(
                    f,
                    "The votes are tied: record the casting vote of {chair}, who presides"
                )
            }
            DecisionProblem::CastingAbstains => write!(f, "A casting vote is for or against"),
            DecisionProblem::NoPresidingChair => write!(
                f,
                "Neither the chair nor the vice-chair may vote on the item, so nobody can give a casting vote: the tie stands and the motion is not carried"
            ),
        }
    }
}

/// Decides a motion from the recorded votes of the item's voters. Every
/// voter must have a recorded vote; a simple majority of those voting for
/// or against carries it; on a tie the presiding chair's casting vote
/// decides when the terms give one, and otherwise the motion is lost.
pub fn decide(
    terms: &Terms,
    item: &ItemVoters,
    votes: &BTreeMap<i32, Vote>,
    casting: Option<Vote>,
) -> Result<Decision, DecisionProblem> {
    if !item.quorum.quorate() {
        return Err(DecisionProblem::NotQuorate(item.quorum.words()));
    }
    let name = |id: &i32| {
        terms
            .member(*id)
            .map_or_else(|| format!("member {id}"), |m| m.name.clone())
    };
    if let Some(stranger) = votes.keys().find(|id| !item.voters.contains(*id)) {
        return Err(DecisionProblem::NotEligible(name(stranger)));
    }
    let missing: Vec<String> = item
        .voters
        .iter()
        .filter(|id| !votes.contains_key(*id))
        .map(name)
        .collect();
    if !missing.is_empty() {
        return Err(DecisionProblem::Missing(missing));
    }
    let count = |v: Vote| votes.values().filter(|x| **x == v).count();
    let (for_votes, against, abstentions) = (count(Vote::For), count(Vote::Against), count(Vote::Abstain));
    // Nothing to break when nobody voted for or against.
    let tied = for_votes == against && for_votes > 0;
    let voter_set: BTreeSet<i32> = item.voters.iter().copied().collect();
    let casting = match (tied, casting) {
        (false, Some(_)) => return Err(DecisionProblem::CastingWithoutTie),
        (false, None) => None,
        (true, Some(_)) if !terms.casting_vote => return Err(DecisionProblem::CastingNotAllowed),
        (true, Some(Vote::Abstain)) => return Err(DecisionProblem::CastingAbstains),
        (true, Some(vote)) => match terms.presiding(&voter_set) {
            Some(chair) => Some((chair.id, vote)),
            None => return Err(DecisionProblem::NoPresidingChair),
        },
        // With nobody able to preside the tie stands, and the motion is
        // not carried (the sentence says why).
        (true, None) if terms.casting_vote => match terms.presiding(&voter_set) {
            Some(chair) => return Err(DecisionProblem::CastingNeeded(chair.name.clone())),
            None => None,
        },
        (true, None) => None,
    };
    let outcome = match casting {
        _ if for_votes > against => Outcome::Carried,
        Some((_, Vote::For)) => Outcome::Carried,
        _ => Outcome::Lost,
    };
    Ok(Decision {
        outcome,
        for_votes,
        against,
        abstentions,
        casting,
    })
}

impl Decision {
    /// The result sentence of the minutes: the votes, who voted, who was
    /// excluded and why, and the quorum.
    pub fn sentence(&self, terms: &Terms, item: &ItemVoters) -> String {
        let name = |id: i32| {
            terms
                .member(id)
                .map_or_else(|| format!("member {id}"), |m| m.name.clone())
        };
        let mut text = format!(
            "{}: {} for, {} against, {} abstaining",
            match self.outcome {
                Outcome::Carried => "Carried",
                Outcome::Lost => "Not carried",
            },
            self.for_votes,
            self.against,
            self.abstentions
        );
        if let Some((chair, vote)) = self.casting {
            text.push_str(&format!(
                "; the votes being tied, {} gave a casting vote {}",
                name(chair),
                vote.key()
            ));
        } else if self.for_votes == self.against && self.for_votes > 0 {
            let voters: BTreeSet<i32> = item.voters.iter().copied().collect();
            if terms.casting_vote && terms.presiding(&voters).is_none() {
                text.push_str(
                    "; the votes being tied and neither the chair nor the vice-chair able to vote on the item, no casting vote could be given, so the motion is not carried",
                );
            } else {
                text.push_str("; the votes being tied, the motion is not carried");
            }
        }
        text.push_str(". ");
        let voted: Vec<String> = item
            .voters
            .iter()
            .map(|id| match item.standing_in.get(id) {
                Some(for_whom) => format!("{} (substituting for {})", name(*id), name(*for_whom)),
                None => name(*id),
            })
            .collect();
        text.push_str(&format!("Voting: {}. ", voted.join(", ")));
        let conflicted: Vec<String> = item
            .excluded
            .iter()
            .filter_map(|(id, why)| match why {
                Exclusion::Conflict(action) => {
                    Some(format!("{} (declared an interest and {})", name(*id), action.words()))
                }
                Exclusion::Unsubstituted => Some(format!(
                    "{} (declared an interest and left the meeting for the item; no substitute was available)",
                    name(*id)
                )),
                Exclusion::NonVoting => None,
            })
            .collect();
        if !conflicted.is_empty() {
            text.push_str(&format!("Not voting: {}. ", conflicted.join(", ")));
        }
        text.push_str(&item.quorum.words());
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn member(id: i32, role: Role, voting: bool) -> Member {
        Member {
            id,
            name: format!("M{id}"),
            role,
            voting,
            substitute_for: None,
        }
    }

    /// The seeds' PCCC: a lay chair and vice-chair, a lay member, two
    /// executives, two voting GPs and a non-voting GP who substitutes for
    /// the first; quorate with one third of the voting members, including
    /// the chair or vice-chair, one lay member and one executive.
    fn pccc() -> Terms {
        let mut gp_substitute = member(8, Role::Gp, false);
        gp_substitute.substitute_for = Some(6);
        Terms {
            members: vec![
                member(1, Role::LayChair, true),
                member(2, Role::LayViceChair, true),
                member(3, Role::LayMember, true),
                member(4, Role::Executive, true),
                member(5, Role::Executive, true),
                member(6, Role::Gp, true),
                member(7, Role::Gp, true),
                gp_substitute,
                member(9, Role::LmcAttendee, false),
            ],
            quorum: QuorumRule {
                share: Share {
                    numerator: 1,
                    denominator: 3,
                },
                including: vec![
                    Requirement {
                        roles: [Role::LayChair, Role::LayViceChair].into(),
                        at_least: 1,
                    },
                    Requirement {
                        roles: [Role::LayMember].into(),
                        at_least: 1,
                    },
                    Requirement {
                        roles: [Role::Executive].into(),
                        at_least: 1,
                    },
                ],
            },
            casting_vote: true,
            withhold_papers_from_conflicted: true,
        }
    }

    fn present(ids: &[i32]) -> BTreeMap<i32, Attendance> {
        ids.iter().map(|id| (*id, Attendance::Present)).collect()
    }

    #[test]
    fn the_pccc_terms_are_sound_and_read_plainly() {
        let terms = pccc();
        assert_eq!(terms.problems(), vec![]);
        assert_eq!(
            terms.quorum.words(),
            "one third of the voting members, including a lay chair or lay vice-chair and a lay member and an executive"
        );
    }

    #[test]
    fn a_conflicted_voting_gp_is_replaced_by_the_substitute_and_the_quorum_still_holds() {
        let terms = pccc();
        let attendance = present(&[1, 3, 4, 6, 8, 9]);
        let actions = BTreeMap::from([(6, Action::Substituted)]);
        let item = item_voters(&terms, &attendance, &actions);
        assert_eq!(item.voters, vec![1, 3, 4, 8]);
        assert_eq!(item.standing_in, BTreeMap::from([(8, 6)]));
        assert!(item.excluded.contains(&(6, Exclusion::Conflict(Action::Substituted))));
        assert!(item.excluded.contains(&(9, Exclusion::NonVoting)));
        assert_eq!(item.quorum.needed, 3, "one third of seven, rounded up");
        assert!(item.quorum.quorate(), "{}", item.quorum.words());
    }

    #[test]
    fn recusals_without_substitutes_make_an_item_inquorate_though_the_meeting_is_quorate() {
        let terms = pccc();
        let attendance = present(&[1, 3, 4]);
        let meeting = item_voters(&terms, &attendance, &BTreeMap::new());
        assert!(meeting.quorum.quorate());
        let item = item_voters(&terms, &attendance, &BTreeMap::from([(4, Action::LeavesForItem)]));
        assert_eq!(item.quorum.counted, 2);
        assert!(!item.quorum.quorate());
        assert_eq!(
            item.quorum.words(),
            "Not quorate, so the item cannot be decided: 2 voting member(s) able to vote, fewer than the 3 needed from 7; no executive able to vote."
        );
        let refused = decide(&terms, &item, &BTreeMap::from([(1, Vote::For), (3, Vote::For)]), None);
        assert!(matches!(refused, Err(DecisionProblem::NotQuorate(_))));
    }

    #[test]
    fn the_vice_chair_meets_the_chair_requirement_and_presides() {
        let terms = pccc();
        let item = item_voters(
            &terms,
            &present(&[2, 3, 5, 7]),
            &BTreeMap::from([(1, Action::LeavesForItem)]),
        );
        assert!(item.quorum.quorate());
        let voters: BTreeSet<i32> = item.voters.iter().copied().collect();
        assert_eq!(terms.presiding(&voters).map(|m| m.id), Some(2));
        let tied = BTreeMap::from([(2, Vote::For), (3, Vote::Against), (5, Vote::For), (7, Vote::Against)]);
        let decision = decide(&terms, &item, &tied, Some(Vote::Against)).expect("decided");
        assert_eq!(decision.outcome, Outcome::Lost);
        assert_eq!(decision.casting, Some((2, Vote::Against)));
    }

    #[test]
    fn the_casting_vote_applies_on_a_tie_and_only_then() {
        let terms = pccc();
        let item = item_voters(&terms, &present(&[1, 3, 4, 6]), &BTreeMap::new());
        let tied = BTreeMap::from([(1, Vote::For), (3, Vote::For), (4, Vote::Against), (6, Vote::Against)]);
        assert_eq!(
            decide(&terms, &item, &tied, None),
            Err(DecisionProblem::CastingNeeded("M1".into()))
        );
        let carried = decide(&terms, &item, &tied, Some(Vote::For)).expect("decided");
        assert_eq!(carried.outcome, Outcome::Carried);
        assert_eq!(carried.casting, Some((1, Vote::For)));
        assert!(
            carried.sentence(&terms, &item).starts_with(
                "Carried: 2 for, 2 against, 0 abstaining; the votes being tied, M1 gave a casting vote for. Voting: M1, M3, M4, M6."
            ),
            "{}",
            carried.sentence(&terms, &item)
        );
        let clear = BTreeMap::from([(1, Vote::For), (3, Vote::For), (4, Vote::For), (6, Vote::Against)]);
        assert_eq!(
            decide(&terms, &item, &clear, Some(Vote::Against)),
            Err(DecisionProblem::CastingWithoutTie)
        );
        assert_eq!(
            decide(&terms, &item, &clear, None).map(|d| d.outcome),
            Ok(Outcome::Carried)
        );
        assert_eq!(
            decide(&terms, &item, &tied, Some(Vote::Abstain)),
            Err(DecisionProblem::CastingAbstains)
        );
    }

    #[test]
    fn without_a_casting_vote_a_tie_is_lost() {
        let mut terms = pccc();
        terms.casting_vote = false;
        let item = item_voters(&terms, &present(&[1, 3, 4, 6]), &BTreeMap::new());
        let tied = BTreeMap::from([
            (1, Vote::For),
            (3, Vote::Abstain),
            (4, Vote::Against),
            (6, Vote::Abstain),
        ]);
        let decision = decide(&terms, &item, &tied, None).expect("decided");
        assert_eq!(decision.outcome, Outcome::Lost);
        assert!(
            decision
                .sentence(&terms, &item)
                .contains("the votes being tied, the motion is not carried")
        );
        assert_eq!(
            decide(&terms, &item, &tied, Some(Vote::For)),
            Err(DecisionProblem::CastingNotAllowed)
        );
    }

    #[test]
    fn every_voter_votes_and_nobody_else_does() {
        let terms = pccc();
        let item = item_voters(
            &terms,
            &present(&[1, 3, 4, 6, 8]),
            &BTreeMap::from([(6, Action::RemainsWithoutVoting)]),
        );
        assert!(
            !item.voters.contains(&8),
            "a substitute stands in only for a member who is replaced"
        );
        let with_conflicted = BTreeMap::from([(1, Vote::For), (3, Vote::For), (4, Vote::For), (6, Vote::For)]);
        assert_eq!(
            decide(&terms, &item, &with_conflicted, None),
            Err(DecisionProblem::NotEligible("M6".into()))
        );
        let short = BTreeMap::from([(1, Vote::For), (3, Vote::For)]);
        assert_eq!(
            decide(&terms, &item, &short, None),
            Err(DecisionProblem::Missing(vec!["M4".into()]))
        );
    }

    #[test]
    fn a_substitute_stands_in_for_apologies_but_not_when_conflicted_themselves() {
        let terms = pccc();
        let mut attendance = present(&[1, 3, 4, 8]);
        attendance.insert(6, Attendance::Apologies);
        let item = item_voters(&terms, &attendance, &BTreeMap::new());
        assert!(item.voters.contains(&8));
        let conflicted = item_voters(&terms, &attendance, &BTreeMap::from([(8, Action::LeavesForItem)]));
        assert!(!conflicted.voters.contains(&8));
        assert!(
            conflicted
                .excluded
                .contains(&(8, Exclusion::Conflict(Action::LeavesForItem)))
        );
    }

    #[test]
    fn unsound_terms_are_named() {
        let mut terms = pccc();
        terms.members[8].voting = true;
        terms.members[7].substitute_for = Some(99);
        terms.quorum.including.push(Requirement {
            roles: [Role::Executive].into(),
            at_least: 3,
        });
        let problems: Vec<String> = terms.problems().iter().map(ToString::to_string).collect();
        assert!(
            problems.contains(&"M9 attends for another body and cannot be a voting member".into()),
            "{problems:?}"
        );
        assert!(problems.contains(&"M8 is named as a substitute for someone who is not a member".into()));
        assert!(
            problems.contains(&"The quorum needs 3 of: executive, but only 2 voting member(s) hold such a role".into())
        );
    }

    #[test]
    fn nobody_for_or_against_is_no_tie_to_break() {
        let terms = pccc();
        let item = item_voters(&terms, &present(&[1, 3, 4]), &BTreeMap::new());
        let abstaining = BTreeMap::from([(1, Vote::Abstain), (3, Vote::Abstain), (4, Vote::Abstain)]);
        assert_eq!(
            decide(&terms, &item, &abstaining, Some(Vote::For)),
            Err(DecisionProblem::CastingWithoutTie)
        );
        assert_eq!(
            decide(&terms, &item, &abstaining, None).map(|d| d.outcome),
            Ok(Outcome::Lost)
        );
    }

    #[test]
    fn a_tie_with_nobody_to_preside_stands_and_the_minutes_say_why() {
        let terms = pccc();
        let actions = BTreeMap::from([(1, Action::LeavesForItem), (2, Action::LeavesForItem)]);
        let mut terms_without_chair_rule = terms.clone();
        terms_without_chair_rule.quorum.including.remove(0);
        let item = item_voters(&terms_without_chair_rule, &present(&[1, 2, 3, 4, 6, 7]), &actions);
        assert!(item.quorum.quorate(), "{}", item.quorum.words());
        let tied = BTreeMap::from([(3, Vote::For), (4, Vote::Against), (6, Vote::For), (7, Vote::Against)]);
        let decision = decide(&terms_without_chair_rule, &item, &tied, None).expect("decided");
        assert_eq!(decision.outcome, Outcome::Lost);
        assert!(
            decision.sentence(&terms_without_chair_rule, &item).contains(
                "neither the chair nor the vice-chair able to vote on the item, no casting vote could be given"
            ),
            "{}",
            decision.sentence(&terms_without_chair_rule, &item)
        );
        assert_eq!(
            decide(&terms_without_chair_rule, &item, &tied, Some(Vote::For)),
            Err(DecisionProblem::NoPresidingChair)
        );
    }

    #[test]
    fn a_member_to_be_substituted_with_no_substitute_free_leaves_an_empty_seat_and_the_minutes_say_so() {
        let terms = pccc();
        let actions = BTreeMap::from([(6, Action::Substituted), (8, Action::LeavesForItem)]);
        let item = item_voters(&terms, &present(&[1, 3, 4, 6, 8]), &actions);
        assert_eq!(item.voters, vec![1, 3, 4]);
        assert!(item.excluded.contains(&(6, Exclusion::Unsubstituted)));
        let votes = BTreeMap::from([(1, Vote::For), (3, Vote::For), (4, Vote::Against)]);
        let sentence = decide(&terms, &item, &votes, None)
            .expect("decided")
            .sentence(&terms, &item);
        assert!(
            sentence
                .contains("M6 (declared an interest and left the meeting for the item; no substitute was available)"),
            "{sentence}"
        );
        assert!(
            sentence.contains("M8 (declared an interest and left the meeting for the item)"),
            "{sentence}"
        );
    }

    #[test]
    fn a_second_named_substitute_fills_a_seat_the_first_cannot() {
        let mut terms = pccc();
        let mut second = member(10, Role::Gp, false);
        second.substitute_for = Some(7);
        let mut also_for_six = member(11, Role::Gp, false);
        also_for_six.substitute_for = Some(6);
        terms.members.push(second);
        terms.members.push(also_for_six);
        let actions = BTreeMap::from([(6, Action::Substituted), (8, Action::LeavesForItem)]);
        let item = item_voters(&terms, &present(&[1, 3, 4, 6, 8, 11]), &actions);
        assert_eq!(item.standing_in, BTreeMap::from([(11, 6)]));
    }

    #[test]
    fn only_a_member_in_the_same_role_substitutes_and_never_for_the_chair() {
        let mut terms = pccc();
        let mut attendee = member(10, Role::LmcAttendee, false);
        attendee.substitute_for = Some(7);
        let mut for_the_chair = member(11, Role::LayMember, false);
        for_the_chair.substitute_for = Some(1);
        terms.members.push(attendee);
        terms.members.push(for_the_chair);
        let problems: Vec<String> = terms.problems().iter().map(ToString::to_string).collect();
        assert!(
            problems.iter().any(|p| p.starts_with("M10 can substitute only")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.starts_with("M11 can substitute only")),
            "{problems:?}"
        );
        let mut attendance = present(&[3, 4, 10, 11]);
        attendance.insert(1, Attendance::Apologies);
        attendance.insert(7, Attendance::Apologies);
        let item = item_voters(&terms, &attendance, &BTreeMap::new());
        assert!(item.standing_in.is_empty(), "{:?}", item.standing_in);
    }

    fn arbitrary_meeting() -> impl Strategy<Value = (Terms, BTreeMap<i32, Attendance>, BTreeMap<i32, Action>)> {
        let attendance = prop::collection::vec(0usize..3, 9);
        let actions = prop::collection::vec(0usize..5, 9);
        (attendance, actions).prop_map(|(attendance, actions)| {
            let terms = pccc();
            let attendance = terms
                .members
                .iter()
                .zip(attendance)
                .map(|(m, a)| {
                    (
                        m.id,
                        [Attendance::Present, Attendance::Apologies, Attendance::Absent][a],
                    )
                })
                .collect();
            let actions = terms
                .members
                .iter()
                .zip(actions)
                .filter(|(_, a)| *a < 4)
                .map(|(m, a)| (m.id, Action::ALL[a]))
                .collect();
            (terms, attendance, actions)
        })
    }

    proptest! {
        #[test]
        fn nobody_conflicted_and_recused_votes_and_no_seat_votes_twice((terms, attendance, actions) in arbitrary_meeting()) {
            let item = item_voters(&terms, &attendance, &actions);
            for id in &item.voters {
                prop_assert_eq!(attendance.get(id), Some(&Attendance::Present));
                prop_assert!(actions.get(id).is_none_or(|a| a.votes()));
            }
            let seats: BTreeSet<i32> = item.voters.iter().map(|id| *item.standing_in.get(id).unwrap_or(id)).collect();
            prop_assert_eq!(seats.len(), item.voters.len());
            prop_assert!(item.voters.len() <= terms.voting_members().count());
        }

        #[test]
        fn a_recusal_never_makes_an_item_more_quorate((terms, attendance, actions) in arbitrary_meeting(), extra in 0i32..9) {
            let before = item_voters(&terms, &attendance, &actions);
            let mut more = actions.clone();
            more.insert(extra + 1, Action::LeavesForItem);
            let after = item_voters(&terms, &attendance, &more);
            prop_assert!(after.quorum.counted <= before.quorum.counted);
            prop_assert!(before.quorum.quorate() || !after.quorum.quorate());
        }

        #[test]
        fn the_casting_vote_decides_only_a_tie(votes in prop::collection::vec(0usize..3, 4), casting in prop::option::of(0usize..2)) {
            let terms = pccc();
            let item = item_voters(&terms, &present(&[1, 3, 4, 6]), &BTreeMap::new());
            let votes: BTreeMap<i32, Vote> = item.voters.iter().zip(votes).map(|(id, v)| (*id, [Vote::For, Vote::Against, Vote::Abstain][v])).collect();
            let casting = casting.map(|c| [Vote::For, Vote::Against][c]);
            let for_votes = votes.values().filter(|v| **v == Vote::For).count();
            let against = votes.values().filter(|v| **v == Vote::Against).count();
            let tie = for_votes == against && for_votes > 0;
            match decide(&terms, &item, &votes, casting) {
                Ok(decision) => {
                    prop_assert_eq!(decision.casting.is_some(), tie && casting.is_some());
                    let carried = for_votes > against || (tie && casting == Some(Vote::For));
                    prop_assert_eq!(decision.outcome == Outcome::Carried, carried);
                }
                Err(DecisionProblem::CastingWithoutTie) => prop_assert!(!tie),
                Err(DecisionProblem::CastingNeeded(_)) => prop_assert!(tie && casting.is_none()),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}

//! Demonstration data: an LMC, a CCG with member practices and an account
//! for each role. Everything is named "Demo …" and uses the reserved
//! `.invalid` email domain, so it cannot be mistaken for real data or reach
//! a real inbox.

use chrono::{NaiveDate, Utc};
use diesel::Connection;

use crate::accounts::model::Role;
use crate::accounts::password;
use crate::accounts::store::UserWithRole;
use crate::db::Pool;
use crate::error::{AppError, AppResult};
use crate::registry::store::{NewOrganisation, NewPractice, Organisation, Practice};

pub const DEMO_CCG: &str = "D9C";
pub const DEMO_LMC: &str = "D9L";
const EMAIL_DOMAIN: &str = "demo.quorate.invalid";

const PRACTICES: &[(&str, &str)] = &[
    ("Y99001", "Demo Riverside Surgery"),
    ("Y99002", "Demo Market Street Medical Centre"),
    ("Y99003", "Demo Hillview Family Practice"),
    ("Y99004", "Demo Station Road Health Centre"),
    ("Y99005", "Demo Orchard Lane Surgery"),
    ("Y99006", "Demo Castle Green Practice"),
    ("Y99007", "Demo Millbrook Medical Group"),
    ("Y99008", "Demo Westgate Surgery"),
];

struct DemoPerson {
    local: String,
    name: String,
    role: Role,
    organisation_id: Option<i32>,
    practice_id: Option<i32>,
}

/// The demo accounts created, for the console. They share one password.
#[derive(Debug, Clone)]
pub struct DemoAccounts {
    pub password: String,
    pub accounts: Vec<(String, String)>,
}

/// Loads the demo data unless it is already there (then returns `None`).
pub fn load(pool: &Pool) -> AppResult<Option<DemoAccounts>> {
    let mut conn = pool.get()?;
    if Organisation::find_by_code(&mut conn, DEMO_CCG)?.is_some() {
        return Ok(None);
    }
    let shared_password = format!("demo-{}", crate::token::random_token(12));
    let hash = password::hash(&shared_password).map_err(AppError::Internal)?;
    let now = Utc::now().naive_utc();
    let joined = NaiveDate::from_ymd_opt(2024, 4, 1).ok_or_else(|| AppError::Internal("date".into()))?;

    let accounts = conn.transaction::<_, AppError, _>(|c| {
        let lmc = NewOrganisation {
            kind: "lmc",
            ods_code: DEMO_LMC,
            name: "Demo Local Medical Committee",
            is_demo: true,
            created_at: now,
        }
        .insert(c)?;
        let ccg = NewOrganisation {
            kind: "ccg",
            ods_code: DEMO_CCG,
            name: "Demo Clinical Commissioning Group",
            is_demo: true,
            created_at: now,
        }
        .insert(c)?;
        Organisation::add_covering_lmc(c, ccg, lmc)?;

        let mut practice_ids = Vec::new();
        for (code, name) in PRACTICES {
            let id = NewPractice {
                ods_code: code,
                name,
                is_demo: true,
                created_at: now,
            }
            .insert(c)?;
            Practice::join(c, id, ccg, joined)?;
            practice_ids.push((id, *code, *name));
        }

        let person = |local: &str, name: &str, role, organisation_id, practice_id| DemoPerson {
            local: local.to_owned(),
            name: name.to_owned(),
            role,
            organisation_id,
            practice_id,
        };
        let mut people = vec![
            person("admin", "Demo System Administrator", Role::SystemAdmin, None, None),
            person("board", "Demo Board Officer", Role::OrgAdmin, Some(ccg), None),
            person(
                "returning.officer",
                "Demo Returning Officer",
                Role::ReturningOfficer,
                Some(ccg),
                None,
            ),
            person("lmc.observer", "Demo LMC Observer", Role::LmcObserver, Some(lmc), None),
            person(
                "committee",
                "Demo Committee Member",
                Role::CommitteeMember,
                Some(ccg),
                None,
            ),
            person("chair", "Demo Chair", Role::Chair, Some(ccg), None),
        ];
        for (id, code, name) in &practice_ids {
            people.push(person(
                &format!("manager.{}", code.to_lowercase()),
                &format!("Demo Practice Manager, {}", name.trim_start_matches("Demo ")),
                Role::PracticeRep,
                None,
                Some(*id),
            ));
        }

        let mut accounts = Vec::new();
        for DemoPerson {
            local,
            name,
            role,
            organisation_id,
            practice_id,
        } in people
        {
            let email = format!("{local}@{EMAIL_DOMAIN}");
            let user_id = UserWithRole {
                email: &email,
                email_normalized: &email,
                name: &name,
                password_hash: &hash,
                role: role.as_str(),
                organisation_id,
                practice_id,
            }
            .insert(c, now)?;
            // Each practice manager is its practice's nominated voting
            // representative, so the demonstration ballot can be voted in.
            if let Some(practice_id) = practice_id {
                crate::registry::store::representatives::insert(c, practice_id, user_id, "nominated", joined, now)?;
            }
            accounts.push((email, role.label().to_owned()));
        }
        demo_ballot(c, ccg, now)?;
        demo_interests(c, ccg, now)?;
        Ok(accounts)
    })?;
    Ok(Some(DemoAccounts {
        password: shared_password,
        accounts,
    }))
}

/// Draft ballots for the board to look at and publish: a co-commissioning
/// question and an election by single transferable vote.
fn demo_ballot(conn: &mut crate::db::DbConn, ccg: i32, now: chrono::NaiveDateTime) -> AppResult<()> {
    use crate::ballots::model::{BallotKind, BallotOption};
    let candidate = |key: &str, label: &str, description: &str| BallotOption {
        key: key.into(),
        label: label.into(),
        description: description.into(),
    };
    demo_draft(
        conn,
        ccg,
        now,
        BallotKind::CoCommissioning,
        "Demo: primary care co-commissioning",
        "Which level of primary care co-commissioning should the CCG apply to NHS England for?",
        "This is a demonstration ballot. The board recommends level 2, joint commissioning.\n\nPublish it to send the notices (to the .eml files in the mail folder unless an SMTP server is set).",
        &BallotKind::CoCommissioning.preset_options(),
    )?;
    demo_draft(
        conn,
        ccg,
        now,
        BallotKind::Election,
        "Demo: GP members of the governing body",
        "Elect two GP members of the governing body",
        "This is a demonstration election, counted by single transferable vote. Number the candidates in order of preference.",
        &[
            candidate("okafor", "Dr Chidi Okafor", "GP partner, demonstration practice"),
            candidate("hughes", "Dr Megan Hughes", "Salaried GP, demonstration practice"),
            candidate("patel", "Dr Anjali Patel", "GP partner, demonstration practice"),
            candidate("brennan", "Dr Sean Brennan", "GP partner, demonstration practice"),
        ],
    )?;
    // An election whose candidates come from nominations, open now.
    let id = demo_draft(
        conn,
        ccg,
        now,
        BallotKind::Election,
        "Demo: GP members of the primary care commissioning committee",
        "Elect two GP members of the primary care commissioning committee",
        "This is a demonstration election with nominations: member practices' representatives nominate candidates until nominations close.",
        &[],
    )?;
    let voting_opens = now + chrono::Duration::days(28);
    crate::ballots::store::set_voting_period(conn, id, voting_opens, voting_opens + chrono::Duration::days(14))?;
    crate::ballots::election::store::insert_call(
        conn,
        &crate::ballots::election::store::Call {
            ballot_id: id,
            opens_at: now,
            closes_at: now + chrono::Duration::days(14),
            withdrawals_close: now + chrono::Duration::days(16),
            nominators_required: 2,
            statement_word_limit: 250,
            eligibility: "gp_at_member_practice".into(),
            called_at: now,
            list_published_at: None,
        },
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn demo_draft(
    conn: &mut crate::db::DbConn,
    ccg: i32,
    now: chrono::NaiveDateTime,
    kind: crate::ballots::model::BallotKind,
    title: &str,
    question: &str,
    papers: &str,
    options: &[crate::ballots::model::BallotOption],
) -> AppResult<i32> {
    let settings = crate::registry::service::load_constitution(conn, ccg)?;
    let mut rules = crate::ballots::model::BallotRules::defaults(&settings, kind, None);
    if kind.is_election() {
        rules.seats = Some(2);
    }
    let rules = serde_json::to_string(&rules).map_err(|e| AppError::Internal(format!("demo ballot rules: {e}")))?;
    let opens_at = now + chrono::Duration::days(i64::from(settings.minimum_notice_days) + 1);
    let draft = crate::ballots::store::DraftRow {
        kind: kind.as_str().to_owned(),
        title: title.into(),
        question: question.into(),
        papers: papers.into(),
        current_text: String::new(),
        proposed_text: String::new(),
        motion_kind: String::new(),
        motion_subject: String::new(),
        rules,
        opens_at,
        closes_at: opens_at + chrono::Duration::days(14),
        updated_at: now,
    };
    let id = crate::ballots::store::insert(conn, ccg, &draft, None, now)?;
    crate::ballots::store::replace_options(conn, id, options)?;
    Ok(id)
}

/// A small register of interests: a lay chair with nothing to declare, a GP
/// member with shares in the local federation (declared late) and declined
/// hospitality, and an executive with an entry withheld for safety.
fn demo_interests(conn: &mut crate::db::DbConn, ccg: i32, now: chrono::NaiveDateTime) -> AppResult<()> {
    use crate::committee::register::store::{NewInterest, NewPerson, insert_interest, insert_person};
    let today = crate::time::london_day(now);
    let ago = |days: i64| today - chrono::Duration::days(days);
    let person = |name: &str, position: &str| NewPerson {
        organisation_id: ccg,
        name: name.to_owned(),
        email: None,
        position: position.to_owned(),
        decision_maker: true,
        user_id: None,
        added_at: now,
        appointed_on: None,
    };
    let chair = insert_person(
        conn,
        &person("Demo Lay Chair", "Lay chair, primary care commissioning committee"),
    )?;
    let gp = insert_person(conn, &person("Dr Demo GP Member", "Governing body GP member"))?;
    let executive = insert_person(conn, &person("Demo Director of Finance", "Executive member"))?;
    let interest =
        |person_id: i32, kind: &str, counterparty: &str, description: &str, starts_on, declared_on| NewInterest {
            person_id,
            category: if kind == "hospitality" { "indirect" } else { "financial" }.to_owned(),
            kind: kind.to_owned(),
            counterparty: counterparty.to_owned(),
            description: description.to_owned(),
            starts_on,
            ends_on: None,
            declared_on,
            value_pence: None,
            accepted: None,
            management: "Leaves the meeting for items concerning the company".to_owned(),
            agreed_by: "The lay chair".to_owned(),
            withheld_reason: None,
            recorded_by: None,
            recorded_at: now,
        };
    insert_interest(
        conn,
        &interest(
            gp,
            "shareholdings",
            "Demo Health Federation Ltd",
            "Shares in the GP federation that provides extended access",
            ago(120),
            ago(40),
        ),
    )?;
    insert_interest(
        conn,
        &NewInterest {
            value_pence: Some(6_500),
            accepted: Some(false),
            management: "None needed: declined".to_owned(),
            ..interest(
                gp,
                "hospitality",
                "Demo Pharma UK",
                "Dinner after a sponsored educational evening",
                ago(20),
                ago(18),
            )
        },
    )?;
    insert_interest(
        conn,
        &NewInterest {
            category: "non_financial_personal".to_owned(),
            withheld_reason: Some("Publishing it could put a family member at risk".to_owned()),
            ..interest(
                executive,
                "other",
                "Demo Refuge Trust",
                "Trustee of a local charity",
                ago(300),
                ago(300),
            )
        },
    )?;
    demo_committee(
        conn,
        ccg,
        now,
        &[(chair, "lay_chair"), (gp, "gp"), (executive, "executive")],
    )
}

/// A primary care commissioning committee of the demo people, with a
/// meeting next week whose first item is about the federation the GP
/// member holds shares in.
fn demo_committee(
    conn: &mut crate::db::DbConn,
    ccg: i32,
    now: chrono::NaiveDateTime,
    members: &[(i32, &str)],
) -> AppResult<()> {
    use crate::committee::store::{
        CommitteeTerms, NewItem, NewMember, insert_committee, insert_item, insert_meeting, insert_member,
    };
    let committee = insert_committee(
        conn,
        ccg,
        &CommitteeTerms {
            name: "Primary care commissioning committee".to_owned(),
            quorum_numerator: 1,
            quorum_denominator: 3,
            quorum_including: r#"[{"roles":["lay_chair","lay_vice_chair"],"at_least":1}]"#.to_owned(),
            casting_vote: true,
            withhold_papers: true,
        },
        now,
    )?;
    for (person_id, role) in members {
        insert_member(
            conn,
            &NewMember {
                committee_id: committee,
                person_id: *person_id,
                role: (*role).to_owned(),
                voting: true,
                substitute_for: None,
            },
        )?;
    }
    let meeting = insert_meeting(
        conn,
        committee,
        "Meeting in public",
        now + chrono::Duration::days(7),
        "Committee room, Demo House, or online",
        now,
    )?;
    insert_item(
        conn,
        &NewItem {
            meeting_id: meeting,
            position: 1,
            title: "Extended access: award of the contract".to_owned(),
            description: "The procurement panel's recommendation.".to_owned(),
            private: false,
            subjects: "Demo Health Federation Ltd".to_owned(),
            motion: "That the committee awards the extended access contract as the panel recommends.".to_owned(),
            status: "open".to_owned(),
        },
    )?;
    Ok(())
}

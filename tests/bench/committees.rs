//! Committees benchmark: an organisation with 500 people and 5,000
//! declarations, its public register page, the organisation's own view and
//! the public CSV; and a meeting of a committee of 20 members with 30
//! agenda items, each with declarations and recorded votes, as the public
//! and as the secretary see it. Each page is read 60 times over HTTP.
//! `cargo bench --bench committees [-- --postgres]` (PostgreSQL from
//! QUORATE_TEST_POSTGRES_URL).

#[path = "../common/mod.rs"]
mod common;

use std::time::Instant;

use chrono::{Duration, NaiveDate};
use quorate::committee::register::store::{self, NewInterest, NewPerson};

const PEOPLE: usize = 500;
const PER_PERSON: usize = 10;

fn seed(app: &common::TestApp, organisation_id: i32) {
    let mut conn = app.pool.get().expect("connection");
    let now = chrono::Utc::now().naive_utc();
    let today = quorate::committee::register::service::today();
    let kinds = [
        "shareholdings",
        "outside_employment",
        "hospitality",
        "sponsored_posts",
        "clinical_private_practice",
    ];
    quorate::db::write_transaction::<_, diesel::result::Error, _>(&mut conn, |c| {
        for p in 0..PEOPLE {
            let person = store::insert_person(
                c,
                &NewPerson {
                    organisation_id,
                    name: format!("Person {p:03}"),
                    email: None,
                    position: if p % 5 == 0 { "Lay member" } else { "Governing body GP member" }.to_owned(),
                    decision_maker: p % 10 != 9,
                    user_id: None,
                    added_at: now,
                    appointed_on: None,
                },
            )?;
            for d in 0..PER_PERSON {
                let starts_on: NaiveDate = today - Duration::days(30 + (p * 7 + d * 90) as i64 % 2_500);
                let kind = kinds[(p + d) % kinds.len()];
                store::insert_interest(
                    c,
                    &NewInterest {
                        person_id: person,
                        category: if kind == "hospitality" { "indirect" } else { "financial" }.to_owned(),
                        kind: kind.to_owned(),
                        counterparty: format!("Provider {} Ltd", (p * 13 + d) % 400),
                        description: "Shares held in a company that provides services to the organisation, declared at appointment and reviewed each year".to_owned(),
                        starts_on,
                        // A third have ended, some long ago.
                        ends_on: (d % 3 == 0).then(|| starts_on + Duration::days(200)),
                        declared_on: starts_on + Duration::days((d % 40) as i64),
                        value_pence: (kind == "hospitality").then_some(4_550),
                        accepted: (kind == "hospitality").then_some(d % 2 == 0),
                        management: "Leaves the meeting for items concerning the provider".to_owned(),
                        agreed_by: "The chair".to_owned(),
                        withheld_reason: (p % 50 == 7 && d == 0).then(|| "Risk to the person's safety".to_owned()),
                        recorded_by: None,
                        recorded_at: now,
                    },
                )?;
            }
        }
        Ok(())
    })
    .expect("seed");
}

async fn time(app: &common::TestApp, label: &str, path: &str) {
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..60 {
        let started = Instant::now();
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        size = response.bytes().await.expect("body").len();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{label}: median {:.1} ms, p95 {:.1} ms over 60 requests ({} KB)",
        times[30],
        times[57],
        size / 1024
    );
}

fn main() {
    let postgres = std::env::args().any(|a| a == "--postgres");
    actix_web::rt::System::new().block_on(async move {
        let backend = if postgres {
            common::Backend::Postgres
        } else {
            common::Backend::Sqlite
        };
        let app = common::spawn_app(backend).await;
        let organisation = app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
        let started = Instant::now();
        seed(&app, organisation);
        println!(
            "{backend:?}: {PEOPLE} people, {} declarations seeded in {:.0} ms",
            PEOPLE * PER_PERSON,
            started.elapsed().as_secs_f64() * 1000.0
        );
        let public = app.new_visitor();
        time(&public, "public register page", "/organisations/08V/interests").await;
        time(&public, "public register CSV", "/organisations/08V/interests.csv").await;
        app.create_user("board@bench.example", "org_admin", Some("08V"));
        assert_eq!(app.login("board@bench.example", common::PASSWORD).await.status(), 303);
        time(
            &app,
            "the organisation's view (every entry kept)",
            "/organisations/08V/interests",
        )
        .await;

        let meeting = seed_meeting(&app, organisation);
        let path = format!("/meetings/{meeting}");
        time(&public, "meeting page, 30 items and 20 members, public part", &path).await;
        time(
            &app,
            "meeting page, 30 items and 20 members, the secretary's view",
            &path,
        )
        .await;
        let first_item = {
            let mut conn = app.pool.get().expect("connection");
            quorate::committee::store::items(&mut conn, meeting).expect("items")[0].id
        };
        time(
            &app,
            "one item's page with the secretary's forms (20 members)",
            &format!("{path}/items/{first_item}"),
        )
        .await;
    });
}

/// A committee of the first 20 people (a lay chair and vice-chair, lay
/// members, executives and GPs, two of them non-voting substitutes), a
/// meeting with 30 items (every fifth private), attendance, two
/// declarations per item and every eligible member's vote on each.
fn seed_meeting(app: &common::TestApp, organisation_id: i32) -> i32 {
    use quorate::committee::store as committee;
    let mut conn = app.pool.get().expect("connection");
    let now = chrono::Utc::now().naive_utc();
    let people = store::people(&mut conn, organisation_id).expect("people");
    quorate::db::write_transaction::<_, diesel::result::Error, _>(&mut conn, |c| {
        let id = committee::insert_committee(
            c,
            organisation_id,
            &committee::CommitteeTerms {
                name: "Primary care commissioning committee".into(),
                quorum_numerator: 1,
                quorum_denominator: 3,
                quorum_including:
                    r#"[{"roles":["lay_chair","lay_vice_chair"],"at_least":1},{"roles":["executive"],"at_least":1}]"#
                        .into(),
                casting_vote: true,
                withhold_papers: true,
            },
            now,
        )?;
        let members: Vec<i32> = people.iter().take(20).map(|p| p.id).collect();
        for (n, person) in members.iter().enumerate() {
            let (role, voting, substitute_for) = match n {
                0 => ("lay_chair", true, None),
                1 => ("lay_vice_chair", true, None),
                2..=4 => ("lay_member", true, None),
                5..=9 => ("executive", true, None),
                18 | 19 => ("gp", false, Some(members[n - 8])),
                _ => ("gp", true, None),
            };
            committee::insert_member(
                c,
                &committee::NewMember {
                    committee_id: id,
                    person_id: *person,
                    role: role.into(),
                    voting,
                    substitute_for,
                },
            )?;
        }
        let meeting = committee::insert_meeting(
            c,
            id,
            "Meeting in public",
            now - chrono::Duration::hours(2),
            "Room 3",
            now,
        )?;
        let attendance: Vec<(i32, &str)> = members
            .iter()
            .enumerate()
            .map(|(n, p)| (*p, if n % 7 == 3 { "apologies" } else { "present" }))
            .collect();
        committee::set_attendance(c, meeting, &attendance)?;
        for position in 1..=30 {
            let item = committee::insert_item(
                c,
                &committee::NewItem {
                    meeting_id: meeting,
                    position,
                    title: format!("Item {position}: contract for Provider {position} Ltd"),
                    description: "The panel's recommendation and the finance report.".into(),
                    private: position % 5 == 0,
                    subjects: format!("Provider {position} Ltd\nF8400{}", position % 10),
                    motion: format!("That the committee approves recommendation {position}"),
                    status: "open".into(),
                },
            )?;
            let gp = 10 + position as usize % 8;
            let executive = 5 + position as usize % 5;
            committee::save_declaration(c, item, members[gp], None, "substituted", now)?;
            committee::save_declaration(c, item, members[executive], None, "leaves", now)?;
            let votes: Vec<(i32, &str, bool)> = members
                .iter()
                .enumerate()
                .filter(|(n, _)| *n < 18 && n % 7 != 3 && *n != gp && *n != executive)
                .map(|(n, p)| (*p, if n % 3 == 0 { "against" } else { "for" }, false))
                .collect();
            committee::insert_votes(c, item, &votes)?;
        }
        Ok(meeting)
    })
    .expect("seed the meeting")
}

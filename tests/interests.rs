//! The register of interests over HTTP, on both backends: an organisation
//! administrator adds people and records their declarations, with every
//! wrong field named and nothing written; a declaration more than 28 days
//! late is flagged; the public register (page and CSV) shows decision-
//! makers' interests and hides one withheld with a reason, one that ended
//! more than six months ago and those of people who are not decision-
//! makers; the organisation and its LMC see everything still kept, each
//! marked with why it is not public; every change is audited.

mod common;

use chrono::{Duration, Months, NaiveDate};
use common::TestApp;
use common::ballots::{ADMIN, OBSERVER, electorate, log_in};
use common::smtp::SmtpSink;

const REGISTER: &str = "/organisations/08V/interests";
const PEOPLE: &str = "/organisations/08V/interests/people";
const DECLARE: &str = "/organisations/08V/interests/declare";

fn today() -> NaiveDate {
    quorate::committee::register::service::today()
}

fn days_ago(days: i64) -> String {
    (today() - Duration::days(days)).to_string()
}

fn months_ago(months: u32) -> String {
    today()
        .checked_sub_months(Months::new(months))
        .expect("date")
        .to_string()
}

fn audit(app: &TestApp) -> Vec<(String, String)> {
    let mut conn = app.pool.get().expect("connection");
    quorate::audit::store::all(&mut conn)
        .expect("audit")
        .into_iter()
        .map(|e| (e.entry.action, e.entry.summary))
        .collect()
}

fn count_interests(app: &TestApp) -> usize {
    use diesel::prelude::*;
    let mut conn = app.pool.get().expect("connection");
    quorate::db::schema::interests::table
        .count()
        .get_result::<i64>(&mut conn)
        .expect("count") as usize
}

fn count_people(app: &TestApp) -> usize {
    use diesel::prelude::*;
    let mut conn = app.pool.get().expect("connection");
    quorate::db::schema::interest_people::table
        .count()
        .get_result::<i64>(&mut conn)
        .expect("count") as usize
}

/// Adds a person; their id, from where the form sends the administrator.
async fn add_person(board: &TestApp, name: &str, position: &str, decision_maker: &str) -> String {
    add_person_at(board, name, position, decision_maker, "").await
}

async fn add_person_at(board: &TestApp, name: &str, position: &str, decision_maker: &str, email: &str) -> String {
    let response = board
        .submit(
            PEOPLE,
            PEOPLE,
            &[
                ("name", name),
                ("position", position),
                ("email", email),
                ("decision_maker", decision_maker),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("location").to_owned();
    location.split("person=").nth(1).expect("the person's id").to_owned()
}

async fn declare(board: &TestApp, fields: &[(&str, &str)]) -> (u16, String) {
    let response = board.submit(DECLARE, DECLARE, fields).await;
    (response.status().as_u16(), response.text().await.expect("body"))
}

fn declaration<'a>(person: &'a str, counterparty: &'a str, starts: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("person", person),
        ("category", "financial"),
        ("kind", "shareholdings"),
        ("counterparty", counterparty),
        ("description", "Shares in the federation that provides extended access"),
        ("starts", starts),
        ("management", "Leaves the meeting for items on extended access"),
        ("agreed_by", "The chair of the committee"),
    ]
}

fn subjects_to(sink: &SmtpSink, start: &str) -> Vec<String> {
    let mut to: Vec<String> = sink
        .received()
        .into_iter()
        .filter(|m| m.parsed().subject().unwrap_or_default().starts_with(start))
        .flat_map(|m| m.to)
        .collect();
    to.sort();
    to
}

fn with<'a>(mut fields: Vec<(&'a str, &'a str)>, more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    for (name, value) in more {
        fields.retain(|(n, _)| n != name);
        fields.push((name, value));
    }
    fields
}

backend_tests! {
    async fn the_public_register_shows_what_the_guidance_publishes_and_the_organisation_sees_the_rest(app: TestApp) {
        let e = electorate(&app, &[1_000]);
        let board = app.new_visitor();
        log_in(&board, ADMIN).await;

        // A person with every field wrong: each named, nobody added.
        let refused = board
            .submit(PEOPLE, PEOPLE, &[("name", " "), ("position", ""), ("email", "not-an-address"), ("decision_maker", "")])
            .await;
        assert_eq!(refused.status(), 422);
        let page = refused.text().await.expect("body");
        for message in ["Enter the person&#x27;s name", "Enter their position", "correct format", "Say whether the person is a decision-maker"] {
            assert!(page.contains(message), "{message}: {page}");
        }
        assert_eq!(count_people(&app), 0);

        let ada = add_person(&board, "Dr Ada Lovelace", "Governing body GP member", "yes").await;
        let sam = add_person(&board, "Sam Clerk", "Governance officer", "no").await;
        let twice = board
            .submit(PEOPLE, PEOPLE, &[("name", "dr ada lovelace"), ("position", "Governing body GP member"), ("decision_maker", "yes")])
            .await;
        assert_eq!(twice.status(), 422);
        assert!(twice.text().await.expect("body").contains("is on the register already"));
        assert_eq!(count_people(&app), 2);

        // Shares declared 60 days after they were bought: recorded, flagged late.
        let late_start = days_ago(60);
        let (status, _) = declare(&board, &declaration(&ada, "Riverside Health Ltd", &late_start)).await;
        assert_eq!(status, 303);
        // The same again is refused, and not written twice.
        let (status, body) = declare(&board, &declaration(&ada, "Riverside Health Ltd", &late_start)).await;
        assert_eq!(status, 409);
        assert!(body.contains("already has this interest on the register"), "{body}");
        assert_eq!(count_interests(&app), 1);

        // Hospitality needs its value and whether it was accepted.
        let recent = days_ago(3);
        let hospitality = with(
            declaration(&ada, "Pharmaco UK", &recent),
            &[("category", "indirect"), ("kind", "hospitality"), ("description", "Dinner at a sponsored educational event")],
        );
        let (status, body) = declare(&board, &hospitality).await;
        assert_eq!(status, 422);
        assert!(body.contains("Enter the value of the gift or hospitality") && body.contains("accepted or declined"), "{body}");
        let (status, body) = declare(&board, &with(hospitality.clone(), &[("value", "45.5")])).await;
        assert_eq!(status, 422, "pence need two digits");
        assert!(body.contains("Enter the value in pounds"), "{body}");
        let (status, _) = declare(&board, &with(hospitality, &[("value", "45.50"), ("accepted", "declined")])).await;
        assert_eq!(status, 303);

        // Dates out of order, a future declaration, an unknown person and type: all named.
        let tomorrow = (today() + Duration::days(1)).to_string();
        let (status, body) = declare(
            &board,
            &with(
                declaration("999999", "Somebody", &recent),
                &[("ends", &days_ago(10)), ("declared", &tomorrow), ("kind", "bribes")],
            ),
        )
        .await;
        assert_eq!(status, 422);
        for message in ["Choose whose interest this is", "Choose the type of interest"] {
            assert!(body.contains(message), "{message}: {body}");
        }
        // Every wrong field is named at once, even with the type and start unreadable.
        let (status, body) = declare(
            &board,
            &with(declaration(&ada, "", "0999-01-01"), &[("kind", ""), ("management", ""), ("accepted", "accepted")]),
        )
        .await;
        assert_eq!(status, 422);
        for message in [
            "Choose the type of interest",
            "Enter when the interest arose as a date between 1900 and 2100",
            "Enter who the interest is with",
            "Enter the action agreed to manage the interest",
        ] {
            assert!(body.contains(message), "{message}: {body}");
        }
        let (status, body) = declare(&board, &with(declaration(&ada, "Somebody", &recent), &[("ends", &days_ago(10)), ("declared", &tomorrow)])).await;
        assert_eq!(status, 422);
        assert!(body.contains("cannot end before it started") && body.contains("cannot be in the future"), "{body}");
        assert_eq!(count_interests(&app), 2);

        // Ended eight months ago: kept, no longer public.
        let (two_years, eight_months) = (months_ago(24), months_ago(8));
        let ended = with(
            declaration(&ada, "Old Partners LLP", &two_years),
            &[("kind", "outside_employment"), ("ends", &eight_months), ("declared", &two_years)],
        );
        assert_eq!(declare(&board, &ended).await.0, 303);
        // Ended seven years ago: past keeping, shown to nobody.
        let (nine_years, seven_years) = (months_ago(108), months_ago(84));
        let expired = with(
            declaration(&ada, "Long Gone Ltd", &nine_years),
            &[("ends", &seven_years), ("declared", &nine_years)],
        );
        assert_eq!(declare(&board, &expired).await.0, 303);
        // Withheld with a reason.
        let withheld = with(
            declaration(&ada, "Safehouse Trust", &recent),
            &[("category", "non_financial_personal"), ("kind", "other"), ("withheld_reason", "Publishing it would put the member at risk")],
        );
        assert_eq!(declare(&board, &withheld).await.0, 303);
        // Not a decision-maker.
        assert_eq!(declare(&board, &declaration(&sam, "Clerks Guild", &recent)).await.0, 303);

        // The public register.
        let public = app.new_visitor();
        let (status, page) = public.get_text(REGISTER).await;
        assert_eq!(status, 200);
        assert!(page.contains("Riverside Health Ltd") && page.contains("Pharmaco UK"), "{page}");
        assert!(page.contains("£45.50, declined"), "{page}");
        assert!(page.contains("Declared late"), "{page}");
        for hidden in ["Old Partners LLP", "Long Gone Ltd", "Safehouse Trust", "Clerks Guild", "Sam Clerk", "at risk"] {
            assert!(!page.contains(hidden), "{hidden} is not public: {page}");
        }
        assert!(!page.contains("Record a declaration"), "the public cannot record");
        let csv = public.get("/organisations/08V/interests.csv").await;
        assert_eq!(csv.status(), 200);
        assert!(csv.headers()["content-type"].to_str().expect("type").starts_with("text/csv"));
        let csv = csv.text().await.expect("csv");
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 2, "{csv}");
        let riverside = rows.iter().find(|r| &r[4] == "Riverside Health Ltd").expect("the shares");
        assert_eq!((&riverside[0], &riverside[9]), ("Dr Ada Lovelace", "yes"));
        let pharmaco = rows.iter().find(|r| &r[4] == "Pharmaco UK").expect("the hospitality");
        assert_eq!((&pharmaco[9], &pharmaco[10], &pharmaco[11]), ("no", "£45.50", "declined"));

        // A member practice's representative sees the public register only.
        let rep = app.new_visitor();
        log_in(&rep, e.rep_of("F84001")).await;
        let (status, page) = rep.get_text(REGISTER).await;
        assert_eq!(status, 200);
        assert!(!page.contains("Safehouse Trust"));
        assert_eq!(rep.get(DECLARE).await.status(), 403);

        // The LMC's observer sees all that is kept, each marked with why it is not public.
        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        let (status, page) = observer.get_text(REGISTER).await;
        assert_eq!(status, 200);
        assert!(page.contains("Old Partners LLP") && page.contains("no longer on the public register"), "{page}");
        // A withheld entry's details and reason are for the administrators who keep the register.
        assert!(!page.contains("Safehouse Trust") && !page.contains("at risk"), "{page}");
        assert!(page.contains("1 entry is withheld from the public register with a recorded reason"), "{page}");
        assert!(page.contains("Clerks Guild") && page.contains("Not a decision-maker"), "{page}");
        assert!(!page.contains("Long Gone Ltd"), "past its keeping");
        assert!(page.contains("1 entry was declared more than 28 days after the interest arose"), "{page}");
        let (_, as_public) = observer.get_text(&format!("{REGISTER}?view=public")).await;
        assert!(!as_public.contains("Old Partners LLP") && as_public.contains("Riverside Health Ltd"));

        let (_, keeper) = board.get_text(REGISTER).await;
        assert!(keeper.contains("Withheld from the public register: Publishing it would put the member at risk"), "{keeper}");

        // Audited, the late one said so; a withheld entry's reason stays out of the permanent log.
        let log = audit(&app);
        assert_eq!(log.iter().filter(|(a, _)| a == "interests.person_add").count(), 2);
        assert_eq!(log.iter().filter(|(a, _)| a == "interests.declare").count(), 6);
        assert!(log.iter().any(|(a, s)| a == "interests.declare" && s.contains("Riverside Health Ltd") && s.contains("declared late")), "{log:?}");
        assert!(log.iter().any(|(a, s)| a == "interests.declare" && s.contains("withheld from the public register")));
        assert!(!log.iter().any(|(_, s)| s.contains("at risk")), "{log:?}");

        assert_eq!(public.get("/organisations/ZZZ99/interests").await.status(), 404);
        assert_eq!(public.get("/organisations/ZZZ99/interests.csv").await.status(), 404);
    }

    async fn only_the_organisations_administrators_keep_its_register(app: TestApp) {
        let _e = electorate(&app, &[1_000]);
        let board = app.new_visitor();
        log_in(&board, ADMIN).await;
        let ada = add_person(&board, "Dr Ada Lovelace", "Governing body GP member", "yes").await;
        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        assert_eq!(observer.get(PEOPLE).await.status(), 403);
        let token = observer.csrf_token(REGISTER).await;
        let mut fields = vec![("_csrf", token.as_str())];
        let start = days_ago(2);
        fields.extend(declaration(&ada, "Riverside Health Ltd", &start));
        assert_eq!(observer.post_form(DECLARE, &fields).await.status(), 403);
        assert_eq!(count_interests(&app), 0);
        app.create_organisation("ccg", "07T", "Other CCG");
        app.create_user("other@example.org", "org_admin", Some("07T"));
        let other = app.new_visitor();
        log_in(&other, "other@example.org").await;
        assert_eq!(other.get(DECLARE).await.status(), 403);
        // An administrator of another organisation cannot record against this one's people.
        let token = other.csrf_token("/organisations/07T/interests").await;
        let mut fields = vec![("_csrf", token.as_str())];
        fields.extend(declaration(&ada, "Riverside Health Ltd", &start));
        assert_eq!(other.post_form("/organisations/07T/interests/declare", &fields).await.status(), 422, "not a person of 07T");
        assert_eq!(count_interests(&app), 0);
    }

    async fn the_annual_round_asks_everyone_and_reminds_only_those_without_a_return(app: TestApp) {
        let _e = electorate(&app, &[1_000]);
        let sink = SmtpSink::start();
        let board = app.new_visitor();
        log_in(&board, ADMIN).await;
        let ada = add_person_at(&board, "Dr Ada Lovelace", "GP member", "yes", "ada@example.org").await;
        let ben = add_person_at(&board, "Ben Lay", "Lay member", "yes", "ben@example.org").await;
        let _cy = add_person_at(&board, "Cy Exec", "Executive", "yes", "cy@example.org").await;
        let dee = add_person(&board, "Dee Nomail", "Practice manager", "no").await;

        let rounds = "/organisations/08V/interests/rounds";
        let (status, body) = {
            let r = board.submit(REGISTER, rounds, &[("title", ""), ("due", &days_ago(1))]).await;
            (r.status().as_u16(), r.text().await.expect("body"))
        };
        assert_eq!(status, 422);
        assert!(body.contains("Enter the round&#x27;s title") || body.contains("Enter the round's title"), "{body}");
        assert!(body.contains("The date due must be within the next year"), "{body}");
        let due = (today() + Duration::days(30)).to_string();
        assert_eq!(board.submit(REGISTER, rounds, &[("title", "Annual declaration 2027"), ("due", &due)]).await.status(), 303);
        app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");
        assert_eq!(
            subjects_to(&sink, "Declare your interests by"),
            vec!["ada@example.org", "ben@example.org", "cy@example.org"],
            "everyone with an address is asked"
        );
        let round = {
            let mut conn = app.pool.get().expect("connection");
            quorate::committee::register::store::rounds(&mut conn, _e.organisation_id).expect("rounds")[0].id
        };

        // Ada's declaration during the round is her return; Ben makes a nil return.
        let start = days_ago(5);
        assert_eq!(declare(&board, &declaration(&ada, "Riverside Health Ltd", &start)).await.0, 303);
        let returns = format!("{rounds}/{round}/returns");
        let refused = board.submit(REGISTER, &returns, &[("person", "999999"), ("kind", "maybe")]).await;
        assert_eq!(refused.status(), 422);
        let refused = refused.text().await.expect("body");
        assert!(refused.contains("Choose whose return this is") && refused.contains("Say whether it is a nil return"), "{refused}");
        assert_eq!(board.submit(REGISTER, &returns, &[("person", &ben), ("kind", "nil")]).await.status(), 303);

        let (_, page) = board.get_text(REGISTER).await;
        assert!(page.contains("2 returns made, 1 of them nil returns"), "{page}");
        assert!(page.contains("Cy Exec, Executive") && page.contains("Dee Nomail, Practice manager (no email address)"), "{page}");

        // The reminder goes to the one non-declarer with an address, and to nobody else.
        let remind = format!("{rounds}/{round}/remind");
        let reminded = board.submit(REGISTER, &remind, &[]).await;
        assert_eq!(reminded.status(), 303);
        app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");
        assert_eq!(subjects_to(&sink, "Reminder: declare your interests"), vec!["cy@example.org"]);
        let log = audit(&app);
        assert!(log.iter().any(|(a, s)| a == "interests.reminder" && s.contains("1 reminded by email of 2 with no return (Cy Exec, Dee Nomail)")), "{log:?}");

        // Once everyone has returned, there is nobody to remind.
        for who in [&_cy, &dee] {
            assert_eq!(board.submit(REGISTER, &returns, &[("person", who), ("kind", "nil")]).await.status(), 303);
        }
        let nobody = board.submit(REGISTER, &remind, &[]).await;
        assert_eq!(nobody.status(), 409);
        assert!(nobody.text().await.expect("body").contains("Everyone on the register has made a return"));

        // The breaches register: every wrong field named; kept from the public.
        let breaches = "/organisations/08V/interests/breaches";
        let refused = board.submit(REGISTER, breaches, &[("person", "x"), ("occurred", "2999-01-01"), ("description", ""), ("action_taken", "")]).await;
        assert_eq!(refused.status(), 422);
        let refused = refused.text().await.expect("body");
        for message in ["Choose a person on the register, or nobody", "between 1900 and 2100", "Describe the breach", "Enter the action taken"] {
            assert!(refused.contains(message), "{message}: {refused}");
        }
        let occurred = days_ago(10);
        let recorded = board
            .submit(REGISTER, breaches, &[("person", &ada), ("occurred", &occurred), ("description", "Voted on an item she had declared an interest in"), ("action_taken", "Decision re-taken at the next meeting")])
            .await;
        assert_eq!(recorded.status(), 303);
        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        let (_, seen) = observer.get_text(REGISTER).await;
        assert!(seen.contains("Dr Ada Lovelace: Voted on an item she had declared an interest in"), "{seen}");
        assert!(!seen.contains("Remind those with no return"), "observers do not act");
        let (_, public) = app.new_visitor().get_text(REGISTER).await;
        assert!(!public.contains("Voted on an item") && !public.contains("Annual declaration 2027"), "{public}");
        let log = audit(&app);
        for action in ["interests.round_open", "interests.return", "interests.reminder", "interests.breach"] {
            assert!(log.iter().any(|(a, _)| a == action), "{action}");
        }
    }

    async fn an_interest_held_on_appointment_is_late_only_28_days_after_it(app: TestApp) {
        let _e = electorate(&app, &[1_000]);
        let board = app.new_visitor();
        log_in(&board, ADMIN).await;
        let tomorrow = (today() + Duration::days(1)).to_string();
        let refused = board
            .submit(PEOPLE, PEOPLE, &[("name", "Dr New"), ("position", "GP member"), ("decision_maker", "yes"), ("appointed", &tomorrow)])
            .await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.expect("body").contains("Enter an appointment that has begun"));
        let appointed = days_ago(10);
        let response = board
            .submit(PEOPLE, PEOPLE, &[("name", "Dr New"), ("position", "GP member"), ("decision_maker", "yes"), ("appointed", &appointed)])
            .await;
        assert_eq!(response.status(), 303);
        let new = response.headers()["location"].to_str().expect("location").split("person=").nth(1).expect("id").to_owned();
        let old = add_person(&board, "Dr Old", "GP member", "yes").await;
        let years_ago = days_ago(1_000);
        assert_eq!(declare(&board, &declaration(&new, "Held Before Ltd", &years_ago)).await.0, 303);
        assert_eq!(declare(&board, &declaration(&old, "Held Long Ltd", &years_ago)).await.0, 303);
        let csv = app.new_visitor().get("/organisations/08V/interests.csv").await.text().await.expect("csv");
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        let late = |with: &str| rows.iter().find(|r| &r[4] == with).map(|r| r[9].to_owned()).expect("row");
        assert_eq!(late("Held Before Ltd"), "no", "declared within 28 days of the appointment");
        assert_eq!(late("Held Long Ltd"), "yes", "no appointment recorded: counted from when it arose");
    }

    async fn leavers_are_neither_asked_nor_published_for_long_and_returns_must_agree_with_the_register(app: TestApp) {
        let _e = electorate(&app, &[1_000]);
        let sink = SmtpSink::start();
        let board = app.new_visitor();
        log_in(&board, ADMIN).await;
        let ada = add_person_at(&board, "Dr Ada Lovelace", "GP member", "yes", "ada@example.org").await;
        let ben = add_person_at(&board, "Ben Lay", "Lay member", "yes", "ben@example.org").await;
        let cy = add_person_at(&board, "Cy Exec", "Executive", "yes", "cy@example.org").await;
        let dee = add_person(&board, "Dee Nomail", "Practice manager", "no").await;
        // Ben's shares, running when he left seven months ago; Ada's, running now.
        let (two_years, seven_months) = (months_ago(24), months_ago(7));
        assert_eq!(declare(&board, &with(declaration(&ben, "Ben Holdings Ltd", &two_years), &[("declared", &two_years)])).await.0, 303);
        assert_eq!(declare(&board, &declaration(&ada, "Riverside Health Ltd", &days_ago(3))).await.0, 303);

        // Ben's page: his details, every wrong field named, nothing changed.
        let ben_page = format!("{PEOPLE}/{ben}");
        let (status, page) = board.get_text(&ben_page).await;
        assert_eq!(status, 200);
        assert!(page.contains("Ben Holdings Ltd") && page.contains("value=\"ben@example.org\""), "{page}");
        let refused = board
            .submit(&ben_page, &ben_page, &[("name", "Ben Lay"), ("position", ""), ("decision_maker", "yes"), ("appointed", &days_ago(10)), ("left", &days_ago(20))])
            .await;
        assert_eq!(refused.status(), 422);
        let refused = refused.text().await.expect("body");
        assert!(refused.contains("Enter their position") && refused.contains("Enter a date they left on or after"), "{refused}");
        assert_eq!(board.get(&format!("{PEOPLE}/999999")).await.status(), 404);
        let left = board
            .submit(&ben_page, &ben_page, &[("name", "Ben Lay"), ("position", "Lay member"), ("email", "ben@example.org"), ("decision_maker", "yes"), ("left", &seven_months)])
            .await;
        assert_eq!(left.status(), 303);
        assert!(audit(&app).iter().any(|(a, s)| a == "interests.person_update" && s.starts_with("Ben Lay: left")), "{:?}", audit(&app));
        // An interest arising after he left is not his to declare here.
        let (status, body) = declare(&board, &declaration(&ben, "After Leaving Ltd", &days_ago(2))).await;
        assert_eq!(status, 422);
        assert!(body.contains("Ben Lay left on") && body.contains("not one to declare here"), "{body}");
        // Someone else's administrator cannot change him.
        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        assert_eq!(observer.get(&ben_page).await.status(), 403);

        // His running interest left the public register six months after he did; the organisation keeps it.
        let (_, public) = app.new_visitor().get_text(REGISTER).await;
        assert!(!public.contains("Ben Holdings Ltd") && !public.contains("Ben Lay") && public.contains("Riverside Health Ltd"), "{public}");
        let (_, full) = board.get_text(REGISTER).await;
        assert!(full.contains("Ben Holdings Ltd") && full.contains("(left "), "{full}");

        // Returns must agree with the register: no nil return over a running interest, no "declared" with none.
        let rounds = "/organisations/08V/interests/rounds";
        let due = (today() + Duration::days(30)).to_string();
        assert_eq!(board.submit(REGISTER, rounds, &[("title", "Annual declaration 2027"), ("due", &due)]).await.status(), 303);
        let again = board.submit(REGISTER, rounds, &[("title", "Another"), ("due", &due)]).await;
        assert_eq!(again.status(), 409, "one round at a time");
        assert!(again.text().await.expect("body").contains("Annual declaration 2027 is open until"));
        app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");
        assert_eq!(
            subjects_to(&sink, "Declare your interests by"),
            vec!["ada@example.org", "cy@example.org"],
            "the leaver is not asked, and the second round sent nothing"
        );
        let round = {
            let mut conn = app.pool.get().expect("connection");
            quorate::committee::register::store::rounds(&mut conn, _e.organisation_id).expect("rounds")[0].id
        };
        let returns = format!("{rounds}/{round}/returns");
        let (_, page) = board.get_text(REGISTER).await;
        assert!(page.contains("<li>Cy Exec, Executive</li>") && !page.contains("<li>Ben Lay, Lay member</li>"), "{page}");
        let return_of = |who: &str, kind: &str| (who.to_owned(), kind.to_owned());
        for ((who, kind), message) in [
            (return_of(&ada, "nil"), "has 1 interest running on the register, so cannot make a nil return"),
            (return_of(&cy, "declared"), "has no interest running on the register"),
            (return_of(&ben, "nil"), "has left and makes no return"),
        ] {
            let refused = board.submit(REGISTER, &returns, &[("person", &who), ("kind", &kind)]).await;
            assert_eq!(refused.status(), 422);
            let body = refused.text().await.expect("body");
            assert!(body.contains(message), "{message}: {body}");
        }
        assert_eq!(board.submit(REGISTER, &returns, &[("person", &cy), ("kind", "nil")]).await.status(), 303);

        // Ada's interest ends: the end is checked, recorded once, and then her nil return is right.
        let riverside = {
            let mut conn = app.pool.get().expect("connection");
            quorate::committee::register::store::interests_of_organisation(&mut conn, _e.organisation_id)
                .expect("interests")
                .into_iter()
                .find(|i| i.counterparty == "Riverside Health Ltd")
                .expect("Ada's shares")
                .id
        };
        let ada_page = format!("{PEOPLE}/{ada}");
        let end = format!("/organisations/08V/interests/entries/{riverside}/end");
        let tomorrow = (today() + Duration::days(1)).to_string();
        for (ended, message) in [(days_ago(10), "Enter an end on or after the day the interest arose"), (tomorrow, "Enter an end today or earlier"), (String::new(), "Enter when the interest ended")] {
            let refused = board.submit(&ada_page, &end, &[("ended", &ended)]).await;
            assert_eq!(refused.status(), 422);
            let body = refused.text().await.expect("body");
            assert!(body.contains(message) && body.contains(&format!("href=\"#ended-{riverside}\"")), "{message}: {body}");
        }
        assert_eq!(board.submit(&ada_page, &end, &[("ended", &days_ago(1))]).await.status(), 303);
        let twice = board.submit(&ada_page, &end, &[("ended", &days_ago(1))]).await;
        assert_eq!(twice.status(), 409);
        assert!(twice.text().await.expect("body").contains("recorded as ended already"));
        assert!(audit(&app).iter().any(|(a, s)| a == "interests.end" && s.contains("Riverside Health Ltd ended on")));
        assert_eq!(board.submit(REGISTER, &returns, &[("person", &ada), ("kind", "nil")]).await.status(), 303);
        // Still public for six months after it ended.
        let (_, public) = app.new_visitor().get_text(REGISTER).await;
        assert!(public.contains("Riverside Health Ltd"), "{public}");

        // The one left without a return has no address: nobody is emailed, and the page says so.
        let remind = format!("{rounds}/{round}/remind");
        let nobody = board.submit(REGISTER, &remind, &[]).await;
        assert_eq!(nobody.status(), 409);
        assert!(nobody.text().await.expect("body").contains("None of the 1 with no return has an email address"));
        let reminded_at = {
            let mut conn = app.pool.get().expect("connection");
            quorate::committee::register::store::rounds(&mut conn, _e.organisation_id).expect("rounds")[0].last_reminded_at
        };
        assert_eq!(reminded_at, None, "no reminder is recorded when nobody was emailed");
        let _ = dee;
    }

    async fn a_long_register_is_read_fifty_people_to_a_page(app: TestApp) {
        let e = electorate(&app, &[1_000]);
        {
            let mut conn = app.pool.get().expect("connection");
            for n in 0..60 {
                quorate::committee::register::store::insert_person(
                    &mut conn,
                    &quorate::committee::register::store::NewPerson {
                        organisation_id: e.organisation_id,
                        name: format!("Person {n:02}"),
                        email: None,
                        position: "GP member".into(),
                        decision_maker: true,
                        user_id: None,
                        added_at: chrono::Utc::now().naive_utc(),
                        appointed_on: None,
                    },
                )
                .expect("person");
            }
        }
        let public = app.new_visitor();
        let (_, first) = public.get_text(REGISTER).await;
        assert!(first.contains("People 1 to 50 of 60") && first.contains("Person 49") && !first.contains("Person 50"), "{first}");
        assert!(first.contains("Next people") && first.contains("/organisations/08V/interests?page") && !first.contains("Previous people"), "{first}");
        let (_, second) = public.get_text(&format!("{REGISTER}?page=2")).await;
        assert!(second.contains("People 51 to 60 of 60") && second.contains("Person 59") && !second.contains("Person 49"), "{second}");
        assert!(second.contains("Previous people") && !second.contains("Next people"), "{second}");
        let (status, beyond) = public.get_text(&format!("{REGISTER}?page=99")).await;
        assert_eq!(status, 200);
        assert!(beyond.contains("People 51 to 60 of 60"), "a page past the end shows the last");
    }
}

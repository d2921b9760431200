//! Every route of the route table × every role, inside the organisation
//! that owns the objects and outside it: who is let in and who is not.
//!
//! The routes are read from `src/web/routes.rs` itself, so a route added
//! without an entry in `ACCESS` fails this test. Every GET is tried by every
//! role and must be let in or kept out exactly as its access class says.
//! Every POST and PUT is tried by every role its class keeps out (with a
//! valid CSRF token for pages), and must be refused: writes are not tried
//! by the roles let in, whose forms and bodies their own tests cover.
//! Set `ROUTE_MATRIX_PRINT=1` to print what each role met.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::ballots::{
    self, ADMIN, OBSERVER, action, add_representative, create_ballot, electorate, log_in, open_when_due,
    vote_with_link, voting_links,
};
use common::{PASSWORD, TestApp};
use serde_json::json;

/// Who may use a route on an organisation's objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any account.
    SignedIn,
    /// System administrators only.
    SystemAdmin,
    /// Those who run the organisation: its administrators and returning
    /// officers, and system administrators.
    Runs,
    /// Those who run it and the observers of an LMC that covers it.
    Oversees,
    /// Those who oversee it and the representatives of its member practices.
    Views,
    /// The representatives of its member practices (they vote).
    Member,
    /// Its administrators and system administrators (the register).
    Administers,
    /// Observers of any LMC, for their own LMC's dashboard, and system
    /// administrators.
    AnyObserver,
    /// Only the person the object belongs to, who is none of the roles here
    /// (another user's API token, a trustee's upload).
    OwnerOnly,
    /// A secret in the address (a voting link, a reset link): a made-up one
    /// opens nothing for anybody.
    Secret,
    /// The second step of a sign-in (a right password, a code to come):
    /// no role here is half-way through one, so all go back to log in.
    SigningIn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Anonymous,
    SystemAdmin,
    OrgAdmin,
    ReturningOfficer,
    Representative,
    Observer,
    OtherOrgAdmin,
    OtherRepresentative,
    OtherObserver,
}

const ROLES: [Role; 9] = [
    Role::Anonymous,
    Role::SystemAdmin,
    Role::OrgAdmin,
    Role::ReturningOfficer,
    Role::Representative,
    Role::Observer,
    Role::OtherOrgAdmin,
    Role::OtherRepresentative,
    Role::OtherObserver,
];

impl Access {
    fn lets_in(self, role: Role) -> bool {
        use Role::*;
        match self {
            Access::Public => true,
            Access::SignedIn => role != Anonymous,
            Access::SystemAdmin => role == SystemAdmin,
            Access::Runs => matches!(role, SystemAdmin | OrgAdmin | ReturningOfficer),
            Access::Oversees => matches!(role, SystemAdmin | OrgAdmin | ReturningOfficer | Observer),
            Access::Views => matches!(
                role,
                SystemAdmin | OrgAdmin | ReturningOfficer | Observer | Representative
            ),
            Access::Member => role == Representative,
            Access::Administers => matches!(role, SystemAdmin | OrgAdmin),
            Access::AnyObserver => matches!(role, SystemAdmin | Observer | OtherObserver),
            Access::OwnerOnly | Access::Secret | Access::SigningIn => false,
        }
    }
}

/// (method, path as in the route table, who may use it).
const ACCESS: &[(&str, &str, Access)] = &[
    ("GET", "/", Access::SignedIn),
    ("GET", "/accessibility", Access::Public),
    ("GET", "/privacy", Access::Public),
    ("GET", "/account", Access::SignedIn),
    ("GET", "/account/email/{token}", Access::Secret),
    ("POST", "/account/email", Access::SignedIn),
    ("POST", "/account/email/{token}", Access::Secret),
    ("POST", "/account/password", Access::SignedIn),
    ("POST", "/account/sessions/end", Access::SignedIn),
    ("POST", "/account/tokens", Access::SignedIn),
    ("GET", "/account/two-factor", Access::SignedIn),
    ("POST", "/account/two-factor", Access::SignedIn),
    ("POST", "/account/two-factor/off", Access::SignedIn),
    ("POST", "/account/two-factor/recovery-codes", Access::SignedIn),
    ("POST", "/account/tokens/{id}/revoke", Access::OwnerOnly),
    ("POST", "/account/sso/{id}/remove", Access::OwnerOnly),
    ("GET", "/admin/bounces", Access::SystemAdmin),
    ("GET", "/admin/users", Access::SystemAdmin),
    ("GET", "/admin/users/{id}/export.json", Access::SystemAdmin),
    ("GET", "/admin/users/invite", Access::SystemAdmin),
    ("POST", "/admin/users/invite", Access::SystemAdmin),
    ("GET", "/admin/users/{id}/email", Access::SystemAdmin),
    ("POST", "/admin/users/{id}/email", Access::SystemAdmin),
    ("POST", "/admin/users/{id}/sessions/end", Access::SystemAdmin),
    ("GET", "/admin/users/{id}/two-factor/reset", Access::SystemAdmin),
    ("POST", "/admin/users/{id}/two-factor/reset", Access::SystemAdmin),
    ("GET", "/api/v1/ballots/{id}", Access::Views),
    ("PUT", "/api/v1/ballots/{id}", Access::Runs),
    ("GET", "/api/v1/ballots/{id}/board", Access::Public),
    ("GET", "/api/v1/ballots/{id}/certificate", Access::Public),
    ("POST", "/api/v1/ballots/{id}/certificate", Access::Runs),
    ("GET", "/api/v1/ballots/{id}/election", Access::Public),
    ("GET", "/api/v1/ballots/{id}/electorate", Access::Oversees),
    ("POST", "/api/v1/ballots/{id}/receipt", Access::Member),
    ("GET", "/api/v1/ballots/{id}/results", Access::Views),
    ("GET", "/api/v1/ballots/{id}/trustees", Access::Oversees),
    ("PUT", "/api/v1/ballots/{id}/trustees", Access::Runs),
    ("POST", "/api/v1/ballots/{id}/trustees/upload", Access::OwnerOnly),
    ("POST", "/api/v1/ballots/{id}/votes", Access::Member),
    ("POST", "/api/v1/ballots/{id}/{action}", Access::Runs),
    ("GET", "/api/v1/organisations/{code}/committees", Access::SignedIn),
    ("GET", "/api/v1/committees/{id}", Access::SignedIn),
    ("GET", "/api/v1/meetings/{id}", Access::SignedIn),
    (
        "POST",
        "/api/v1/meetings/{id}/items/{item}/declarations",
        Access::Administers,
    ),
    (
        "POST",
        "/api/v1/meetings/{id}/items/{item}/decision",
        Access::Administers,
    ),
    ("GET", "/api/v1/consultations/{id}", Access::Views),
    ("GET", "/api/v1/consultations/{id}/questions", Access::Views),
    ("GET", "/api/v1/consultations/{id}/response", Access::Member),
    ("PUT", "/api/v1/consultations/{id}/response", Access::Member),
    ("GET", "/api/v1/openapi.json", Access::Public),
    ("GET", "/api/v1/organisations", Access::SignedIn),
    ("POST", "/api/v1/organisations", Access::SystemAdmin),
    ("GET", "/api/v1/organisations/{code}", Access::Views),
    ("GET", "/api/v1/organisations/{code}/ballots", Access::Views),
    ("POST", "/api/v1/organisations/{code}/ballots", Access::Runs),
    ("GET", "/api/v1/organisations/{code}/consultations", Access::Views),
    ("GET", "/api/v1/organisations/{code}/practices", Access::Oversees),
    ("POST", "/api/v1/organisations/{code}/practices", Access::Administers),
    ("PUT", "/api/v1/organisations/{code}/settings", Access::Runs),
    ("PATCH", "/api/v1/organisations/{code}/settings", Access::Runs),
    ("GET", "/api/v1/practices/{ods}", Access::Views),
    ("PUT", "/api/v1/practices/{ods}", Access::Administers),
    ("POST", "/api/v1/practices/{ods}/representatives", Access::Administers),
    ("GET", "/assets/{path:.*}", Access::Public),
    ("GET", "/ballots/{id}", Access::Views),
    ("GET", "/ballots/{id}/board", Access::Public),
    ("GET", "/ballots/{id}/board.json", Access::Public),
    ("GET", "/ballots/{id}/cancel", Access::Runs),
    ("POST", "/ballots/{id}/cancel", Access::Runs),
    ("GET", "/ballots/{id}/certificate", Access::Public),
    ("POST", "/ballots/{id}/certificate", Access::Runs),
    ("GET", "/ballots/{id}/certificate.json", Access::Public),
    ("GET", "/ballots/{id}/certificate.pdf", Access::Public),
    ("GET", "/ballots/{id}/close", Access::Runs),
    ("POST", "/ballots/{id}/close", Access::Runs),
    ("GET", "/ballots/{id}/edit", Access::Runs),
    ("POST", "/ballots/{id}/edit", Access::Runs),
    ("GET", "/ballots/{id}/election.json", Access::Public),
    ("GET", "/ballots/{id}/electorate", Access::Oversees),
    ("GET", "/ballots/{id}/evidence", Access::Oversees),
    ("GET", "/ballots/{id}/extend", Access::Runs),
    ("POST", "/ballots/{id}/extend", Access::Runs),
    ("POST", "/ballots/{id}/links", Access::Runs),
    ("GET", "/ballots/{id}/resume", Access::Runs),
    ("POST", "/ballots/{id}/resume", Access::Runs),
    ("GET", "/ballots/{id}/suspend", Access::Runs),
    ("POST", "/ballots/{id}/suspend", Access::Runs),
    ("GET", "/ballots/{id}/void", Access::Runs),
    ("POST", "/ballots/{id}/void", Access::Runs),
    ("GET", "/ballots/{id}/publish", Access::Runs),
    ("POST", "/ballots/{id}/publish", Access::Runs),
    ("GET", "/ballots/{id}/receipt", Access::Public),
    ("POST", "/ballots/{id}/receipt", Access::Public),
    ("GET", "/ballots/{id}/results", Access::Views),
    ("GET", "/ballots/{id}/results.csv", Access::Views),
    ("GET", "/ballots/{id}/stages.csv", Access::Views),
    ("GET", "/ballots/{id}/papers.blt", Access::Views),
    ("GET", "/ballots/{id}/nominations", Access::Views),
    ("POST", "/ballots/{id}/nominations", Access::Member),
    ("GET", "/ballots/{id}/nominations/call", Access::Runs),
    ("POST", "/ballots/{id}/nominations/call", Access::Runs),
    ("POST", "/ballots/{id}/nominations/publish", Access::Runs),
    ("POST", "/ballots/{id}/nominations/declare", Access::Runs),
    ("POST", "/ballots/{id}/nominations/{nomination}/second", Access::Member),
    ("GET", "/ballots/{id}/proxy", Access::Member),
    ("POST", "/ballots/{id}/proxy", Access::Member),
    ("POST", "/ballots/{id}/proxy/{instrument}/accept", Access::Member),
    ("POST", "/ballots/{id}/proxy/{instrument}/revoke", Access::Member),
    ("GET", "/nominations/{token}", Access::Secret),
    ("POST", "/nominations/{token}", Access::Secret),
    ("POST", "/nominations/{token}/withdraw", Access::Secret),
    ("GET", "/ballots/{id}/trustees", Access::Oversees),
    ("POST", "/ballots/{id}/trustees", Access::Runs),
    ("GET", "/ballots/{id}/trustees.json", Access::Oversees),
    ("POST", "/ballots/{id}/trustees/upload", Access::OwnerOnly),
    ("GET", "/ballots/{id}/vote", Access::Member),
    ("POST", "/ballots/{id}/vote", Access::Member),
    ("POST", "/ballots/{id}/vote/check", Access::Member),
    ("POST", "/ballots/{id}/vote/confirm", Access::Member),
    ("POST", "/ballots/{id}/vote/receipt", Access::Member),
    ("GET", "/consultations/{id}", Access::Views),
    ("GET", "/consultations/{id}/edit", Access::Runs),
    ("POST", "/consultations/{id}/edit", Access::Runs),
    ("GET", "/consultations/{id}/delete", Access::Runs),
    ("POST", "/consultations/{id}/delete", Access::Runs),
    ("POST", "/consultations/{id}/ballot", Access::Runs),
    ("POST", "/consultations/{id}/close", Access::Runs),
    ("GET", "/consultations/{id}/documents/{doc}", Access::Views),
    ("POST", "/consultations/{id}/documents", Access::Runs),
    ("GET", "/consultations/{id}/impact", Access::Member),
    ("POST", "/consultations/{id}/impact", Access::Member),
    ("GET", "/consultations/{id}/impact.csv", Access::Member),
    ("GET", "/consultations/{id}/impact/summary", Access::Oversees),
    ("POST", "/consultations/{id}/publish", Access::Runs),
    ("POST", "/consultations/{id}/questions", Access::Member),
    ("POST", "/consultations/{id}/questions/{question}/answer", Access::Runs),
    ("POST", "/consultations/{id}/response", Access::Member),
    ("GET", "/consultations/{id}/responses", Access::Oversees),
    ("GET", "/consultations/{id}/responses.csv", Access::Oversees),
    ("GET", "/consultations/{id}/timeline", Access::Oversees),
    ("GET", "/forgot-password", Access::Public),
    ("POST", "/forgot-password", Access::Public),
    ("GET", "/healthz", Access::Public),
    ("GET", "/readyz", Access::Public),
    ("GET", "/metrics", Access::Secret),
    ("GET", "/lmc", Access::AnyObserver),
    ("GET", "/login", Access::Public),
    ("POST", "/login", Access::Public),
    ("GET", "/login/code", Access::SigningIn),
    ("GET", "/login/sso/{id}", Access::SigningIn),
    ("GET", "/login/sso/{id}/callback", Access::SigningIn),
    ("POST", "/login/sso/{id}/link", Access::SigningIn),
    ("GET", "/login/sso/{id}/link/{token}", Access::SigningIn),
    ("POST", "/login/sso/{id}/link/{token}", Access::SigningIn),
    ("POST", "/login/code", Access::SigningIn),
    ("GET", "/login/two-factor", Access::SigningIn),
    ("POST", "/login/two-factor", Access::SigningIn),
    ("POST", "/logout", Access::SignedIn),
    ("GET", "/organisations", Access::SignedIn),
    ("POST", "/organisations", Access::SystemAdmin),
    ("GET", "/organisations/create", Access::SystemAdmin),
    ("GET", "/organisations/{code}", Access::Views),
    ("GET", "/organisations/{code}/audit", Access::Oversees),
    ("GET", "/organisations/{code}/audit.csv", Access::Oversees),
    ("GET", "/organisations/{code}/ballots", Access::Views),
    ("POST", "/organisations/{code}/ballots", Access::Runs),
    ("GET", "/organisations/{code}/ballots/new", Access::Runs),
    ("GET", "/organisations/{code}/planner", Access::Runs),
    ("GET", "/organisations/{code}/consultations", Access::Views),
    ("POST", "/organisations/{code}/consultations", Access::Runs),
    ("GET", "/organisations/{code}/consultations/new", Access::Runs),
    ("GET", "/organisations/{code}/deliveries", Access::Oversees),
    ("POST", "/organisations/{code}/deliveries/{id}/resend", Access::Runs),
    ("GET", "/organisations/{code}/committees", Access::Public),
    ("GET", "/organisations/{code}/committees/new", Access::Administers),
    ("POST", "/organisations/{code}/committees/new", Access::Administers),
    ("GET", "/committees/{id}", Access::Public),
    ("GET", "/committees/{id}/terms", Access::Administers),
    ("POST", "/committees/{id}/terms", Access::Administers),
    ("POST", "/committees/{id}/members", Access::Administers),
    ("POST", "/committees/{id}/members/{person}/remove", Access::Administers),
    ("POST", "/committees/{id}/meetings", Access::Administers),
    ("GET", "/meetings/{id}", Access::Public),
    ("GET", "/meetings/{id}/calendar.ics", Access::Public),
    ("POST", "/meetings/{id}/items", Access::Administers),
    ("POST", "/meetings/{id}/attendance", Access::Administers),
    ("POST", "/meetings/{id}/items/{item}/declarations", Access::Administers),
    ("POST", "/meetings/{id}/items/{item}/decision", Access::Administers),
    ("POST", "/meetings/{id}/notice", Access::Administers),
    ("POST", "/meetings/{id}/items/{item}/papers", Access::Administers),
    ("GET", "/meetings/{id}/items/{item}/papers/{paper}", Access::Public),
    ("POST", "/organisations/{code}/interests/rounds", Access::Administers),
    (
        "POST",
        "/organisations/{code}/interests/rounds/{round}/returns",
        Access::Administers,
    ),
    (
        "POST",
        "/organisations/{code}/interests/rounds/{round}/remind",
        Access::Administers,
    ),
    ("POST", "/organisations/{code}/interests/breaches", Access::Administers),
    ("POST", "/meetings/{id}/minutes", Access::Administers),
    ("POST", "/meetings/{id}/minutes/approve", Access::Administers),
    ("POST", "/meetings/{id}/minutes/publish", Access::Administers),
    ("GET", "/organisations/{code}/interests", Access::Public),
    ("GET", "/organisations/{code}/interests.csv", Access::Public),
    ("GET", "/organisations/{code}/interests/people", Access::Administers),
    ("POST", "/organisations/{code}/interests/people", Access::Administers),
    (
        "GET",
        "/organisations/{code}/interests/people/{person}",
        Access::Administers,
    ),
    (
        "POST",
        "/organisations/{code}/interests/people/{person}",
        Access::Administers,
    ),
    (
        "POST",
        "/organisations/{code}/interests/entries/{interest}/end",
        Access::Administers,
    ),
    ("GET", "/meetings/{id}/items/{item}", Access::Public),
    ("GET", "/organisations/{code}/interests/declare", Access::Administers),
    ("POST", "/organisations/{code}/interests/declare", Access::Administers),
    ("GET", "/organisations/{code}/import", Access::Administers),
    ("POST", "/organisations/{code}/import", Access::Administers),
    ("GET", "/organisations/{code}/import/{token}", Access::Secret),
    ("POST", "/organisations/{code}/import/{token}/confirm", Access::Secret),
    ("GET", "/organisations/{code}/key", Access::Public),
    ("GET", "/organisations/{code}/keys.json", Access::Public),
    ("POST", "/organisations/{code}/lmcs/{action}", Access::Administers),
    ("GET", "/organisations/{code}/practices", Access::Oversees),
    ("GET", "/organisations/{code}/practices/new", Access::Administers),
    ("POST", "/organisations/{code}/practices/new", Access::Administers),
    ("GET", "/organisations/{code}/proposals", Access::Administers),
    (
        "POST",
        "/organisations/{code}/proposals/{id}/{decision}",
        Access::Administers,
    ),
    ("GET", "/organisations/{code}/register.csv", Access::Oversees),
    ("GET", "/organisations/{code}/settings", Access::Oversees),
    ("GET", "/organisations/{code}/account-requests", Access::Administers),
    (
        "GET",
        "/organisations/{code}/account-requests/{id}",
        Access::Administers,
    ),
    (
        "POST",
        "/organisations/{code}/account-requests/{id}",
        Access::Administers,
    ),
    ("GET", "/organisations/{code}/sign-in", Access::Administers),
    ("POST", "/organisations/{code}/sign-in", Access::Administers),
    ("POST", "/organisations/{code}/settings", Access::Runs),
    ("GET", "/password/{token}", Access::Secret),
    ("POST", "/password/{token}", Access::Secret),
    ("GET", "/practices/{ods}", Access::Views),
    ("GET", "/practices/{ods}/edit", Access::Administers),
    ("POST", "/practices/{ods}/edit", Access::Administers),
    ("GET", "/practices/{ods}/propose", Access::Member),
    ("POST", "/practices/{ods}/propose", Access::Member),
    ("POST", "/practices/{ods}/representatives", Access::Administers),
    ("GET", "/practices/{ods}/representatives/{id}/end", Access::Administers),
    ("POST", "/practices/{ods}/representatives/{id}/end", Access::Administers),
    ("GET", "/setup/{token}", Access::Secret),
    ("POST", "/setup/{token}", Access::Secret),
    ("GET", "/verify", Access::Public),
    ("POST", "/verify", Access::Public),
    ("GET", "/vote/{token}", Access::Secret),
    ("POST", "/vote/{token}", Access::Secret),
    ("POST", "/vote/{token}/check", Access::Secret),
    ("POST", "/vote/{token}/confirm", Access::Secret),
    ("POST", "/vote/{token}/receipt", Access::Secret),
    ("GET", "/vote/{token}/consultations/{id}", Access::Secret),
    (
        "GET",
        "/vote/{token}/consultations/{id}/documents/{doc}",
        Access::Secret,
    ),
    ("GET", "/vote/{token}/papers", Access::Secret),
];

/// (method, path) of every route in the table, API routes with their prefix.
fn routes_in_table() -> BTreeSet<(String, String)> {
    let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/routes.rs")).expect("table");
    let api_from = table.find("web::scope(\"/api/v1\")").expect("the API scope");
    let mut routes = BTreeSet::new();
    let mut rest = table.as_str();
    let mut offset = 0;
    while let Some(at) = rest.find("resource(\"") {
        let start = at + "resource(\"".len();
        let end = start + rest[start..].find('"').expect("closing quote");
        let path = &rest[start..end];
        let prefix = if offset + at > api_from { "/api/v1" } else { "" };
        let after = &rest[end..];
        let until = after.find("resource(\"").unwrap_or(after.len());
        for method in ["get", "post", "put", "patch"] {
            if after[..until].contains(&format!("{method}().to(")) {
                routes.insert((method.to_uppercase(), format!("{prefix}{path}")));
            }
        }
        offset += end;
        rest = after;
    }
    routes
}

#[test]
fn every_route_in_the_table_has_an_access_class_and_no_other_does() {
    let table = routes_in_table();
    assert!(table.len() > 100, "{} routes read from the table", table.len());
    let listed: BTreeSet<(String, String)> = ACCESS
        .iter()
        .map(|(method, path, _)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    let missing: Vec<_> = table.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&table).collect();
    assert!(missing.is_empty(), "routes without an access class: {missing:#?}");
    assert!(
        stale.is_empty(),
        "access classes of routes no longer in the table: {stale:#?}"
    );
    assert_eq!(listed.len(), ACCESS.len(), "a route listed twice");
}

/// The organisation's objects, and a session and API token per role.
struct World {
    /// The organisation's constitution settings as the API takes them.
    settings: serde_json::Value,
    ballot_open: i64,
    ballot_draft: i64,
    ballot_verifiable: i64,
    ballot_done: i64,
    /// A draft election that has called for nominations.
    ballot_election: i64,
    consultation: i64,
    document: i64,
    question: i64,
    bystander_user: i32,
    bystander_token: i32,
    representative_row: i32,
    delivery: i32,
    proposal: i32,
    /// A practice's staff member's request for an account, waiting.
    account_request: i32,
    /// A committee with one member, and a meeting of it with one item.
    committee: i32,
    person: i32,
    /// An interest of that person on the register.
    interest: i32,
    meeting: i32,
    item: i32,
    paper: i32,
    sessions: BTreeMap<Role, TestApp>,
    tokens: BTreeMap<Role, String>,
}

const SYSADMIN: &str = "sysadmin@example.org";
const OFFICER: &str = "officer@example.org";
const OTHER_ADMIN: &str = "admin@other.example.org";
const OTHER_REP: &str = "rep@other.example.org";
const OTHER_OBSERVER: &str = "observer@other.example.org";

fn email_of(role: Role) -> Option<&'static str> {
    match role {
        Role::Anonymous => None,
        Role::SystemAdmin => Some(SYSADMIN),
        Role::OrgAdmin => Some(ADMIN),
        Role::ReturningOfficer => Some(OFFICER),
        Role::Representative => Some("rep-1@practice.example.org"),
        Role::Observer => Some(OBSERVER),
        Role::OtherOrgAdmin => Some(OTHER_ADMIN),
        Role::OtherRepresentative => Some(OTHER_REP),
        Role::OtherObserver => Some(OTHER_OBSERVER),
    }
}

fn id_of(location: &str, prefix: &str) -> i64 {
    location.trim_start_matches(prefix).parse().expect("id in the location")
}

async fn world(app: &TestApp) -> World {
    let e = electorate(app, &[1_000, 2_000, 3_000]);
    app.create_user(SYSADMIN, "system_admin", None);
    app.create_user(OFFICER, "returning_officer", Some("08V"));
    // Another CCG, covered by another LMC, with people of its own.
    let other = app.create_organisation("ccg", "16C", "Other CCG");
    let other_lmc = app.create_organisation("lmc", "LMC02", "Other LMC");
    app.cover_with_lmc(other, other_lmc);
    let other_practice = app.create_member_practice("F85001", "Other Practice", other);
    app.create_user(OTHER_ADMIN, "org_admin", Some("16C"));
    add_representative(app, "F85001", other_practice, OTHER_REP, "nominated");
    app.create_user(OTHER_OBSERVER, "lmc_observer", Some("LMC02"));

    // A ballot voted, closed, counted and certified; another open.
    let ballot_done = create_ballot(app, &e, json!({"rules": {"allow_early_close": true}})).await;
    assert_eq!(action(app, &e, ballot_done, "publish", None).await.0, 200);
    open_when_due(app, &e, ballot_done).await;
    let links = voting_links(app, ballot_done);
    assert_eq!(
        vote_with_link(app, ballot_done, &links[e.rep_of("F84002")], "for")
            .await
            .0,
        201
    );
    assert_eq!(action(app, &e, ballot_done, "close", None).await.0, 200);
    let officer = app.new_visitor();
    log_in(&officer, OFFICER).await;
    let page = format!("/ballots/{ballot_done}/certificate");
    let issued = officer.submit(&page, &page, &[("statement", "Observed.")]).await;
    assert_eq!(issued.status(), 303, "certificate issued");
    let ballot_open = create_ballot(app, &e, json!({"rules": {"proxy_limit": 2}})).await;
    assert_eq!(action(app, &e, ballot_open, "publish", None).await.0, 200);
    open_when_due(app, &e, ballot_open).await;

    let ballot_draft = create_ballot(app, &e, json!({})).await;
    let ballot_election = create_ballot(
        app,
        &e,
        json!({
            "kind": "election", "title": "GP members", "question": "Elect two", "options": [],
            "opens_at": ballots::rfc3339_in(5 * 86_400), "closes_at": ballots::rfc3339_in(6 * 86_400),
            "rules": {"seats": 2, "count_rule": "scottish"},
        }),
    )
    .await;
    let (ballot_verifiable, _trustees) = ballots::verifiable_ballot(app, &e, 2, 2, json!({})).await;
    assert_eq!(action(app, &e, ballot_verifiable, "publish", None).await.0, 200);

    // A published consultation with a document and a question.
    let board = app.new_visitor();
    log_in(&board, ADMIN).await;
    let now = chrono::Utc::now().naive_utc();
    let (opens, closes, withdrawals) = (
        quorate::time::to_london_fields(now),
        quorate::time::to_london_fields(now + chrono::Duration::days(2)),
        quorate::time::to_london_fields(now + chrono::Duration::days(3)),
    );
    let call = format!("/ballots/{ballot_election}/nominations/call");
    let called = board
        .submit(
            &call,
            &call,
            &[
                ("opens_date", &opens.0),
                ("opens_time", &opens.1),
                ("closes_date", &closes.0),
                ("closes_time", &closes.1),
                ("withdrawals_date", &withdrawals.0),
                ("withdrawals_time", &withdrawals.1),
                ("nominators_required", "2"),
                ("statement_word_limit", "250"),
                ("eligibility", "gp_at_member_practice"),
            ],
        )
        .await;
    assert_eq!(called.status(), 303, "nominations called");
    let closes = quorate::time::to_london_fields(chrono::Utc::now().naive_utc() + chrono::Duration::days(14));
    let created = board
        .submit(
            "/organisations/08V/consultations/new",
            "/organisations/08V/consultations",
            &[
                ("title", "Delegation"),
                ("summary", "Level 3?"),
                ("body", "# Paper"),
                ("options", "Level 2 | a | b\nLevel 3 | c | d"),
                ("closes_date", &closes.0),
                ("closes_time", &closes.1),
            ],
        )
        .await;
    let path = created
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned();
    let consultation = id_of(&path, "/consultations/");
    assert_eq!(board.submit(&path, &format!("{path}/publish"), &[]).await.status(), 303);
    let csrf = board.csrf_token(&path).await;
    let form = reqwest::multipart::Form::new().text("_csrf", csrf).part(
        "document",
        reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec()).file_name("paper.pdf"),
    );
    let uploaded = board
        .client
        .post(board.url(&format!("{path}/documents")))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(uploaded.status(), 303);
    let rep1 = app.new_visitor();
    log_in(&rep1, e.rep_of("F84001")).await;
    let responded = rep1
        .submit(
            &path,
            &format!("{path}/response"),
            &[
                ("practice", "F84001"),
                ("position_0", "support"),
                ("position_1", "oppose"),
            ],
        )
        .await;
    assert_eq!(responded.status(), 303, "a response saved");
    let mut impact: Vec<(String, String)> = [("practice", "F84001"), ("contract_type", "gms"), ("list_size", "6000")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for option in 0..2 {
        for area in 0..7 {
            impact.push((format!("rating_{option}_{area}"), "same".to_owned()));
        }
    }
    let impact: Vec<(&str, &str)> = impact.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let assessed = rep1
        .submit(&format!("{path}/impact"), &format!("{path}/impact"), &impact)
        .await;
    assert_eq!(assessed.status(), 303, "an impact assessment saved");
    let rep = app.new_visitor();
    log_in(&rep, e.rep_of("F84002")).await;
    assert_eq!(
        rep.submit(&path, &format!("{path}/questions"), &[("question", "What changes?")])
            .await
            .status(),
        303
    );
    let proposed = rep
        .submit(
            "/practices/F84002/propose",
            "/practices/F84002/propose",
            &[
                ("code", "F84002"),
                ("name", "Practice Two Renamed"),
                ("status", "active"),
                ("note", "We merged."),
            ],
        )
        .await;
    assert_eq!(proposed.status(), 303, "a proposal was made");

    let mut conn = app.pool.get().expect("connection");
    let consultation_id = i32::try_from(consultation).expect("id");
    let document = quorate::consult::store::documents(&mut conn, consultation_id).expect("documents")[0].id;
    let question = quorate::consult::store::questions(&mut conn, consultation_id).expect("questions")[0]
        .0
        .id;
    let bystander = e.rep_of("F84003").to_owned();
    let bystander_user = ballots::user_id(app, &bystander);
    drop(conn);
    quorate::accounts::service::create_api_token_for(&app.pool, &bystander, "bystander").expect("token");
    let mut conn = app.pool.get().expect("connection");
    let bystander_token =
        quorate::accounts::store::api_tokens::of_user(&mut conn, bystander_user).expect("tokens")[0].id;
    let representative_row = quorate::registry::store::representatives::of_practice(&mut conn, e.practices[2].1)
        .expect("representatives")[0]
        .id;
    let delivery =
        quorate::mail::store::for_organisation(&mut conn, e.organisation_id, None, None, 1).expect("messages")[0].id;
    let proposal =
        quorate::registry::store::change_requests::pending_for(&mut conn, e.organisation_id).expect("proposals")[0].id;
    quorate::accounts::sso::store::AccountRequest::insert(
        &mut conn,
        bystander_user,
        e.practices[0].1,
        e.organisation_id,
        "cis2",
        chrono::Utc::now().naive_utc(),
    )
    .expect("account request");
    let account_request =
        quorate::accounts::sso::store::AccountRequest::waiting_for_organisation(&mut conn, e.organisation_id)
            .expect("requests")[0]
            .id;
    let (committee, person, meeting, item) = committee_world(&mut conn, e.organisation_id);
    let interest = quorate::committee::register::store::insert_interest(
        &mut conn,
        &quorate::committee::register::store::NewInterest {
            person_id: person,
            category: "financial".into(),
            kind: "shareholdings".into(),
            counterparty: "Matrix Ltd".into(),
            description: "Shares".into(),
            starts_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
            ends_on: None,
            declared_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 2).expect("date"),
            value_pence: None,
            accepted: None,
            management: "Leaves for items on it".into(),
            agreed_by: "The chair".into(),
            withheld_reason: None,
            recorded_by: None,
            recorded_at: chrono::Utc::now().naive_utc(),
        },
    )
    .expect("interest");
    let paper = quorate::committee::store::add_paper(
        &mut conn,
        item,
        "paper.pdf",
        "application/pdf",
        b"%PDF-1.4 matrix",
        "0",
        bystander_user,
        chrono::Utc::now().naive_utc(),
    )
    .expect("paper");
    drop(conn);

    let mut sessions = BTreeMap::new();
    let mut tokens = BTreeMap::new();
    for role in ROLES {
        let visitor = app.new_visitor();
        if let Some(email) = email_of(role) {
            assert_eq!(visitor.login(email, PASSWORD).await.status(), 303, "{role:?} logs in");
            tokens.insert(
                role,
                quorate::accounts::service::create_api_token_for(&app.pool, email, "matrix").expect("token"),
            );
        }
        sessions.insert(role, visitor);
    }
    let (status, organisation) = app
        .api(
            reqwest::Method::GET,
            "/api/v1/organisations/08V",
            Some(&e.admin_token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let mut settings = organisation["settings"].clone();
    settings["reason"] = json!("Matrix");
    World {
        settings,
        ballot_open,
        ballot_draft,
        ballot_verifiable,
        ballot_done,
        ballot_election,
        consultation,
        document: i64::from(document),
        question: i64::from(question),
        bystander_user,
        bystander_token,
        representative_row,
        delivery,
        proposal,
        account_request,
        committee,
        person,
        interest,
        meeting,
        item,
        paper,
        sessions,
        tokens,
    }
}

/// A committee of the organisation with one voting member, and a meeting
/// next week with one agenda item.
fn committee_world(conn: &mut quorate::db::DbConn, organisation_id: i32) -> (i32, i32, i32, i32) {
    use quorate::committee::register::store as register;
    use quorate::committee::store;
    let now = chrono::Utc::now().naive_utc();
    let person = register::insert_person(
        conn,
        &register::NewPerson {
            organisation_id,
            name: "Lay Chair".into(),
            email: None,
            position: "Lay chair".into(),
            decision_maker: true,
            user_id: None,
            added_at: now,
            appointed_on: None,
        },
    )
    .expect("person");
    let committee = store::insert_committee(
        conn,
        organisation_id,
        &store::CommitteeTerms {
            name: "Primary care commissioning committee".into(),
            quorum_numerator: 1,
            quorum_denominator: 3,
            quorum_including: "[]".into(),
            casting_vote: true,
            withhold_papers: true,
        },
        now,
    )
    .expect("committee");
    store::insert_member(
        conn,
        &store::NewMember {
            committee_id: committee,
            person_id: person,
            role: "lay_chair".into(),
            voting: true,
            substitute_for: None,
        },
    )
    .expect("member");
    let meeting = store::insert_meeting(
        conn,
        committee,
        "Meeting in public",
        now + chrono::Duration::days(7),
        "Room 1",
        now,
    )
    .expect("meeting");
    let item = store::insert_item(
        conn,
        &store::NewItem {
            meeting_id: meeting,
            position: 1,
            title: "Extended access".into(),
            description: String::new(),
            private: false,
            subjects: String::new(),
            motion: "That the committee approves the plan".into(),
            status: "open".into(),
        },
    )
    .expect("item");
    (committee, person, meeting, item)
}

/// The route's path with the organisation's objects in it.
fn concrete(path: &str, w: &World) -> String {
    let ballot = if ["certificate", "board", "results", "receipt", "evidence"]
        .iter()
        .any(|p| path.contains(p))
    {
        w.ballot_done
    } else if path.contains("/nominations") {
        w.ballot_election
    } else if path.contains("trustees") || path.contains("election") {
        w.ballot_verifiable
    } else if path.contains("/edit") {
        w.ballot_draft
    } else {
        w.ballot_open
    };
    let id = if path.contains("/ballots/{id}") {
        ballot
    } else if path.contains("/consultations/{id}") {
        w.consultation
    } else if path.contains("/admin/users/{id}") {
        i64::from(w.bystander_user)
    } else if path.contains("/account/tokens/{id}") {
        i64::from(w.bystander_token)
    } else if path.contains("/representatives/{id}") {
        i64::from(w.representative_row)
    } else if path.contains("/deliveries/{id}") {
        i64::from(w.delivery)
    } else if path.contains("/proposals/{id}") {
        i64::from(w.proposal)
    } else if path.contains("/account-requests/{id}") {
        i64::from(w.account_request)
    } else if path.contains("/committees/{id}") {
        i64::from(w.committee)
    } else if path.contains("/meetings/{id}") {
        i64::from(w.meeting)
    } else {
        0
    };
    let ods = if path.contains("/representatives/{id}") {
        "F84003"
    } else {
        "F84001"
    };
    let query = if path == "/api/v1/consultations/{id}/response" {
        "?practice=F84001"
    } else {
        ""
    };
    let concrete = path
        .replace("{code}", "08V")
        .replace("{ods}", ods)
        .replace("{id}", &id.to_string())
        .replace("{doc}", &w.document.to_string())
        .replace("{question}", &w.question.to_string())
        .replace("{nomination}", "1")
        .replace("{person}", &w.person.to_string())
        .replace("{interest}", &w.interest.to_string())
        .replace("{item}", &w.item.to_string())
        .replace("{paper}", &w.paper.to_string())
        .replace("{round}", "1")
        .replace("{instrument}", "1")
        .replace("{token}", "madeUpTokenMadeUpToken00")
        .replace("{action}", "open")
        .replace("{decision}", "approve")
        .replace("{path:.*}", "css/quorate.css");
    format!("{concrete}{query}")
}

/// Whether the answer kept the role out.
fn refused(status: u16, location: &str) -> bool {
    matches!(status, 401 | 403 | 404) || ((300..400).contains(&status) && location.starts_with("/login"))
}

/// A body that passes the route's own checks of its form, so a role kept
/// out meets the permission check, not a complaint about what it sent.
enum Body {
    Form(Vec<(&'static str, &'static str)>),
    /// A multipart form with one (empty) file in this field.
    Upload(&'static str),
    Json(serde_json::Value),
}

fn body_for(w: &World, method: &str, template: &str) -> Body {
    let ballot = || {
        json!({
            "kind": "motion", "motion_kind": "application", "title": "Matrix", "question": "Should we?",
            "opens_at": ballots::rfc3339_in(3_600), "closes_at": ballots::rfc3339_in(7_200), "rules": {"secrecy": "recorded"},
        })
    };
    let practice = json!({"code": "F84001", "name": "Practice One", "status": "active"});
    match (method, template) {
        (_, "/api/v1/organisations") => Body::Json(json!({"code": "99X", "name": "Matrix CCG", "kind": "ccg"})),
        (_, "/api/v1/organisations/{code}/practices") => Body::Json(json!({"code": "F84099", "name": "New Practice"})),
        (_, "/api/v1/practices/{ods}") => Body::Json(practice),
        (_, "/api/v1/practices/{ods}/representatives") => {
            Body::Json(json!({"email": "new.rep@example.org", "name": "New Rep", "role": "nominated"}))
        }
        (_, "/api/v1/organisations/{code}/ballots" | "/api/v1/ballots/{id}") => Body::Json(ballot()),
        (_, "/api/v1/ballots/{id}/trustees") => Body::Json(json!({"trustees": [ADMIN, OBSERVER], "threshold": 2})),
        (_, "/api/v1/ballots/{id}/votes") => Body::Json(json!({"option": "for", "practice": "F84001"})),
        (_, "/api/v1/consultations/{id}/response") => {
            Body::Json(json!({"practice": "F84001", "positions": ["support", "support"]}))
        }
        (_, "/api/v1/meetings/{id}/items/{item}/declarations") => Body::Json(
            json!({"person": w.person, "action": "leaves", "kind": "other", "category": "indirect", "counterparty": "Matrix Ltd", "description": "Matrix"}),
        ),
        (_, "/api/v1/meetings/{id}/items/{item}/decision") => Body::Json(json!({"outcome": "defer"})),
        (_, "/ballots/{id}/trustees/upload" | "/organisations/{code}/import") => Body::Upload("file"),
        (_, "/meetings/{id}/items/{item}/papers") => Body::Upload("paper"),
        (_, "/consultations/{id}/documents") => Body::Upload("document"),
        (
            _,
            "/ballots/{id}/vote"
            | "/ballots/{id}/vote/check"
            | "/ballots/{id}/vote/confirm"
            | "/vote/{token}"
            | "/vote/{token}/check"
            | "/vote/{token}/confirm",
        ) => Body::Form(vec![("option", "for"), ("practice", "F84001")]),
        (_, "/consultations/{id}/questions") => Body::Form(vec![("question", "Why now?")]),
        (_, "/consultations/{id}/questions/{question}/answer") => Body::Form(vec![("answer", "Because.")]),
        (_, "/consultations/{id}/response") => Body::Form(vec![
            ("practice", "F84001"),
            ("position_0", "support"),
            ("position_1", "support"),
        ]),
        (_, "/practices/{ods}/representatives") => Body::Form(vec![
            ("name", "New Rep"),
            ("email", "new.rep@example.org"),
            ("kind", "nominated"),
        ]),
        (_, "/api/v1/organisations/{code}/settings") => Body::Json(w.settings.clone()),
        (_, path) if path.starts_with("/api/") => Body::Json(json!({})),
        _ => Body::Form(Vec::new()),
    }
}

async fn try_route(w: &World, role: Role, method: &str, template: &str, path: &str) -> (u16, String, String) {
    let visitor = &w.sessions[&role];
    let url = visitor.url(path);
    let api = path.starts_with("/api/");
    let mut request = visitor.client.request(method.parse().expect("method"), url);
    if api {
        if let Some(token) = w.tokens.get(&role) {
            request = request.bearer_auth(token);
        }
    }
    if method != "GET" {
        request = match body_for(w, method, template) {
            Body::Json(body) => request.json(&body),
            Body::Form(fields) => {
                let csrf = visitor.csrf_token("/verify").await;
                let mut all = vec![("_csrf", csrf.as_str())];
                all.extend(fields);
                request.form(&all)
            }
            Body::Upload(field) => {
                let csrf = visitor.csrf_token("/verify").await;
                let form = reqwest::multipart::Form::new().text("_csrf", csrf).part(
                    field,
                    reqwest::multipart::Part::bytes(Vec::new()).file_name("empty.csv"),
                );
                request.multipart(form)
            }
        };
    }
    let response = request.send().await.expect("request");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    // What the answer says, for a failure message: the JSON error, or the
    // page's heading and first error.
    let said = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| {
            text.split("<h1")
                .nth(1)
                .map(|h| h.chars().filter(|c| *c != '\n').take(300).collect())
                .unwrap_or_default()
        });
    (status, location, said)
}

backend_tests! {
    async fn every_role_is_let_in_or_kept_out_of_every_route_as_its_class_says(app: TestApp) {
        let w = world(&app).await;
        let print = std::env::var_os("ROUTE_MATRIX_PRINT").is_some();
        let classes: BTreeMap<(&str, &str), Access> = ACCESS.iter().map(|(m, p, a)| ((*m, *p), *a)).collect();
        let mut wrong = Vec::new();
        let mut pairs = 0;
        for (method, template) in routes_in_table() {
            let access = classes.get(&(method.as_str(), template.as_str())).copied();
            let path = concrete(&template, &w);
            let mut seen = Vec::new();
            for role in ROLES {
                let lets_in = access.is_some_and(|a| a.lets_in(role));
                if method != "GET" && lets_in && !print {
                    continue;
                }
                if method != "GET" && print && access.is_none() {
                    // Unclassified writes are not tried: they could change the world.
                    continue;
                }
                let (status, location, said) = try_route(&w, role, &method, &template, &path).await;
                pairs += 1;
                let kept_out = refused(status, &location) || (access == Some(Access::Secret) && status == 410);
                seen.push(format!("{role:?}={status}{}", if kept_out { "-" } else { "+" }));
                if access.is_some() && kept_out == lets_in {
                    wrong.push(format!("{method} {path}: {role:?} got {status} {location} ({access:?}): {said}"));
                }
                assert_ne!(status, 500, "{method} {path} as {role:?}");
            }
            if print {
                println!("{method} {template} {access:?}: {}", seen.join(" "));
            }
        }
        println!("{pairs} route × role pairs tried");
        assert!(pairs > 1_000, "{pairs} route × role pairs tried");
        assert!(wrong.is_empty(), "{} of {pairs} pairs wrong:\n{}", wrong.len(), wrong.join("\n"));
    }
}

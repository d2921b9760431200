//! Single sign-on against a real OpenID Connect provider: panva's
//! oidc-provider (OpenID Certified), run by Node.js on loopback from
//! `tests/oidc/` (its npm packages are installed on first use). Quorate is
//! the relying party, through the real HTTP server; the test is the
//! browser, following redirects between the two with one cookie jar.

mod common;

use common::oidc::{World, location, query_value, with_query_value, world};
use common::{Backend, TestApp};
use diesel::prelude::*;
use quorate::db::schema::{audit_log, identity_links};
use serde_json::json;

async fn expect_page(response: reqwest::Response, status: u16, text: &str) {
    assert_eq!(response.status(), status, "expected {status} with {text:?}");
    let page = response.text().await.expect("body");
    assert!(page.contains(text), "{text:?} not in {page}");
}

async fn signed_in(app: &TestApp) -> bool {
    let (_, page) = app.get_text("/").await;
    page.contains("Log out")
}

async fn a_verified_address_links_once_then_the_subject_signs_in(w: World) {
    w.app.create_user("jo@example.org", "system_admin", None);
    let (_, login) = w.app.get_text("/login").await;
    assert!(login.contains("Sign in with Test plain"), "{login}");
    let response = w.sign_in_as("plain", "jo").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/");
    let (_, home) = w.app.get_text("/").await;
    assert!(
        home.contains("Your Test plain sign-in is linked to your account"),
        "{home}"
    );
    assert_eq!(w.links(), vec![("plain".to_owned(), "jo".to_owned())]);
    {
        let mut conn = w.app.pool.get().expect("connection");
        let audited: i64 = audit_log::table
            .filter(audit_log::action.eq("account.sso_linked"))
            .count()
            .get_result(&mut conn)
            .expect("audit");
        assert_eq!(audited, 1);
    }
    w.app.logout().await;
    assert_eq!(location(&w.sign_in_as("plain", "jo").await), "/");
    assert!(signed_in(&w.app).await);
    assert_eq!(w.links().len(), 1, "linked once");

    // "Your account" lists the link, and can remove it (audited).
    let (_, account) = w.app.get_text("/account").await;
    assert!(
        account.contains("Linked sign-ins") && account.contains("Test plain"),
        "{account}"
    );
    let link_id: i32 = {
        let mut conn = w.app.pool.get().expect("connection");
        identity_links::table
            .select(identity_links::id)
            .first(&mut conn)
            .expect("link")
    };
    let response = w
        .app
        .submit("/account", &format!("/account/sso/{link_id}/remove"), &[])
        .await;
    assert_eq!(response.status(), 303);
    assert!(w.links().is_empty());
    let other = w.app.new_visitor();
    other.create_user("someone@example.org", "system_admin", None);
    other.login("someone@example.org", common::PASSWORD).await;
    let token = other.csrf_token("/account").await;
    let response = other
        .post_form(&format!("/account/sso/{link_id}/remove"), &[("_csrf", token.as_str())])
        .await;
    assert_eq!(response.status(), 404, "only one's own links");
    w.app.logout().await;
    assert_eq!(location(&w.sign_in_as("plain", "jo").await), "/");
    assert_eq!(w.links().len(), 1, "linked again by the verified address");

    // An address the provider does not vouch for links nothing.
    w.app.logout().await;
    let accounts = w.accounts();
    expect_page(
        w.sign_in_as("plain", "unverified").await,
        403,
        "did not confirm your email address",
    )
    .await;
    expect_page(
        w.sign_in_as("plain", "stranger").await,
        403,
        "no Quorate account has that address",
    )
    .await;
    assert!(!signed_in(&w.app).await);
    assert_eq!(w.accounts(), accounts, "nothing created");
    assert_eq!(w.links().len(), 1);

    // A provider that does not link by address never does (even for an
    // account with that address); one already linked signs in as before.
    w.app.create_user("ada@example.org", "system_admin", None);
    expect_page(
        w.sign_in_as("strict", "ada").await,
        403,
        "not linked to a Quorate account yet",
    )
    .await;
    assert_eq!(location(&w.sign_in_as("strict", "jo").await), "/");
    w.app.logout().await;
    // The provider refusing the sign-in (an unknown person) is said so.
    expect_page(w.sign_in_as("plain", "nobody").await, 403, "did not sign you in").await;
}

async fn nhsmail_people_are_linked_by_tenant_and_object_id(w: World) {
    w.app.create_user("jo@example.org", "system_admin", None);
    assert_eq!(location(&w.sign_in_as("nhsmail", "jo").await), "/");
    assert_eq!(w.links(), vec![("nhsmail".to_owned(), "tenant-1/object-jo".to_owned())]);
    // A token without them is not an Entra ID token: refused, nothing linked.
    w.app.logout().await;
    w.app.create_user("ada@example.org", "system_admin", None);
    expect_page(w.sign_in_as("nhsmail", "ada").await, 400, "tid, oid").await;
    assert_eq!(w.links().len(), 1);
}

async fn a_second_factor_is_still_asked_unless_the_provider_gives_one(w: World) {
    w.app.create_user("ada@example.org", "system_admin", None);
    let response = w.sign_in_as("plain", "ada").await;
    assert_eq!(location(&response), "/login/two-factor");
    assert!(!signed_in(&w.app).await);
    // A provider whose own sign-in has two factors (settings say so).
    let response = w.sign_in_as("staff-mfa", "ada").await;
    assert_eq!(location(&response), "/");
    assert!(signed_in(&w.app).await);
}

async fn private_key_jwt_authenticates_the_client(w: World) {
    w.app.create_user("jo@example.org", "system_admin", None);
    let response = w.sign_in_as("keyed", "jo").await;
    assert_eq!(location(&response), "/");
    assert!(signed_in(&w.app).await);
}

async fn answers_not_from_this_browser_or_used_twice_are_refused(w: World) {
    w.app.create_user("jo@example.org", "system_admin", None);
    // Straight to the callback, nothing started: refused.
    expect_page(
        w.app.get("/login/sso/plain/callback?code=x&state=y").await,
        400,
        "This sign-in was not started here",
    )
    .await;
    // A state that is not the one sent.
    let url = w.start("plain").await;
    let callback = w.at_provider(url).await;
    let forged = with_query_value(&callback, "state", "not-the-state");
    expect_page(
        w.app.client.get(&forged).send().await.expect("GET"),
        400,
        "This sign-in was not started here",
    )
    .await;
    assert!(!signed_in(&w.app).await);

    // A code used once cannot be used again, even inside a new sign-in.
    let url = w.start("plain").await;
    let callback = w.at_provider(url).await;
    assert_eq!(location(&w.app.client.get(&callback).send().await.expect("GET")), "/");
    w.app.logout().await;
    let url = w.start("plain").await;
    let state = query_value(&url, "state").expect("state");
    let replay = with_query_value(&callback, "state", &state);
    expect_page(
        w.app.client.get(&replay).send().await.expect("GET"),
        400,
        "could not be finished",
    )
    .await;
    assert!(!signed_in(&w.app).await);
    // And the same answer twice finds nothing waiting.
    expect_page(
        w.app.client.get(&replay).send().await.expect("GET"),
        400,
        "not started here",
    )
    .await;
}

async fn id_tokens_that_fail_a_check_are_refused(w: World) {
    w.app.create_user("jo@example.org", "system_admin", None);
    // A nonce other than the one sent.
    let url = w.start("plain").await;
    let callback = w
        .at_provider(with_query_value(&url, "nonce", "someone-elses-nonce"))
        .await;
    let response = w.app.client.get(&callback).send().await.expect("GET");
    assert_eq!(response.status(), 400);
    let page = response.text().await.expect("body");
    assert!(
        page.contains("failed a security check") && page.contains("nonce"),
        "{page}"
    );

    for (order, why) in [
        (json!({"claims": {"aud": "another-client"}}), "audience"),
        (json!({"claims": {"iss": "http://127.0.0.1:1"}}), "issuer"),
        (json!({"claims": {"exp": 1_000_000_000}}), "expired"),
        (json!({"alg": "ES256"}), "ES256"),
        (json!({"alg": "HS256"}), "HS256"),
        (json!({"kid": "not-a-key-of-theirs"}), "key"),
    ] {
        w.tamper("plain", order.clone()).await;
        let response = w.sign_in_as("plain", "jo").await;
        assert_eq!(response.status(), 400, "{order}");
        let page = response.text().await.expect("body");
        assert!(page.contains("failed a security check"), "{order}: {page}");
        assert!(
            page.to_lowercase().contains(&why.to_lowercase()),
            "{order}: {why} in {page}"
        );
        assert!(!signed_in(&w.app).await, "{order}");
    }
    assert!(w.links().is_empty(), "nothing linked");
    // The untouched token still works.
    assert_eq!(location(&w.sign_in_as("plain", "jo").await), "/");
}

async fn a_provider_that_does_not_answer_gets_its_own_page(w: World) {
    expect_page(w.app.get("/login/sso/down").await, 502, "Nobody is not answering").await;
    // Quorate's own settings at fault: said so, without naming the file.
    let response = w.app.get("/login/sso/broken").await;
    assert_eq!(response.status(), 503);
    let page = response.text().await.expect("body");
    assert!(page.contains("Sign-in with Broken is not working"), "{page}");
    assert!(!page.contains("/nonexistent"), "{page}");
    expect_page(w.app.get("/login/sso/no-such-provider").await, 404, "").await;
}

async fn an_organisation_can_make_its_staff_sign_in_with_single_sign_on(w: World) {
    use common::PASSWORD;
    let org = w.app.create_organisation("ccg", "X1C", "Test CCG");
    w.app.create_member_practice("Y10001", "Test Surgery", org);
    w.app.create_user("jo@example.org", "org_admin", Some("X1C"));
    w.app.create_user("ada@example.org", "returning_officer", Some("X1C"));
    w.app.create_user("pm@example.org", "practice_rep", Some("Y10001"));
    assert_eq!(location(&w.app.login("jo@example.org", PASSWORD).await), "/");
    let (_, organisation) = w.app.get_text("/organisations/X1C").await;
    assert!(organisation.contains("How staff sign in"), "{organisation}");
    let (status, page) = w.app.get_text("/organisations/X1C/sign-in").await;
    assert_eq!(status, 200);
    assert!(page.contains("2 of your staff have no linked sign-in yet"), "{page}");
    w.app.logout().await;
    assert_eq!(location(&w.sign_in_as("plain", "jo").await), "/");
    let (_, page) = w.app.get_text("/organisations/X1C/sign-in").await;
    assert!(page.contains("1 of your staff has no linked sign-in yet"), "{page}");
    let response = w
        .app
        .submit(
            "/organisations/X1C/sign-in",
            "/organisations/X1C/sign-in",
            &[("staff_sso_only", "yes")],
        )
        .await;
    assert_eq!(response.status(), 303);
    {
        let mut conn = w.app.pool.get().expect("connection");
        let summaries: Vec<String> = audit_log::table
            .filter(audit_log::action.eq("organisation.sign_in"))
            .select(audit_log::summary)
            .load(&mut conn)
            .expect("audit");
        assert_eq!(summaries.len(), 1);
        assert!(
            summaries[0].contains("must now sign in with single sign-on"),
            "{summaries:?}"
        );
    }
    w.app.logout().await;

    // A right password no longer signs staff in, and says why.
    for staff in ["jo@example.org", "ada@example.org"] {
        let response = w.app.login(staff, PASSWORD).await;
        assert_eq!(location(&response), "/login", "{staff}");
        let (_, page) = w.app.get_text("/login").await;
        assert!(
            page.contains("Test CCG asks its staff to sign in with single sign-on, not a password"),
            "{page}"
        );
        assert!(!signed_in(&w.app).await, "{staff}");
    }
    // A practice representative keeps their password.
    assert_eq!(location(&w.app.login("pm@example.org", PASSWORD).await), "/");
    w.app.logout().await;
    // Staff sign in with the provider.
    assert_eq!(location(&w.sign_in_as("plain", "jo").await), "/");
    assert!(signed_in(&w.app).await);
    // And the rule can be lifted.
    let response = w
        .app
        .submit("/organisations/X1C/sign-in", "/organisations/X1C/sign-in", &[])
        .await;
    assert_eq!(response.status(), 303);
    w.app.logout().await;
    assert_eq!(location(&w.app.login("ada@example.org", PASSWORD).await), "/");
}

macro_rules! sso_tests {
    ($($name:ident $(, $setting:expr)?;)*) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    let w = crate::world(crate::Backend::Sqlite, &[$($setting)?]).await;
                    crate::$name(w).await;
                }
            )*
        }
        #[cfg(quorate_pg_tests)]
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    let w = crate::world(crate::Backend::Postgres, &[$($setting)?]).await;
                    crate::$name(w).await;
                }
            )*
        }
    };
}

sso_tests! {
    a_verified_address_links_once_then_the_subject_signs_in;
    nhsmail_people_are_linked_by_tenant_and_object_id;
    a_second_factor_is_still_asked_unless_the_provider_gives_one, ("QUORATE_TWO_FACTOR_REQUIRED_FOR", "system_admin");
    private_key_jwt_authenticates_the_client;
    answers_not_from_this_browser_or_used_twice_are_refused;
    id_tokens_that_fail_a_check_are_refused;
    a_provider_that_does_not_answer_gets_its_own_page;
    an_organisation_can_make_its_staff_sign_in_with_single_sign_on;
}

//! Single sign-on against a real OpenID Connect provider: panva's
//! oidc-provider (OpenID Certified), run by Node.js on loopback from
//! `tests/oidc/` (its npm packages are installed on first use). Quorate is
//! the relying party, through the real HTTP server; the test is the
//! browser, following redirects between the two with one cookie jar.

mod common;

use common::oidc::{PUBLIC_BASE, World, location, query_value, with_query_value, world};
use common::smtp::SmtpSink;
use common::{Backend, PASSWORD, TestApp};
use diesel::prelude::*;
use quorate::db::schema::{account_requests, identity_links, representatives, user_roles, users};
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
    assert_eq!(w.app.audited("account.sso_linked").len(), 1);
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
        let summaries = w.app.audited("organisation.sign_in");
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

/// Sends what the outbox holds to the sink, and the path of the link to
/// this server in the message just received.
async fn mailed_link(app: &TestApp, sink: &SmtpSink, received: usize) -> String {
    app.mail_worker(Some(&sink.url()), &[])
        .run_until_idle()
        .await
        .expect("worker");
    let messages = sink.wait_for(received);
    let parsed = messages[received - 1].parsed();
    let text = parsed.body_text(0).expect("text part").into_owned();
    let start = text.find(PUBLIC_BASE).unwrap_or_else(|| panic!("no link in {text}"));
    let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    assert!(link.len() > PUBLIC_BASE.len(), "a link to a page in {text}");
    link[PUBLIC_BASE.len()..].to_owned()
}

async fn a_sign_in_is_linked_by_a_link_emailed_to_the_account_in_the_same_browser_only(w: World) {
    let sink = SmtpSink::start();
    w.app.create_user("ada@example.org", "system_admin", None);
    // The provider does not link by address: the page offers a link by email.
    let response = w.sign_in_as("strict", "ada").await;
    assert_eq!(response.status(), 403);
    let page = response.text().await.expect("body");
    assert!(
        page.contains("Send me a link") && page.contains("value=\"ada@example.org\""),
        "{page}"
    );
    let token = w.app.csrf_token("/login").await;

    // A malformed address says what is wrong; nothing is sent.
    let response = w
        .app
        .post_form(
            "/login/sso/strict/link",
            &[("_csrf", token.as_str()), ("email", "not an address")],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    assert!(
        page.contains("nhsuk-error-summary") && page.contains("value=\"not an address\""),
        "{page}"
    );
    // An address without an account gets the same answer, and no email.
    expect_page(
        w.app
            .post_form(
                "/login/sso/strict/link",
                &[("_csrf", token.as_str()), ("email", "nobody@example.org")],
            )
            .await,
        200,
        "Check your email",
    )
    .await;
    assert_eq!(w.app.emails_to("nobody@example.org", "sso_link"), 0);
    expect_page(
        w.app
            .post_form(
                "/login/sso/strict/link",
                &[("_csrf", token.as_str()), ("email", "ADA@example.org")],
            )
            .await,
        200,
        "Check your email",
    )
    .await;
    assert_eq!(w.app.emails_to("ada@example.org", "sso_link"), 1);
    let link = mailed_link(&w.app, &sink, 1).await;
    // One sign-in cannot send links to address after address.
    for other in ["b@example.org", "c@example.org", "d@example.org"] {
        w.app.create_user(other, "system_admin", None);
        w.app
            .post_form("/login/sso/strict/link", &[("_csrf", token.as_str()), ("email", other)])
            .await;
    }
    assert_eq!(w.app.emails_to("c@example.org", "sso_link"), 1);
    assert_eq!(w.app.emails_to("d@example.org", "sso_link"), 0, "the fourth in an hour");
    assert!(link.starts_with("/login/sso/strict/link/"), "{link}");

    // Opened in another browser (the address's owner tricked into opening
    // someone else's request, or on another device): nothing is linked.
    let elsewhere = w.app.new_visitor();
    expect_page(
        elsewhere.get(&link).await,
        403,
        "Open this link in the browser where you signed in",
    )
    .await;
    let token_elsewhere = elsewhere.csrf_token("/login").await;
    let response = elsewhere.post_form(&link, &[("_csrf", token_elsewhere.as_str())]).await;
    assert_eq!(response.status(), 403);
    assert!(w.links().is_empty());

    // In the browser that signed in: the account is named, then linked.
    let (status, page) = w.app.get_text(&link).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Link your Test strict sign-in") && page.contains("ada@example.org"),
        "{page}"
    );
    let response = w.app.submit(&link, &link, &[]).await;
    assert_eq!(location(&response), "/");
    assert!(signed_in(&w.app).await);
    assert_eq!(w.links(), vec![("strict".to_owned(), "ada".to_owned())]);
    let linked = w.app.audited("account.sso_linked");
    assert!(
        linked[0].contains("by following a link emailed to ada@example.org"),
        "{linked:?}"
    );
    // Used once.
    let response = w.app.get(&link).await;
    assert_eq!(response.status(), 410);

    // From now on the provider signs Ada in directly.
    w.app.logout().await;
    assert_eq!(location(&w.sign_in_as("strict", "ada").await), "/");
    assert!(signed_in(&w.app).await);
}

async fn logging_out_ends_the_session_at_the_provider_too(w: World) {
    w.app.create_user("jo@example.org", "system_admin", None);
    // Browsers hold a form's redirect to its form-action: the providers are in it.
    let response = w.app.get("/login").await;
    let csp = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let form_action: Vec<&str> = csp
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("form-action "))
        .unwrap_or_default()
        .split(' ')
        .collect();
    assert_eq!(
        form_action,
        vec!["'self'", w.provider.issuer.as_str(), "http://127.0.0.1:9"],
        "{csp}"
    );
    assert_eq!(location(&w.sign_in_as("plain", "jo").await), "/");
    let token = w.app.csrf_token("/").await;
    let response = w.app.post_form("/logout", &[("_csrf", token.as_str())]).await;
    assert_eq!(response.status(), 303);
    let end_session = location(&response);
    assert!(end_session.starts_with(&w.provider.issuer), "{end_session}");
    assert_eq!(query_value(&end_session, "client_id").as_deref(), Some("plain"));
    assert_eq!(
        query_value(&end_session, "post_logout_redirect_uri"),
        Some(format!("{PUBLIC_BASE}/login"))
    );
    assert!(query_value(&end_session, "id_token_hint").is_some(), "{end_session}");
    // Quorate's session has ended already.
    assert!(!signed_in(&w.app).await);

    // At the provider: it checks the ID token hint and asks to confirm.
    let browser = common::client();
    let response = browser.get(&end_session).send().await.expect("end session");
    assert_eq!(response.status(), 200);
    let form = response.text().await.expect("body");
    let xsrf = form
        .split("name=\"xsrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no xsrf in {form}"))
        .to_owned();
    let response = browser
        .post(format!("{}/session/end/confirm", w.provider.issuer))
        .form(&[("xsrf", xsrf.as_str()), ("logout", "yes")])
        .send()
        .await
        .expect("confirm");
    assert_eq!(response.status(), 303);
    let back = location(&response);
    assert!(back.starts_with(&format!("{PUBLIC_BASE}/login")), "{back}");
    let logouts: serde_json::Value = browser
        .get(format!("{}/__test/logouts", w.provider.issuer))
        .send()
        .await
        .expect("logouts")
        .json()
        .await
        .expect("json");
    assert_eq!(logouts["logouts"], 1);
    let (_, login) = w.app.get_text("/login").await;
    assert!(login.contains("You have also been signed out of Test plain"), "{login}");

    // A provider whose settings say not to: straight back to log in.
    assert_eq!(location(&w.sign_in_as("strict", "jo").await), "/");
    let token = w.app.csrf_token("/").await;
    let response = w.app.post_form("/logout", &[("_csrf", token.as_str())]).await;
    assert_eq!(location(&response), "/login");
    // A password sign-in has no provider session to end.
    w.app.login("jo@example.org", PASSWORD).await;
    let token = w.app.csrf_token("/").await;
    let response = w.app.post_form("/logout", &[("_csrf", token.as_str())]).await;
    assert_eq!(location(&response), "/login");
}

fn roles_of(app: &TestApp, email: &str) -> Vec<String> {
    let mut conn = app.pool.get().expect("connection");
    user_roles::table
        .inner_join(users::table)
        .filter(users::email.eq(email))
        .select(user_roles::role)
        .load(&mut conn)
        .expect("roles")
}

fn account_exists(app: &TestApp, email: &str) -> bool {
    let mut conn = app.pool.get().expect("connection");
    users::table
        .filter(users::email.eq(email))
        .count()
        .get_result::<i64>(&mut conn)
        .expect("count")
        == 1
}

async fn practice_staff_ask_for_an_account_with_cis2_and_wait_for_approval(w: World) {
    let sink = SmtpSink::start();
    let org = w.app.create_organisation("ccg", "X1C", "Test CCG");
    w.app.create_member_practice("Y10001", "Test Surgery", org);
    w.app.create_user("admin@example.org", "org_admin", Some("X1C"));
    // Until the organisation allows it, a CIS2 sign-in makes nothing.
    expect_page(
        w.sign_in_as("cis2", "tom").await,
        403,
        "not linked to a Quorate account yet",
    )
    .await;
    assert!(!account_exists(&w.app, "tom@example.org"));

    w.app.login("admin@example.org", PASSWORD).await;
    let (_, page) = w.app.get_text("/organisations/X1C/sign-in").await;
    assert!(
        page.contains("can ask for an account by signing in with CIS2"),
        "{page}"
    );
    let response = w
        .app
        .submit(
            "/organisations/X1C/sign-in",
            "/organisations/X1C/sign-in",
            &[("practice_staff_may_join", "yes")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let said = w.app.audited("organisation.sign_in");
    assert!(said[0].contains("member practices may ask for an account"), "{said:?}");
    w.app.logout().await;

    // CIS2 names Tom's practice: an account waits, with no role.
    expect_page(
        w.sign_in_as("cis2", "tom").await,
        200,
        "Your account is waiting for approval",
    )
    .await;
    assert!(!signed_in(&w.app).await);
    assert!(account_exists(&w.app, "tom@example.org"));
    assert!(roles_of(&w.app, "tom@example.org").is_empty());
    assert_eq!(w.links(), vec![("cis2".to_owned(), "tom".to_owned())]);
    assert_eq!(w.app.emails_to("admin@example.org", "practice_staff_request"), 1);
    assert_eq!(w.app.audited("account.join_requested").len(), 1);
    // Asking again asks nothing more.
    expect_page(w.sign_in_as("cis2", "tom").await, 200, "has not been decided yet").await;
    assert_eq!(w.app.emails_to("admin@example.org", "practice_staff_request"), 1);
    // The national role claim names the practice too (lower case ODS code).
    expect_page(
        w.sign_in_as("cis2", "gp").await,
        200,
        "Your account is waiting for approval",
    )
    .await;
    // A practice of no organisation that allows it, or no address: nothing made.
    expect_page(w.sign_in_as("cis2", "elsewhere").await, 403, "No Quorate account").await;
    assert!(!account_exists(&w.app, "else@example.org"));
    expect_page(w.sign_in_as("cis2", "noaddress").await, 403, "gave no email address").await;
    // An address the provider does not vouch for makes no account with it.
    expect_page(w.sign_in_as("cis2", "unvouched").await, 403, "gave no email address").await;
    assert!(!account_exists(&w.app, "pm@example.org"));

    // The administrator's email leads to the requests.
    let link = mailed_link(&w.app, &sink, 1).await;
    assert_eq!(link, "/organisations/X1C/account-requests");
    w.app.login("admin@example.org", PASSWORD).await;
    let (status, page) = w.app.get_text(&link).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Tom Okafor") && page.contains("Gita Patel") && page.contains("Test Surgery (Y10001)"),
        "{page}"
    );
    let ids: Vec<(i32, String)> = {
        let mut conn = w.app.pool.get().expect("connection");
        account_requests::table
            .inner_join(users::table)
            .order(account_requests::id.asc())
            .select((account_requests::id, users::email))
            .load(&mut conn)
            .expect("requests")
    };
    let tom = format!("/organisations/X1C/account-requests/{}", ids[0].0);
    let gp = format!("/organisations/X1C/account-requests/{}", ids[1].0);
    // No choice, or a refusal without a reason: said, nothing decided.
    expect_page(
        w.app.submit(&tom, &tom, &[]).await,
        422,
        "Select how the person acts for the practice",
    )
    .await;
    expect_page(
        w.app
            .submit(&gp, &gp, &[("decision", "refuse"), ("reason", "  ")])
            .await,
        422,
        "Enter why the request is refused",
    )
    .await;
    // Approved as practice manager: the role and the register's record.
    let response = w.app.submit(&tom, &tom, &[("decision", "practice_manager")]).await;
    let (status, place) = (response.status(), location(&response));
    assert_eq!(
        place,
        "/organisations/X1C/account-requests",
        "{status}: {}",
        response.text().await.unwrap_or_default()
    );
    assert_eq!(roles_of(&w.app, "tom@example.org"), vec!["practice_rep".to_owned()]);
    {
        let mut conn = w.app.pool.get().expect("connection");
        let kinds: Vec<String> = representatives::table
            .inner_join(users::table)
            .filter(users::email.eq("tom@example.org"))
            .select(representatives::kind)
            .load(&mut conn)
            .expect("representatives");
        assert_eq!(kinds, vec!["practice_manager".to_owned()]);
    }
    let response = w
        .app
        .submit(
            &gp,
            &gp,
            &[("decision", "refuse"), ("reason", "Not one of the practice's GPs.")],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(w.app.audited("account.join_approved").len(), 1);
    assert!(w.app.audited("account.join_refused")[0].contains("Not one of the practice's GPs."));
    assert_eq!(w.app.emails_to("tom@example.org", "practice_staff_request"), 1);
    assert_eq!(w.app.emails_to("gp@example.org", "practice_staff_request"), 1);
    // Decided once: the page is gone.
    assert_eq!(w.app.get(&tom).await.status(), 404);
    // Only the organisation's administrators see its requests.
    w.app.logout().await;
    w.app.create_user("other@example.org", "practice_rep", Some("Y10001"));
    w.app.login("other@example.org", PASSWORD).await;
    assert_eq!(w.app.get("/organisations/X1C/account-requests").await.status(), 403);
    w.app.logout().await;

    // Approved: Tom signs in with CIS2 and represents the practice.
    assert_eq!(location(&w.sign_in_as("cis2", "tom").await), "/");
    assert!(signed_in(&w.app).await);
    let (_, home) = w.app.get_text("/").await;
    assert!(home.contains("Test Surgery"), "{home}");
    w.app.logout().await;
    // Refused: told so, not signed in.
    expect_page(w.sign_in_as("cis2", "gp").await, 403, "was refused").await;
    assert!(!signed_in(&w.app).await);
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
    a_sign_in_is_linked_by_a_link_emailed_to_the_account_in_the_same_browser_only;
    logging_out_ends_the_session_at_the_provider_too;
    practice_staff_ask_for_an_account_with_cis2_and_wait_for_approval;
}

//! Single sign-on against a real OpenID Connect provider: panva's
//! oidc-provider (OpenID Certified), run by Node.js on loopback from
//! `tests/oidc/` (its npm packages are installed on first use). Quorate is
//! the relying party, through the real HTTP server; the test is the
//! browser, following redirects between the two with one cookie jar.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use common::{Backend, TestApp};
use diesel::prelude::*;
use quorate::db::schema::{audit_log, identity_links, users};
use serde_json::{Value, json};

const SECRET: &str = "a-client-secret-of-at-least-32-characters";
/// The address in Quorate's test settings (`base_url`): the provider sends
/// the browser back there, and the test maps it to the server's real port.
const PUBLIC_BASE: &str = "http://127.0.0.1:8080";

fn oidc_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/oidc")
        .join(name)
}

/// Installs the provider's npm packages (pinned by package-lock.json) once.
fn install_provider_packages() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if oidc_dir().join("node_modules/oidc-provider").is_dir() {
            return;
        }
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(oidc_dir())
            .status()
            .expect("npm (Node.js) is installed: the test provider runs on it");
        assert!(status.success(), "npm ci in tests/oidc failed");
    });
}

/// The provider, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client(id: &str, extra: Value) -> Value {
    let redirect = format!("{PUBLIC_BASE}/login/sso/{id}/callback");
    let mut client = json!({
        "client_id": id,
        "client_secret": SECRET,
        "token_endpoint_auth_method": "client_secret_basic",
        "redirect_uris": [redirect],
        "response_types": ["code"],
        "grant_types": ["authorization_code"],
    });
    if let (Some(client), Value::Object(extra)) = (client.as_object_mut(), extra) {
        client.extend(extra);
        // A null in `extra` takes the setting away (a client with no secret).
        client.retain(|_, value| !value.is_null());
    }
    client
}

fn start_provider() -> Provider {
    install_provider_packages();
    let public_key: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("rp-test-key.jwk.json")).expect("jwk")).expect("json");
    let settings = json!({
        "clients": [
            client("plain", json!({})),
            client("strict", json!({})),
            client("nhsmail", json!({})),
            client("staff-mfa", json!({})),
            client("keyed", json!({
                "client_secret": null,
                "token_endpoint_auth_method": "private_key_jwt",
                "token_endpoint_auth_signing_alg": "RS256",
                "jwks": {"keys": [public_key]},
            })),
        ],
        "accounts": {
            "jo": {"email": "jo@example.org", "email_verified": true, "name": "Jo Bloggs", "oid": "object-jo", "tid": "tenant-1"},
            "unverified": {"email": "jo@example.org", "email_verified": false},
            "stranger": {"email": "stranger@example.org", "email_verified": true},
            "ada": {"email": "ada@example.org", "email_verified": true},
        },
        "defaultAccount": "jo",
    });
    let mut child = Command::new("node")
        .arg(oidc_dir().join("provider.mjs"))
        .arg(settings.to_string())
        .current_dir(oidc_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node starts the test provider");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the provider says it is ready");
    let issuer = line
        .trim()
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("the provider did not start: {line:?}"))
        .to_owned();
    Provider { child, issuer }
}

/// Quorate's settings file for the providers (secrets from files).
fn settings_file(provider: &Provider, dir: &std::path::Path) -> String {
    let secret = dir.join("client-secret");
    std::fs::write(&secret, format!("{SECRET}\n")).expect("secret file");
    let entry = |id: &str, extra: &str| {
        format!(
            "[[sso]]\nid = \"{id}\"\nlabel = \"Test {id}\"\nissuer = \"{}\"\nclient_id = \"{id}\"\nclient_secret_file = \"{}\"\n{extra}\n",
            provider.issuer,
            secret.display()
        )
    };
    [
        entry("plain", "link_by_verified_email = true"),
        entry("strict", ""),
        entry("nhsmail", "preset = \"nhsmail\"\nlink_by_verified_email = true"),
        entry("staff-mfa", "link_by_verified_email = true\ncounts_as_second_factor = true"),
        format!(
            "[[sso]]\nid = \"keyed\"\nlabel = \"Test keyed\"\nissuer = \"{}\"\nclient_id = \"keyed\"\nprivate_key_file = \"{}\"\nprivate_key_id = \"quorate-test\"\nlink_by_verified_email = true\n",
            provider.issuer,
            fixture("rp-test-key.pem").display()
        ),
        "[[sso]]\nid = \"down\"\nlabel = \"Nobody\"\nissuer = \"http://127.0.0.1:9\"\nclient_id = \"down\"\nclient_secret_env = \"QUORATE_TEST_UNSET_SECRET\"\n".to_owned(),
    ]
    .join("\n")
}

struct World {
    app: TestApp,
    provider: Provider,
    _dir: tempfile::TempDir,
}

async fn world(backend: Backend, extra: &[(&str, &str)]) -> World {
    let provider = start_provider();
    let dir = tempfile::tempdir().expect("dir");
    let file = settings_file(&provider, dir.path());
    let app = common::spawn_app_configured(backend, extra, Some(&file)).await;
    World {
        app,
        provider,
        _dir: dir,
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn with_query_value(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').expect("a query");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .expect("query")
        .into_iter()
        .map(|(k, v)| if k == name { (k, value.to_owned()) } else { (k, v) })
        .collect();
    format!("{base}?{}", serde_urlencoded::to_string(pairs).expect("encode"))
}

impl World {
    /// "Sign in with …": the provider's authorisation address Quorate sends the browser to.
    async fn start(&self, id: &str) -> String {
        let response = self.app.get(&format!("/login/sso/{id}")).await;
        assert_eq!(response.status(), 303, "{id}");
        let url = location(&response);
        assert!(url.starts_with(&self.provider.issuer), "{url}");
        for needed in ["state", "nonce", "code_challenge", "client_id"] {
            assert!(query_value(&url, needed).is_some(), "{needed} in {url}");
        }
        assert_eq!(query_value(&url, "code_challenge_method").as_deref(), Some("S256"));
        url
    }

    /// The browser at the provider, until it is sent back to Quorate: the
    /// callback address (on the test server's real port).
    async fn at_provider(&self, mut url: String) -> String {
        // A new visit each time: no session at the provider from an earlier
        // sign-in, so its login_hint chooses who signs in.
        let browser = common::client();
        for _ in 0..10 {
            let response = browser.get(&url).send().await.expect("provider");
            let next = location(&response);
            assert!(!next.is_empty(), "no redirect from {url}: {}", response.status());
            if let Some(path) = next.strip_prefix(PUBLIC_BASE) {
                return self.app.url(path);
            }
            url = if next.starts_with('/') {
                format!("{}{next}", self.provider.issuer)
            } else {
                next
            };
        }
        panic!("the provider kept redirecting")
    }

    async fn sign_in_as(&self, id: &str, account: &str) -> reqwest::Response {
        let url = self.start(id).await;
        let callback = self.at_provider(format!("{url}&login_hint={account}")).await;
        self.app.client.get(&callback).send().await.expect("callback")
    }

    /// The next ID token the provider issues to `client` is changed.
    async fn tamper(&self, client: &str, order: Value) {
        let mut order = order;
        order["client_id"] = json!(client);
        let response = self
            .app
            .client
            .post(format!("{}/__test/tamper", self.provider.issuer))
            .body(order.to_string())
            .send()
            .await
            .expect("tamper");
        assert_eq!(response.status(), 204);
    }

    fn links(&self) -> Vec<(String, String)> {
        let mut conn = self.app.pool.get().expect("connection");
        identity_links::table
            .select((identity_links::provider, identity_links::subject))
            .order(identity_links::id)
            .load(&mut conn)
            .expect("links")
    }

    fn accounts(&self) -> i64 {
        let mut conn = self.app.pool.get().expect("connection");
        users::table.count().get_result(&mut conn).expect("count")
    }
}

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
    expect_page(w.app.get("/login/sso/no-such-provider").await, 404, "").await;
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
}

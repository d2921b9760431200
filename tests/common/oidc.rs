//! A real OpenID Connect provider for the single sign-on tests and bench:
//! panva's oidc-provider (OpenID Certified), run by Node.js on loopback from
//! `tests/oidc/` (its npm packages are installed on first use), and the
//! browser's part of a sign-in: off to the provider, and back to Quorate.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use diesel::prelude::*;
use quorate::db::schema::{identity_links, users};
use serde_json::{Value, json};

use super::{Backend, TestApp};

pub const SECRET: &str = "a-client-secret-of-at-least-32-characters";
/// The address in Quorate's test settings (`base_url`): the provider sends
/// the browser back there, and the test maps it to the server's real port.
pub const PUBLIC_BASE: &str = "http://127.0.0.1:8080";

pub fn oidc_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/oidc")
        .join(name)
}

/// Installs the provider's npm packages (pinned by package-lock.json) once.
pub fn install_provider_packages() {
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
pub struct Provider {
    child: Child,
    pub issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client(id: &str, extra: Value) -> Value {
    let redirect = format!("{PUBLIC_BASE}/login/sso/{id}/callback");
    let mut client = json!({
        "client_id": id,
        "client_secret": SECRET,
        "token_endpoint_auth_method": "client_secret_basic",
        "redirect_uris": [redirect],
        "post_logout_redirect_uris": [format!("{PUBLIC_BASE}/login")],
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

pub fn start_provider() -> Provider {
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
            client("cis2", json!({
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
            // CIS2 people: their organisations by ODS code, as its user info gives them.
            "tom": {"email": "tom@example.org", "email_verified": true, "name": "Tom Okafor", "acr": "AAL3_ANY",
                    "nhsid_user_orgs": [{"org_code": "Y10001", "org_name": "TEST SURGERY"}]},
            "gp": {"email": "gp@example.org", "email_verified": true, "name": "Gita Patel", "acr": "AAL3_ANY",
                   "nhsid_nrbac_roles": [{"org_code": "y10001", "role_name": "\"Clinical\":\"GP\""}]},
            "elsewhere": {"email": "else@example.org", "email_verified": true, "name": "Eli Smith", "acr": "AAL3_ANY",
                          "nhsid_user_orgs": [{"org_code": "Y99999", "org_name": "ANOTHER SURGERY"}]},
            "noaddress": {"name": "Nia Jones", "acr": "AAL3_ANY", "nhsid_user_orgs": [{"org_code": "Y10001"}]},
            "unvouched": {"email": "pm@example.org", "email_verified": false, "name": "Pat Mason", "acr": "AAL3_ANY",
                          "nhsid_user_orgs": [{"org_code": "Y10001"}]},
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
pub fn settings_file(provider: &Provider, dir: &std::path::Path) -> String {
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
        entry("strict", "sign_out_at_provider = false"),
        entry("nhsmail", "preset = \"nhsmail\"\nlink_by_verified_email = true"),
        entry("staff-mfa", "link_by_verified_email = true\ncounts_as_second_factor = true"),
        format!(
            "[[sso]]\nid = \"keyed\"\nlabel = \"Test keyed\"\nissuer = \"{}\"\nclient_id = \"keyed\"\nprivate_key_file = \"{}\"\nprivate_key_id = \"quorate-test\"\nlink_by_verified_email = true\n",
            provider.issuer,
            fixture("rp-test-key.pem").display()
        ),
        format!(
            "[[sso]]\nid = \"cis2\"\nlabel = \"Test CIS2\"\npreset = \"cis2\"\nissuer = \"{}\"\nclient_id = \"cis2\"\nprivate_key_file = \"{}\"\nprivate_key_id = \"quorate-test\"\nacr_values = [\"AAL3_ANY\"]\nprovision_practice_staff = true\ncounts_as_second_factor = true\n",
            provider.issuer,
            fixture("rp-test-key.pem").display()
        ),
        format!(
            "[[sso]]\nid = \"broken\"\nlabel = \"Broken\"\nissuer = \"{}\"\nclient_id = \"broken\"\nclient_secret_file = \"/nonexistent/quorate-secret\"\n",
            provider.issuer
        ),
        "[[sso]]\nid = \"down\"\nlabel = \"Nobody\"\nissuer = \"http://127.0.0.1:9\"\nclient_id = \"down\"\nclient_secret_env = \"QUORATE_TEST_UNSET_SECRET\"\n".to_owned(),
    ]
    .join("\n")
}

pub struct World {
    pub app: TestApp,
    pub provider: Provider,
    _dir: tempfile::TempDir,
}

pub async fn world(backend: Backend, extra: &[(&str, &str)]) -> World {
    let provider = start_provider();
    let dir = tempfile::tempdir().expect("dir");
    let file = settings_file(&provider, dir.path());
    let app = super::spawn_app_configured(backend, extra, Some(&file)).await;
    World {
        app,
        provider,
        _dir: dir,
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub fn with_query_value(url: &str, name: &str, value: &str) -> String {
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
    pub async fn start(&self, id: &str) -> String {
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
    pub async fn at_provider(&self, mut url: String) -> String {
        // A new visit each time: no session at the provider from an earlier
        // sign-in, so its login_hint chooses who signs in.
        let browser = super::client();
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

    pub async fn sign_in_as(&self, id: &str, account: &str) -> reqwest::Response {
        let url = self.start(id).await;
        let callback = self.at_provider(format!("{url}&login_hint={account}")).await;
        self.app.client.get(&callback).send().await.expect("callback")
    }

    /// The next ID token the provider issues to `client` is changed.
    pub async fn tamper(&self, client: &str, order: Value) {
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

    pub fn links(&self) -> Vec<(String, String)> {
        let mut conn = self.app.pool.get().expect("connection");
        identity_links::table
            .select((identity_links::provider, identity_links::subject))
            .order(identity_links::id)
            .load(&mut conn)
            .expect("links")
    }

    pub fn accounts(&self) -> i64 {
        let mut conn = self.app.pool.get().expect("connection");
        users::table.count().get_result(&mut conn).expect("count")
    }
}

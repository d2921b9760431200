//! Starts the real server on 127.0.0.1:0 with a fresh database: a temporary
//! SQLite file, or a PostgreSQL database created for the test and dropped
//! afterwards (when QUORATE_TEST_POSTGRES_URL names a server).
#![allow(dead_code)]

pub mod ballots;
pub mod measure;
pub mod oidc;
pub mod smtp;
pub mod two_factor;

use std::path::PathBuf;
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use quorate::accounts::service::{self as accounts, NewAccount};
use quorate::config::Settings;
use quorate::db::{self, Pool, PoolOptions};
use quorate::registry::store::{NewOrganisation, NewPractice, Organisation, Practice};
use quorate::web::Application;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A test password that meets the rules.
pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database_url: String,
    pub pool: Pool,
    pub data_dir: PathBuf,
    pub setup_token: Option<String>,
    pub backend: Backend,
    pub settings: Settings,
    server: Option<actix_web::dev::ServerHandle>,
    postgres: Option<PostgresDatabase>,
    _dir: tempfile::TempDir,
}

/// A database made for one test on the PostgreSQL server, dropped with it.
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin_url) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// `postgres://host/db?x` with the database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// The test server's URL. Loopback connections go without TLS: libpq tears
/// TLS connections down with OpenSSL, which races OpenSSL's own clean-up
/// when a test process exits with servers still running (a crash after the
/// tests passed, seen about once in six runs).
pub fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("QUORATE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    Some(if url.contains("sslmode=") {
        url
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    })
}

fn fresh_postgres_database() -> (String, PostgresDatabase) {
    let admin_url = postgres_admin_url().expect("QUORATE_TEST_POSTGRES_URL is set for PostgreSQL tests");
    let name = format!(
        "quorate_test_{}",
        quorate::token::random_token(9).to_lowercase().replace(['-', '_'], "x")
    );
    let mut conn = diesel::PgConnection::establish(&admin_url).expect("connect to the PostgreSQL test server");
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create a test database");
    (with_database(&admin_url, &name), PostgresDatabase { admin_url, name })
}

pub fn settings_for(database_url: &str, data_dir: &std::path::Path, extra: &[(&str, &str)]) -> Settings {
    settings_with_file(database_url, data_dir, extra, None)
}

/// Like `settings_for`, with a settings file read first (as `--config FILE`).
pub fn settings_with_file(
    database_url: &str,
    data_dir: &std::path::Path,
    extra: &[(&str, &str)],
    file: Option<&std::path::Path>,
) -> Settings {
    let mut env: Vec<(String, String)> = vec![
        ("QUORATE_DATABASE_URL".into(), database_url.into()),
        ("QUORATE_BIND".into(), "127.0.0.1:0".into()),
        ("QUORATE_DATA_DIR".into(), data_dir.display().to_string()),
        ("QUORATE_WORKERS".into(), "2".into()),
        ("QUORATE_DB_POOL_SIZE".into(), "4".into()),
        // Tests run the delivery worker themselves, so they know when it ran.
        ("QUORATE_MAIL_WORKER".into(), "false".into()),
        // Likewise the ballot scheduler: tests run its rounds themselves.
        ("QUORATE_SCHEDULER".into(), "false".into()),
        ("QUORATE_MAIL_DIR".into(), data_dir.join("mail").display().to_string()),
        ("QUORATE_MAIL_FROM".into(), "Quorate Test <quorate@test.example>".into()),
        ("QUORATE_MAIL_RATE_PER_SECOND".into(), "0".into()),
        ("QUORATE_MAIL_RETRY_BASE_SECONDS".into(), "1".into()),
        // Most tests sign in many times a minute with a password alone;
        // tests/two_factor.rs turns the requirement on as in production.
        ("QUORATE_TWO_FACTOR_REQUIRED_FOR".into(), String::new()),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::load_from(file, env).expect("test settings are valid")
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts the app with extra `QUORATE_*` settings.
pub async fn spawn_app_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_configured(backend, extra, None).await
}

/// Starts the app with extra settings and a settings file's text (TOML).
pub async fn spawn_app_configured(backend: Backend, extra: &[(&str, &str)], file: Option<&str>) -> TestApp {
    init_test_logging();
    let dir = tempfile::tempdir().expect("temporary folder");
    let (database_url, postgres) = match backend {
        Backend::Sqlite => (format!("sqlite://{}", dir.path().join("quorate.db").display()), None),
        Backend::Postgres => {
            let (url, db) = fresh_postgres_database();
            (url, Some(db))
        }
    };
    let data_dir = dir.path().join("data");
    let file = file.map(|text| {
        let path = dir.path().join("quorate.toml");
        std::fs::write(&path, text).expect("settings file");
        path
    });
    let settings = settings_with_file(&database_url, &data_dir, extra, file.as_deref());
    start(settings, backend, postgres, dir)
        .await
        .expect("the application starts")
}

/// Starts a server with `settings`, and the test's pool on its database.
/// Its `Err` is why it refused to start.
async fn start(
    settings: Settings,
    backend: Backend,
    postgres: Option<PostgresDatabase>,
    dir: tempfile::TempDir,
) -> Result<TestApp, String> {
    let app = Application::build(settings.clone(), false)
        .await
        .map_err(|e| e.to_string())?;
    let address = format!("http://127.0.0.1:{}", app.port());
    let setup_token = app.setup_token.clone();
    let server = app.into_server();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let pool = db::connect(
        &settings.database_url,
        &PoolOptions {
            max_size: 2,
            connection_timeout: Duration::from_secs(10),
        },
    )
    .expect("test pool");
    Ok(TestApp {
        address,
        client: client(),
        database_url: settings.database_url.redacted(),
        pool,
        data_dir: settings.data_dir.clone(),
        setup_token,
        backend,
        settings,
        server: Some(handle),
        postgres,
        _dir: dir,
    })
}

impl TestApp {
    /// Another server on this app's database, as a second server behind a
    /// load balancer: with the same settings (and so the same data folder,
    /// as servers share their configuration and keys), or with `data_dir`
    /// as its own. Its `Err` is why it refused to start.
    pub async fn second_server(&self, data_dir: Option<PathBuf>) -> Result<TestApp, String> {
        self.server_with(Settings {
            data_dir: data_dir.unwrap_or_else(|| self.data_dir.clone()),
            ..self.settings.clone()
        })
        .await
    }

    /// Another server with `settings` (this app's, changed). Its `Err` is
    /// why it refused to start.
    pub async fn server_with(&self, settings: Settings) -> Result<TestApp, String> {
        // The first server's test drops the database.
        start(
            settings,
            self.backend,
            None,
            tempfile::tempdir().expect("temporary folder"),
        )
        .await
    }

    /// The URL of a database on this app's backend with nothing in it (a
    /// file in `dir`, or a new PostgreSQL database dropped with the guard).
    pub fn empty_database(&self, dir: &std::path::Path) -> (String, Option<PostgresDatabase>) {
        match self.backend {
            Backend::Sqlite => (format!("sqlite://{}", dir.join("restored.db").display()), None),
            Backend::Postgres => {
                let (url, db) = fresh_postgres_database();
                (url, Some(db))
            }
        }
    }

    /// A delivery worker for this app's database, sending to `smtp_url`
    /// (or to .eml files when `None`), with `extra` settings.
    pub fn mail_worker(&self, smtp_url: Option<&str>, extra: &[(&str, &str)]) -> quorate::mail::worker::Worker {
        // Later pairs win, so the caller's `extra` comes last.
        let mut pairs: Vec<(&str, &str)> = vec![("QUORATE_MAIL_SEND_TIMEOUT_SECONDS", "5")];
        if let Some(url) = smtp_url {
            pairs.push(("QUORATE_SMTP_URL", url));
        }
        pairs.extend_from_slice(extra);
        let settings = settings_for(&self.database_url, &self.data_dir, &pairs);
        quorate::mail::worker::Worker::new(self.pool.clone(), &settings).expect("worker")
    }

    /// Stops the server and waits until its workers have dropped their
    /// database connections (so none is closed while the process exits).
    pub async fn stop(&self) {
        if let Some(server) = &self.server {
            server.stop(true).await;
        }
    }

    pub fn outbox(&self) -> quorate::mail::service::Outbox {
        quorate::mail::service::Outbox::new(&self.settings).expect("outbox")
    }

    /// How many messages from `template` to `address` the outbox holds.
    pub fn emails_to(&self, address: &str, template: &str) -> usize {
        use diesel::prelude::*;
        use quorate::db::schema::outbox_messages;
        let mut conn = self.pool.get().expect("connection");
        outbox_messages::table
            .filter(outbox_messages::recipient_email.eq(address))
            .filter(outbox_messages::template.eq(template))
            .count()
            .get_result::<i64>(&mut conn)
            .expect("count") as usize
    }

    /// How many entries the audit log holds.
    pub fn audited_count(&self) -> usize {
        let mut conn = self.pool.get().expect("connection");
        quorate::audit::store::all(&mut conn).expect("audit log").len()
    }

    /// The summaries of the audit log's entries of `action`, oldest first.
    pub fn audited(&self, action: &str) -> Vec<String> {
        use diesel::prelude::*;
        use quorate::db::schema::audit_log;
        let mut conn = self.pool.get().expect("connection");
        audit_log::table
            .filter(audit_log::action.eq(action))
            .order(audit_log::id.asc())
            .select(audit_log::summary)
            .load(&mut conn)
            .expect("audit")
    }
}

/// A browser-like client: keeps cookies, does not follow redirects (so
/// tests can check them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

/// Server logs in test output when TEST_LOG is set.
fn init_test_logging() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("info")
            .try_init();
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// The CSRF token of the form on `path`.
    pub async fn csrf_token(&self, path: &str) -> String {
        let (_, body) = self.get_text(path).await;
        csrf_in(&body).unwrap_or_else(|| panic!("no CSRF field on {path}: {body}"))
    }

    /// Posts a form the way a browser would: with the page's CSRF token.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token(form_page).await;
        let mut all = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form(action, &all).await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit("/login", "/login", &[("email", email), ("password", password)])
            .await
    }

    pub async fn logout(&self) -> reqwest::Response {
        self.submit("/", "/logout", &[]).await
    }

    /// A fresh client (no cookies) against the same server.
    pub fn new_visitor(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            client: client(),
            database_url: self.database_url.clone(),
            pool: self.pool.clone(),
            data_dir: self.data_dir.clone(),
            setup_token: None,
            backend: self.backend,
            settings: self.settings.clone(),
            server: None,
            postgres: None,
            _dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    pub fn create_organisation(&self, kind: &str, code: &str, name: &str) -> i32 {
        let mut conn = self.pool.get().expect("connection");
        NewOrganisation {
            kind,
            ods_code: code,
            name,
            is_demo: false,
            created_at: chrono::Utc::now().naive_utc(),
        }
        .insert(&mut conn)
        .expect("insert organisation")
    }

    pub fn cover_with_lmc(&self, organisation_id: i32, lmc_id: i32) {
        let mut conn = self.pool.get().expect("connection");
        Organisation::add_covering_lmc(&mut conn, organisation_id, lmc_id).expect("cover");
    }

    pub fn create_member_practice(&self, code: &str, name: &str, organisation_id: i32) -> i32 {
        let mut conn = self.pool.get().expect("connection");
        let id = NewPractice {
            ods_code: code,
            name,
            is_demo: false,
            created_at: chrono::Utc::now().naive_utc(),
        }
        .insert(&mut conn)
        .expect("insert practice");
        let joined = chrono::NaiveDate::from_ymd_opt(2024, 4, 1).expect("date");
        Practice::join(&mut conn, id, organisation_id, joined).expect("join");
        id
    }

    /// Creates a user through the same service the CLI uses.
    pub fn create_user(&self, email: &str, role: &str, scope: Option<&str>) {
        accounts::create_user(
            &self.pool,
            NewAccount {
                email: email.into(),
                name: format!("Test {role}"),
                password: PASSWORD.into(),
                role: role.into(),
                scope_code: scope.map(str::to_owned),
            },
        )
        .expect("create user");
    }
}

impl TestApp {
    /// A JSON API request; answers the status and the JSON body.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
        )
    }
}

pub fn csrf_in(body: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

/// A member practice of `organisation` with a nominated representative
/// who has no password (they vote by link), written straight to the
/// database for the load benches; the practice's id.
pub fn insert_practice_with_representative(
    c: &mut db::DbConn,
    organisation: i32,
    (code, name, email): (&str, &str, &str),
    joined: chrono::NaiveDate,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<i32> {
    use diesel::prelude::*;
    use quorate::db::schema::{memberships, practices, representatives, users};
    let practice: i32 = diesel::insert_into(practices::table)
        .values((
            practices::ods_code.eq(code),
            practices::name.eq(name),
            practices::is_demo.eq(false),
            practices::created_at.eq(now),
        ))
        .returning(practices::id)
        .get_result(c)?;
    diesel::insert_into(memberships::table)
        .values((
            memberships::practice_id.eq(practice),
            memberships::organisation_id.eq(organisation),
            memberships::joined_on.eq(joined),
        ))
        .execute(c)?;
    let user: i32 = diesel::insert_into(users::table)
        .values((
            users::email.eq(email),
            users::email_normalized.eq(email.to_lowercase()),
            users::name.eq(format!("Representative of {name}")),
            users::password_hash.eq("!no-password"),
            users::created_at.eq(now),
            users::sessions_valid_after.eq(now),
        ))
        .returning(users::id)
        .get_result(c)?;
    diesel::insert_into(representatives::table)
        .values((
            representatives::practice_id.eq(practice),
            representatives::user_id.eq(user),
            representatives::kind.eq("nominated"),
            representatives::started_on.eq(joined),
            representatives::created_at.eq(now),
        ))
        .execute(c)?;
    Ok(practice)
}

/// Runs each test body on SQLite, and on PostgreSQL too when the suite was
/// built with QUORATE_TEST_POSTGRES_URL set.
#[macro_export]
macro_rules! backend_tests {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[actix_web::test]
                async fn $name() {
                    let $app = $crate::common::spawn_app($crate::common::Backend::Sqlite).await;
                    $body
                }
            )*
        }
        #[cfg(quorate_pg_tests)]
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[actix_web::test]
                async fn $name() {
                    let $app = $crate::common::spawn_app($crate::common::Backend::Postgres).await;
                    $body
                }
            )*
        }
    };
}

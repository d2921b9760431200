//! The HTTP server: state shared by handlers, middleware, start-up.

pub mod allow;
pub mod assets;
pub mod auth;
pub mod csrf;
pub mod device;
pub mod error;
pub mod form;
pub mod health;
pub mod json;
pub mod metrics;
pub mod middleware;
pub mod page;
pub mod pages;
pub mod render;
pub mod routes;
pub mod upload;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, SessionLifecycle};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpServer, web};

use crate::config::Settings;
use crate::db::{self, Pool, PoolOptions};
use render::Templates;

pub const SESSION_COOKIE: &str = "quorate_session";

/// What every handler can reach.
pub struct AppState {
    pub pool: Pool,
    pub templates: Templates,
    pub settings: Arc<Settings>,
    pub outbox: crate::mail::service::Outbox,
    /// Commits votes in groups (see `ballots::casting`).
    pub votes: crate::ballots::casting::VoteWriter,
    /// Encrypts and signs cookies other than the session's (known devices).
    pub cookie_key: Key,
    /// Seals the secrets kept with accounts (two-factor keys).
    pub account_secrets: crate::mail::seal::Sealer,
    /// Bounds the uploads anyone may make without signing in.
    pub anonymous_uploads: Arc<tokio::sync::Semaphore>,
    /// This server's counters for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
}

/// Uploads without an account (a certificate and its board on `/verify`)
/// read at once; more wait for a free place instead of filling memory.
pub const ANONYMOUS_UPLOADS_AT_ONCE: usize = 2;

impl AppState {
    pub fn new(
        pool: Pool,
        templates: Templates,
        settings: Arc<Settings>,
        outbox: crate::mail::service::Outbox,
        votes: crate::ballots::casting::VoteWriter,
        cookie_key: Key,
        account_secrets: crate::mail::seal::Sealer,
    ) -> AppState {
        AppState {
            account_secrets,
            pool,
            templates,
            settings,
            outbox,
            votes,
            cookie_key,
            anonymous_uploads: Arc::new(tokio::sync::Semaphore::new(ANONYMOUS_UPLOADS_AT_ONCE)),
            metrics: Arc::new(metrics::Metrics::default()),
        }
    }

    /// Runs a blocking service call (database, password hashing) off the
    /// async threads.
    pub async fn run<T, F>(&self, f: F) -> Result<T, crate::error::AppError>
    where
        F: FnOnce(&Pool) -> Result<T, crate::error::AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || f(&pool))
            .await
            .map_err(|e| crate::error::AppError::Internal(format!("blocking task: {e}")))?
    }
}

/// The address a request comes from, for the login throttle.
pub fn client_address(req: &HttpRequest, settings: &Settings) -> String {
    if settings.trust_forwarded_for {
        if let Some(ip) = req.connection_info().realip_remote_addr() {
            return ip.to_owned();
        }
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Database(#[from] db::InitError),
    #[error("{0}")]
    Templates(String),
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
    #[error("{0}")]
    Setup(String),
}

/// A server ready to run, with the port it listens on.
pub struct Application {
    server: Server,
    port: u16,
    /// The first-run setup token, when nobody has an account yet: the
    /// link is `{base_url}/setup/{token}`.
    pub setup_token: Option<String>,
    /// Demo accounts created by this start, with their shared password.
    pub demo: Option<crate::demo::DemoAccounts>,
    vote_writer: std::thread::JoinHandle<()>,
}

impl Application {
    /// Migrates the database, prepares everything and binds the listener.
    /// Blocking work runs on a blocking thread.
    pub async fn build(settings: Settings, load_demo: bool) -> Result<Application, StartError> {
        let settings = Arc::new(settings);
        let key = settings.resolve_secret_key()?;
        let account_secrets = crate::mail::seal::Sealer::for_account_secrets(key.expose());
        let key = Key::derive_from(key.expose().as_bytes());
        let templates = render::load_templates().map_err(StartError::Templates)?;
        let outbox = crate::mail::service::Outbox::new(&settings).map_err(StartError::Templates)?;

        let prepared = {
            let settings = settings.clone();
            actix_web::rt::task::spawn_blocking(move || prepare_database(&settings, load_demo))
                .await
                .map_err(|e| StartError::Setup(format!("start-up task failed: {e}")))??
        };
        let (pool, setup_token, demo) = prepared;

        let listener = TcpListener::bind(&settings.bind).map_err(|source| StartError::Bind {
            address: settings.bind.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                address: settings.bind.clone(),
                source,
            })?
            .port();

        if settings.mail_worker {
            let worker = crate::mail::worker::Worker::new(pool.clone(), &settings).map_err(StartError::Setup)?;
            actix_web::rt::spawn(worker.run_forever());
        }
        if let Some(mailbox) =
            crate::mail::bounce::imap::Mailbox::from_settings(&settings).map_err(StartError::Setup)?
        {
            let bounce_address = Some(settings.bounce_address.trim().to_owned()).filter(|b| !b.is_empty());
            actix_web::rt::spawn(crate::mail::bounce::imap::run_forever(
                pool.clone(),
                mailbox,
                bounce_address,
                Duration::from_secs(settings.imap_poll_seconds),
            ));
        }
        let (votes, vote_writer) = crate::ballots::casting::VoteWriter::start(pool.clone(), outbox.clone())
            .map_err(|e| StartError::Setup(format!("starting the vote writer: {e}")))?;
        let state = web::Data::new(AppState::new(
            pool,
            templates,
            settings.clone(),
            outbox,
            votes,
            key.clone(),
            account_secrets,
        ));
        if settings.scheduler {
            let interval = Duration::from_millis(settings.scheduler_interval_ms);
            let scheduler = crate::ballots::schedule::Scheduler::with_retention(crate::ballots::schedule::Retention {
                policy: crate::retention::model::Policy::from_settings(&settings),
                session_hours: settings.session_hours,
                data_dir: settings.data_dir.clone(),
            });
            actix_web::rt::spawn(scheduler.run_forever(
                state.pool.clone(),
                state.outbox.clone(),
                interval,
                state.metrics.clone(),
            ));
        }
        let sso = web::Data::new(crate::accounts::sso::client::Sso::new().map_err(StartError::Setup)?);
        let secure = settings.uses_https();
        let content_security_policy = middleware::content_security_policy(&settings.sso_origins());
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(sso.clone())
                .app_data(web::FormConfig::default().limit(64 * 1024))
                .app_data(web::PayloadConfig::default().limit(256 * 1024))
                .wrap(
                    SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                        .cookie_name(SESSION_COOKIE.into())
                        .cookie_content_security(CookieContentSecurity::Private)
                        .cookie_http_only(true)
                        .cookie_same_site(SameSite::Lax)
                        .cookie_secure(secure)
                        .cookie_path("/".into())
                        .session_lifecycle(SessionLifecycle::BrowserSession(Default::default()))
                        .build(),
                )
                .wrap(from_fn(error::error_pages))
                .wrap(middleware::security_headers(&content_security_policy))
                .wrap(from_fn(middleware::request_log))
                .configure(routes::configure)
        })
        .listen(listener)
        .map_err(|source| StartError::Bind {
            address: settings.bind.clone(),
            source,
        })?
        .shutdown_timeout(10);
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        Ok(Application {
            server: server.run(),
            port,
            setup_token,
            demo,
            vote_writer,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until stopped, then waits for the vote writer to finish, so
    /// no database connection is still closing while the process exits.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        let writer = self.vote_writer;
        let _ = actix_web::rt::task::spawn_blocking(move || writer.join()).await;
        result
    }

    pub fn into_server(self) -> Server {
        self.server
    }
}

type Prepared = (Pool, Option<String>, Option<crate::demo::DemoAccounts>);

fn prepare_database(settings: &Settings, load_demo: bool) -> Result<Prepared, StartError> {
    let pool = db::connect(
        &settings.database_url,
        &PoolOptions {
            max_size: settings.db_pool_size,
            connection_timeout: Duration::from_secs(settings.db_timeout_seconds),
        },
    )?;
    crate::accounts::password::warm_up();
    // A key that differs from the other servers' is a setting to correct:
    // restarting would not help.
    let warnings = crate::certify::service::check_keys(&pool, &settings.data_dir)
        .map_err(|e| StartError::Config(crate::config::ConfigError::new(e)))?;
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    let demo = if load_demo {
        crate::demo::load(&pool).map_err(|e| StartError::Setup(format!("loading demo data: {e}")))?
    } else {
        None
    };
    let setup_token = crate::accounts::service::issue_setup_token(&pool)
        .map_err(|e| StartError::Setup(format!("issuing the setup link: {e}")))?;
    Ok((pool, setup_token, demo))
}

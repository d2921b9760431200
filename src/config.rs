//! Settings: the embedded `config/default.toml`, then an optional file, then
//! `QUORATE_*` environment variables.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::db::DatabaseUrl;

const DEFAULTS: &str = include_str!("../config/default.toml");
const SECRET_KEY_FILE: &str = "quorate-secret.key";
const MIN_SECRET_LEN: usize = 32;

/// A value that must never reach a log: `Debug` prints `[redacted]`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Every setting; see `config/default.toml` for what each one means.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub bind: String,
    /// Without a trailing slash.
    pub base_url: String,
    #[serde(default)]
    pub secret_key: Option<Secret>,
    pub data_dir: PathBuf,
    pub db_pool_size: u32,
    pub db_timeout_seconds: u64,
    pub workers: usize,
    pub log: String,
    /// "text" or "json" (one object a line).
    pub log_format: LogFormat,
    /// The bearer token `/metrics` needs; none: `/metrics` is off.
    #[serde(default)]
    pub metrics_token: Option<Secret>,
    pub login_max_failures: u32,
    pub login_lockout_minutes: u32,
    pub session_hours: u32,
    /// Roles that must sign in with a second factor: role names, comma-separated.
    pub two_factor_required_for: String,
    /// `two_factor_required_for` read, once, when the settings load.
    #[serde(skip)]
    pub second_factor: crate::accounts::two_factor::model::SecondFactorPolicy,
    /// Single sign-on providers (`[[sso]]` tables in the settings file).
    #[serde(default)]
    pub sso: Vec<crate::accounts::sso::model::ProviderSettings>,
    pub trust_forwarded_for: bool,
    pub nhs_branding: bool,
    pub operator_name: String,
    /// Where people report problems (the accessibility statement); empty:
    /// the statement says to ask the operator by name.
    #[serde(default)]
    pub operator_email: String,
    /// Empty: write `.eml` files into `mail_dir` instead of sending.
    #[serde(default)]
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    /// Empty: bounces go to `mail_from`'s address. Set: each message's
    /// envelope sender is `local+TAG@domain` of this address (VERP), and
    /// `quorate mail bounce` matches what comes back to the message.
    #[serde(default)]
    pub bounce_address: String,
    /// A mailbox bounces are delivered to, polled over IMAP:
    /// imaps://USER@HOST:993/FOLDER (imap:// only on loopback). Empty: no polling.
    #[serde(default)]
    pub imap_url: String,
    /// The mailbox's password; set it from the environment (QUORATE_IMAP_PASSWORD).
    #[serde(default)]
    pub imap_password: Option<Secret>,
    #[serde(default = "default_imap_poll_seconds")]
    pub imap_poll_seconds: u64,
    pub mail_dir: PathBuf,
    pub mail_worker: bool,
    pub mail_poll_ms: u64,
    pub mail_batch_size: u32,
    pub mail_concurrency: usize,
    pub mail_rate_per_second: u32,
    pub mail_send_timeout_seconds: u64,
    pub mail_retry_base_seconds: u64,
    pub mail_retry_limit_hours: u64,
    pub mail_lease_seconds: u64,
    /// Run the ballot scheduler (opening, closing, counting, reminders).
    pub scheduler: bool,
    pub scheduler_interval_ms: u64,
    pub retain_voting_links_days: u32,
    pub retain_messages_days: u32,
    pub retain_sign_in_records_days: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

fn default_imap_poll_seconds() -> u64 {
    300
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl ConfigError {
    pub fn new(why: impl Into<String>) -> Self {
        ConfigError(why.into())
    }
}

impl Settings {
    /// Reads the settings from the defaults, `file` and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    /// Like `load`, with the environment given (tests pass their own).
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let mut builder =
            config::Config::builder().add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "configuration file {} does not exist",
                    path.display()
                )));
            }
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        let overrides: config::Map<String, String> = env
            .into_iter()
            .filter_map(|(key, value)| {
                let setting = key.strip_prefix("QUORATE_")?.to_ascii_lowercase();
                Some((setting, value))
            })
            .collect();
        builder = builder.add_source(config::Environment::default().source(Some(overrides)).try_parsing(true));
        let settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError(format!("configuration: {e}")))?;
        Self::validate(settings)
    }

    fn validate(mut settings: Settings) -> Result<Settings, ConfigError> {
        settings.base_url = settings.base_url.trim().trim_end_matches('/').to_owned();
        if !(settings.base_url.starts_with("http://") || settings.base_url.starts_with("https://")) {
            return Err(ConfigError("base_url must start with http:// or https://".into()));
        }
        settings.bind = settings.bind.trim().to_owned();
        if settings.bind.is_empty() {
            return Err(ConfigError(
                "bind must be an address and port, like 127.0.0.1:8080".into(),
            ));
        }
        if settings.db_pool_size < 2 {
            // The scheduler holds one connection for its round's lock while
            // the round works on another.
            return Err(ConfigError("db_pool_size must be at least 2".into()));
        }
        settings.db_timeout_seconds = settings.db_timeout_seconds.max(1);
        if settings.login_max_failures == 0 || settings.login_lockout_minutes == 0 {
            return Err(ConfigError(
                "login_max_failures and login_lockout_minutes must be at least 1".into(),
            ));
        }
        settings.second_factor =
            crate::accounts::two_factor::model::SecondFactorPolicy::parse(&settings.two_factor_required_for)
                .map_err(ConfigError)?;
        crate::accounts::sso::model::check_providers(&settings.sso).map_err(ConfigError)?;
        if settings.session_hours == 0 {
            return Err(ConfigError("session_hours must be at least 1".into()));
        }
        settings.secret_key = settings.secret_key.filter(|s| !s.expose().is_empty());
        settings.metrics_token = settings.metrics_token.filter(|s| !s.expose().trim().is_empty());
        if let Some(token) = &settings.metrics_token {
            if token.expose().trim().len() < 16 {
                return Err(ConfigError(
                    "metrics_token must be at least 16 characters (or empty, to turn /metrics off)".into(),
                ));
            }
        }
        if let Some(secret) = &settings.secret_key {
            check_secret_length(secret.expose())?;
        }
        settings.smtp_url = settings.smtp_url.filter(|s| !s.expose().trim().is_empty());
        if let Some(url) = &settings.smtp_url {
            let url = url.expose().trim();
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(ConfigError("smtp_url must start with smtp:// or smtps://".into()));
            }
        }
        if settings.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError(
                "mail_from must be an email address, optionally with a name: Quorate <quorate@example.org>".into(),
            ));
        }
        let bounce = settings.bounce_address.trim();
        if !bounce.is_empty() && (bounce.parse::<lettre::Address>().is_err() || bounce.contains('+')) {
            return Err(ConfigError(
                "bounce_address must be a plain email address without a +tag, like bounces@example.org: each message's tag is added to it".into(),
            ));
        }
        if !settings.imap_url.trim().is_empty() {
            crate::mail::bounce::imap::Mailbox::from_settings(&settings).map_err(ConfigError)?;
        }
        settings.imap_poll_seconds = settings.imap_poll_seconds.max(10);
        if settings.mail_batch_size == 0 || settings.mail_concurrency == 0 {
            return Err(ConfigError(
                "mail_batch_size and mail_concurrency must be at least 1".into(),
            ));
        }
        settings.mail_poll_ms = settings.mail_poll_ms.max(10);
        settings.scheduler_interval_ms = settings.scheduler_interval_ms.max(100);
        settings.mail_send_timeout_seconds = settings.mail_send_timeout_seconds.max(1);
        settings.mail_lease_seconds = settings.mail_lease_seconds.max(settings.mail_send_timeout_seconds + 5);
        Ok(settings)
    }

    pub fn uses_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// How a single sign-on provider is named on pages and in emails (its
    /// id, if it is no longer in the settings).
    pub fn provider_label(&self, id: &str) -> String {
        self.sso
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_owned(), |p| p.label().to_owned())
    }

    /// The origins (scheme, host and port) of the single sign-on providers'
    /// issuers, once each: where logging out sends the browser.
    pub fn sso_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self.sso.iter().filter_map(|p| origin_of(&p.issuer)).collect();
        origins.sort();
        origins.dedup();
        origins
    }

    /// The session key: the configured one, or the one kept in the data
    /// folder, generated there (owner-only permissions) on first start.
    pub fn resolve_secret_key(&self) -> Result<Secret, ConfigError> {
        if let Some(secret) = &self.secret_key {
            return Ok(secret.clone());
        }
        let path = self.data_dir.join(SECRET_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let text = text.trim().to_owned();
                check_secret_length(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
                Ok(Secret(text))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => generate_secret_file(&path),
            Err(e) => Err(ConfigError(format!("cannot read {}: {e}", path.display()))),
        }
    }
}

fn check_secret_length(secret: &str) -> Result<(), ConfigError> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(ConfigError(format!(
            "secret_key must be at least {MIN_SECRET_LEN} characters"
        )));
    }
    Ok(())
}

fn generate_secret_file(path: &Path) -> Result<Secret, ConfigError> {
    let secret = crate::token::random_token(48);
    write_owner_only(path, &format!("{secret}\n"))
        .map_err(|e| ConfigError(format!("cannot create {}: {e}", path.display())))?;
    tracing::info!(path = %path.display(), "generated a new session key");
    Ok(Secret(secret))
}

/// Creates `path` (and its folder) readable by its owner only; fails if it
/// exists, so a key is never overwritten.
pub fn write_owner_only(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

/// The origin (scheme, host and port) of an http(s) address, if it has a
/// plain one: it goes into a header.
pub fn origin_of(address: &str) -> Option<String> {
    let (scheme, rest) = address.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let plain = matches!(scheme, "http" | "https")
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    plain.then(|| format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_are_complete_and_valid() {
        let settings = Settings::load_from(None, env(&[])).expect("defaults load");
        assert_eq!(settings.bind, "127.0.0.1:8080");
        assert_eq!(settings.database_url.sqlite_path(), Some("quorate.db"));
        assert_eq!(settings.login_max_failures, 5);
        assert!(settings.secret_key.is_none());
    }

    #[test]
    fn environment_overrides_defaults() {
        let settings = Settings::load_from(
            None,
            env(&[
                ("QUORATE_DATABASE_URL", "postgres://u:p@localhost/q"),
                ("QUORATE_BIND", "0.0.0.0:9000"),
                ("QUORATE_BASE_URL", "https://quorate.example/"),
                ("QUORATE_LOGIN_MAX_FAILURES", "7"),
                ("QUORATE_TEST_SOMETHING_ELSE", "ignored"),
                ("OTHER", "x"),
            ]),
        )
        .expect("loads");
        assert_eq!(settings.bind, "0.0.0.0:9000");
        assert_eq!(settings.base_url, "https://quorate.example");
        assert!(settings.uses_https());
        assert_eq!(settings.login_max_failures, 7);
        assert_eq!(settings.database_url.backend(), crate::db::Backend::Postgres);
    }

    #[test]
    fn smtp_credentials_are_redacted() {
        let settings = Settings::load_from(None, env(&[("QUORATE_SMTP_URL", "smtps://user:hunter22@mail.example")]))
            .expect("loads");
        assert!(!format!("{settings:?}").contains("hunter22"));
        assert!(Settings::load_from(None, env(&[("QUORATE_SMTP_URL", "http://x")])).is_err());
        assert!(Settings::load_from(None, env(&[("QUORATE_MAIL_FROM", "not an address")])).is_err());
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = Settings::load_from(None, env(&[("QUORATE_DATABASE_URL", "mysql://x")])).expect_err("rejected");
        assert!(err.to_string().contains("sqlite://"), "{err}");
        let err = Settings::load_from(None, env(&[("QUORATE_SECRET_KEY", "short")])).expect_err("rejected");
        assert!(err.to_string().contains("secret_key"), "{err}");
        let err = Settings::load_from(None, env(&[("QUORATE_LOGIN_MAX_FAILURES", "many")])).expect_err("rejected");
        assert!(err.to_string().contains("login_max_failures"), "{err}");
    }

    #[test]
    fn secret_never_appears_in_debug_output() {
        let settings = Settings::load_from(
            None,
            env(&[("QUORATE_SECRET_KEY", "a-very-long-secret-value-that-is-private-0123")]),
        )
        .expect("loads");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("a-very-long-secret"));
        assert!(printed.contains("[redacted]"));
    }

    #[test]
    fn generated_secret_is_kept_with_owner_only_permissions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut settings = Settings::load_from(None, env(&[])).expect("loads");
        settings.data_dir = dir.path().join("data");
        let first = settings.resolve_secret_key().expect("generated");
        let second = settings.resolve_secret_key().expect("read back");
        assert_eq!(first.expose(), second.expose());
        assert!(first.expose().len() >= MIN_SECRET_LEN);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(settings.data_dir.join(SECRET_KEY_FILE))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

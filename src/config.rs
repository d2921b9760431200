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

#[derive(Debug, Clone, Deserialize)]
struct RawSettings {
    database_url: String,
    bind: String,
    base_url: String,
    #[serde(default)]
    secret_key: Option<Secret>,
    data_dir: PathBuf,
    db_pool_size: u32,
    db_timeout_seconds: u64,
    workers: usize,
    log: String,
    login_max_failures: u32,
    login_lockout_minutes: u32,
    session_hours: u32,
    trust_forwarded_for: bool,
    nhs_branding: bool,
    operator_name: String,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub bind: String,
    /// Without a trailing slash.
    pub base_url: String,
    pub secret_key: Option<Secret>,
    pub data_dir: PathBuf,
    pub db_pool_size: u32,
    pub db_timeout_seconds: u64,
    pub workers: usize,
    pub log: String,
    pub login_max_failures: u32,
    pub login_lockout_minutes: u32,
    pub session_hours: u32,
    pub trust_forwarded_for: bool,
    pub nhs_branding: bool,
    pub operator_name: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

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
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
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
        builder = builder.add_source(
            config::Environment::default()
                .source(Some(overrides))
                .try_parsing(true),
        );
        let raw: RawSettings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError(format!("configuration: {e}")))?;
        Self::validate(raw)
    }

    fn validate(raw: RawSettings) -> Result<Settings, ConfigError> {
        let database_url = DatabaseUrl::parse(&raw.database_url).map_err(ConfigError)?;
        let base_url = raw.base_url.trim().trim_end_matches('/').to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ConfigError(
                "base_url must start with http:// or https://".into(),
            ));
        }
        if raw.bind.trim().is_empty() {
            return Err(ConfigError(
                "bind must be an address and port, like 127.0.0.1:8080".into(),
            ));
        }
        if raw.db_pool_size == 0 {
            return Err(ConfigError("db_pool_size must be at least 1".into()));
        }
        if raw.login_max_failures == 0 || raw.login_lockout_minutes == 0 {
            return Err(ConfigError(
                "login_max_failures and login_lockout_minutes must be at least 1".into(),
            ));
        }
        if raw.session_hours == 0 {
            return Err(ConfigError("session_hours must be at least 1".into()));
        }
        let secret_key = raw.secret_key.filter(|s| !s.expose().is_empty());
        if let Some(secret) = &secret_key {
            check_secret_length(secret.expose())?;
        }
        Ok(Settings {
            database_url,
            bind: raw.bind.trim().to_owned(),
            base_url,
            secret_key,
            data_dir: raw.data_dir,
            db_pool_size: raw.db_pool_size,
            db_timeout_seconds: raw.db_timeout_seconds.max(1),
            workers: raw.workers,
            log: raw.log,
            login_max_failures: raw.login_max_failures,
            login_lockout_minutes: raw.login_lockout_minutes,
            session_hours: raw.session_hours,
            trust_forwarded_for: raw.trust_forwarded_for,
            nhs_branding: raw.nhs_branding,
            operator_name: raw.operator_name,
        })
    }

    pub fn uses_https(&self) -> bool {
        self.base_url.starts_with("https://")
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
                check_secret_length(&text)
                    .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
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
    use std::io::Write;
    let secret = crate::token::random_token(48);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| ConfigError(format!("cannot create {}: {e}", parent.display())))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| ConfigError(format!("cannot create {}: {e}", path.display())))?;
    writeln!(file, "{secret}")
        .map_err(|e| ConfigError(format!("cannot write {}: {e}", path.display())))?;
    tracing::info!(path = %path.display(), "generated a new session key");
    Ok(Secret(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
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
        assert_eq!(
            settings.database_url.backend(),
            crate::db::Backend::Postgres
        );
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = Settings::load_from(None, env(&[("QUORATE_DATABASE_URL", "mysql://x")]))
            .expect_err("rejected");
        assert!(err.to_string().contains("sqlite://"), "{err}");
        let err = Settings::load_from(None, env(&[("QUORATE_SECRET_KEY", "short")]))
            .expect_err("rejected");
        assert!(err.to_string().contains("secret_key"), "{err}");
        let err = Settings::load_from(None, env(&[("QUORATE_LOGIN_MAX_FAILURES", "many")]))
            .expect_err("rejected");
        assert!(err.to_string().contains("login_max_failures"), "{err}");
    }

    #[test]
    fn secret_never_appears_in_debug_output() {
        let settings = Settings::load_from(
            None,
            env(&[(
                "QUORATE_SECRET_KEY",
                "a-very-long-secret-value-that-is-private-0123",
            )]),
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

//! Database access for both backends through one diesel model layer.
//!
//! The backend is chosen at run time from the URL scheme (`sqlite://…` or
//! `postgres://…`), never by trying one after the other: SQLite accepts any
//! string as a file name and would silently create a stray file.

pub mod backup;
pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(diesel::PgConnection),
    // Last on purpose: SQLite accepts any string as a path.
    Sqlite(diesel::SqliteConnection),
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any number will do as long as every Quorate instance uses the same one:
/// it serialises migrations when several servers start together.
const MIGRATION_LOCK_KEY: i64 = 0x0051_554f_5241_5445;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL whose scheme names a backend we support.
#[derive(Clone, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct DatabaseUrl {
    backend: Backend,
    url: String,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("database URL sqlite:// needs a file path, like sqlite://quorate.db".into());
            }
            Ok(DatabaseUrl {
                backend: Backend::Sqlite,
                url: path.to_owned(),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl {
                backend: Backend::Postgres,
                url: url.to_owned(),
            })
        } else {
            Err("database URL must start with sqlite:// or postgres://".into())
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The SQLite file, when the backend is SQLite.
    pub fn sqlite_path(&self) -> Option<&str> {
        (self.backend == Backend::Sqlite).then_some(self.url.as_str())
    }

    /// The URL with any password removed, safe to print.
    pub fn redacted(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("sqlite://{}", self.url),
            Backend::Postgres => redact_password(&self.url),
        }
    }
}

impl TryFrom<String> for DatabaseUrl {
    type Error = String;
    fn try_from(url: String) -> Result<Self, String> {
        DatabaseUrl::parse(&url)
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn redact_password(url: &str) -> String {
    let url = &redact_query_password(url);
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            if userinfo.contains(':') {
                format!("{scheme}://{user}:[redacted]@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            }
        }
        None => url.to_owned(),
    }
}

/// libpq also takes `?password=…` in the query string.
fn redact_query_password(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| {
            if pair.starts_with("password=") {
                "password=[redacted]".to_owned()
            } else {
                pair.to_owned()
            }
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

pub struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Manager { url }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match self.url.backend {
            Backend::Postgres => Ok(DbConn::Postgres(
                diesel::PgConnection::establish(&self.url.url).map_err(r2d2::Error::ConnectionError)?,
            )),
            Backend::Sqlite => Ok(DbConn::Sqlite(
                diesel::SqliteConnection::establish(&self.url.url).map_err(r2d2::Error::ConnectionError)?,
            )),
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Per-connection settings. SQLite keeps them per connection, so they are
/// applied every time the pool opens one.
#[derive(Debug)]
struct ConnectionSettings;

/// How long a SQLite writer waits for another to finish before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

impl CustomizeConnection<DbConn, r2d2::Error> for ConnectionSettings {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        match conn {
            // synchronous=FULL: a vote acknowledged to a practice must survive
            // a power cut, so durability wins over write speed.
            DbConn::Sqlite(c) => c
                .batch_execute(&format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                ))
                .map_err(r2d2::Error::QueryError),
            DbConn::Postgres(c) => c.batch_execute("SET TIME ZONE 'UTC'").map_err(r2d2::Error::QueryError),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("cannot create the folder for the SQLite database {path}: {source}")]
    CreateFolder { path: String, source: std::io::Error },
    #[error("cannot connect to the database {url}: {source}")]
    Connect { url: String, source: r2d2::Error },
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
    #[error("cannot build the connection pool: {0}")]
    Pool(#[from] r2d2::PoolError),
}

/// Opens (creating the SQLite file and its folder if needed) and migrates the
/// database. Returns the names of the migrations applied now.
pub fn migrate(url: &DatabaseUrl) -> Result<Vec<String>, InitError> {
    if let Some(path) = url.sqlite_path() {
        create_parent_folder(path)?;
    }
    let manager = Manager::new(url.clone());
    let mut conn = manager.connect().map_err(|source| InitError::Connect {
        url: url.redacted(),
        source,
    })?;
    let applied = match &mut conn {
        DbConn::Sqlite(c) => {
            // The pragma does nothing inside the transaction each migration
            // runs in, so turn foreign keys off around the whole run.
            c.batch_execute("PRAGMA foreign_keys = OFF;").map_err(migrate_error)?;
            let applied = c.run_pending_migrations(SQLITE_MIGRATIONS).map(versions);
            c.batch_execute("PRAGMA foreign_keys = ON;").map_err(migrate_error)?;
            applied
        }
        DbConn::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .map_err(migrate_error)?;
            let applied = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(versions);
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .map_err(migrate_error)?;
            applied
        }
    };
    applied.map_err(|e| InitError::Migrate(e.to_string()))
}

fn versions(applied: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    applied.into_iter().map(|v| v.to_string()).collect()
}

fn migrate_error(e: diesel::result::Error) -> InitError {
    InitError::Migrate(e.to_string())
}

fn create_parent_folder(path: &str) -> Result<(), InitError> {
    if path == ":memory:" {
        return Ok(());
    }
    match std::path::Path::new(path).parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|source| InitError::CreateFolder {
                path: path.to_owned(),
                source,
            })
        }
        _ => Ok(()),
    }
}

pub struct PoolOptions {
    pub max_size: u32,
    pub connection_timeout: Duration,
}

/// Migrates, then builds the pool used by the server.
pub fn connect(url: &DatabaseUrl, options: &PoolOptions) -> Result<Pool, InitError> {
    migrate(url)?;
    let pool = r2d2::Pool::builder()
        .max_size(options.max_size)
        .connection_timeout(options.connection_timeout)
        .connection_customizer(Box::new(ConnectionSettings))
        .build(Manager::new(url.clone()))?;
    Ok(pool)
}

/// Takes SQLite's write lock at the start of a transaction that reads
/// before it writes. A deferred transaction that has read cannot wait for
/// the lock when another connection wrote meanwhile: SQLite refuses it at
/// once ("database is locked"). A write as the first statement waits (up
/// to the busy timeout) like any other. PostgreSQL needs nothing.
pub fn claim_write_lock(conn: &mut DbConn) -> diesel::QueryResult<()> {
    if let DbConn::Sqlite(c) = conn {
        // Matches no row, but as a write it takes the lock.
        c.batch_execute("UPDATE ballots SET id = id WHERE 0")?;
    }
    Ok(())
}

/// A transaction that writes: SQLite's write lock is taken before anything
/// else (see `claim_write_lock`), so concurrent writers wait their turn
/// (up to the busy timeout) instead of one of them failing.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::Connection;
    conn.transaction(|c| {
        claim_write_lock(c)?;
        f(c)
    })
}

/// A row whose lock serialises one use-case's read-then-write on
/// PostgreSQL (SQLite's write lock already serialises every writer).
#[derive(Debug, Clone, Copy)]
pub enum Locked {
    /// Its constitution settings and their history.
    Organisation(i32),
    /// Its responses and representatives.
    Practice(i32),
    /// Its state, papers' count and reminders (servers' schedulers and an
    /// early close take turns).
    Ballot(i32),
    /// Its state and digests.
    Consultation(i32),
}

/// Locks the row until the transaction ends, so a second writer reads
/// what the first one wrote instead of overwriting it or colliding with it.
pub fn lock_row(conn: &mut DbConn, row: Locked) -> diesel::QueryResult<()> {
    if let DbConn::Postgres(c) = conn {
        let (sql, id) = match row {
            // NO KEY UPDATE throughout: writers of other rows that refer to
            // this one (votes, emails, audit entries: their foreign-key
            // checks take KEY SHARE) never wait for the lock, so it cannot
            // join a cycle with the audit log's lock; the lock's own takers
            // wait for each other.
            Locked::Organisation(id) => ("SELECT id FROM organisations WHERE id = $1 FOR NO KEY UPDATE", id),
            Locked::Practice(id) => ("SELECT id FROM practices WHERE id = $1 FOR NO KEY UPDATE", id),
            Locked::Ballot(id) => ("SELECT id FROM ballots WHERE id = $1 FOR NO KEY UPDATE", id),
            Locked::Consultation(id) => ("SELECT id FROM consultations WHERE id = $1 FOR NO KEY UPDATE", id),
        };
        diesel::sql_query(sql)
            .bind::<diesel::sql_types::Integer, _>(id)
            .execute(c)?;
    }
    Ok(())
}

/// Runs the same body once per backend, with `$c` bound to the concrete
/// connection: only for statements `MultiBackend` cannot express (upserts,
/// `FOR UPDATE SKIP LOCKED`).
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Postgres($c) => $body,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://q.db").map(|u| u.backend()),
            Ok(Backend::Sqlite)
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://h/db").map(|u| u.backend()),
            Ok(Backend::Postgres)
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://h/db").map(|u| u.backend()),
            Ok(Backend::Postgres)
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("quorate.db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_password("postgres://bob:hunter2@db:5432/q"),
            "postgres://bob:[redacted]@db:5432/q"
        );
        assert_eq!(redact_password("postgres://bob@db/q"), "postgres://bob@db/q");
        assert_eq!(
            redact_password("postgres://db/q?user=a&password=x"),
            "postgres://db/q?user=a&password=[redacted]"
        );
    }
}

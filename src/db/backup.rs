//! `quorate backup FILE` and `quorate restore FILE`.
//!
//! SQLite: the backup is `VACUUM INTO`, a consistent copy of one read
//! snapshot taken while the server goes on serving (writers are not held);
//! the restore checks the copy, keeps the file it replaces and moves the
//! copy into place. PostgreSQL: the backup is `pg_dump --format=custom`
//! (the same snapshot guarantee), restored with `pg_restore` into an empty
//! database. Either way the restored database is migrated and checked: the
//! audit chain must verify and every certificate with it.
//!
//! The database is not everything: the secret key (`secret_key` or
//! DATA_DIR/quorate-secret.key) and the signing keys (DATA_DIR/signing-keys/) are
//! kept apart from it on purpose, and must be backed up with it.

use std::path::{Path, PathBuf};
use std::process::Command;

use diesel::Connection;
use diesel::connection::SimpleConnection;

use super::{Backend, DatabaseUrl, PoolOptions};

/// What a backup wrote.
#[derive(Debug)]
pub struct Backup {
    pub bytes: u64,
    /// The copy's audit log entries, all intact (SQLite; a PostgreSQL dump
    /// is checked when restored).
    pub audit_entries: Option<usize>,
}

/// What a restore put back, checked.
#[derive(Debug)]
pub struct Restored {
    pub audit_entries: usize,
    pub certificates: usize,
    /// The database file the restore replaced, kept (SQLite).
    pub kept: Option<PathBuf>,
}

/// Copies the database to `to`, which must not exist.
pub fn backup(url: &DatabaseUrl, to: &Path) -> Result<Backup, String> {
    if to.exists() {
        return Err(format!("{} exists: a backup never overwrites a file", to.display()));
    }
    match url.backend() {
        Backend::Sqlite => {
            if !Path::new(&url.url).is_file() {
                return Err(format!("there is no database at {}", url.url));
            }
            let mut conn = open_sqlite(&url.url)?;
            let target = to
                .to_str()
                .ok_or_else(|| format!("{} is not a path SQLite can be given", to.display()))?;
            conn.batch_execute(&format!("VACUUM INTO '{}'", target.replace('\'', "''")))
                .map_err(|e| format!("copying the database to {}: {e}", to.display()))?;
            drop(conn);
            let audit_entries = check_sqlite_file(to)?;
            Ok(Backup {
                bytes: size_of(to)?,
                audit_entries: Some(audit_entries),
            })
        }
        Backend::Postgres => {
            let mut dump = postgres_tool("pg_dump", &url.url);
            dump.args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(to);
            run(dump, "pg_dump")?;
            Ok(Backup {
                bytes: size_of(to)?,
                audit_entries: None,
            })
        }
    }
}

/// Puts a backup back as the database `url` names, migrates it and checks
/// it. SQLite: the copy is migrated and checked beside the database before
/// it takes its place; an existing database file is replaced only with
/// `force` (stop every server first) and kept beside it. PostgreSQL: the
/// database must be empty (made with `createdb`).
pub fn restore(url: &DatabaseUrl, from: &Path, force: bool) -> Result<Restored, String> {
    if !from.is_file() {
        return Err(format!("{} is not a file", from.display()));
    }
    match url.backend() {
        Backend::Sqlite => restore_sqlite(&url.url, from, force),
        Backend::Postgres => {
            restore_postgres(url, from)?;
            super::migrate(url).map_err(|e| e.to_string())?;
            let (audit_entries, certificates) = check_restored(url)?;
            Ok(Restored {
                audit_entries,
                certificates,
                kept: None,
            })
        }
    }
}

fn restore_sqlite(path: &str, from: &Path, force: bool) -> Result<Restored, String> {
    check_sqlite_file(from)?;
    let target = PathBuf::from(path);
    if target.exists() && !force {
        return Err(format!(
            "{} exists: stop every server, then restore with --force (the file is kept beside it)",
            target.display()
        ));
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    // The copy is made, migrated and checked beside the target, and takes
    // its place only when every check passed: the database is never
    // half-written, nor replaced by a copy that does not verify.
    let partial = format!("{path}.restoring");
    let checked = prepare_copy(from, &partial);
    let (audit_entries, certificates) = match checked {
        Ok(counts) => counts,
        Err(why) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{partial}{suffix}"));
            }
            return Err(why);
        }
    };
    let kept = if target.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let kept = PathBuf::from(format!("{path}.before-restore-{stamp}"));
        // The write-ahead log belongs to the file it is moved with.
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{path}{suffix}"));
            if from.exists() {
                let to = PathBuf::from(format!("{}{suffix}", kept.display()));
                std::fs::rename(&from, &to).map_err(|e| format!("keeping {}: {e}", from.display()))?;
            }
        }
        Some(kept)
    } else {
        None
    };
    std::fs::rename(&partial, &target).map_err(|e| format!("moving the copy into place: {e}"))?;
    Ok(Restored {
        audit_entries,
        certificates,
        kept,
    })
}

/// Copies the backup to `partial`, migrates and checks it, and leaves it as
/// one file (no write-ahead log beside it): its audit entries and
/// certificates.
fn prepare_copy(from: &Path, partial: &str) -> Result<(usize, usize), String> {
    std::fs::copy(from, partial).map_err(|e| format!("copying {}: {e}", from.display()))?;
    let url = DatabaseUrl::parse(&format!("sqlite://{partial}"))?;
    super::migrate(&url).map_err(|e| e.to_string())?;
    let counts = check_restored(&url)?;
    open_sqlite(partial)?
        .batch_execute("PRAGMA journal_mode = DELETE;")
        .map_err(|e| format!("finishing {partial}: {e}"))?;
    std::fs::File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("writing {partial}: {e}"))?;
    Ok(counts)
}

fn restore_postgres(url: &DatabaseUrl, from: &Path) -> Result<(), String> {
    let mut conn =
        diesel::PgConnection::establish(&url.url).map_err(|e| format!("cannot connect to {}: {e}", url.redacted()))?;
    #[derive(diesel::QueryableByName)]
    struct Tables {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        tables: i64,
    }
    let Tables { tables } = diesel::RunQueryDsl::get_result(
        diesel::sql_query("SELECT count(*) AS tables FROM pg_tables WHERE schemaname = 'public'"),
        &mut conn,
    )
    .map_err(|e| e.to_string())?;
    if tables > 0 {
        return Err(format!(
            "{} already has {tables} tables: restore into an empty database (createdb), then point database_url at it",
            url.redacted()
        ));
    }
    drop(conn);
    let mut restore = postgres_tool("pg_restore", &url.url);
    restore
        .args([
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
        ])
        .arg(from);
    run(restore, "pg_restore").map_err(|e| format!("{}: {e}", from.display()))
}

/// The restored database's audit entries and certificates, every one checked.
fn check_restored(url: &DatabaseUrl) -> Result<(usize, usize), String> {
    let pool = super::connect(
        url,
        &PoolOptions {
            max_size: 2,
            connection_timeout: std::time::Duration::from_secs(30),
        },
    )
    .map_err(|e| e.to_string())?;
    let entries = crate::audit::service::verify_for(&pool, None)
        .map_err(|e| e.to_string())?
        .map_err(|id| format!("the restored audit log does not verify: entry {id} breaks the chain"))?;
    let (certificates, failed) = crate::certify::service::verify_all(&pool).map_err(|e| e.to_string())?;
    if !failed.is_empty() {
        return Err(format!(
            "{} of the restored certificates do not verify: {}",
            failed.len(),
            failed.join("; ")
        ));
    }
    Ok((entries, certificates))
}

/// An SQLite file that passes its integrity check and whose audit chain
/// verifies: its number of audit entries.
fn check_sqlite_file(path: &Path) -> Result<usize, String> {
    let text = path
        .to_str()
        .ok_or_else(|| format!("{} is not a path SQLite can be given", path.display()))?;
    let mut conn = open_sqlite(text)?;
    #[derive(diesel::QueryableByName)]
    struct Integrity {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let rows: Vec<Integrity> = diesel::RunQueryDsl::load(diesel::sql_query("PRAGMA integrity_check"), &mut conn)
        .map_err(|e| format!("{} is not a Quorate SQLite database: {e}", path.display()))?;
    if rows.first().map(|r| r.integrity_check.as_str()) != Some("ok") {
        return Err(format!("{} fails SQLite's integrity check", path.display()));
    }
    let mut conn = super::DbConn::Sqlite(conn);
    let entries = crate::audit::store::all(&mut conn)
        .map_err(|e| format!("{} is not a Quorate database: {e}", path.display()))?;
    match crate::audit::model::first_break(&entries) {
        Some(id) => Err(format!(
            "the audit log in {} does not verify: entry {id} breaks the chain",
            path.display()
        )),
        None => Ok(entries.len()),
    }
}

fn open_sqlite(path: &str) -> Result<diesel::SqliteConnection, String> {
    let mut conn = diesel::SqliteConnection::establish(path)
        .map_err(|e| format!("cannot open the SQLite database {path}: {e}"))?;
    conn.batch_execute(&format!("PRAGMA busy_timeout = {};", super::SQLITE_BUSY_TIMEOUT_MS))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// `pg_dump` or `pg_restore` for the database at `url`, its password (if
/// the URL has one) given in PGPASSWORD rather than on the command line,
/// where any user of the machine could read it.
fn postgres_tool(name: &str, url: &str) -> Command {
    let (url, password) = without_password(url);
    let mut command = Command::new(name);
    command.arg(format!("--dbname={url}"));
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    command
}

/// The URL with the password taken out (of its user information or its
/// `password=` parameter), and the password (percent-decoded, as libpq
/// reads it).
fn without_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let (authority, mut password) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, password)) => (format!("{user}@{host}"), Some(crate::format::percent_decoded(password))),
            None => (authority.to_owned(), None),
        },
        None => (authority.to_owned(), None),
    };
    let mut kept = Vec::new();
    for parameter in query.into_iter().flat_map(|q| q.split('&')) {
        match parameter.strip_prefix("password=") {
            Some(value) => password = Some(crate::format::percent_decoded(value)),
            None => kept.push(parameter),
        }
    }
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    (format!("{scheme}://{authority}{path}{query}"), password)
}

fn run(mut command: Command, name: &str) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {name} ({e}): install the PostgreSQL client tools of the server's version"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{name} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn size_of(path: &Path) -> Result<u64, String> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn the_password_leaves_the_url() {
        assert_eq!(
            without_password("postgres://quorate:s%40cret@db.example:5432/quorate?sslmode=require"),
            (
                "postgres://quorate@db.example:5432/quorate?sslmode=require".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            without_password("postgres://postgres@127.0.0.1:5432/test"),
            ("postgres://postgres@127.0.0.1:5432/test".to_owned(), None)
        );
        assert_eq!(
            without_password("postgresql://db.example/quorate"),
            ("postgresql://db.example/quorate".to_owned(), None)
        );
        assert_eq!(
            without_password("postgres://quorate@db.example/quorate?sslmode=require&password=p%26w&application_name=q"),
            (
                "postgres://quorate@db.example/quorate?sslmode=require&application_name=q".to_owned(),
                Some("p&w".to_owned())
            )
        );
    }
}

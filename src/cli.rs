//! The command line: `quorate [serve] | migrate | demo | admin …`.
//! Exit codes: 0 ok, 1 runtime failure, 2 bad usage; errors are one line
//! on stderr.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::accounts::service::{self, NewAccount};
use crate::config::Settings;
use crate::db::{self, PoolOptions};
use crate::error::AppError;
use crate::web::{Application, StartError};

#[derive(Parser)]
#[command(
    name = "quorate",
    version,
    about = "Quorate: member practice register, consultations and formal ballots"
)]
struct Cli {
    /// A TOML file of settings (overrides the defaults; QUORATE_* variables override it).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default).
    Serve(ServeArgs),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Load the demonstration organisation, practices and accounts, then exit.
    Demo,
    /// Manage user accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Email delivery.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Import NHS files into the register.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Check the audit log's hash chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copy the database to FILE while the server serves: SQLite by
    /// VACUUM INTO (one consistent snapshot, then checked), PostgreSQL by
    /// pg_dump. Back up the secret key and DATA_DIR/signing-keys with it.
    Backup {
        /// Where to write the copy (must not exist).
        file: PathBuf,
    },
    /// Put a backup back as the configured database, migrate it, and check
    /// its audit chain and every certificate. Stop every server first.
    Restore {
        /// The backup (an SQLite copy, or a pg_dump custom-format file).
        file: PathBuf,
        /// Replace an existing SQLite database (kept beside it as
        /// FILE.before-restore-TIME).
        #[arg(long)]
        force: bool,
    },
    /// Remove what the retention settings say is past its time (the
    /// scheduler does this once a day): voting links, emails' text and
    /// addresses, bounce reports, sign-in records. Each organisation's
    /// purge is recorded, signed by its key, and audited.
    Purge {
        /// Report what would be removed, removing nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Organisations' certificate signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check a certificate of result (offline): its signature, and with the
    /// ballot's board the Merkle root, the electorate and a full recount —
    /// for a verifiable ballot every paper's proofs, the aggregates, the
    /// trustees' decryptions and the totals. Also checks a paper opened for
    /// a cast-as-intended check. Exits 0 only if every check passes.
    Verify {
        /// The certificate, or an opened paper (JSON, as downloaded).
        certificate: PathBuf,
        /// The ballot's bulletin board (JSON, as downloaded).
        #[arg(long)]
        board: Option<PathBuf>,
        /// The organisation's public key (64 hexadecimal characters), from a
        /// source you trust. Without it (or --keys) the signer is not confirmed.
        #[arg(long)]
        key: Option<String>,
        /// The organisation's signed key history (/organisations/CODE/keys.json):
        /// its current key and those it signed with before.
        #[arg(long, value_name = "FILE")]
        keys: Option<PathBuf>,
        /// For an opened paper: the ballot's published election record
        /// (election.json) to check it against.
        #[arg(long)]
        election: Option<PathBuf>,
    },
    /// Single transferable vote, offline.
    #[command(subcommand)]
    Stv(StvCommand),
    /// A trustee of a verifiable ballot, on their own computer (offline).
    #[command(subcommand)]
    Trustee(TrusteeCommand),
    /// Encrypt a paper on this computer for a verifiable ballot (offline);
    /// post the file it prints to POST /api/v1/ballots/ID/votes.
    Vote {
        /// The ballot's election record (/ballots/ID/election.json).
        #[arg(long)]
        election: PathBuf,
        /// Your practice's ODS code: the paper is bound to it.
        #[arg(long)]
        practice: String,
        /// The key of the option you choose.
        #[arg(long)]
        option: String,
        /// Print the paper opened (with its randomness) to check it, instead
        /// of a paper to cast; an opened paper can never be cast.
        #[arg(long)]
        open: bool,
    },
}

#[derive(Subcommand)]
enum StvCommand {
    /// Count a BLT file (as exported from an election, or from another
    /// counting program) and print the elected and the stage table.
    Count {
        /// The BLT file.
        file: PathBuf,
        /// scottish (SSI 2007/42 rule 48) or meek (PR Foundation reference rule).
        #[arg(long)]
        rule: crate::ballots::stv::CountRule,
        /// Print the count as JSON.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print the stage table as CSV.
        #[arg(long)]
        csv: bool,
        /// Candidates' numbers in the order of a recorded draw (e.g. 3,1,2):
        /// ties the rule leaves to lot go to the first. Default: file order.
        #[arg(long, value_name = "NUMBERS")]
        tie_order: Option<String>,
    },
}

#[derive(Subcommand)]
enum TrusteeCommand {
    /// Make your key: writes the private part to --out (keep it) and prints
    /// the public part to upload on the ballot's trustees' page.
    Keygen {
        #[arg(long)]
        ballot: i32,
        /// Your number among the trustees (shown on the trustees' page).
        #[arg(long)]
        trustee: u32,
        /// How many trustees there are.
        #[arg(long)]
        of: u32,
        /// How many trustees must take part to decrypt.
        #[arg(long)]
        threshold: u32,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Make a share of your key for each other trustee, from the ceremony
    /// file (/ballots/ID/trustees.json); prints the shares to upload.
    Shares {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[arg(long, value_name = "FILE")]
        ceremony: PathBuf,
    },
    /// Check that the shares the other trustees sent you work with your key.
    Check {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[arg(long, value_name = "FILE")]
        ceremony: PathBuf,
    },
    /// After the close: check the board, then decrypt your part of the
    /// totals; prints the decryption to upload.
    Decrypt {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[arg(long, value_name = "FILE")]
        board: PathBuf,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import GP practices from the ODS epraccur.csv file (either format).
    Practices {
        /// The epraccur.csv file.
        file: PathBuf,
        /// ODS code of the organisation whose members to import (repeat for several).
        #[arg(long = "org", value_name = "CODE", required = true)]
        orgs: Vec<String>,
        /// Show what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import the good rows even if some rows are bad.
        #[arg(long)]
        skip_bad_rows: bool,
    },
    /// Import registered list sizes from NHS Digital's gp-reg-pat-prac-all.csv.
    ListSizes {
        /// The gp-reg-pat-prac-all.csv file.
        file: PathBuf,
        /// Show what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import the good rows even if some rows are bad.
        #[arg(long)]
        skip_bad_rows: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the chain and name the first entry that does not match.
    Verify {
        /// Report on this organisation's entries (the chain is checked whole).
        #[arg(long = "org", value_name = "CODE")]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make the key in this server's file (DATA_DIR/signing-keys/CODE.key)
    /// the organisation's current signing key, or when there is no file, a
    /// new key. The key it replaces stays in the published history, so
    /// certificates signed with it still verify. Copy the file to every
    /// server afterwards.
    Replace {
        /// The organisation's code.
        code: String,
    },
}

#[derive(Subcommand)]
enum MailCommand {
    /// Run the delivery worker alone (without the web server).
    Run {
        /// Stop when no message is due, instead of waiting for more.
        #[arg(long)]
        until_idle: bool,
    },
    /// Read one bounce on standard input (for an MTA's pipe transport) and
    /// record it: a hard bounce marks its message failed. Exits 0 once the
    /// bounce is kept, whatever it says, so the MTA does not bounce it again.
    Bounce {
        /// The address the bounce was delivered to (e.g. Postfix's
        /// ${original_recipient}), when the headers may not say.
        #[arg(long, value_name = "ADDRESS")]
        recipient: Option<String>,
    },
    /// Read the bounce mailbox (imap_url) once: record every unread
    /// message as a bounce and mark it read. (`quorate serve` polls it
    /// every imap_poll_seconds by itself.)
    Poll,
}

#[derive(Args, Default)]
struct ServeArgs {
    /// Load demonstration data (clearly labelled "Demo") before serving.
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user with one role.
    CreateUser {
        /// The user's email address (their login; unique, whatever its case).
        #[arg(long)]
        email: String,
        /// The user's full name.
        #[arg(long)]
        name: String,
        /// system_admin, org_admin, returning_officer, practice_rep, lmc_observer, committee_member or chair.
        #[arg(long)]
        role: String,
        /// ODS code of the organisation the role is for (of the practice, for practice_rep).
        #[arg(long, value_name = "CODE")]
        org: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Create a personal API token for a user and print it (shown only now).
    Token {
        /// The email address of the account.
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "command line")]
        name: String,
    },
    /// Reset a user's two-factor sign-in (a lost phone and lost recovery
    /// codes): removes their key and recovery codes, ends their sessions,
    /// audits and emails them. Their next sign-in sets it up again.
    ResetTwoFactor {
        /// The email address of the account.
        #[arg(long)]
        email: String,
        /// Why, and how you checked who was asking (audited, and in the email).
        #[arg(long)]
        reason: String,
    },
    /// Print what Quorate holds about an account, as JSON, for a subject
    /// access request (audited).
    Export {
        /// The email address of the account.
        #[arg(long)]
        email: String,
    },
    /// Set a user's password (and end their sessions).
    SetPassword {
        /// The email address of the account.
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// A failure with the exit code it deserves.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
    fn runtime(message: impl Into<String>) -> Self {
        Failure {
            code: 1,
            message: message.into(),
        }
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(errors) => Failure::usage(
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            AppError::BadRequest(m) => Failure::usage(m),
            AppError::NotSetUp { detail, .. } => Failure::runtime(detail),
            AppError::Unavailable(m) | AppError::Internal(m) | AppError::Conflict(m) => Failure::runtime(m),
            other => Failure::runtime(other.to_string()),
        }
    }
}

impl From<StartError> for Failure {
    fn from(e: StartError) -> Self {
        match e {
            StartError::Config(c) => Failure::usage(c.to_string()),
            other => Failure::runtime(other.to_string()),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors exit with 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let line = failure.message.replace('\n', " ");
            eprintln!("quorate: {line}");
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    // Needs no settings or database: it runs on any machine.
    if let Some(Command::Verify {
        certificate,
        board,
        key,
        keys,
        election,
    }) = &cli.command
    {
        return verify_certificate(
            certificate,
            board.as_deref(),
            key.as_deref(),
            keys.as_deref(),
            election.as_deref(),
        );
    }
    if let Some(command) = offline(&cli.command) {
        return command;
    }
    let settings = Settings::load(cli.config.as_deref()).map_err(|e| Failure::usage(e.to_string()))?;
    init_logging(&settings);
    match cli.command {
        None => serve(settings, cli.serve.demo),
        Some(Command::Verify { .. } | Command::Trustee(_) | Command::Vote { .. } | Command::Stv(_)) => Ok(()),
        Some(Command::Serve(args)) => serve(settings, args.demo || cli.serve.demo),
        Some(Command::Migrate) => {
            let applied = db::migrate(&settings.database_url).map_err(|e| Failure::runtime(e.to_string()))?;
            if applied.is_empty() {
                println!("The database {} is up to date.", settings.database_url.redacted());
            } else {
                println!(
                    "Applied {} migration(s) to {}: {}",
                    applied.len(),
                    settings.database_url.redacted(),
                    applied.join(", ")
                );
            }
            Ok(())
        }
        Some(Command::Demo) => {
            let pool = open_pool(&settings)?;
            match crate::demo::load(&pool)? {
                Some(demo) => print_demo(&demo),
                None => println!("The demo data is already loaded."),
            }
            Ok(())
        }
        Some(Command::Mail(MailCommand::Run { until_idle })) => run_mail_worker(settings, until_idle),
        Some(Command::Mail(MailCommand::Bounce { recipient })) => read_bounce(&settings, recipient.as_deref()),
        Some(Command::Mail(MailCommand::Poll)) => poll_bounce_mailbox(&settings),
        Some(Command::Import(command)) => crate::registry::cli::run_import(&open_pool(&settings)?, command.into())
            .map_err(|e| match e {
                crate::registry::cli::ImportFailure::Usage(m) => Failure::usage(m),
                crate::registry::cli::ImportFailure::Runtime(m) => Failure::runtime(m),
            }),
        Some(Command::Backup { file }) => {
            let done = db::backup::backup(&settings.database_url, &file).map_err(Failure::runtime)?;
            match done.audit_entries {
                Some(entries) => println!(
                    "Backed up to {} ({} bytes; its audit log's {entries} entries are intact).",
                    file.display(),
                    done.bytes
                ),
                None => println!("Backed up to {} with pg_dump ({} bytes).", file.display(), done.bytes),
            }
            println!(
                "Keep with it the secret key and the signing keys in {}: they are not in the database.",
                settings.data_dir.join("signing-keys").display()
            );
            Ok(())
        }
        Some(Command::Restore { file, force }) => {
            let restored = db::backup::restore(&settings.database_url, &file, force).map_err(Failure::runtime)?;
            if let Some(kept) = &restored.kept {
                println!("The database it replaced is kept as {}.", kept.display());
            }
            println!(
                "Restored {} to {}. Its audit log's {} entries are intact. Certificates checked against their boards: {}, every one verified.",
                file.display(),
                settings.database_url.redacted(),
                restored.audit_entries,
                restored.certificates
            );
            Ok(())
        }
        Some(Command::Purge { dry_run }) => {
            let report = crate::retention::service::purge(
                &open_pool(&settings)?,
                &settings.data_dir,
                crate::retention::model::Policy::from_settings(&settings),
                settings.session_hours,
                chrono::Utc::now().naive_utc(),
                dry_run,
            )?;
            let verb = if dry_run { "would remove" } else { "removed" };
            for (code, removed) in &report.organisations {
                println!("{code}: {verb} {}", removed.in_words());
            }
            println!("Not an organisation's: {verb} {}", report.not_organisations.in_words());
            for (code, why) in &report.skipped {
                eprintln!("{code}: left for now: {why}");
            }
            if report.skipped.is_empty() {
                Ok(())
            } else {
                Err(Failure::runtime(format!(
                    "{} organisation(s) could not be purged (their signing key is not on this server)",
                    report.skipped.len()
                )))
            }
        }
        Some(Command::Keys(KeysCommand::Replace { code })) => {
            let fingerprint = crate::certify::service::replace_key(
                &open_pool(&settings)?,
                &settings.data_dir,
                &code.to_ascii_uppercase(),
            )?;
            println!(
                "The signing key of {} is now {fingerprint}. Copy {} to every server.",
                code.to_ascii_uppercase(),
                crate::certify::keys::key_path(&settings.data_dir, &code.to_ascii_uppercase()).display()
            );
            Ok(())
        }
        Some(Command::Audit(AuditCommand::Verify { org })) => {
            let pool = open_pool(&settings)?;
            let organisation = match &org {
                Some(code) => {
                    let mut conn = pool.get().map_err(AppError::from)?;
                    let code = code.trim().to_ascii_uppercase();
                    Some(
                        crate::registry::store::Organisation::find_by_code(&mut conn, &code)
                            .map_err(AppError::from)?
                            .ok_or_else(|| Failure::usage(format!("there is no organisation {code}")))?,
                    )
                }
                None => None,
            };
            match crate::audit::service::verify_for(&pool, organisation.as_ref().map(|o| o.id))? {
                Ok(count) => {
                    match organisation {
                        Some(o) => println!(
                            "The audit log is intact; {count} of its entries are {}'s ({}).",
                            o.name, o.ods_code
                        ),
                        None => println!("The audit log's {count} entries are intact."),
                    }
                    Ok(())
                }
                Err(id) => Err(Failure::runtime(format!(
                    "audit log entry {id} does not match the chain: it or an entry before it was edited, deleted, reordered or inserted"
                ))),
            }
        }
        Some(Command::Admin(AdminCommand::CreateUser {
            email,
            name,
            role,
            org,
            password_stdin: _,
        })) => {
            let password = read_password()?;
            let pool = open_pool(&settings)?;
            service::create_user(
                &pool,
                NewAccount {
                    email: email.clone(),
                    name,
                    password,
                    role,
                    scope_code: org,
                },
            )?;
            println!("Created the account {email}.");
            Ok(())
        }
        Some(Command::Admin(AdminCommand::Export { email })) => {
            let pool = open_pool(&settings)?;
            let id = crate::accounts::subject_access::user_id_of(&pool, &email)?;
            let operator = crate::audit::model::Actor {
                user_id: None,
                label: "command line".into(),
            };
            let exported = crate::accounts::subject_access::export(&pool, &operator, id)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&exported).map_err(|e| Failure::runtime(e.to_string()))?
            );
            Ok(())
        }
        Some(Command::Admin(AdminCommand::Token { email, name })) => {
            let pool = open_pool(&settings)?;
            let raw = service::create_api_token_for(&pool, &email, &name)?;
            println!("{raw}");
            Ok(())
        }
        Some(Command::Admin(AdminCommand::ResetTwoFactor { email, reason })) => {
            let pool = open_pool(&settings)?;
            let outbox = crate::mail::service::Outbox::new(&settings).map_err(Failure::runtime)?;
            let user_id = service::user_id_by_email(&pool, &email)?;
            crate::accounts::two_factor::service::reset(&pool, &outbox, None, user_id, &reason)?;
            println!("Reset two-factor sign-in of {email}; their sessions have ended and they have been emailed.");
            Ok(())
        }
        Some(Command::Admin(AdminCommand::SetPassword {
            email,
            password_stdin: _,
        })) => {
            let password = read_password()?;
            let pool = open_pool(&settings)?;
            service::set_password(&pool, &email, &password)?;
            println!("Set the password of {email}; their other sessions have ended.");
            Ok(())
        }
    }
}

/// The most read from standard input; a bounce is rarely over a few
/// hundred kilobytes, even with the original attached.
const MOST_BOUNCE_BYTES: u64 = 20 * 1024 * 1024;

fn read_bounce(settings: &Settings, recipient: Option<&str>) -> Result<(), Failure> {
    use std::io::Read;
    let mut raw = Vec::new();
    std::io::stdin()
        .take(MOST_BOUNCE_BYTES)
        .read_to_end(&mut raw)
        .map_err(|e| Failure::runtime(format!("could not read the bounce on standard input: {e}")))?;
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::usage(
            "standard input was empty: give the bounce message on standard input",
        ));
    }
    let pool = open_pool(settings)?;
    let bounce_address = Some(settings.bounce_address.trim()).filter(|b| !b.is_empty());
    let recorded = crate::mail::bounce::service::record_bounce(&pool, &raw, bounce_address, recipient)?;
    let about = match (recorded.message, recorded.marked_failed) {
        (Some(message), true) => format!("message {message}, now marked failed"),
        (Some(message), false) => format!("message {message}"),
        (None, _) => "no message it could be matched to; kept for a person to read".to_owned(),
    };
    println!(
        "Bounce {} recorded ({}{}): {about}.",
        recorded.id,
        recorded.severity.label().to_lowercase(),
        recorded
            .recipient
            .as_deref()
            .map(|r| format!(", {r}"))
            .unwrap_or_default()
    );
    Ok(())
}

fn poll_bounce_mailbox(settings: &Settings) -> Result<(), Failure> {
    let mailbox = crate::mail::bounce::imap::Mailbox::from_settings(settings)
        .map_err(Failure::usage)?
        .ok_or_else(|| Failure::usage("no bounce mailbox is set: set imap_url (and QUORATE_IMAP_PASSWORD)"))?;
    let pool = open_pool(settings)?;
    let bounce_address = Some(settings.bounce_address.trim()).filter(|b| !b.is_empty());
    let report = actix_web::rt::System::new()
        .block_on(crate::mail::bounce::imap::poll_once(&pool, &mailbox, bounce_address))
        .map_err(Failure::runtime)?;
    println!(
        "Read {} of {} unread message(s) in {}; {} marked a message failed.",
        report.recorded,
        report.found,
        mailbox.describe(),
        report.marked_failed
    );
    Ok(())
}

fn run_mail_worker(settings: Settings, until_idle: bool) -> Result<(), Failure> {
    let pool = open_pool(&settings)?;
    actix_web::rt::System::new().block_on(async move {
        // The SMTP connection pool needs the runtime, so build it inside.
        let worker = crate::mail::worker::Worker::new(pool, &settings).map_err(Failure::usage)?;
        if until_idle {
            let stats = worker.run_until_idle().await?;
            println!(
                "Sent {} message(s); {} will be tried again later; {} failed.",
                stats.sent, stats.retrying, stats.failed
            );
        } else {
            println!("Delivering email through {}. Stop with Ctrl-C.", worker.describe());
            worker.run_forever().await;
        }
        Ok(())
    })
}

fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&settings.log))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match settings.log_format {
        crate::config::LogFormat::Text => builder.try_init(),
        // One object a line, its fields at the top level, for collectors.
        crate::config::LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

fn open_pool(settings: &Settings) -> Result<db::Pool, Failure> {
    db::connect(
        &settings.database_url,
        &PoolOptions {
            max_size: 2,
            connection_timeout: std::time::Duration::from_secs(settings.db_timeout_seconds),
        },
    )
    .map_err(|e| Failure::runtime(e.to_string()))
}

/// The first line of standard input, without its line ending.
fn read_password() -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::runtime(format!("cannot read the password from standard input: {e}")))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(Failure::usage(
            "password: give the password on the first line of standard input",
        ));
    }
    Ok(password.to_owned())
}

fn print_demo(demo: &crate::demo::DemoAccounts) {
    println!("Loaded the demo data (organisations and practices named \"Demo …\").");
    println!("Demo accounts, all with the password {}:", demo.password);
    for (email, role) in &demo.accounts {
        println!("  {email}  ({role})");
    }
    println!("Keep the password: it is shown only now. Change one with `quorate admin set-password`.");
}

fn serve(settings: Settings, demo: bool) -> Result<(), Failure> {
    actix_web::rt::System::new().block_on(async move {
        let database = settings.database_url.redacted();
        let base_url = settings.base_url.clone();
        let app = Application::build(settings, demo).await?;
        println!("Quorate is listening on port {} (database {database}).", app.port());
        if let Some(demo) = &app.demo {
            print_demo(demo);
        }
        if let Some(token) = &app.setup_token {
            println!("Nobody has an account yet. To create the first administrator, open this link within 1 hour:");
            println!("  {base_url}/setup/{token}");
        }
        app.run_until_stopped()
            .await
            .map_err(|e| Failure::runtime(format!("server stopped: {e}")))
    })
}

impl From<ImportCommand> for crate::registry::cli::ImportRequest {
    fn from(command: ImportCommand) -> Self {
        match command {
            ImportCommand::Practices {
                file,
                orgs,
                dry_run,
                skip_bad_rows,
            } => crate::registry::cli::ImportRequest::Practices {
                file,
                orgs,
                dry_run,
                skip_bad_rows,
            },
            ImportCommand::ListSizes {
                file,
                dry_run,
                skip_bad_rows,
            } => crate::registry::cli::ImportRequest::ListSizes {
                file,
                dry_run,
                skip_bad_rows,
            },
        }
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path, what: &str) -> Result<T, Failure> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| Failure::usage(format!("{} is not a {what}: {e}", path.display())))
}

/// The commands that need no settings or database: a trustee's or a
/// voter's, on their own machine.
fn offline(command: &Option<Command>) -> Option<Result<(), Failure>> {
    use crate::ballots::verifiable::cli::{self as vcli, Failure as VFailure};
    let outcome = match command {
        Some(Command::Trustee(TrusteeCommand::Keygen {
            ballot,
            trustee,
            of,
            threshold,
            out,
        })) => vcli::keygen_command(*ballot, *trustee, *of, *threshold, out),
        Some(Command::Trustee(TrusteeCommand::Shares { key, ceremony })) => vcli::shares_command(key, ceremony),
        Some(Command::Trustee(TrusteeCommand::Check { key, ceremony })) => vcli::check_command(key, ceremony),
        Some(Command::Trustee(TrusteeCommand::Decrypt { key, board })) => vcli::decrypt_command(key, board),
        Some(Command::Vote {
            election,
            practice,
            option,
            open,
        }) => vcli::vote_command(election, practice, option, *open),
        Some(Command::Stv(StvCommand::Count {
            file,
            rule,
            json,
            csv,
            tie_order,
        })) => {
            use crate::ballots::stv::cli::{Output, count_command};
            let output = match (json, csv) {
                (true, _) => Output::Json,
                (_, true) => Output::Csv,
                _ => Output::Text,
            };
            count_command(file, *rule, output, tie_order.as_deref())
        }
        _ => return None,
    };
    Some(match outcome {
        Ok(text) => {
            println!("{text}");
            Ok(())
        }
        Err(VFailure::Usage(m)) => Err(Failure::usage(m)),
        Err(VFailure::Failed(m)) => Err(Failure::runtime(m)),
    })
}

/// `quorate verify OPENED.json`: a paper opened for a check.
fn verify_opened(path: &std::path::Path, election: Option<&std::path::Path>) -> Result<(), Failure> {
    use crate::ballots::verifiable::model::{ElectionRecord, OpenedPaper};
    let opened: OpenedPaper = read_json(path, "opened Quorate paper")?;
    let record: ElectionRecord = match (election, &opened.election) {
        (Some(path), _) => read_json(path, "Quorate election record")?,
        (None, Some(record)) => {
            println!(
                "(Checked against the election record inside the file: compare its fingerprint with the ballot's, or give --election.)"
            );
            record.clone()
        }
        (None, None) => return Err(Failure::usage("give the ballot's election record with --election")),
    };
    match crate::ballots::verifiable::cli::check_opened(&opened, &record) {
        Ok(lines) => {
            for line in lines {
                println!("PASS {line}");
            }
            println!("This paper was opened, so it can never be cast or counted.");
            Ok(())
        }
        Err(why) => Err(Failure::runtime(format!("FAIL {why}"))),
    }
}

fn verify_certificate(
    certificate: &std::path::Path,
    board: Option<&std::path::Path>,
    key: Option<&str>,
    keys: Option<&std::path::Path>,
    election: Option<&std::path::Path>,
) -> Result<(), Failure> {
    use crate::certify::model::{
        BoardFile, Signed, SignedKeyHistory, Trusted, all_passed, check_history, signer_check, verify,
    };
    let value: serde_json::Value = read_json(certificate, "Quorate certificate")?;
    if value.get("format").and_then(|f| f.as_str()) == Some(crate::ballots::verifiable::model::OPENING_FORMAT) {
        return verify_opened(certificate, election);
    }
    let signed: Signed = read_json(certificate, "Quorate certificate")?;
    let board: Option<BoardFile> = board
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
            BoardFile::parse(&text)
                .map_err(|e| Failure::usage(format!("{} is not a Quorate bulletin board: {e}", path.display())))
        })
        .transpose()?;
    let history: Option<SignedKeyHistory> = keys.map(|k| read_json(k, "signed key history")).transpose()?;
    let history = match &history {
        Some(signed) => Some(check_history(signed).map_err(|e| Failure::runtime(format!("the key history: {e}")))?),
        None => None,
    };
    let cert = &signed.certificate;
    let against = match (key, history) {
        (Some(key), _) => Some(key.to_owned()),
        (None, Some(history)) => history
            .keys
            .iter()
            .find(|k| k.public_key == cert.public_key)
            .or(history.keys.last())
            .map(|k| k.public_key.clone()),
        (None, None) => None,
    };
    let mut checks = verify(&signed, board.as_ref(), against.as_deref());
    let trusted = match (key, history) {
        (Some(key), _) => Trusted::Given(key),
        (None, Some(history)) => Trusted::History(history),
        (None, None) => Trusted::Unknown("no key or key history was given"),
    };
    checks.insert(1, signer_check(cert, trusted));
    println!(
        "Certificate {} of {} ({}), ballot {}: {}",
        cert.id, cert.organisation.name, cert.organisation.code, cert.ballot.id, cert.ballot.title
    );
    println!("Outcome: {}", cert.outcome_in_words);
    for check in &checks {
        println!(
            "{} {}: {}",
            if check.passed { "PASS" } else { "FAIL" },
            check.name,
            check.detail
        );
    }
    if board.is_none() {
        println!("(Give the ballot's board with --board to check the Merkle root, the electorate and the count.)");
    }
    if all_passed(&checks) {
        println!("All {} checks passed.", checks.len());
        Ok(())
    } else {
        let failed = checks.iter().filter(|c| !c.passed).count();
        Err(Failure::runtime(format!("{failed} of {} checks failed", checks.len())))
    }
}

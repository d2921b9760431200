//! `quorate import …`: the register's imports on the command line, with a
//! progress bar while reading (on a terminal) and a summary table.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use super::import::{self, ListSizePlan, MAX_FILE_BYTES, PracticeImportPlan};
use super::ods::LineError;
use crate::audit::model::Actor;
use crate::db::Pool;
use crate::error::AppError;

pub enum ImportRequest {
    Practices {
        file: PathBuf,
        orgs: Vec<String>,
        dry_run: bool,
        skip_bad_rows: bool,
    },
    ListSizes {
        file: PathBuf,
        dry_run: bool,
        skip_bad_rows: bool,
    },
}

pub enum ImportFailure {
    Usage(String),
    Runtime(String),
}

impl From<AppError> for ImportFailure {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(errors) => {
                let total = errors.len();
                let mut lines: Vec<String> = errors.into_iter().take(20).map(|e| e.message).collect();
                if total > 20 {
                    lines.push(format!("and {} more", total - 20));
                }
                ImportFailure::Usage(format!("the import was refused: {}", lines.join("; ")))
            }
            AppError::Unavailable(m) | AppError::Internal(m) => ImportFailure::Runtime(m),
            other => ImportFailure::Runtime(other.to_string()),
        }
    }
}

/// Reads the file, drawing a progress bar on stderr when it is a terminal.
fn read_file(path: &PathBuf) -> Result<Vec<u8>, ImportFailure> {
    let mut file =
        std::fs::File::open(path).map_err(|e| ImportFailure::Usage(format!("cannot open {}: {e}", path.display())))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_BYTES as u64 {
        return Err(ImportFailure::Usage(format!(
            "{} is larger than {} MB",
            path.display(),
            MAX_FILE_BYTES / 1024 / 1024
        )));
    }
    let show = std::io::stderr().is_terminal() && size > 0;
    let mut bytes = Vec::with_capacity(size as usize);
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| ImportFailure::Runtime(format!("cannot read {}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        // A pipe or device has no size to check first (/dev/zero never ends).
        if bytes.len() + n > MAX_FILE_BYTES {
            if show {
                eprintln!();
            }
            return Err(ImportFailure::Usage(format!(
                "{} is larger than {} MB",
                path.display(),
                MAX_FILE_BYTES / 1024 / 1024
            )));
        }
        bytes.extend_from_slice(&buffer[..n]);
        if show {
            let done = bytes.len() as f64 / size as f64;
            let filled = (done * 30.0) as usize;
            eprint!(
                "\rReading {} [{}{}] {:>3.0}%",
                path.display(),
                "#".repeat(filled),
                " ".repeat(30 - filled.min(30)),
                done * 100.0
            );
            let _ = std::io::stderr().flush();
        }
    }
    if show {
        eprintln!();
    }
    Ok(bytes)
}

fn print_errors(errors: &[LineError]) {
    if errors.is_empty() {
        return;
    }
    println!("{} bad row(s):", errors.len());
    for error in errors.iter().take(50) {
        println!("  line {}: {}", error.line, error.message);
    }
    if errors.len() > 50 {
        println!("  and {} more", errors.len() - 50);
    }
}

fn print_practice_plan(plan: &PracticeImportPlan, applied: bool) {
    let format = match plan.format {
        Some(import_format) => format!("{import_format:?}"),
        None => "no rows for these organisations".into(),
    };
    println!("{} rows read (format: {format}).", plan.total_rows);
    println!(
        "{:<8} {:>14} {:>6} {:>7} {:>8} {:>7} {:>5} {:>10}",
        "org", "active members", "added", "joined", "changed", "closed", "left", "unchanged"
    );
    for org in &plan.organisations {
        println!(
            "{:<8} {:>14} {:>6} {:>7} {:>8} {:>7} {:>5} {:>10}",
            org.code,
            org.active_members,
            org.added.len(),
            org.joined.len(),
            org.changed.len(),
            org.closed.len(),
            org.left.len(),
            org.unchanged
        );
    }
    for org in &plan.organisations {
        for change in org.changed.iter().take(20) {
            let fields: Vec<String> = change
                .changes
                .iter()
                .map(|c| format!("{}: \"{}\" → \"{}\"", c.field, c.before, c.after))
                .collect();
            println!("  {} {} changed: {}", change.code, change.name, fields.join("; "));
        }
        for left in &org.left {
            println!("  {} {} leaves {}", left.code, left.name, org.code);
        }
    }
    print_errors(&plan.errors);
    if applied {
        println!("Imported.");
    } else {
        println!("Dry run: nothing was changed.");
    }
}

fn print_size_plan(plan: &ListSizePlan, applied: bool) {
    let dates: Vec<String> = plan.extract_dates.iter().map(|d| d.to_string()).collect();
    println!("Extract date(s): {}", dates.join(", "));
    println!(
        "{:>6} {:>8} {:>10} {:>16}",
        "added", "changed", "unchanged", "not in register"
    );
    println!(
        "{:>6} {:>8} {:>10} {:>16}",
        plan.added,
        plan.changed.len(),
        plan.unchanged,
        plan.not_in_register
    );
    for change in plan.changed.iter().take(20) {
        println!(
            "  {} {}: {} → {}",
            change.code, change.name, change.before, change.after
        );
    }
    print_errors(&plan.errors);
    println!(
        "{}",
        if applied {
            "Imported."
        } else {
            "Dry run: nothing was changed."
        }
    );
}

fn bad_rows_refusal(count: usize) -> ImportFailure {
    ImportFailure::Usage(format!(
        "{count} bad row(s): nothing would be imported. Fix them, or add --skip-bad-rows to import the rest"
    ))
}

/// Runs a dry run or an import and reports it: `plan` and `apply` give the
/// plan, `errors` its bad rows, `print` its summary.
fn run_one<P>(
    dry_run: bool,
    skip_bad_rows: bool,
    plan: impl FnOnce() -> Result<P, AppError>,
    apply: impl FnOnce() -> Result<P, AppError>,
    errors: impl Fn(&P) -> usize,
    print: impl Fn(&P, bool),
) -> Result<(), ImportFailure> {
    if dry_run {
        let plan = plan()?;
        print(&plan, false);
        if errors(&plan) > 0 && !skip_bad_rows {
            return Err(bad_rows_refusal(errors(&plan)));
        }
        return Ok(());
    }
    match apply() {
        Ok(plan) => {
            print(&plan, true);
            Ok(())
        }
        Err(AppError::Invalid(errors)) if errors.iter().all(|e| e.message.starts_with("Line ")) => {
            for error in errors.iter().take(50) {
                println!("  {}", error.message);
            }
            Err(bad_rows_refusal(errors.len()))
        }
        Err(other) => Err(other.into()),
    }
}

pub fn run_import(pool: &Pool, request: ImportRequest) -> Result<(), ImportFailure> {
    let actor = Actor::command_line();
    match request {
        ImportRequest::Practices {
            file,
            orgs,
            dry_run,
            skip_bad_rows,
        } => {
            let orgs: Vec<String> = orgs.iter().map(|o| o.trim().to_ascii_uppercase()).collect();
            let bytes = read_file(&file)?;
            run_one(
                dry_run,
                skip_bad_rows,
                || import::plan_practices(pool, &orgs, &bytes),
                || import::apply_practices(pool, &actor, &orgs, &bytes, skip_bad_rows),
                |plan| plan.errors.len(),
                print_practice_plan,
            )
        }
        ImportRequest::ListSizes {
            file,
            dry_run,
            skip_bad_rows,
        } => {
            let bytes = read_file(&file)?;
            run_one(
                dry_run,
                skip_bad_rows,
                || import::plan_list_sizes(pool, &bytes),
                || import::apply_list_sizes(pool, &actor, &bytes, skip_bad_rows),
                |plan| plan.errors.len(),
                print_size_plan,
            )
        }
    }
}

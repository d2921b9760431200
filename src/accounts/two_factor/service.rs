//! Two-factor use-cases: enrolment, the code at sign-in, new recovery
//! codes, turning it off, and a system administrator's reset. Each runs in
//! one transaction; every change is audited and emailed to the account.

use chrono::NaiveDateTime;
use serde_json::json;

use super::model::{self, CodeRefusal, EnteredCode, RECOVERY_CODES, SecondFactorPolicy};
use super::store::{self, TwoFactorKey};
use crate::accounts::model::{Role, ThrottlePolicy};
use crate::accounts::service::{SessionUser, audit_account, now, record_failure, user_actor};
use crate::accounts::store::{self as accounts_store, User};
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult};
use crate::mail::model::EventKind;
use crate::mail::seal::Sealer;
use crate::mail::service::{Mail, Outbox};

/// The form field every code is typed into.
pub const CODE_FIELD: &str = "code";

/// Someone's two-factor sign-in as their account page shows it.
pub struct Status {
    pub enrolled_at: NaiveDateTime,
    pub recovery_codes_left: i64,
}

pub fn status(pool: &Pool, user_id: i32) -> AppResult<Option<Status>> {
    let mut conn = pool.get()?;
    let Some(key) = TwoFactorKey::find(&mut conn, user_id)? else {
        return Ok(None);
    };
    Ok(Some(Status {
        enrolled_at: key.enrolled_at,
        recovery_codes_left: store::unused_recovery_codes(&mut conn, user_id)?,
    }))
}

pub fn is_enrolled(pool: &Pool, user_id: i32) -> AppResult<bool> {
    let mut conn = pool.get()?;
    Ok(TwoFactorKey::find(&mut conn, user_id)?.is_some())
}

fn unix_seconds(at: NaiveDateTime) -> u64 {
    u64::try_from(at.and_utc().timestamp()).unwrap_or(0)
}

fn wrong_code() -> AppError {
    AppError::invalid(
        CODE_FIELD,
        "The code is not correct. Enter the code your app shows now; if it is still refused, check your phone sets its time automatically",
    )
}

fn already_used() -> AppError {
    AppError::invalid(
        CODE_FIELD,
        "That code has already been used. Wait for your app to show a new code, then enter it",
    )
}

/// The one-time code typed on a page that takes no recovery code.
fn one_time_code(input: &str) -> AppResult<String> {
    match EnteredCode::parse(CODE_FIELD, input).map_err(|e| AppError::Invalid(vec![e]))? {
        EnteredCode::OneTime(code) => Ok(code),
        EnteredCode::Recovery(_) => Err(AppError::invalid(
            CODE_FIELD,
            "Enter the 6-digit code your authenticator app shows, not a recovery code",
        )),
    }
}

/// New recovery codes as shown, with their digests to keep.
fn make_recovery_codes() -> (Vec<String>, Vec<String>) {
    let shown: Vec<String> = (0..RECOVERY_CODES).map(|_| model::new_recovery_code()).collect();
    let digests = shown
        .iter()
        .map(|c| crate::token::digest(&model::normalise_recovery_code(c)))
        .collect();
    (shown, digests)
}

fn notice(outbox: &Outbox, user: &User, at: NaiveDateTime, what: serde_json::Value) -> Mail {
    let mut context = json!({
        "at": crate::time::date_time(at),
        "account_url": format!("{}/account", outbox.base_url()),
    });
    if let (Some(context), serde_json::Value::Object(what)) = (context.as_object_mut(), what) {
        context.extend(what);
    }
    Mail {
        template: "two_factor_notice",
        to_email: user.email.clone(),
        to_name: user.name.clone(),
        sender: outbox.operator_name().to_owned(),
        reason: "You get this email because the sign-in of your Quorate account changed or was used.".into(),
        event: EventKind::Account,
        event_id: Some(user.id),
        organisation_id: None,
        practice_id: None,
        user_id: Some(user.id),
        context,
        sealed: false,
    }
}

/// What enrolling needs: the secret offered (kept in the session until the
/// first code proves the app has it) and how the app names the entry.
pub struct Enrolment {
    pub secret: Vec<u8>,
    pub issuer: String,
}

/// Turns two-factor sign-in on once a code from the app matches the
/// secret offered; returns the recovery codes, to be shown this once.
pub fn enrol(
    pool: &Pool,
    outbox: &Outbox,
    sealer: &Sealer,
    user_id: i32,
    enrolment: Enrolment,
    input: &str,
) -> AppResult<Vec<String>> {
    let code = one_time_code(input)?;
    let mut conn = pool.get()?;
    let user = User::find(&mut conn, user_id)?.ok_or(AppError::LoginRequired)?;
    let totp = model::generator(&enrolment.secret, &enrolment.issuer, &user.email).map_err(AppError::Internal)?;
    let at = now();
    let step = model::accepted_step(&totp, &code, unix_seconds(at), 0).map_err(|_| wrong_code())?;
    let (shown, digests) = make_recovery_codes();
    let sealed = sealer.seal(&model::secret_for_typing(&enrolment.secret).replace(' ', ""));
    crate::db::write_transaction(&mut conn, |c| {
        if TwoFactorKey::find(c, user.id)?.is_some() {
            return Err(AppError::Conflict(
                "Two-factor sign-in is already set up for your account.".into(),
            ));
        }
        TwoFactorKey::insert(c, user.id, &sealed, at, i64::try_from(step).unwrap_or(i64::MAX))?;
        store::replace_recovery_codes(c, user.id, &digests)?;
        audit_account(
            c,
            &user_actor(&user),
            None,
            "account.two_factor_enrolled",
            user.id,
            format!("{} set up two-factor sign-in", user.name),
        )?;
        outbox.enqueue(c, notice(outbox, &user, at, json!({"turned_on": true})))?;
        Ok(())
    })?;
    Ok(shown)
}

/// The secret of an enrolled account, opened.
fn generator_of(key: &TwoFactorKey, sealer: &Sealer, user: &User) -> AppResult<totp_rs::Totp> {
    let typed = sealer
        .open(&key.secret_sealed)
        .map_err(|e| AppError::Internal(format!("two-factor key of user {}: {e}", user.id)))?;
    let secret = totp_rs::Secret::try_from_base32(&typed)
        .map_err(|e| AppError::Internal(format!("two-factor key of user {}: {e}", user.id)))?;
    model::generator(secret.as_ref(), "Quorate", &user.email).map_err(AppError::Internal)
}

/// Checks a one-time code against an enrolled account and takes its step.
fn take_one_time_code(
    conn: &mut DbConn,
    sealer: &Sealer,
    user: &User,
    key: &TwoFactorKey,
    code: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    let totp = generator_of(key, sealer, user)?;
    let step = match model::accepted_step(&totp, code, unix_seconds(at), key.last_step) {
        Ok(step) => step,
        Err(CodeRefusal::Wrong) => return Err(wrong_code()),
        Err(CodeRefusal::AlreadyUsed) => return Err(already_used()),
    };
    // Two requests with one code at once: the second finds the step taken.
    if !TwoFactorKey::take_step(conn, user.id, i64::try_from(step).unwrap_or(i64::MAX))? {
        return Err(already_used());
    }
    Ok(())
}

fn throttled(now: NaiveDateTime, until: NaiveDateTime) -> AppError {
    let minutes = crate::accounts::model::minutes_until(now, until);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    AppError::Throttled(format!(
        "There have been too many wrong codes. Wait {minutes} {unit}, then enter the code your app shows at that time."
    ))
}

fn second_factor_subject(user_id: i32) -> String {
    format!("second-factor:{user_id}")
}

/// How a sign-in's second factor was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactorUsed {
    OneTimeCode,
    /// A recovery code; this many are left.
    RecoveryCode {
        left: i64,
    },
}

/// The second step of signing in. Failures count toward a throttle of
/// their own (per account), like passwords'.
pub fn check_sign_in_code(
    pool: &Pool,
    outbox: &Outbox,
    sealer: &Sealer,
    policy: ThrottlePolicy,
    user_id: i32,
    input: &str,
) -> AppResult<SecondFactorUsed> {
    let entered = EnteredCode::parse(CODE_FIELD, input).map_err(|e| AppError::Invalid(vec![e]))?;
    let mut conn = pool.get()?;
    let user = User::find(&mut conn, user_id)?.ok_or(AppError::LoginRequired)?;
    let key = TwoFactorKey::find(&mut conn, user.id)?.ok_or(AppError::LoginRequired)?;
    let subjects = [second_factor_subject(user.id)];
    let started = now();
    if let Some(until) = accounts_store::latest_lockout_end(&mut conn, &subjects)?.filter(|u| *u > started) {
        return Err(throttled(started, until));
    }
    let at = now();
    let outcome = crate::db::write_transaction(&mut conn, |c| match &entered {
        EnteredCode::OneTime(code) => {
            take_one_time_code(c, sealer, &user, &key, code, at)?;
            Ok(SecondFactorUsed::OneTimeCode)
        }
        EnteredCode::Recovery(code) => {
            if !store::use_recovery_code(c, user.id, &crate::token::digest(code), at)? {
                return Err(AppError::invalid(
                    CODE_FIELD,
                    "That recovery code is not correct or has already been used",
                ));
            }
            let left = store::unused_recovery_codes(c, user.id)?;
            audit_account(
                c,
                &user_actor(&user),
                None,
                "account.recovery_code_used",
                user.id,
                format!("{} signed in with a recovery code; {left} left", user.name),
            )?;
            outbox.enqueue(c, notice(outbox, &user, at, json!({"codes_left": left})))?;
            Ok(SecondFactorUsed::RecoveryCode { left })
        }
    });
    match outcome {
        Ok(used) => {
            accounts_store::clear_login_failures(&mut conn, &subjects[0])?;
            Ok(used)
        }
        Err(AppError::Invalid(errors)) => match record_failure(&mut conn, policy, &subjects, at)? {
            Some(until) => Err(throttled(at, until)),
            None => Err(AppError::Invalid(errors)),
        },
        Err(other) => Err(other),
    }
}

/// Replaces the recovery codes (all, used or not) after a fresh code.
pub fn new_recovery_codes(pool: &Pool, sealer: &Sealer, user: &SessionUser, input: &str) -> AppResult<Vec<String>> {
    let code = one_time_code(input)?;
    let mut conn = pool.get()?;
    let account = User::find(&mut conn, user.id)?.ok_or(AppError::LoginRequired)?;
    let key = TwoFactorKey::find(&mut conn, user.id)?
        .ok_or_else(|| AppError::Conflict("Two-factor sign-in is not set up for your account.".into()))?;
    let (shown, digests) = make_recovery_codes();
    let at = now();
    crate::db::write_transaction::<_, AppError, _>(&mut conn, |c| {
        take_one_time_code(c, sealer, &account, &key, &code, at)?;
        store::replace_recovery_codes(c, account.id, &digests)?;
        audit_account(
            c,
            &user.actor(),
            None,
            "account.recovery_codes_replaced",
            account.id,
            format!("{} made new recovery codes; the old ones no longer work", account.name),
        )?;
        Ok(())
    })?;
    Ok(shown)
}

/// Turns two-factor sign-in off, after a fresh code, unless a role the
/// account holds requires it.
pub fn turn_off(
    pool: &Pool,
    outbox: &Outbox,
    sealer: &Sealer,
    required: &SecondFactorPolicy,
    user: &SessionUser,
    input: &str,
) -> AppResult<()> {
    if required.requires(user.roles.iter().map(|r| r.grant.role)) {
        return Err(AppError::invalid(
            CODE_FIELD,
            "Your role needs two-factor sign-in, so it cannot be turned off. If you have lost your authenticator app, ask a system administrator to reset it",
        ));
    }
    let code = one_time_code(input)?;
    let mut conn = pool.get()?;
    let account = User::find(&mut conn, user.id)?.ok_or(AppError::LoginRequired)?;
    let key = TwoFactorKey::find(&mut conn, user.id)?
        .ok_or_else(|| AppError::Conflict("Two-factor sign-in is not set up for your account.".into()))?;
    let at = now();
    crate::db::write_transaction(&mut conn, |c| {
        take_one_time_code(c, sealer, &account, &key, &code, at)?;
        TwoFactorKey::remove(c, account.id)?;
        audit_account(
            c,
            &user.actor(),
            None,
            "account.two_factor_removed",
            account.id,
            format!("{} turned two-factor sign-in off", account.name),
        )?;
        outbox.enqueue(c, notice(outbox, &account, at, json!({"turned_off": true})))?;
        Ok(())
    })
}

/// A system administrator removes someone's two-factor key (a lost phone
/// and lost recovery codes): their sessions end, and their next sign-in
/// sets it up again if their role requires it. `reset_by` is `None` from
/// the command line.
pub fn reset(
    pool: &Pool,
    outbox: &Outbox,
    reset_by: Option<&SessionUser>,
    user_id: i32,
    reason: &str,
) -> AppResult<String> {
    if let Some(admin) = reset_by {
        if !admin.grants().has_role(Role::SystemAdmin) {
            return Err(AppError::Forbidden(
                "Only a system administrator can reset someone's two-factor sign-in.".into(),
            ));
        }
    }
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "Enter why two-factor sign-in is being reset, like how the person's identity was checked",
        ));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::invalid("reason", "The reason must be 500 characters or less"));
    }
    let reason = if reason.ends_with(['.', '!', '?']) {
        reason
    } else {
        format!("{reason}.")
    };
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let user = User::find(c, user_id)?.ok_or(AppError::NotFound)?;
        if !TwoFactorKey::remove(c, user.id)? {
            return Err(AppError::invalid(
                "reason",
                format!(
                    "{} has not set up two-factor sign-in: there is nothing to reset",
                    user.name
                ),
            ));
        }
        let at = now();
        User::end_sessions(c, user.id, at)?;
        let (actor, by) = match reset_by {
            Some(admin) => (admin.actor(), format!("{}, a system administrator,", admin.name)),
            None => (
                crate::audit::model::Actor::command_line(),
                "The operator of this Quorate (on the command line)".to_owned(),
            ),
        };
        audit_account(
            c,
            &actor,
            None,
            "account.two_factor_reset",
            user.id,
            format!(
                "Two-factor sign-in of {} reset; their sessions ended. Reason: {reason}",
                user.name
            ),
        )?;
        outbox.enqueue(
            c,
            notice(
                outbox,
                &user,
                at,
                json!({"reset": true, "reset_by": by, "reset_reason": reason}),
            ),
        )?;
        Ok(user.email)
    })
}

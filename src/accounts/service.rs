//! Account use-cases. Each runs in one transaction on a blocking thread
//! (password hashing is deliberately slow).

use chrono::{Duration, NaiveDateTime, Utc};
use serde_json::json;

use super::model::{
    EmailAddress, Grant, Grants, KnownDevice, NewPassword, PersonName, Role, RoleScope, ThrottlePolicy,
    account_subject, address_subject, device_subject, minutes_until,
};
use super::password;
use super::store::{self, SetupToken, User, UserWithRole};
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::model::EventKind;
use crate::mail::service::{Mail, Outbox};
use crate::registry::model::{OrganisationCode, PracticeCode};
use crate::registry::store::{Organisation, Practice};
use crate::token;

/// How long the first-run setup link works.
pub const SETUP_LINK_VALID_FOR: Duration = Duration::hours(1);

pub(super) fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Appends an account event to the audit log (inside the caller's transaction).
pub(super) fn audit_account(
    conn: &mut DbConn,
    actor: &crate::audit::model::Actor,
    organisation_id: Option<i32>,
    action: &str,
    user_id: i32,
    summary: String,
) -> diesel::QueryResult<()> {
    crate::audit::service::record(
        conn,
        actor,
        crate::audit::service::Event {
            organisation_id,
            action,
            object_kind: "user",
            object_key: &user_id.to_string(),
            summary,
        },
    )
}

pub(super) fn user_actor(user: &User) -> crate::audit::model::Actor {
    crate::audit::model::Actor::user(user.id, &user.name, &user.email)
}

/// A role with the names of what it is for, for pages.
#[derive(Debug, Clone)]
pub struct RoleHeld {
    pub grant: Grant,
    pub organisation_code: Option<String>,
    pub organisation_name: Option<String>,
    pub practice_code: Option<String>,
    pub practice_name: Option<String>,
}

impl RoleHeld {
    /// "Returning officer, Demo CCG (D9C)".
    pub fn describe(&self) -> String {
        let label = self.grant.role.label();
        match (
            &self.organisation_name,
            &self.organisation_code,
            &self.practice_name,
            &self.practice_code,
        ) {
            (Some(name), Some(code), _, _) | (_, _, Some(name), Some(code)) => {
                format!("{label}, {name} ({code})")
            }
            _ => label.to_owned(),
        }
    }
}

fn roles_held(rows: Vec<store::RoleRow>) -> Vec<(i32, RoleHeld)> {
    rows.into_iter()
        .filter_map(|row| {
            let role = Role::parse(&row.role)?;
            Some((
                row.user_id,
                RoleHeld {
                    grant: Grant {
                        role,
                        organisation_id: row.organisation_id,
                        practice_id: row.practice_id,
                    },
                    organisation_code: row.organisation_code,
                    organisation_name: row.organisation_name,
                    practice_code: row.practice_code,
                    practice_name: row.practice_name,
                },
            ))
        })
        .collect()
}

/// The logged-in user as every request sees them.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub id: i32,
    pub name: String,
    pub email: String,
    pub roles: Vec<RoleHeld>,
    pub sessions_valid_after: NaiveDateTime,
}

impl SessionUser {
    /// How the audit log names this user.
    pub fn actor(&self) -> crate::audit::model::Actor {
        let mut actor = crate::audit::model::Actor::user(self.id, &self.name, &self.email);
        if !self.roles.is_empty() {
            let roles: Vec<String> = self.roles.iter().map(RoleHeld::describe).collect();
            actor.label = format!("{} as {}", actor.label, roles.join("; "));
        }
        actor
    }

    pub fn grants(&self) -> Grants {
        Grants(self.roles.iter().map(|r| r.grant.clone()).collect())
    }
}

pub fn session_user(pool: &Pool, user_id: i32) -> AppResult<Option<SessionUser>> {
    session_user_of(pool, user_id, None)
}

/// The user of a browser session, unless that session was ended (its id,
/// `session_id`, revoked at logout).
pub fn session_user_of(pool: &Pool, user_id: i32, session_id: Option<&str>) -> AppResult<Option<SessionUser>> {
    let mut conn = pool.get()?;
    if let Some(id) = session_id {
        if store::sessions::is_revoked(&mut conn, &token::digest(id))? {
            return Ok(None);
        }
    }
    let Some(user) = User::find(&mut conn, user_id)? else {
        return Ok(None);
    };
    let roles = roles_held(store::roles_of(&mut conn, Some(&[user.id]))?)
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    Ok(Some(SessionUser {
        id: user.id,
        name: user.name,
        email: user.email,
        roles,
        sessions_valid_after: user.sessions_valid_after,
    }))
}

pub struct Credentials {
    pub email: String,
    pub password: String,
    /// The client's network address, for the per-address throttle.
    pub address: String,
    /// The browser's device cookie, when it has signed in before.
    pub device: Option<KnownDevice>,
}

/// A successful sign-in: who, and the device cookie to give the browser.
pub struct SignedIn {
    pub user: SessionUser,
    pub device: KnownDevice,
}

/// Checks an email and password, applying the login throttle (see
/// `ThrottlePolicy`). A browser that signed in to this account before is
/// throttled on its own, so failures by anyone else never keep the owner
/// out; any other attempt counts against the account and the address.
/// Unknown accounts take as long as known ones and count toward the
/// throttle, so neither timing nor refusals tell who has an account.
pub fn authenticate(pool: &Pool, policy: ThrottlePolicy, credentials: Credentials) -> AppResult<SignedIn> {
    let mut errors = Vec::new();
    let email = match EmailAddress::parse("email", &credentials.email) {
        Ok(e) => Some(e),
        Err(e) => {
            errors.push(FieldError::new("email", login_email_message(&credentials.email, &e)));
            None
        }
    };
    if credentials.password.is_empty() {
        errors.push(FieldError::new("password", "Enter your password"));
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };

    let mut conn = pool.get()?;
    let user = User::find_by_email(&mut conn, email.normalized())?;
    let known = credentials
        .device
        .filter(|device| user.as_ref().is_some_and(|u| u.id == device.user_id));
    let subjects = match &known {
        Some(device) => vec![device_subject(&token::digest(&device.token))],
        None => vec![account_subject(&email), address_subject(&credentials.address)],
    };
    let started = now();
    if let Some(until) = store::latest_lockout_end(&mut conn, &subjects)?.filter(|until| *until > started) {
        return Err(throttled(started, until));
    }

    let matches = match &user {
        Some(user) => password::verify(&user.password_hash, &credentials.password),
        None => {
            password::verify_against_nobody(&credentials.password);
            false
        }
    };

    let at = now();
    if let (true, Some(user)) = (matches, user) {
        // The address's failures may be other people's: only the account's
        // (or this browser's) are forgotten.
        store::clear_login_failures(&mut conn, &subjects[0])?;
        drop(conn);
        let device = known.unwrap_or_else(|| KnownDevice {
            user_id: user.id,
            token: token::random_token(16),
        });
        let user = session_user(pool, user.id)?.ok_or(AppError::NotFound)?;
        return Ok(SignedIn { user, device });
    }

    match record_failure(&mut conn, policy, &subjects, at)? {
        Some(until) => Err(throttled(at, until)),
        None => Err(AppError::invalid("email", "Email address or password is not correct")),
    }
}

/// Counts a failed attempt against each subject and locks out those past
/// the policy's limit; the latest end of a lock-out, if any.
pub(super) fn record_failure(
    conn: &mut DbConn,
    policy: ThrottlePolicy,
    subjects: &[String],
    at: NaiveDateTime,
) -> AppResult<Option<NaiveDateTime>> {
    crate::db::write_transaction::<_, AppError, _>(conn, |c| {
        let mut locked_until: Option<NaiveDateTime> = None;
        for subject in subjects {
            store::record_login_failure(c, subject, at)?;
            let failures = store::count_login_failures_since(c, subject, policy.remembered_since(at))?;
            if let Some(wait) = policy.wait_after(failures) {
                let until = at + wait;
                store::lock_out(c, subject, at, until)?;
                locked_until = Some(locked_until.map_or(until, |earlier| earlier.max(until)));
            }
        }
        Ok(locked_until)
    })
}

fn login_email_message(input: &str, error: &FieldError) -> String {
    if input.trim().is_empty() {
        "Enter your email address".to_owned()
    } else {
        error.message.clone()
    }
}

fn throttled(now: NaiveDateTime, until: NaiveDateTime) -> AppError {
    let minutes = minutes_until(now, until);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    AppError::Throttled(format!(
        "There have been too many failed attempts to log in. Wait {minutes} {unit}, then try again, \
         or use \"Forgot your password?\" to set a new password now."
    ))
}

/// What a new account is for, as given on the command line or a form.
pub struct NewAccount {
    pub email: String,
    pub name: String,
    pub password: String,
    pub role: String,
    /// An organisation code, or a practice code for `practice_rep`.
    pub scope_code: Option<String>,
}

/// Creates a user with one role. Errors name the field at fault.
pub fn create_user(pool: &Pool, account: NewAccount) -> AppResult<i32> {
    let mut errors = Vec::new();
    let email = EmailAddress::parse("email", &account.email)
        .map_err(|e| errors.push(e))
        .ok();
    let name = PersonName::parse("name", &account.name)
        .map_err(|e| errors.push(e))
        .ok();
    let password = NewPassword::parse("password", &account.password, email.as_ref())
        .map_err(|e| errors.push(e))
        .ok();
    let role = Role::parse(account.role.trim());
    if role.is_none() {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        errors.push(FieldError::new(
            "role",
            format!("Role must be one of {}", names.join(", ")),
        ));
    }
    let (Some(email), Some(name), Some(password), Some(role)) = (email, name, password, role) else {
        return Err(AppError::Invalid(errors));
    };
    let password_hash = password::hash(password.expose()).map_err(AppError::Internal)?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let (organisation_id, practice_id) = resolve_scope(c, role, account.scope_code.as_deref())?;
        if User::find_by_email(c, email.normalized())?.is_some() {
            return Err(AppError::invalid(
                "email",
                "An account with this email address already exists",
            ));
        }
        let at = now();
        let user_id = UserWithRole {
            email: email.as_str(),
            email_normalized: email.normalized(),
            name: name.as_str(),
            password_hash: &password_hash,
            role: role.as_str(),
            organisation_id,
            practice_id,
        }
        .insert(c, at)?;
        audit_account(
            c,
            &crate::audit::model::Actor::command_line(),
            organisation_id,
            "account.create",
            user_id,
            format!(
                "Account {} ({}) created as {}",
                name.as_str(),
                email.as_str(),
                role.label()
            ),
        )?;
        Ok(user_id)
    })
}

/// Finds what a role is for: nothing for a system administrator, a practice
/// for a practice representative, an organisation otherwise.
fn resolve_scope(conn: &mut DbConn, role: Role, code: Option<&str>) -> AppResult<(Option<i32>, Option<i32>)> {
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    match (role.scope(), code) {
        (RoleScope::Everything, None) => Ok((None, None)),
        (RoleScope::Everything, Some(_)) => Err(AppError::invalid(
            "org",
            "A system administrator is not for one organisation: leave out --org",
        )),
        (RoleScope::Organisation, None) => Err(AppError::invalid(
            "org",
            format!(
                "Enter the ODS code of the organisation the {} is for",
                role.label().to_lowercase()
            ),
        )),
        (RoleScope::Practice, None) => Err(AppError::invalid(
            "org",
            "Enter the ODS code of the practice the representative is for",
        )),
        (RoleScope::Organisation, Some(code)) => {
            let code = OrganisationCode::parse("org", code).map_err(|e| AppError::Invalid(vec![e]))?;
            let organisation = Organisation::find_by_code(conn, code.as_str())?.ok_or_else(|| {
                AppError::invalid(
                    "org",
                    format!("There is no organisation with ODS code {}", code.as_str()),
                )
            })?;
            if role == Role::LmcObserver && organisation.kind != "lmc" {
                return Err(AppError::invalid(
                    "org",
                    format!(
                        "{} is not a local medical committee: an LMC observer is for an LMC",
                        code.as_str()
                    ),
                ));
            }
            Ok((Some(organisation.id), None))
        }
        (RoleScope::Practice, Some(code)) => {
            let code = PracticeCode::parse("org", code).map_err(|e| AppError::Invalid(vec![e]))?;
            let practice = Practice::find_by_code(conn, code.as_str())?.ok_or_else(|| {
                AppError::invalid("org", format!("There is no practice with ODS code {}", code.as_str()))
            })?;
            Ok((None, Some(practice.id)))
        }
    }
}

/// Sets a user's password and ends their other sessions.
pub fn set_password(pool: &Pool, email: &str, new_password: &str) -> AppResult<()> {
    let email = EmailAddress::parse("email", email).map_err(|e| AppError::Invalid(vec![e]))?;
    let password =
        NewPassword::parse("password", new_password, Some(&email)).map_err(|e| AppError::Invalid(vec![e]))?;
    let hash = password::hash(password.expose()).map_err(AppError::Internal)?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let user = User::find_by_email(c, email.normalized())?
            .ok_or_else(|| AppError::invalid("email", format!("There is no account for {}", email.as_str())))?;
        User::set_password(c, user.id, &hash, now())?;
        audit_account(
            c,
            &crate::audit::model::Actor::command_line(),
            None,
            "account.password",
            user.id,
            format!(
                "Password of {} set on the command line; other sessions ended",
                user.email
            ),
        )?;
        Ok(())
    })
}

/// The account with this email address (the field at fault is `email`).
pub fn user_id_by_email(pool: &Pool, email: &str) -> AppResult<i32> {
    let email = EmailAddress::parse("email", email).map_err(|e| AppError::Invalid(vec![e]))?;
    let mut conn = pool.get()?;
    User::find_by_email(&mut conn, email.normalized())?
        .map(|u| u.id)
        .ok_or_else(|| AppError::invalid("email", format!("There is no account for {}", email.as_str())))
}

/// A user with their roles, for the administrators' list.
pub struct UserSummary {
    pub user: User,
    pub roles: Vec<RoleHeld>,
    pub two_factor: bool,
}

pub fn list_users(pool: &Pool) -> AppResult<Vec<UserSummary>> {
    let mut conn = pool.get()?;
    let users = User::all(&mut conn)?;
    let mut roles = roles_held(store::roles_of(&mut conn, None)?);
    let enrolled = super::two_factor::store::enrolled_users(&mut conn)?;
    Ok(users
        .into_iter()
        .map(|user| {
            let (mine, rest): (Vec<_>, Vec<_>) = roles.drain(..).partition(|(uid, _)| *uid == user.id);
            roles = rest;
            UserSummary {
                two_factor: enrolled.contains(&user.id),
                user,
                roles: mine.into_iter().map(|(_, r)| r).collect(),
            }
        })
        .collect())
}

/// When nobody has an account yet, issues a single-use link for creating
/// the first system administrator (earlier unused links stop working).
/// Returns the raw token, to be shown once on the console.
pub fn issue_setup_token(pool: &Pool) -> AppResult<Option<String>> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        if User::count(c)? > 0 {
            return Ok(None);
        }
        let at = now();
        SetupToken::withdraw_unused(c, at)?;
        let raw = token::link_token();
        SetupToken::insert(c, &token::digest(&raw), at, at + SETUP_LINK_VALID_FOR)?;
        Ok(Some(raw))
    })
}

fn usable_setup_token(conn: &mut DbConn, raw: &str, at: NaiveDateTime) -> AppResult<SetupToken> {
    let gone = || {
        AppError::Gone(
            "This setup link has expired or has already been used. Restart Quorate to get a new link \
             if nobody has an account yet."
                .into(),
        )
    };
    let found = SetupToken::find_by_digest(conn, &token::digest(raw))?.ok_or_else(gone)?;
    if found.used_at.is_some() || found.expires_at <= at || User::count(conn)? > 0 {
        return Err(gone());
    }
    Ok(found)
}

pub fn check_setup_token(pool: &Pool, raw: &str) -> AppResult<()> {
    let mut conn = pool.get()?;
    usable_setup_token(&mut conn, raw, now()).map(|_| ())
}

pub struct FirstAdministrator {
    pub name: String,
    pub email: String,
    pub password: String,
    pub confirm_password: String,
}

/// Creates the first system administrator and uses up the setup link.
pub fn complete_setup(pool: &Pool, raw: &str, form: FirstAdministrator) -> AppResult<i32> {
    {
        let mut conn = pool.get()?;
        usable_setup_token(&mut conn, raw, now())?;
    }
    let mut errors = Vec::new();
    let name = PersonName::parse("name", &form.name).map_err(|e| errors.push(e)).ok();
    let email = EmailAddress::parse("email", &form.email)
        .map_err(|e| errors.push(e))
        .ok();
    let password = NewPassword::parse("password", &form.password, email.as_ref())
        .map_err(|e| errors.push(e))
        .ok();
    if password.is_some() && form.password != form.confirm_password {
        errors.push(FieldError::new(
            "confirm-password",
            "Passwords do not match – enter the same password twice",
        ));
    }
    let (Some(name), Some(email), Some(password), true) = (name, email, password, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let hash = password::hash(password.expose()).map_err(AppError::Internal)?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let at = now();
        let found = usable_setup_token(c, raw, at)?;
        if SetupToken::mark_used(c, found.id, at)? != 1 {
            return Err(AppError::Gone("This setup link has already been used.".into()));
        }
        let user_id = UserWithRole {
            email: email.as_str(),
            email_normalized: email.normalized(),
            name: name.as_str(),
            password_hash: &hash,
            role: Role::SystemAdmin.as_str(),
            organisation_id: None,
            practice_id: None,
        }
        .insert(c, at)?;
        audit_account(
            c,
            &crate::audit::model::Actor::user(user_id, name.as_str(), email.as_str()),
            None,
            "account.setup",
            user_id,
            format!(
                "First system administrator {} created with the setup link",
                email.as_str()
            ),
        )?;
        Ok(user_id)
    })
}

/// Logging out: the session's id is revoked, so a copy of its cookie no
/// longer works (sessions older than `max_age` are pruned: they have
/// expired anyway).
pub fn end_session(pool: &Pool, user_id: i32, session_id: &str, max_age: Duration) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let at = now();
        store::sessions::revoke(c, &token::digest(session_id), user_id, at)?;
        store::sessions::prune(c, at - max_age)?;
        Ok(())
    })
}

/// "Sign out everywhere": every session of the account ends, by its owner
/// or a system administrator; audited.
pub fn end_all_sessions(pool: &Pool, actor: &SessionUser, user_id: i32) -> AppResult<()> {
    if actor.id != user_id && !actor.grants().is_system_admin() {
        return Err(AppError::Forbidden(
            "Only a system administrator can sign someone else out.".into(),
        ));
    }
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let user = User::find(c, user_id)?.ok_or(AppError::NotFound)?;
        User::end_sessions(c, user.id, now())?;
        audit_account(
            c,
            &actor.actor(),
            None,
            "account.sessions_ended",
            user.id,
            if actor.id == user.id {
                "Signed out everywhere".to_owned()
            } else {
                format!("{} was signed out everywhere by a system administrator", user.name)
            },
        )?;
        Ok(())
    })
}

pub struct PasswordChange {
    pub current: String,
    pub new: String,
    pub confirm: String,
}

/// A logged-in user changes their own password; their other sessions end.
pub fn change_own_password(pool: &Pool, user_id: i32, change: PasswordChange) -> AppResult<()> {
    let mut conn = pool.get()?;
    let user = User::find(&mut conn, user_id)?.ok_or(AppError::LoginRequired)?;
    drop(conn);
    if change.current.is_empty() {
        return Err(AppError::invalid("current-password", "Enter your current password"));
    }
    if !password::verify(&user.password_hash, &change.current) {
        return Err(AppError::invalid(
            "current-password",
            "Your current password is not correct",
        ));
    }
    let email = EmailAddress::parse("email", &user.email).map_err(|e| AppError::Invalid(vec![e]))?;
    let new = NewPassword::parse("new-password", &change.new, Some(&email)).map_err(|e| AppError::Invalid(vec![e]))?;
    if change.new != change.confirm {
        return Err(AppError::invalid(
            "confirm-password",
            "Passwords do not match – enter the same new password twice",
        ));
    }
    let hash = password::hash(new.expose()).map_err(AppError::Internal)?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        User::set_password(c, user.id, &hash, now())?;
        audit_account(
            c,
            &user_actor(&user),
            None,
            "account.password",
            user.id,
            "Changed their own password; other sessions ended".into(),
        )?;
        Ok(())
    })
}

/// Stored instead of a hash for accounts that have not chosen a password:
/// it is not a PHC string, so no password matches it.
pub(crate) const NO_PASSWORD: &str = "!";
pub const INVITATION_VALID_FOR: Duration = Duration::days(7);
pub const RESET_VALID_FOR: Duration = Duration::hours(1);
/// Reset emails one account can be sent per hour.
const MAX_RESETS_PER_HOUR: i64 = 3;

const INVITATION: &str = "invitation";
const RESET: &str = "reset";

/// Who may invite whom: a system administrator anyone; an organisation
/// administrator people for their own organisation and representatives of
/// its member practices.
fn may_invite(inviter: &Grants, role: Role, organisation_id: Option<i32>, practice_org: Option<i32>) -> bool {
    if inviter.is_system_admin() {
        return true;
    }
    let administers = |org: Option<i32>| {
        org.is_some_and(|id| {
            inviter
                .0
                .iter()
                .any(|g| g.role == Role::OrgAdmin && g.organisation_id == Some(id))
        })
    };
    match role.scope() {
        RoleScope::Everything => false,
        RoleScope::Organisation => role != Role::LmcObserver && administers(organisation_id),
        RoleScope::Practice => administers(practice_org),
    }
}

pub struct Invitation {
    pub name: String,
    pub email: String,
    pub role: String,
    pub scope_code: Option<String>,
}

/// Creates an account without a password and emails its holder a
/// single-use link to choose one, in one transaction.
pub fn invite_user(pool: &Pool, outbox: &Outbox, inviter: &SessionUser, invitation: Invitation) -> AppResult<i32> {
    let mut errors = Vec::new();
    let email = EmailAddress::parse("email", &invitation.email)
        .map_err(|e| errors.push(e))
        .ok();
    let name = PersonName::parse("name", &invitation.name)
        .map_err(|e| errors.push(e))
        .ok();
    let role = Role::parse(invitation.role.trim());
    if role.is_none() {
        errors.push(FieldError::new("role", "Select the role the person will have"));
    }
    let (Some(email), Some(name), Some(role)) = (email, name, role) else {
        return Err(AppError::Invalid(errors));
    };
    let grants = inviter.grants();
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let (organisation_id, practice_id) = resolve_scope(c, role, invitation.scope_code.as_deref())?;
        let today = Utc::now().date_naive();
        let practice_org = match practice_id {
            Some(id) => Organisation::of_practice_on(c, id, today)?,
            None => None,
        };
        if !may_invite(&grants, role, organisation_id, practice_org.as_ref().map(|o| o.id)) {
            return Err(AppError::Forbidden(
                "You can only invite people to roles in the organisations you administer.".into(),
            ));
        }
        if User::find_by_email(c, email.normalized())?.is_some() {
            return Err(AppError::invalid(
                "email",
                "An account with this email address already exists",
            ));
        }
        let organisation = match organisation_id {
            Some(id) => Organisation::with_ids(c, &[id])?.into_iter().next(),
            None => practice_org,
        };
        let user_id = invite_within(
            c,
            outbox,
            &inviter.name,
            Invitee {
                email: &email,
                name: &name,
                role,
                organisation_id,
                practice_id,
                sending_organisation: organisation.as_ref(),
            },
        )?;
        audit_account(
            c,
            &inviter.actor(),
            organisation.as_ref().map(|o| o.id),
            "account.invite",
            user_id,
            format!("{} ({}) invited as {}", name.as_str(), email.as_str(), role.label()),
        )?;
        Ok(user_id)
    })
}

/// Who an invitation is for and what role they get.
pub struct Invitee<'a> {
    pub email: &'a EmailAddress,
    pub name: &'a PersonName,
    pub role: Role,
    pub organisation_id: Option<i32>,
    pub practice_id: Option<i32>,
    /// Named as the sender; its delivery record shows the message.
    pub sending_organisation: Option<&'a Organisation>,
}

/// Creates an account without a password, with one role, and emails its
/// holder a single-use link to choose one. Call it inside the transaction
/// of the action that invites them; the caller has checked the email is new.
pub fn invite_within(conn: &mut DbConn, outbox: &Outbox, inviter_name: &str, invitee: Invitee<'_>) -> AppResult<i32> {
    let at = now();
    let user_id = UserWithRole {
        email: invitee.email.as_str(),
        email_normalized: invitee.email.normalized(),
        name: invitee.name.as_str(),
        password_hash: NO_PASSWORD,
        role: invitee.role.as_str(),
        organisation_id: invitee.organisation_id,
        practice_id: invitee.practice_id,
    }
    .insert(conn, at)?;
    let raw = token::link_token();
    let expires = at + INVITATION_VALID_FOR;
    store::PasswordToken::insert(conn, user_id, INVITATION, &token::digest(&raw), at, expires)?;
    let sender = invitee
        .sending_organisation
        .map_or_else(|| outbox.operator_name().to_owned(), |o| o.name.clone());
    outbox.enqueue(
        conn,
        Mail {
            template: "account_invitation",
            to_email: invitee.email.as_str().to_owned(),
            to_name: invitee.name.as_str().to_owned(),
            reason: format!("You get this email because {inviter_name} created a Quorate account for you."),
            sender,
            event: EventKind::Account,
            event_id: Some(user_id),
            organisation_id: invitee.sending_organisation.map(|o| o.id),
            practice_id: invitee.practice_id,
            user_id: Some(user_id),
            context: json!({
                "inviter_name": inviter_name,
                "role_label": invitee.role.label().to_lowercase(),
                "link": format!("{}/password/{raw}", outbox.base_url()),
                "expires": crate::time::date_time(expires),
            }),
            // The link sets the account's password.
            sealed: true,
        },
    )?;
    Ok(user_id)
}

/// Emails a single-use reset link if the address has an account. Says
/// nothing either way, so the answer does not reveal who has an account.
pub fn request_password_reset(pool: &Pool, outbox: &Outbox, email: &str) -> AppResult<()> {
    let email = EmailAddress::parse("email", email).map_err(|e| {
        let message = if email.trim().is_empty() {
            "Enter your email address".to_owned()
        } else {
            e.message
        };
        AppError::invalid("email", message)
    })?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let Some(user) = User::find_by_email(c, email.normalized())? else {
            return Ok(());
        };
        let at = now();
        if store::PasswordToken::count_since(c, user.id, RESET, at - Duration::hours(1))? >= MAX_RESETS_PER_HOUR {
            tracing::warn!(user_id = user.id, "password reset refused: too many in the last hour");
            return Ok(());
        }
        let raw = token::link_token();
        let expires = at + RESET_VALID_FOR;
        store::PasswordToken::insert(c, user.id, RESET, &token::digest(&raw), at, expires)?;
        outbox.enqueue(
            c,
            Mail {
                template: "password_reset",
                to_email: user.email.clone(),
                to_name: user.name.clone(),
                sender: outbox.operator_name().to_owned(),
                reason: "You get this email because someone asked to reset the password of your Quorate account."
                    .into(),
                event: EventKind::Account,
                event_id: Some(user.id),
                organisation_id: None,
                practice_id: None,
                user_id: Some(user.id),
                context: json!({
                    "link": format!("{}/password/{raw}", outbox.base_url()),
                    "expires": crate::time::date_time(expires),
                }),
                sealed: true,
            },
        )?;
        Ok(())
    })
}

/// What a usable password link is for, for its page.
pub struct PasswordLink {
    pub is_invitation: bool,
    pub name: String,
    pub email: String,
}

fn usable_password_token(conn: &mut DbConn, raw: &str, at: NaiveDateTime) -> AppResult<store::PasswordToken> {
    let gone = || {
        AppError::Gone(
            "This link has expired or has already been used. Ask for a new one on the \"Forgot your password?\" page."
                .into(),
        )
    };
    let found = store::PasswordToken::find_by_digest(conn, &token::digest(raw))?
        // An email change's link confirms an address; it never sets a password.
        .filter(|t| t.purpose == INVITATION || t.purpose == RESET)
        .ok_or_else(gone)?;
    if found.used_at.is_some() || found.expires_at <= at {
        return Err(gone());
    }
    Ok(found)
}

pub fn check_password_link(pool: &Pool, raw: &str) -> AppResult<PasswordLink> {
    let mut conn = pool.get()?;
    let found = usable_password_token(&mut conn, raw, now())?;
    let user = User::find(&mut conn, found.user_id)?.ok_or(AppError::NotFound)?;
    Ok(PasswordLink {
        is_invitation: found.purpose == INVITATION,
        name: user.name,
        email: user.email,
    })
}

/// Sets the password through a link, uses the link up and ends the user's
/// other sessions. Returns the user to log in.
pub fn set_password_with_link(pool: &Pool, raw: &str, new_password: &str, confirm: &str) -> AppResult<i32> {
    let link = check_password_link(pool, raw)?;
    let email = EmailAddress::parse("email", &link.email).map_err(|e| AppError::Invalid(vec![e]))?;
    let password =
        NewPassword::parse("password", new_password, Some(&email)).map_err(|e| AppError::Invalid(vec![e]))?;
    if new_password != confirm {
        return Err(AppError::invalid(
            "confirm-password",
            "Passwords do not match – enter the same password twice",
        ));
    }
    let hash = password::hash(password.expose()).map_err(AppError::Internal)?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let at = now();
        let found = usable_password_token(c, raw, at)?;
        if store::PasswordToken::use_up(c, &found, at)? != 1 {
            return Err(AppError::Gone("This link has already been used.".into()));
        }
        User::set_password(c, found.user_id, &hash, at)?;
        // Whoever holds the emailed link owns the account: the waits others
        // caused end with the reset.
        store::clear_login_failures(c, &account_subject(&email))?;
        store::end_lockouts(c, &account_subject(&email), at)?;
        audit_account(
            c,
            &crate::audit::model::Actor::user(found.user_id, &link.name, &link.email),
            None,
            "account.password",
            found.user_id,
            format!(
                "Password set with a{} link; other sessions ended",
                if link.is_invitation { "n invitation" } else { " reset" }
            ),
        )?;
        Ok(found.user_id)
    })
}

/// Tokens start with this, so a leaked one is easy to recognise.
pub const API_TOKEN_PREFIX: &str = "qrt_";

/// Creates a personal API token and returns it: the only time it is shown.
pub fn create_api_token(pool: &Pool, user_id: i32, name: &str) -> AppResult<String> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(AppError::invalid(
            "token-name",
            "Enter a name for the token, like \"register sync\"",
        ));
    }
    if name.chars().count() > 60 {
        return Err(AppError::invalid(
            "token-name",
            "Token name must be 60 characters or less",
        ));
    }
    let raw = format!("{API_TOKEN_PREFIX}{}", token::random_token(24));
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let user = User::find(c, user_id)?.ok_or(AppError::NotFound)?;
        store::api_tokens::insert(c, user_id, &name, &token::digest(&raw), now())?;
        audit_account(
            c,
            &user_actor(&user),
            None,
            "account.token",
            user_id,
            format!("API token \"{name}\" created"),
        )?;
        Ok(raw)
    })
}

pub fn create_api_token_for(pool: &Pool, email: &str, name: &str) -> AppResult<String> {
    let email = EmailAddress::parse("email", email).map_err(|e| AppError::Invalid(vec![e]))?;
    let user = {
        let mut conn = pool.get()?;
        User::find_by_email(&mut conn, email.normalized())?
            .ok_or_else(|| AppError::invalid("email", format!("There is no account for {}", email.as_str())))?
    };
    create_api_token(pool, user.id, name)
}

pub fn api_tokens(pool: &Pool, user_id: i32) -> AppResult<Vec<store::api_tokens::ApiToken>> {
    let mut conn = pool.get()?;
    Ok(store::api_tokens::of_user(&mut conn, user_id)?)
}

pub fn revoke_api_token(pool: &Pool, user_id: i32, token_id: i32) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let user = User::find(c, user_id)?.ok_or(AppError::NotFound)?;
        match store::api_tokens::revoke(c, user_id, token_id, now())? {
            0 => Err(AppError::NotFound),
            _ => {
                audit_account(
                    c,
                    &user_actor(&user),
                    None,
                    "account.token_revoke",
                    user_id,
                    format!("API token {token_id} revoked"),
                )?;
                Ok(())
            }
        }
    })
}

/// The user a bearer token belongs to, if it is live.
pub fn api_user(pool: &Pool, raw: &str) -> AppResult<Option<SessionUser>> {
    if !raw.starts_with(API_TOKEN_PREFIX) {
        return Ok(None);
    }
    let user_id = {
        let mut conn = pool.get()?;
        store::api_tokens::use_token(&mut conn, &token::digest(raw), now())?
    };
    match user_id {
        Some(id) => session_user(pool, id),
        None => Ok(None),
    }
}

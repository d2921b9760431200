//! Changing an account's email address. The address is how an account is
//! reached (password resets, voting links go there), so it changes only in
//! two ways: by its owner, confirmed from the new address, or by a system
//! administrator. Nobody else's action — an organisation administrator
//! resending a message, naming a representative — touches it. Both old and
//! new addresses are told, and every step is audited.

use chrono::Duration;
use serde_json::json;

use super::model::EmailAddress;
use super::password;
use super::service::{SessionUser, audit_account, now, user_actor};
use super::store::{self, EMAIL_CHANGE, User};
use crate::audit::model::Actor;
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult};
use crate::mail::model::EventKind;
use crate::mail::service::{Mail, Outbox};
use crate::token;

pub const EMAIL_CHANGE_VALID_FOR: Duration = Duration::hours(24);

pub struct OwnChange {
    pub new_email: String,
    pub current_password: String,
}

/// Refuses an address that is the account's already or another account's.
fn check_free(conn: &mut DbConn, user: &User, address: &EmailAddress, field: &str) -> AppResult<()> {
    if address.normalized() == user.email_normalized {
        return Err(AppError::invalid(field, "This is the account's email address already"));
    }
    if User::find_by_email(conn, address.normalized())?.is_some() {
        return Err(AppError::invalid(
            field,
            "An account with this email address already exists",
        ));
    }
    Ok(())
}

/// The owner asks for a new address: a single-use link goes to the new
/// address (nothing changes until it is followed), a notice to the old one.
pub fn request_own_change(pool: &Pool, outbox: &Outbox, user_id: i32, change: OwnChange) -> AppResult<String> {
    let address = EmailAddress::parse("new-email", &change.new_email).map_err(|e| AppError::Invalid(vec![e]))?;
    let mut conn = pool.get()?;
    let user = User::find(&mut conn, user_id)?.ok_or(AppError::LoginRequired)?;
    drop(conn);
    if change.current_password.is_empty() {
        return Err(AppError::invalid("email-password", "Enter your current password"));
    }
    if !password::verify(&user.password_hash, &change.current_password) {
        return Err(AppError::invalid(
            "email-password",
            "Your current password is not correct",
        ));
    }
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        check_free(c, &user, &address, "new-email")?;
        let at = now();
        let raw = token::link_token();
        let expires = at + EMAIL_CHANGE_VALID_FOR;
        store::PasswordToken::insert_email_change(c, user.id, address.as_str(), &token::digest(&raw), at, expires)?;
        let requested_by = "You, signed in to your account,";
        outbox.enqueue(
            c,
            Mail {
                template: "email_change_confirm",
                to_email: address.as_str().to_owned(),
                to_name: user.name.clone(),
                sender: outbox.operator_name().to_owned(),
                reason: "You get this email because someone asked for this address to be used for a Quorate account."
                    .into(),
                event: EventKind::Account,
                event_id: Some(user.id),
                organisation_id: None,
                practice_id: None,
                user_id: Some(user.id),
                context: json!({
                    "requested_by": requested_by,
                    "old_email": user.email,
                    "link": format!("{}/account/email/{raw}", outbox.base_url()),
                    "expires": crate::time::date_time(expires),
                }),
                // Following the link changes where the account is reached.
                sealed: true,
            },
        )?;
        outbox.enqueue(c, notice(outbox, &user, &user.email, address.as_str(), None))?;
        audit_account(
            c,
            &user_actor(&user),
            None,
            "account.email_change_requested",
            user.id,
            format!(
                "Asked to change their email address from {} to {}; a link to confirm was sent to the new address",
                user.email,
                address.as_str()
            ),
        )?;
        Ok(address.as_str().to_owned())
    })
}

/// A notice to the old address: asked for (`changed_by` is `None`) or done.
fn notice(outbox: &Outbox, user: &User, old: &str, new: &str, changed_by: Option<&str>) -> Mail {
    Mail {
        template: "email_change_notice",
        to_email: old.to_owned(),
        to_name: user.name.clone(),
        sender: outbox.operator_name().to_owned(),
        reason: "You get this email because it is, or was, the address of your Quorate account.".into(),
        event: EventKind::Account,
        event_id: Some(user.id),
        organisation_id: None,
        practice_id: None,
        user_id: Some(user.id),
        context: json!({
            "done": changed_by.is_some(),
            "changed_by": changed_by.unwrap_or_default(),
            "requested_by": "Someone signed in to your account",
            "old_email": old,
            "new_email": new,
            "account_url": format!("{}/account", outbox.base_url()),
        }),
        sealed: false,
    }
}

/// What a confirmation link would change, for its page.
pub struct PendingChange {
    pub name: String,
    pub old_email: String,
    pub new_email: String,
}

fn usable_link(conn: &mut DbConn, raw: &str) -> AppResult<(store::PasswordToken, User, String)> {
    let gone = || {
        AppError::Gone(
            "This link has expired or has already been used. Ask for the change again on the \"Your account\" page."
                .into(),
        )
    };
    let found = store::PasswordToken::find_by_digest(conn, &token::digest(raw.trim()))?
        .filter(|t| t.purpose == EMAIL_CHANGE && t.used_at.is_none() && t.expires_at > now())
        .ok_or_else(gone)?;
    let new_email = found.new_email.clone().ok_or_else(gone)?;
    let user = User::find(conn, found.user_id)?.ok_or_else(gone)?;
    Ok((found, user, new_email))
}

pub fn check_link(pool: &Pool, raw: &str) -> AppResult<PendingChange> {
    let mut conn = pool.get()?;
    let (_, user, new_email) = usable_link(&mut conn, raw)?;
    Ok(PendingChange {
        name: user.name,
        old_email: user.email,
        new_email,
    })
}

/// Follows a confirmation link: the new address becomes the account's.
pub fn confirm(pool: &Pool, outbox: &Outbox, raw: &str) -> AppResult<String> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let (found, user, new_email) = usable_link(c, raw)?;
        let address = EmailAddress::parse("email", &new_email).map_err(|e| AppError::Invalid(vec![e]))?;
        check_free(c, &user, &address, "email")?;
        if store::PasswordToken::use_up(c, &found, now())? != 1 {
            return Err(AppError::Gone("This link has already been used.".into()));
        }
        User::set_email(c, user.id, address.as_str(), address.normalized())?;
        outbox.enqueue(
            c,
            notice(
                outbox,
                &user,
                &user.email,
                address.as_str(),
                Some("confirmed from the new address"),
            ),
        )?;
        audit_account(
            c,
            &Actor::user(user.id, &user.name, address.as_str()),
            None,
            "account.email_change",
            user.id,
            format!(
                "{}'s email address changed from {} to {}, confirmed from the new address",
                user.name,
                user.email,
                address.as_str()
            ),
        )?;
        Ok(address.as_str().to_owned())
    })
}

/// A system administrator sets an account's address (someone who lost the
/// old one). Links already sent to the old address stop working.
pub fn set_by_system_admin(
    pool: &Pool,
    outbox: &Outbox,
    admin: &SessionUser,
    user_id: i32,
    new_email: &str,
) -> AppResult<()> {
    if !admin.grants().is_system_admin() {
        return Err(AppError::Forbidden(
            "Only a system administrator can change another person's email address.".into(),
        ));
    }
    let address = EmailAddress::parse("email", new_email).map_err(|e| AppError::Invalid(vec![e]))?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let user = User::find(c, user_id)?.ok_or(AppError::NotFound)?;
        check_free(c, &user, &address, "email")?;
        User::set_email(c, user.id, address.as_str(), address.normalized())?;
        store::PasswordToken::withdraw_unused(c, user.id, now())?;
        let by = format!("by {}, a system administrator", admin.name);
        outbox.enqueue(c, notice(outbox, &user, &user.email, address.as_str(), Some(&by)))?;
        let mut to_new = notice(outbox, &user, &user.email, address.as_str(), Some(&by));
        to_new.to_email = address.as_str().to_owned();
        outbox.enqueue(c, to_new)?;
        audit_account(
            c,
            &admin.actor(),
            None,
            "account.email_change",
            user.id,
            format!(
                "{}'s email address changed from {} to {} by a system administrator",
                user.name,
                user.email,
                address.as_str()
            ),
        )?;
        Ok(())
    })
}

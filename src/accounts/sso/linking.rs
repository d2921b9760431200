//! Linking a sign-in by a link emailed to the account's address, for a
//! provider that does not vouch for addresses (or whose settings do not
//! link by them). Two things must come together: the emailed link (who
//! holds the account's mailbox) and, in the same browser, the identity the
//! provider just signed in (who holds the sign-in). The link alone links
//! nothing: otherwise anyone could sign in with their own identity, ask
//! for a link to someone else's address, and wait for them to follow it.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use super::model::{Identity, ProviderSettings};
use super::store::{IdentityLink, LinkRequest, NewLink};
use crate::accounts::model::EmailAddress;
use crate::accounts::service::{audit_account, now, user_actor};
use crate::accounts::store::User;
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult};
use crate::mail::model::EventKind;
use crate::mail::service::Mail;
use crate::mail::service::Outbox;
use crate::token;

/// How long an emailed link works.
pub const LINK_VALID_MINUTES: i64 = 30;
/// At most this many links an hour for one account, and for one sign-in
/// (each is an email: nobody can send them to address after address).
const LINKS_PER_HOUR: i64 = 3;

/// Emails a link to the account with `address`, if there is one. Says
/// nothing either way, so the answer does not reveal who has an account.
pub fn request_link(
    pool: &Pool,
    outbox: &Outbox,
    provider: &ProviderSettings,
    identity: &Identity,
    address: &str,
) -> AppResult<()> {
    let address = EmailAddress::parse("email", address).map_err(|e| {
        if address.trim().is_empty() {
            AppError::invalid("email", "Enter the email address of your Quorate account")
        } else {
            AppError::Invalid(vec![e])
        }
    })?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let at = now();
        let Some(user) = User::find_by_email(c, address.normalized())? else {
            return Ok(());
        };
        if IdentityLink::find(c, &provider.issuer, &identity.subject)?.is_some() {
            return Ok(());
        }
        let hour_ago = at - Duration::hours(1);
        if LinkRequest::count_since(c, user.id, hour_ago)? >= LINKS_PER_HOUR
            || LinkRequest::count_for_identity_since(c, &provider.issuer, &identity.subject, hour_ago)?
                >= LINKS_PER_HOUR
        {
            tracing::warn!(user_id = user.id, "sign-in link refused: too many in the last hour");
            return Ok(());
        }
        let raw = token::link_token();
        let expires = at + Duration::minutes(LINK_VALID_MINUTES);
        LinkRequest::insert(
            c,
            &NewLink::at_provider(user.id, provider, &identity.subject, identity.email.as_deref()),
            &token::digest(&raw),
            at,
            expires,
        )?;
        outbox.enqueue(
            c,
            Mail {
                template: "sso_link",
                to_email: user.email.clone(),
                to_name: user.name.clone(),
                sender: outbox.operator_name().to_owned(),
                reason: format!(
                    "You get this email because someone signed in with {} and asked to link it to your Quorate account.",
                    provider.label()
                ),
                event: EventKind::Account,
                event_id: Some(user.id),
                organisation_id: None,
                practice_id: None,
                user_id: Some(user.id),
                context: json!({
                    "provider": provider.label(),
                    "provider_email": identity.email,
                    "link": format!("{}/login/sso/{}/link/{raw}", outbox.base_url(), provider.id),
                    "expires": crate::time::date_time(expires),
                }),
                // Following the link (in the right browser) signs the account in.
                sealed: true,
            },
        )?;
        Ok(())
    })
}

/// What following a link offers, for its page.
pub struct LinkOffer {
    pub name: String,
    pub email: String,
    /// The address the provider gave for the sign-in being linked.
    pub provider_email: Option<String>,
}

fn gone(provider: &ProviderSettings) -> AppError {
    AppError::Gone(format!(
        "This link has expired or has already been used. Sign in with {} again to ask for a new one.",
        provider.label()
    ))
}

/// The usable request behind `raw`, made for this identity.
fn usable(
    c: &mut DbConn,
    raw: &str,
    provider: &ProviderSettings,
    identity: Option<&Identity>,
    at: NaiveDateTime,
) -> AppResult<LinkRequest> {
    let request = LinkRequest::find_by_digest(c, &token::digest(raw))?
        .filter(|r| r.used_at.is_none() && r.expires_at > at && r.provider == provider.id)
        .ok_or_else(|| gone(provider))?;
    let same_identity = identity
        .is_some_and(|i| request.issuer == provider.issuer && token::constant_time_eq(&request.subject, &i.subject));
    if !same_identity {
        return Err(AppError::Forbidden(format!(
            "Open this link in the browser where you signed in with {label}. If you did, the sign-in has timed out: sign in with {label} again and ask for a new link.",
            label = provider.label()
        )));
    }
    Ok(request)
}

/// Checks a link before its page asks to confirm it.
pub fn check_link(
    pool: &Pool,
    raw: &str,
    provider: &ProviderSettings,
    identity: Option<&Identity>,
) -> AppResult<LinkOffer> {
    let mut conn = pool.get()?;
    let request = usable(&mut conn, raw, provider, identity, now())?;
    let user = User::find(&mut conn, request.user_id)?.ok_or_else(|| gone(provider))?;
    Ok(LinkOffer {
        name: user.name,
        email: user.email,
        provider_email: request.provider_email,
    })
}

/// Links the identity to the account, uses the link up (audited). Returns
/// the account to sign in.
pub fn confirm_link(
    pool: &Pool,
    raw: &str,
    provider: &ProviderSettings,
    identity: Option<&Identity>,
) -> AppResult<i32> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let at = now();
        let request = usable(c, raw, provider, identity, at)?;
        if LinkRequest::use_up(c, request.id, at)? != 1 {
            return Err(gone(provider));
        }
        let user = User::find(c, request.user_id)?.ok_or_else(|| gone(provider))?;
        match IdentityLink::find(c, &request.issuer, &request.subject)? {
            Some(link) if link.user_id == user.id => return Ok(user.id),
            Some(_) => {
                return Err(AppError::Conflict(format!(
                    "This {} sign-in is already linked to another Quorate account.",
                    provider.label()
                )));
            }
            None => {}
        }
        IdentityLink::insert(
            c,
            &NewLink {
                user_id: user.id,
                provider: &request.provider,
                issuer: &request.issuer,
                subject: &request.subject,
                email: request.provider_email.as_deref(),
            },
            at,
        )?;
        audit_account(
            c,
            &user_actor(&user),
            None,
            "account.sso_linked",
            user.id,
            format!(
                "{} linked their {} sign-in by following a link emailed to {}",
                user.name,
                provider.label(),
                user.email
            ),
        )?;
        Ok(user.id)
    })
}

//! Who a verified single sign-on identity is: the account linked to its
//! stable subject, or — on a first sign-in, when the provider asserts the
//! address verified and the provider's settings allow it — the account
//! with that address, linked now. Never by an unverified address.

use super::model::{Identity, ProviderSettings};
use super::store::{IdentityLink, NewLink};
use crate::accounts::model::EmailAddress;
use crate::accounts::service::{audit_account, now};
use crate::accounts::store::User;
use crate::audit::model::Actor;
use crate::db::Pool;
use crate::error::AppResult;

/// The outcome of a verified sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoSignIn {
    /// The account linked to this identity.
    Linked { user_id: i32 },
    /// Linked just now to the account with the verified address.
    LinkedByEmail { user_id: i32 },
    /// No account is linked, and none could be linked safely.
    NoAccount { reason: NoAccountReason },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAccountReason {
    /// No account has the address the provider gave.
    UnknownAddress(String),
    /// The provider did not say the address is verified, or gave none.
    AddressNotVerified,
    /// This provider's settings do not link by address.
    LinkingByAddressOff,
}

pub fn sign_in(pool: &Pool, provider: &ProviderSettings, identity: &Identity) -> AppResult<SsoSignIn> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let at = now();
        if let Some(link) = IdentityLink::find(c, &provider.issuer, &identity.subject)? {
            IdentityLink::used(c, link.id, at)?;
            return Ok(SsoSignIn::Linked { user_id: link.user_id });
        }
        if !provider.link_by_verified_email {
            return Ok(SsoSignIn::NoAccount {
                reason: NoAccountReason::LinkingByAddressOff,
            });
        }
        let address = identity
            .email
            .as_deref()
            .filter(|_| identity.email_verified)
            .and_then(|e| EmailAddress::parse("email", e).ok());
        let Some(address) = address else {
            return Ok(SsoSignIn::NoAccount {
                reason: NoAccountReason::AddressNotVerified,
            });
        };
        let Some(user) = User::find_by_email(c, address.normalized())? else {
            return Ok(SsoSignIn::NoAccount {
                reason: NoAccountReason::UnknownAddress(address.as_str().to_owned()),
            });
        };
        IdentityLink::insert(
            c,
            &NewLink {
                user_id: user.id,
                provider: &provider.id,
                issuer: &provider.issuer,
                subject: &identity.subject,
                email: Some(address.as_str()),
            },
            at,
        )?;
        audit_account(
            c,
            &Actor::user(user.id, &user.name, &user.email),
            None,
            "account.sso_linked",
            user.id,
            format!(
                "{} signed in with {} for the first time; linked by the address {} the provider verified",
                user.name,
                provider.label(),
                address.as_str()
            ),
        )?;
        Ok(SsoSignIn::LinkedByEmail { user_id: user.id })
    })
}

/// A link as "Your account" lists it.
pub struct LinkShown {
    pub id: i32,
    pub provider: String,
    pub email: Option<String>,
    pub linked_at: chrono::NaiveDateTime,
    pub last_used_at: Option<chrono::NaiveDateTime>,
}

pub fn links_of(pool: &Pool, user_id: i32) -> AppResult<Vec<LinkShown>> {
    let mut conn = pool.get()?;
    Ok(IdentityLink::of_user(&mut conn, user_id)?
        .into_iter()
        .map(|l| LinkShown {
            id: l.id,
            provider: l.provider,
            email: l.email,
            linked_at: l.linked_at,
            last_used_at: l.last_used_at,
        })
        .collect())
}

/// Removes one of the user's own links (audited); not found if not theirs.
pub fn unlink(pool: &Pool, actor: &crate::accounts::service::SessionUser, link_id: i32) -> AppResult<String> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let link = IdentityLink::of_user(c, actor.id)?
            .into_iter()
            .find(|l| l.id == link_id)
            .ok_or(crate::error::AppError::NotFound)?;
        IdentityLink::delete(c, link.id)?;
        audit_account(
            c,
            &actor.actor(),
            None,
            "account.sso_unlinked",
            actor.id,
            format!("{} removed the link to their {} sign-in", actor.name, link.provider),
        )?;
        Ok(link.provider)
    })
}

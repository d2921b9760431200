//! Who a verified single sign-on identity is: the account linked to its
//! stable subject, or — on a first sign-in, when the provider asserts the
//! address verified and the provider's settings allow it — the account
//! with that address, linked now. Never by an unverified address (that
//! takes a link emailed to the account: `linking.rs`). A CIS2 sign-in
//! naming a member practice may ask for a new account (`joining.rs`).

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
    /// An account asked for by signing in waits for the practice's
    /// administrators (`created`: asked for just now).
    AwaitingApproval { practices: Vec<String>, created: bool },
    /// An account asked for by signing in was refused, and has no role.
    Refused { practices: Vec<String> },
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
    /// A practice the provider names lets its staff ask for an account,
    /// but the provider gave no usable address for it.
    NoAddressForNewAccount,
    /// A practice the provider names lets its staff ask for an account,
    /// but an account already has the address: it is linked, not made again.
    AddressHasAccount(String),
}

pub fn sign_in(pool: &Pool, provider: &ProviderSettings, identity: &Identity) -> AppResult<SsoSignIn> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let at = now();
        if let Some(link) = IdentityLink::find(c, &provider.issuer, &identity.subject)? {
            IdentityLink::used(c, link.id, at)?;
            return Ok(match super::joining::standing(c, link.user_id)? {
                super::joining::Standing::Member => SsoSignIn::Linked { user_id: link.user_id },
                super::joining::Standing::Waiting(practices) => SsoSignIn::AwaitingApproval {
                    practices,
                    created: false,
                },
                super::joining::Standing::Refused(practices) => SsoSignIn::Refused { practices },
            });
        }
        link_by_verified_address(c, provider, identity, at)
    })
}

/// Links the account with the address the provider vouches for, if the
/// provider's settings allow it.
fn link_by_verified_address(
    c: &mut crate::db::DbConn,
    provider: &ProviderSettings,
    identity: &Identity,
    at: chrono::NaiveDateTime,
) -> AppResult<SsoSignIn> {
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
        &NewLink::at_provider(user.id, provider, &identity.subject, Some(address.as_str())),
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

/// Roles of an organisation's own staff: with `staff_sso_only` they sign in
/// with a provider. Practice representatives are the members, not staff.
fn is_staff_role(role: &str) -> bool {
    matches!(
        crate::accounts::model::Role::parse(role),
        Some(
            crate::accounts::model::Role::OrgAdmin
                | crate::accounts::model::Role::ReturningOfficer
                | crate::accounts::model::Role::CommitteeMember
                | crate::accounts::model::Role::Chair
                | crate::accounts::model::Role::LmcObserver
        )
    )
}

/// The organisations whose staff rule refuses this account's password
/// (their names); empty when a password may sign it in.
pub fn password_refused_by(pool: &Pool, user_id: i32) -> AppResult<Vec<String>> {
    let mut conn = pool.get()?;
    let mut names = Vec::new();
    for row in crate::accounts::store::roles_of(&mut conn, Some(&[user_id]))? {
        if !is_staff_role(&row.role) {
            continue;
        }
        if let (Some(id), Some(name)) = (row.organisation_id, row.organisation_name) {
            if super::store::sign_in_rules(&mut conn, id)?.staff_sso_only && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    Ok(names)
}

/// An organisation's sign-in rule and its staff, for its page.
pub struct SignInPolicy {
    pub organisation: crate::registry::service::Overseen,
    pub rules: super::store::SignInRules,
    /// Requests from practice staff waiting for a decision.
    pub waiting: usize,
    /// Each staff member: name, email, role, and whether a provider is linked.
    pub staff: Vec<(String, String, String, bool)>,
}

pub(super) fn administered(
    pool: &Pool,
    grants: &crate::accounts::model::Grants,
    code: &str,
) -> AppResult<crate::registry::service::Overseen> {
    let organisation = crate::registry::service::overseen_organisation(pool, grants, code)?;
    if !grants.administers_organisation(organisation.id) {
        return Err(crate::error::AppError::Forbidden(format!(
            "Only administrators of {} can manage how people sign in to it and decide their requests for an account.",
            organisation.summary.name
        )));
    }
    Ok(organisation)
}

pub fn sign_in_policy(pool: &Pool, grants: &crate::accounts::model::Grants, code: &str) -> AppResult<SignInPolicy> {
    let organisation = administered(pool, grants, code)?;
    let mut conn = pool.get()?;
    let rules = super::store::sign_in_rules(&mut conn, organisation.id)?;
    let waiting = super::store::AccountRequest::waiting_for_organisation(&mut conn, organisation.id)?.len();
    let mut staff = Vec::new();
    for row in crate::accounts::store::roles_of(&mut conn, None)? {
        if row.organisation_id != Some(organisation.id) || !is_staff_role(&row.role) {
            continue;
        }
        let Some(user) = User::find(&mut conn, row.user_id)? else {
            continue;
        };
        let linked = !IdentityLink::of_user(&mut conn, user.id)?.is_empty();
        let role = crate::accounts::model::Role::parse(&row.role).map_or("", |r| r.label());
        staff.push((user.name, user.email, role.to_owned(), linked));
    }
    staff.sort();
    Ok(SignInPolicy {
        organisation,
        rules,
        waiting,
        staff,
    })
}

/// Sets the organisation's sign-in rules (audited, each change said).
pub fn set_sign_in_policy(
    pool: &Pool,
    actor: &crate::accounts::service::SessionUser,
    code: &str,
    rules: super::store::SignInRules,
) -> AppResult<()> {
    let organisation = administered(pool, &actor.grants(), code)?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let at = now();
        let before = super::store::sign_in_rules(c, organisation.id)?;
        if before == rules {
            return Ok(());
        }
        super::store::set_sign_in_rules(c, organisation.id, rules, at, &actor.actor().label)?;
        let name = &organisation.summary.name;
        let mut said = Vec::new();
        if before.staff_sso_only != rules.staff_sso_only {
            said.push(if rules.staff_sso_only {
                format!("Staff of {name} must now sign in with single sign-on; their passwords are refused")
            } else {
                format!("Staff of {name} may sign in with passwords again")
            });
        }
        if before.practice_staff_may_join != rules.practice_staff_may_join {
            said.push(if rules.practice_staff_may_join {
                format!("Staff of {name}'s member practices may ask for an account by signing in with CIS2")
            } else {
                format!("Staff of {name}'s member practices may no longer ask for an account by signing in")
            });
        }
        crate::audit::service::record(
            c,
            &actor.actor(),
            crate::audit::service::Event {
                organisation_id: Some(organisation.id),
                action: "organisation.sign_in",
                object_kind: "organisation",
                object_key: &organisation.summary.code,
                summary: said.join("; "),
            },
        )?;
        Ok(())
    })
}

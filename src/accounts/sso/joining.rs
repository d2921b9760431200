//! Practice staff joining by signing in: a CIS2 sign-in whose organisation
//! claims name a member practice, of an organisation that allows it, asks
//! for a practice representative account. The account is created with the
//! sign-in linked and no role; it waits until an administrator of the
//! practice's organisation approves it (choosing how the person acts for
//! the practice) or refuses it. Every step is audited and emailed.

use chrono::NaiveDateTime;
use serde_json::json;

use super::model::{Identity, ProviderSettings};
use super::service::{NoAccountReason, SsoSignIn};
use super::store::{AccountRequest, IdentityLink, NewLink};
use crate::accounts::model::{EmailAddress, PersonName};
use crate::accounts::service::{SessionUser, audit_account, now};
use crate::accounts::store::{NewUser, User};
use crate::audit::model::Actor;
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::model::EventKind;
use crate::mail::service::Mail;
use crate::mail::service::Outbox;
use crate::registry::model::RepresentativeKind;
use crate::registry::store::{Organisation, Practice};

/// Where an account that asked to join stands.
pub(super) enum Standing {
    /// It holds a role, or never asked: it signs in as usual.
    Member,
    /// No role yet; these practices have not decided.
    Waiting(Vec<String>),
    /// No role, and every request was refused (these practices).
    Refused(Vec<String>),
}

pub(super) fn standing(c: &mut DbConn, user_id: i32) -> AppResult<Standing> {
    let requests = AccountRequest::of_user(c, user_id)?;
    if requests.is_empty() || !crate::accounts::store::roles_of(c, Some(&[user_id]))?.is_empty() {
        return Ok(Standing::Member);
    }
    let waiting = requests.iter().any(|r| r.decision.is_none());
    let mut names = Vec::new();
    let shown = requests.iter().filter(|r| {
        if waiting {
            r.decision.is_none()
        } else {
            r.decision.as_deref() == Some("refused")
        }
    });
    for request in shown {
        if let Some(practice) = Practice::find(c, request.practice_id)? {
            names.push(practice.name);
        }
    }
    Ok(if waiting {
        Standing::Waiting(names)
    } else {
        Standing::Refused(names)
    })
}

/// The practices the identity names whose organisations let their staff
/// ask for an account, with those organisations.
fn practices_open_to(
    c: &mut DbConn,
    identity: &Identity,
    at: NaiveDateTime,
) -> AppResult<Vec<(Practice, Organisation)>> {
    let mut open = Vec::new();
    for code in &identity.organisations {
        let Some(practice) = Practice::find_by_code(c, code)? else {
            continue;
        };
        let Some(organisation) = Organisation::of_practice_on(c, practice.id, at.date())? else {
            continue;
        };
        if super::store::sign_in_rules(c, organisation.id)?.practice_staff_may_join {
            open.push((practice, organisation));
        }
    }
    Ok(open)
}

/// For a sign-in no account is linked to: creates the waiting account, or
/// says why none can be (`None`: no practice it names lets its staff ask).
pub fn ask_to_join(
    pool: &Pool,
    outbox: &Outbox,
    provider: &ProviderSettings,
    identity: &Identity,
) -> AppResult<Option<SsoSignIn>> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        if IdentityLink::find(c, &provider.issuer, &identity.subject)?.is_some() {
            // Linked meanwhile (the same sign-in twice at once).
            return Ok(None);
        }
        create_waiting_account(c, outbox, provider, identity, now())
    })
}

fn create_waiting_account(
    c: &mut DbConn,
    outbox: &Outbox,
    provider: &ProviderSettings,
    identity: &Identity,
    at: NaiveDateTime,
) -> AppResult<Option<SsoSignIn>> {
    let open = practices_open_to(c, identity, at)?;
    if open.is_empty() {
        return Ok(None);
    }
    // Only an address the provider vouches for: an account made with an
    // address someone else owns would receive what is meant for them.
    let Some(address) = identity
        .email
        .as_deref()
        .filter(|_| identity.email_verified)
        .and_then(|e| EmailAddress::parse("email", e).ok())
    else {
        return Ok(Some(SsoSignIn::NoAccount {
            reason: NoAccountReason::NoAddressForNewAccount,
        }));
    };
    if User::find_by_email(c, address.normalized())?.is_some() {
        // Their account exists: it is linked by a link sent to it, not here.
        return Ok(Some(SsoSignIn::NoAccount {
            reason: NoAccountReason::AddressHasAccount(address.as_str().to_owned()),
        }));
    }
    let name = identity
        .name
        .as_deref()
        .and_then(|n| PersonName::parse("name", n).ok())
        .map_or_else(|| address.as_str().to_owned(), |n| n.as_str().to_owned());
    let user_id = NewUser {
        email: address.as_str(),
        email_normalized: address.normalized(),
        name: &name,
        password_hash: crate::accounts::service::NO_PASSWORD,
        created_at: at,
        sessions_valid_after: at,
    }
    .insert(c)?;
    IdentityLink::insert(
        c,
        &NewLink::at_provider(user_id, provider, &identity.subject, Some(address.as_str())),
        at,
    )?;
    let person = Actor::user(user_id, &name, address.as_str());
    let mut practices = Vec::new();
    for (practice, organisation) in open {
        AccountRequest::insert(c, user_id, practice.id, organisation.id, &provider.id, at)?;
        audit_account(
            c,
            &person,
            Some(organisation.id),
            "account.join_requested",
            user_id,
            format!(
                "{name} ({}) signed in with {} and asked to represent {} ({}); waiting for approval",
                address.as_str(),
                provider.label(),
                practice.name,
                practice.ods_code
            ),
        )?;
        let administrators = crate::accounts::store::holders_of(c, "org_admin", &[organisation.id])?;
        let mails = administrators
            .into_iter()
            .map(|(admin_id, admin_name, admin_email)| Mail {
                template: "practice_staff_request",
                to_email: admin_email,
                to_name: admin_name,
                sender: organisation.name.clone(),
                reason: format!(
                    "You get this email because you are an administrator of {} on Quorate.",
                    organisation.name
                ),
                event: EventKind::Organisation,
                event_id: Some(organisation.id),
                organisation_id: Some(organisation.id),
                practice_id: Some(practice.id),
                user_id: Some(admin_id),
                context: json!({
                    "asked": true,
                    "person_name": name,
                    "person_email": address.as_str(),
                    "practice_name": practice.name,
                    "practice_code": practice.ods_code,
                    "provider": provider.label(),
                    "link": format!("{}/organisations/{}/account-requests", outbox.base_url(), organisation.ods_code),
                }),
                sealed: false,
            })
            .collect();
        outbox.enqueue_all(c, mails)?;
        practices.push(practice.name);
    }
    Ok(Some(SsoSignIn::AwaitingApproval {
        practices,
        created: true,
    }))
}

/// A request as its organisation's administrators see it.
pub struct Waiting {
    pub id: i32,
    pub name: String,
    pub email: String,
    pub practice_name: String,
    pub practice_code: String,
    pub provider: String,
    pub requested_at: NaiveDateTime,
}

fn shown(c: &mut DbConn, request: &AccountRequest) -> AppResult<Option<Waiting>> {
    let (Some(user), Some(practice)) = (User::find(c, request.user_id)?, Practice::find(c, request.practice_id)?)
    else {
        return Ok(None);
    };
    Ok(Some(Waiting {
        id: request.id,
        name: user.name,
        email: user.email,
        practice_name: practice.name,
        practice_code: practice.ods_code,
        provider: request.provider.clone(),
        requested_at: request.requested_at,
    }))
}

/// The requests waiting for the organisation's administrators.
pub fn waiting(
    pool: &Pool,
    grants: &crate::accounts::model::Grants,
    code: &str,
) -> AppResult<(crate::registry::service::Overseen, Vec<Waiting>)> {
    let organisation = super::service::administered(pool, grants, code)?;
    let mut conn = pool.get()?;
    let mut list = Vec::new();
    for request in AccountRequest::waiting_for_organisation(&mut conn, organisation.id)? {
        if let Some(row) = shown(&mut conn, &request)? {
            list.push(row);
        }
    }
    Ok((organisation, list))
}

/// One waiting request of the organisation; not found otherwise.
pub fn one_waiting(
    pool: &Pool,
    grants: &crate::accounts::model::Grants,
    code: &str,
    id: i32,
) -> AppResult<(crate::registry::service::Overseen, Waiting)> {
    let organisation = super::service::administered(pool, grants, code)?;
    let mut conn = pool.get()?;
    let request = AccountRequest::find(&mut conn, id)?
        .filter(|r| r.organisation_id == organisation.id && r.decision.is_none())
        .ok_or(AppError::NotFound)?;
    let found = shown(&mut conn, &request)?.ok_or(AppError::NotFound)?;
    Ok((organisation, found))
}

/// What an administrator decides.
pub enum Decision {
    /// The person becomes a representative of the practice, acting as this.
    Approve(RepresentativeKind),
    /// Refused, for this reason (told to the person).
    Refuse(String),
}

pub const DECISION_FIELD: &str = "decision";
pub const REASON_FIELD: &str = "reason";
const REASON_LIMIT: usize = 500;

/// Reads the form's answers; errors name the field.
pub fn parse_decision(decision: Option<&str>, reason: &str) -> Result<Decision, AppError> {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    match decision.map(str::trim) {
        Some("refuse") if reason.is_empty() => Err(AppError::invalid(
            REASON_FIELD,
            "Enter why the request is refused: the person is told",
        )),
        Some("refuse") if reason.chars().count() > REASON_LIMIT => Err(AppError::invalid(
            REASON_FIELD,
            format!("The reason must be {REASON_LIMIT} characters or fewer"),
        )),
        Some("refuse") => Ok(Decision::Refuse(reason)),
        Some(kind) => RepresentativeKind::parse(kind)
            .map(Decision::Approve)
            .ok_or_else(|| AppError::Invalid(vec![choose()])),
        None => Err(AppError::Invalid(vec![choose()])),
    }
}

fn choose() -> FieldError {
    FieldError::new(
        DECISION_FIELD,
        "Select how the person acts for the practice, or refuse the request",
    )
}

/// Approves or refuses a waiting request, in one transaction: the role and
/// representative record (approval), the decision, the audit entry and the
/// email to the person. Returns the person's name.
pub fn decide(
    pool: &Pool,
    outbox: &Outbox,
    settings: &crate::config::Settings,
    actor: &SessionUser,
    code: &str,
    id: i32,
    decision: Decision,
) -> AppResult<String> {
    let (organisation, _) = one_waiting(pool, &actor.grants(), code, id)?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let at = now();
        let request = AccountRequest::find(c, id)?
            .filter(|r| r.organisation_id == organisation.id)
            .ok_or(AppError::NotFound)?;
        let user = User::find(c, request.user_id)?.ok_or(AppError::NotFound)?;
        let practice = Practice::find(c, request.practice_id)?.ok_or(AppError::NotFound)?;
        let (word, reason) = match &decision {
            Decision::Approve(_) => ("approved", None),
            Decision::Refuse(reason) => ("refused", Some(reason.as_str())),
        };
        // Claimed first: a second decision, however close, finds it taken.
        if AccountRequest::decide(c, request.id, word, reason, at, &actor.actor().label)? != 1 {
            return Err(AppError::Conflict("Someone else decided this request first.".into()));
        }
        match &decision {
            Decision::Approve(kind) => {
                let name = PersonName::parse("name", &user.name).map_err(|e| AppError::Invalid(vec![e]))?;
                let email = EmailAddress::parse("email", &user.email).map_err(|e| AppError::Invalid(vec![e]))?;
                crate::registry::service::add_representative_within(
                    c,
                    outbox,
                    actor,
                    &practice,
                    crate::registry::service::Representative {
                        name: &name,
                        email: &email,
                        kind: *kind,
                    },
                )?;
            }
            Decision::Refuse(_) => {}
        }
        let summary = match &decision {
            Decision::Approve(kind) => format!(
                "{} approved {}'s request to represent {} ({}), as {}",
                actor.name,
                user.name,
                practice.name,
                practice.ods_code,
                kind.in_sentence()
            ),
            Decision::Refuse(reason) => format!(
                "{} refused {}'s request to represent {} ({}): {reason}",
                actor.name, user.name, practice.name, practice.ods_code
            ),
        };
        audit_account(
            c,
            &actor.actor(),
            Some(organisation.id),
            &format!("account.join_{word}"),
            user.id,
            summary,
        )?;
        outbox.enqueue(
            c,
            Mail {
                template: "practice_staff_request",
                to_email: user.email.clone(),
                to_name: user.name.clone(),
                sender: organisation.summary.name.clone(),
                reason: format!(
                    "You get this email because you asked to represent {} on Quorate.",
                    practice.name
                ),
                event: EventKind::Account,
                event_id: Some(user.id),
                organisation_id: Some(organisation.id),
                practice_id: Some(practice.id),
                user_id: Some(user.id),
                context: json!({
                    "approved": matches!(decision, Decision::Approve(_)),
                    "refused_reason": reason,
                    "role": match &decision {
                        Decision::Approve(kind) => kind.in_sentence(),
                        Decision::Refuse(_) => String::new(),
                    },
                    "practice_name": practice.name,
                    "practice_code": practice.ods_code,
                    "organisation_name": organisation.summary.name,
                    "provider": settings.provider_label(&request.provider),
                    "link": format!("{}/login", outbox.base_url()),
                }),
                sealed: false,
            },
        )?;
        Ok(user.name)
    })
}

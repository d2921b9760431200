//! Signing in with a provider: off to it, and back with a code.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::client::{Sso, SsoError};
use super::model::{self, ProviderSettings};
use super::service::{self, NoAccountReason, SsoSignIn};
use crate::error::{AppError, AppResult};
use crate::web::page::Ui;
use crate::web::render::Flash;

/// What the session keeps while the browser is at the provider.
#[derive(Serialize, Deserialize)]
struct Pending {
    provider: String,
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    started_ms: i64,
}

const PENDING_KEY: &str = "sso";
/// A sign-in must come back from the provider within this long.
const PENDING_FOR_MS: i64 = 10 * 60 * 1000;

fn provider<'a>(ui: &'a Ui, id: &str) -> AppResult<&'a ProviderSettings> {
    ui.state()
        .settings
        .sso
        .iter()
        .find(|p| p.id == id)
        .ok_or(AppError::NotFound)
}

fn redirect_uri(ui: &Ui, provider: &ProviderSettings) -> String {
    format!("{}/login/sso/{}/callback", ui.state().settings.base_url, provider.id)
}

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// "Sign in with …": to the provider, with PKCE, state and nonce.
pub async fn start(
    ui: Ui,
    sso: web::Data<Sso>,
    id: web::Path<String>,
    query: web::Query<StartQuery>,
) -> AppResult<HttpResponse> {
    let provider = provider(&ui, &id)?.clone();
    let next = crate::accounts::routes::safe_next(query.next.as_deref()).to_owned();
    let started = match sso.start(&provider, &redirect_uri(&ui, &provider), None).await {
        Ok(started) => started,
        Err(error) => return problem(&ui, &provider, &error),
    };
    ui.session()
        .insert(
            PENDING_KEY,
            Pending {
                provider: provider.id.clone(),
                state: started.state,
                nonce: started.nonce,
                verifier: started.verifier,
                next,
                started_ms: chrono::Utc::now().timestamp_millis(),
            },
        )
        .map_err(|e| AppError::Internal(format!("session: {e}")))?;
    Ok(HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, started.url))
        .finish())
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Back from the provider: every check, then signed in (or on to the
/// second factor), or a page saying what went wrong and what to do.
pub async fn callback(
    ui: Ui,
    sso: web::Data<Sso>,
    id: web::Path<String>,
    query: web::Query<Callback>,
) -> AppResult<HttpResponse> {
    let provider = provider(&ui, &id)?.clone();
    // One use: a second visit to the same address finds nothing waiting.
    let pending = ui.session().remove_as::<Pending>(PENDING_KEY).and_then(Result::ok);
    let Some(pending) = pending.filter(|p| p.provider == provider.id) else {
        return problem_page(&ui, StatusCode::BAD_REQUEST, Problem::NotStartedHere, &provider);
    };
    let state_matches = query
        .state
        .as_deref()
        .is_some_and(|s| crate::token::constant_time_eq(s, &pending.state));
    if !state_matches {
        return problem_page(&ui, StatusCode::BAD_REQUEST, Problem::NotStartedHere, &provider);
    }
    if chrono::Utc::now().timestamp_millis() - pending.started_ms > PENDING_FOR_MS {
        return problem_page(&ui, StatusCode::BAD_REQUEST, Problem::TookTooLong, &provider);
    }
    if let Some(error) = &query.error {
        let detail = query.error_description.clone().unwrap_or_default();
        return problem(
            &ui,
            &provider,
            &SsoError::Refused(format!("{error} {detail}").trim().to_owned()),
        );
    }
    // RFC 9207: a provider that names itself must be the one we sent them to.
    if query.iss.as_deref().is_some_and(|iss| iss != provider.issuer) {
        return problem(
            &ui,
            &provider,
            &SsoError::InvalidToken("the answer names another issuer".into()),
        );
    }
    let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
        return problem(&ui, &provider, &SsoError::Refused("no code came back".into()));
    };
    let claims = match sso
        .finish(
            &provider,
            &redirect_uri(&ui, &provider),
            code,
            &pending.verifier,
            &pending.nonce,
        )
        .await
    {
        Ok(claims) => claims,
        Err(error) => return problem(&ui, &provider, &error),
    };
    let identity = match model::identity(&provider, claims) {
        Ok(identity) => identity,
        Err(why) => return problem(&ui, &provider, &SsoError::InvalidToken(why)),
    };
    let (settings_provider, found) = (provider.clone(), identity.clone());
    let outcome = ui
        .state()
        .run(move |pool| service::sign_in(pool, &settings_provider, &found))
        .await?;
    let (user_id, flash) = match outcome {
        SsoSignIn::Linked { user_id } => (user_id, None),
        SsoSignIn::LinkedByEmail { user_id } => (
            user_id,
            Some(Flash {
                heading: format!("Your {} sign-in is linked to your account", provider.label()),
                body: Some(format!(
                    "From now on you can sign in with {}. You can remove the link on \"Your account\".",
                    provider.label()
                )),
            }),
        ),
        SsoSignIn::NoAccount { reason } => {
            return problem_page(&ui, StatusCode::FORBIDDEN, Problem::NoAccount(reason), &provider);
        }
    };
    crate::accounts::two_factor::routes::after_first_factor(
        &ui,
        user_id,
        &pending.next,
        flash,
        crate::accounts::two_factor::routes::FirstFactor::SingleSignOn {
            second_factor: provider.counts_as_second_factor,
        },
    )
    .await
}

enum Problem {
    NotStartedHere,
    TookTooLong,
    Failed(SsoError),
    NoAccount(NoAccountReason),
}

#[derive(Serialize)]
struct ProblemPage {
    heading: String,
    paragraphs: Vec<String>,
    detail: Option<String>,
}

fn problem(ui: &Ui, provider: &ProviderSettings, error: &SsoError) -> AppResult<HttpResponse> {
    let status = match error {
        SsoError::Unreachable(_) => StatusCode::BAD_GATEWAY,
        SsoError::Misconfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
        SsoError::Refused(_) => StatusCode::FORBIDDEN,
        SsoError::CodeRefused(_) | SsoError::InvalidToken(_) => StatusCode::BAD_REQUEST,
    };
    tracing::warn!(provider = %provider.id, error = ?error, "single sign-on failed");
    problem_page(ui, status, Problem::Failed(error.clone()), provider)
}

fn problem_page(ui: &Ui, status: StatusCode, problem: Problem, provider: &ProviderSettings) -> AppResult<HttpResponse> {
    let label = provider.label();
    let again = format!("Go back to the log in page and choose \"Sign in with {label}\" again.");
    let password = "You can also log in with your email address and password.".to_owned();
    let (heading, paragraphs, detail) = match problem {
        Problem::NotStartedHere => (
            "This sign-in was not started here".to_owned(),
            vec![
                format!(
                    "The answer from {label} does not match a sign-in started in this browser, so it has not been used. This happens when a sign-in is finished twice, in another browser, or from a link someone sent you."
                ),
                again,
            ],
            None,
        ),
        Problem::TookTooLong => (
            "The sign-in took too long".to_owned(),
            vec![
                format!("A sign-in with {label} must be finished within 10 minutes."),
                again,
            ],
            None,
        ),
        Problem::Failed(SsoError::Unreachable(why)) => (
            format!("{label} is not answering"),
            vec![
                format!("Quorate could not reach {label} to sign you in. It may be down for a while."),
                password,
            ],
            Some(why),
        ),
        // The detail (a file or variable name) is in the server's log only.
        Problem::Failed(SsoError::Misconfigured(_)) => (
            format!("Sign-in with {label} is not working"),
            vec![
                "This Quorate's settings for it are incomplete. Tell the people who run this Quorate: the reason is in its log.".into(),
                password,
            ],
            None,
        ),
        Problem::Failed(SsoError::Refused(why)) => (
            format!("{label} did not sign you in"),
            vec![
                format!("{label} answered that the sign-in was cancelled or refused."),
                again,
            ],
            Some(why),
        ),
        Problem::Failed(SsoError::CodeRefused(why)) => (
            "The sign-in could not be finished".to_owned(),
            vec![
                format!(
                    "{label} would not confirm this sign-in: it may have been used already or have expired. Nothing has been changed."
                ),
                again,
            ],
            Some(why),
        ),
        Problem::Failed(SsoError::InvalidToken(why)) => (
            "The sign-in failed a security check".to_owned(),
            vec![
                format!(
                    "What came back from {label} did not pass Quorate's checks, so it has not been used and nothing has been changed. If it happens again, tell the people who run this Quorate."
                ),
                password,
            ],
            Some(why),
        ),
        Problem::NoAccount(reason) => {
            let first = match reason {
                NoAccountReason::UnknownAddress(address) => {
                    format!("{label} says you are {address}, and no Quorate account has that address.")
                }
                NoAccountReason::AddressNotVerified => format!(
                    "{label} signed you in, but did not confirm your email address, so Quorate cannot tell which account is yours."
                ),
                NoAccountReason::LinkingByAddressOff => {
                    format!("{label} signed you in, but your {label} sign-in is not linked to a Quorate account yet.")
                }
            };
            (
                "No Quorate account is linked to this sign-in".to_owned(),
                vec![
                    first,
                    "Nothing has been created. Log in with your email address and password, or ask your organisation's administrator to invite you.".into(),
                ],
                None,
            )
        }
    };
    let page = ProblemPage {
        heading: heading.clone(),
        paragraphs,
        detail,
    };
    ui.form_errors(status, "accounts/sso_problem", &heading, Vec::new(), &page)
}

/// "Remove" beside a linked sign-in on "Your account".
pub async fn unlink(
    ui: Ui,
    user: crate::web::auth::CurrentUser,
    id: web::Path<i32>,
    _form: crate::web::csrf::CsrfForm<crate::web::csrf::NoFields>,
) -> AppResult<HttpResponse> {
    let (actor, id) = ((*user.0).clone(), id.into_inner());
    let provider_id = ui.state().run(move |pool| service::unlink(pool, &actor, id)).await?;
    let label = ui
        .state()
        .settings
        .sso
        .iter()
        .find(|p| p.id == provider_id)
        .map_or(provider_id.clone(), |p| p.label().to_owned());
    Ok(ui.see_other(
        "/account",
        Some(Flash {
            heading: format!("Your {label} sign-in is no longer linked"),
            body: Some("Log in with your email address and password from now on.".into()),
        }),
    ))
}

#[derive(Serialize)]
struct PolicyPage {
    code: String,
    name: String,
    providers: Vec<String>,
    staff_sso_only: bool,
    staff: Vec<StaffRow>,
    unlinked: usize,
}

#[derive(Serialize)]
struct StaffRow {
    name: String,
    email: String,
    role: String,
    linked: bool,
}

const POLICY_TITLE: &str = "How staff sign in";

async fn policy_page(ui: &Ui, user: &crate::web::auth::CurrentUser, code: String) -> AppResult<PolicyPage> {
    let grants = user.grants();
    let policy = ui
        .state()
        .run(move |pool| service::sign_in_policy(pool, &grants, &code))
        .await?;
    let staff: Vec<StaffRow> = policy
        .staff
        .into_iter()
        .map(|(name, email, role, linked)| StaffRow {
            name,
            email,
            role,
            linked,
        })
        .collect();
    Ok(PolicyPage {
        code: policy.organisation.summary.code,
        name: policy.organisation.summary.name,
        providers: ui.state().settings.sso.iter().map(|p| p.label().to_owned()).collect(),
        staff_sso_only: policy.staff_sso_only,
        unlinked: staff.iter().filter(|s| !s.linked).count(),
        staff,
    })
}

/// `/organisations/CODE/sign-in`: whether staff must use single sign-on.
pub async fn policy_form(
    ui: Ui,
    user: crate::web::auth::CurrentUser,
    code: web::Path<String>,
) -> AppResult<HttpResponse> {
    let page = policy_page(&ui, &user, code.into_inner()).await?;
    ui.page("accounts/sso_policy", POLICY_TITLE, &page)
}

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    staff_sso_only: Option<String>,
}

pub async fn update_policy(
    ui: Ui,
    user: crate::web::auth::CurrentUser,
    code: web::Path<String>,
    form: crate::web::csrf::CsrfForm<PolicyForm>,
) -> AppResult<HttpResponse> {
    let code = code.into_inner();
    let on = form.0.staff_sso_only.as_deref() == Some("yes");
    if on && ui.state().settings.sso.is_empty() {
        return Err(AppError::Conflict(
            "No single sign-on provider is set up on this Quorate, so staff cannot be made to use one.".into(),
        ));
    }
    let (actor, target) = ((*user.0).clone(), code.clone());
    ui.state()
        .run(move |pool| service::set_sign_in_policy(pool, &actor, &target, on))
        .await?;
    Ok(ui.see_other(
        &format!("/organisations/{code}/sign-in"),
        Some(Flash {
            heading: if on {
                "Staff now sign in with single sign-on".into()
            } else {
                "Staff may sign in with passwords again".into()
            },
            body: None,
        }),
    ))
}

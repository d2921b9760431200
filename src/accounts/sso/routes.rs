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

/// A sign-in no account is linked to yet, kept so a link emailed to the
/// account can link it in this browser.
#[derive(Serialize, Deserialize)]
struct Unlinked {
    provider: String,
    identity: model::Identity,
    at_ms: i64,
}

const UNLINKED_KEY: &str = "sso_unlinked";
/// Long enough to ask for a link and follow it (the link works 30 minutes).
const UNLINKED_FOR_MS: i64 = 60 * 60 * 1000;

fn unlinked_identity(ui: &Ui, provider: &ProviderSettings) -> Option<model::Identity> {
    let kept = ui.session().get::<Unlinked>(UNLINKED_KEY).ok().flatten()?;
    let fresh = chrono::Utc::now().timestamp_millis() - kept.at_ms <= UNLINKED_FOR_MS;
    (fresh && kept.provider == provider.id).then_some(kept.identity)
}

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
        .map_err(crate::web::auth::insert_failed)?;
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
    let finished = match sso
        .finish(
            &provider,
            &redirect_uri(&ui, &provider),
            code,
            &pending.verifier,
            &pending.nonce,
        )
        .await
    {
        Ok(finished) => finished,
        Err(error) => return problem(&ui, &provider, &error),
    };
    let mut identity = match model::identity(&provider, finished.claims) {
        Ok(identity) => identity,
        Err(why) => return problem(&ui, &provider, &SsoError::InvalidToken(why)),
    };
    let (settings_provider, found) = (provider.clone(), identity.clone());
    let mut outcome = ui
        .state()
        .run(move |pool| service::sign_in(pool, &settings_provider, &found))
        .await?;
    // Nobody linked: a provider that names the person's practice may let
    // them ask for an account. Its user info is read only now.
    if matches!(outcome, SsoSignIn::NoAccount { .. }) && provider.provision_practice_staff {
        let codes = sso
            .organisations(
                &provider,
                &redirect_uri(&ui, &provider),
                &finished.access_token,
                &finished.subject,
            )
            .await;
        identity.organisations = match codes {
            Ok(codes) => model::ods_codes(&codes),
            Err(error) => return problem(&ui, &provider, &error),
        };
        let (settings_provider, found, outbox) = (provider.clone(), identity.clone(), ui.state().outbox.clone());
        let joined = ui
            .state()
            .run(move |pool| super::joining::ask_to_join(pool, &outbox, &settings_provider, &found))
            .await?;
        if let Some(joined) = joined {
            outcome = joined;
        }
    }
    let (user_id, flash) = match outcome {
        SsoSignIn::Linked { user_id } => (user_id, None),
        SsoSignIn::LinkedByEmail { user_id } => (user_id, Some(linked_flash(&provider))),
        SsoSignIn::AwaitingApproval { practices, created } => {
            return awaiting_approval(&ui, &provider, &practices, created);
        }
        SsoSignIn::Refused { practices } => {
            let page = ProblemPage {
                heading: "Your request was refused".into(),
                paragraphs: vec![
                    format!(
                        "Your request to represent {} on Quorate was refused. The email telling you so gives the reason.",
                        practices.join(" and ")
                    ),
                    "If you think this is wrong, ask your practice to contact its organisation.".into(),
                ],
                detail: None,
                link_form: None,
            };
            return ui.form_errors(
                StatusCode::FORBIDDEN,
                "accounts/sso_problem",
                &page.heading.clone(),
                Vec::new(),
                &page,
            );
        }
        SsoSignIn::NoAccount { reason } => {
            ui.session()
                .insert(
                    UNLINKED_KEY,
                    Unlinked {
                        provider: provider.id.clone(),
                        identity,
                        at_ms: chrono::Utc::now().timestamp_millis(),
                    },
                )
                .map_err(crate::web::auth::insert_failed)?;
            return problem_page(&ui, StatusCode::FORBIDDEN, Problem::NoAccount(reason), &provider);
        }
    };
    signed_in(&ui, &provider, user_id, &pending.next, flash, Some(&finished.id_token)).await
}

/// Signed in through `provider` (or on to the second factor): the session
/// remembers the provider, to end its session there too at logout.
async fn signed_in(
    ui: &Ui,
    provider: &ProviderSettings,
    user_id: i32,
    next: &str,
    flash: Option<Flash>,
    id_token: Option<&str>,
) -> AppResult<HttpResponse> {
    let response = crate::accounts::two_factor::routes::after_first_factor(
        ui,
        user_id,
        next,
        flash,
        crate::accounts::two_factor::routes::FirstFactor::SingleSignOn {
            second_factor: provider.counts_as_second_factor,
        },
    )
    .await?;
    crate::web::auth::remember_provider_session(ui.session(), &provider.id, id_token)?;
    Ok(response)
}

fn awaiting_approval(
    ui: &Ui,
    provider: &ProviderSettings,
    practices: &[String],
    created: bool,
) -> AppResult<HttpResponse> {
    let names = practices.join(" and ");
    let page = ProblemPage {
        heading: "Your account is waiting for approval".into(),
        paragraphs: vec![
            if created {
                format!(
                    "{} says you work at {names}. We have asked its organisation's administrators to approve a Quorate account for you as one of its representatives.",
                    provider.label()
                )
            } else {
                format!("Your request to represent {names} has not been decided yet.")
            },
            format!(
                "You will get an email when they decide. Then sign in with {} again.",
                provider.label()
            ),
        ],
        detail: None,
        link_form: None,
    };
    ui.page("accounts/sso_problem", &page.heading.clone(), &page)
}

enum Problem {
    NotStartedHere,
    TookTooLong,
    /// Asking for a link, with no unlinked sign-in kept in this browser.
    Forgotten,
    Failed(SsoError),
    NoAccount(NoAccountReason),
}

#[derive(Serialize)]
struct ProblemPage {
    heading: String,
    paragraphs: Vec<String>,
    detail: Option<String>,
    /// "Send me a link": for a sign-in no account is linked to yet.
    link_form: Option<LinkForm>,
}

#[derive(Serialize)]
struct LinkForm {
    provider: String,
    label: String,
    email: String,
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
    problem_page_with(ui, status, problem, provider, Vec::new(), None)
}

/// The page, with the link form's errors and what was typed in it.
fn problem_page_with(
    ui: &Ui,
    status: StatusCode,
    problem: Problem,
    provider: &ProviderSettings,
    errors: Vec<crate::error::FieldError>,
    typed: Option<String>,
) -> AppResult<HttpResponse> {
    let label = provider.label();
    let is_no_account = matches!(problem, Problem::NoAccount(_));
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
        Problem::Forgotten => (
            format!("Sign in with {label} again"),
            vec![
                format!(
                    "Quorate no longer holds your {label} sign-in in this browser: it is kept for an hour. Sign in with {label} again, then ask for the link."
                ),
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
                NoAccountReason::NoAddressForNewAccount => format!(
                    "{label} signed you in and names your practice, but gave no email address it has verified, so Quorate cannot make you an account."
                ),
                NoAccountReason::AddressHasAccount(address) => format!(
                    "{label} says you are {address}, and a Quorate account already has that address: link this sign-in to it."
                ),
            };
            (
                "No Quorate account is linked to this sign-in".to_owned(),
                vec![
                    first,
                    "Nothing has been created. If you have a Quorate account, we can email it a link that links this sign-in to it. Or ask your organisation's administrator to invite you.".into(),
                ],
                None,
            )
        }
    };
    let link_form = is_no_account.then(|| LinkForm {
        provider: provider.id.clone(),
        label: label.to_owned(),
        email: typed.unwrap_or_else(|| {
            unlinked_identity(ui, provider)
                .and_then(|i| i.email)
                .unwrap_or_default()
        }),
    });
    let page = ProblemPage {
        heading: heading.clone(),
        paragraphs,
        detail,
        link_form,
    };
    ui.form_errors(status, "accounts/sso_problem", &heading, errors, &page)
}

#[derive(Deserialize)]
pub struct LinkRequestForm {
    #[serde(default)]
    email: String,
}

/// "Send me a link": emails the account with the address typed a link
/// that links this browser's unlinked sign-in to it.
pub async fn request_link(
    ui: Ui,
    id: web::Path<String>,
    form: crate::web::csrf::CsrfForm<LinkRequestForm>,
) -> AppResult<HttpResponse> {
    let provider = provider(&ui, &id)?.clone();
    let Some(identity) = unlinked_identity(&ui, &provider) else {
        return problem_page(&ui, StatusCode::BAD_REQUEST, Problem::Forgotten, &provider);
    };
    let typed = form.0.email;
    let (settings_provider, address, outbox) = (provider.clone(), typed.clone(), ui.state().outbox.clone());
    let sent = ui
        .state()
        .run(move |pool| super::linking::request_link(pool, &outbox, &settings_provider, &identity, &address))
        .await;
    match sent {
        Ok(()) => {
            let label = provider.label();
            let page = ProblemPage {
                heading: "Check your email".into(),
                paragraphs: vec![
                    format!(
                        "If a Quorate account has the address {}, we have sent it a link. Open the link in this browser within {} minutes to link your {label} sign-in to that account and sign in.",
                        typed.trim(),
                        super::linking::LINK_VALID_MINUTES
                    ),
                    "If no email comes within a few minutes, check your junk folder, or ask your organisation's administrator which address your account has.".into(),
                ],
                detail: None,
                link_form: None,
            };
            ui.page("accounts/sso_problem", "Check your email", &page)
        }
        Err(AppError::Invalid(errors)) => problem_page_with(
            &ui,
            StatusCode::UNPROCESSABLE_ENTITY,
            Problem::NoAccount(NoAccountReason::LinkingByAddressOff),
            &provider,
            errors,
            Some(typed),
        ),
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct LinkConfirmPage {
    provider: String,
    label: String,
    token: String,
    name: String,
    email: String,
    provider_email: Option<String>,
}

/// The emailed link: which account the sign-in would be linked to.
pub async fn link_form(ui: Ui, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    let (id, token) = path.into_inner();
    let provider = provider(&ui, &id)?.clone();
    let identity = unlinked_identity(&ui, &provider);
    let (settings_provider, raw) = (provider.clone(), token.clone());
    let offer = ui
        .state()
        .run(move |pool| super::linking::check_link(pool, &raw, &settings_provider, identity.as_ref()))
        .await?;
    let label = provider.label().to_owned();
    let title = format!("Link your {label} sign-in");
    ui.page(
        "accounts/sso_link",
        &title,
        &LinkConfirmPage {
            provider: provider.id.clone(),
            label,
            token,
            name: offer.name,
            email: offer.email,
            provider_email: offer.provider_email,
        },
    )
}

/// "Link and sign in".
pub async fn link(
    ui: Ui,
    path: web::Path<(String, String)>,
    _form: crate::web::csrf::CsrfForm<crate::web::csrf::NoFields>,
) -> AppResult<HttpResponse> {
    let (id, token) = path.into_inner();
    let provider = provider(&ui, &id)?.clone();
    let identity = unlinked_identity(&ui, &provider);
    let settings_provider = provider.clone();
    let user_id = ui
        .state()
        .run(move |pool| super::linking::confirm_link(pool, &token, &settings_provider, identity.as_ref()))
        .await?;
    ui.session().remove(UNLINKED_KEY);
    signed_in(&ui, &provider, user_id, "/", Some(linked_flash(&provider)), None).await
}

fn linked_flash(provider: &ProviderSettings) -> Flash {
    Flash {
        heading: format!("Your {} sign-in is linked to your account", provider.label()),
        body: Some(format!(
            "From now on you can sign in with {}. You can remove the link on \"Your account\".",
            provider.label()
        )),
    }
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
    let label = ui.state().settings.provider_label(&provider_id);
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
    /// A provider that can make accounts for practice staff is set up.
    joining_available: bool,
    practice_staff_may_join: bool,
    waiting: usize,
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
        staff_sso_only: policy.rules.staff_sso_only,
        joining_available: ui.state().settings.sso.iter().any(|p| p.provision_practice_staff),
        practice_staff_may_join: policy.rules.practice_staff_may_join,
        waiting: policy.waiting,
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
    #[serde(default)]
    practice_staff_may_join: Option<String>,
}

pub async fn update_policy(
    ui: Ui,
    user: crate::web::auth::CurrentUser,
    code: web::Path<String>,
    form: crate::web::csrf::CsrfForm<PolicyForm>,
) -> AppResult<HttpResponse> {
    let code = code.into_inner();
    let rules = super::store::SignInRules {
        staff_sso_only: form.0.staff_sso_only.as_deref() == Some("yes"),
        practice_staff_may_join: form.0.practice_staff_may_join.as_deref() == Some("yes"),
    };
    let settings = &ui.state().settings;
    if rules.staff_sso_only && settings.sso.is_empty() {
        return Err(AppError::Conflict(
            "No single sign-on provider is set up on this Quorate, so staff cannot be made to use one.".into(),
        ));
    }
    if rules.practice_staff_may_join && !settings.sso.iter().any(|p| p.provision_practice_staff) {
        return Err(AppError::Conflict(
            "No single sign-on provider on this Quorate makes accounts for practice staff (a CIS2 provider with provision_practice_staff).".into(),
        ));
    }
    let (actor, target) = ((*user.0).clone(), code.clone());
    ui.state()
        .run(move |pool| service::set_sign_in_policy(pool, &actor, &target, rules))
        .await?;
    Ok(ui.see_other(
        &format!("/organisations/{code}/sign-in"),
        Some(Flash {
            heading: "How people sign in is saved".into(),
            body: Some(
                match (rules.staff_sso_only, rules.practice_staff_may_join) {
                    (true, true) => "Staff sign in with single sign-on; staff of member practices can ask for an account by signing in.",
                    (true, false) => "Staff sign in with single sign-on.",
                    (false, true) => "Staff may use passwords; staff of member practices can ask for an account by signing in.",
                    (false, false) => "Staff may sign in with passwords.",
                }
                .into(),
            ),
        }),
    ))
}

/// Where to send the browser so the provider a sign-in came through ends
/// its session too, and the provider's name; `None` when its settings say
/// not to, it offers no end-session endpoint, or it cannot be reached (the
/// Quorate session has ended either way).
pub async fn provider_logout(ui: &Ui, sso: &Sso, kept: &crate::web::auth::ProviderSession) -> Option<(String, String)> {
    let provider = ui.state().settings.sso.iter().find(|p| p.id == kept.provider)?;
    if !provider.sign_out_at_provider {
        return None;
    }
    let back = format!("{}/login", ui.state().settings.base_url);
    match sso.logout_url(provider, kept.id_token.as_deref(), &back).await {
        // The browser follows the redirect only to an origin the page's
        // form-action names (the providers' issuers).
        Ok(Some(url))
            if crate::config::origin_of(&url)
                .is_some_and(|origin| ui.state().settings.sso_origins().contains(&origin)) =>
        {
            Some((url, provider.label().to_owned()))
        }
        Ok(Some(url)) => {
            tracing::warn!(provider = %provider.id, %url, "the provider's end-session endpoint is not on its issuer's origin; not sent there");
            None
        }
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(provider = %provider.id, error = ?error, "could not end the provider's session");
            None
        }
    }
}

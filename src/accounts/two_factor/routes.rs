//! Two-factor pages: the code at sign-in, setting it up (during sign-in
//! when a role needs it, or from "Your account"), new recovery codes,
//! turning it off, and a system administrator's reset.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::model::{self, SecondFactorPolicy};
use super::service::{self, CODE_FIELD, Enrolment, SecondFactorUsed};
use crate::accounts::model::ThrottlePolicy;
use crate::error::{AppError, AppResult, FieldError};
use crate::web::auth::{self, CurrentUser, PendingSignIn, RequireSystemAdmin};
use crate::web::csrf::CsrfForm;
use crate::web::page::Ui;
use crate::web::render::Flash;

/// After a right password (log in, first set-up, a password link): signed
/// in, or on to the second step when the account has a second factor or a
/// role of theirs needs one.
pub async fn after_password(ui: &Ui, user_id: i32, next: &str, flash: Option<Flash>) -> AppResult<HttpResponse> {
    after_first_factor(ui, user_id, next, flash, FirstFactor::Password).await
}

/// How someone proved who they are before any second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstFactor {
    Password,
    /// A single sign-on provider; `second_factor` when its own sign-in has
    /// two factors already.
    SingleSignOn {
        second_factor: bool,
    },
}

/// After a first factor (a password, or a single sign-on provider): signed
/// in, or on to the second step, or — a password where the organisation
/// asks its staff for single sign-on — back to log in, saying why.
pub async fn after_first_factor(
    ui: &Ui,
    user_id: i32,
    next: &str,
    flash: Option<Flash>,
    first: FirstFactor,
) -> AppResult<HttpResponse> {
    if first == (FirstFactor::SingleSignOn { second_factor: true }) {
        auth::log_in(ui.session(), user_id, true)?;
        return Ok(ui.see_other(next, flash));
    }
    let policy = ui.state().settings.second_factor.clone();
    let (refused_by, enrolled, required) = ui
        .state()
        .run(move |pool| {
            let refused_by = match first {
                FirstFactor::Password => crate::accounts::sso::service::password_refused_by(pool, user_id)?,
                FirstFactor::SingleSignOn { .. } => Vec::new(),
            };
            let user = crate::accounts::service::session_user(pool, user_id)?.ok_or(AppError::LoginRequired)?;
            let required = policy.requires(user.roles.iter().map(|r| r.grant.role));
            Ok((refused_by, service::is_enrolled(pool, user_id)?, required))
        })
        .await?;
    if !refused_by.is_empty() {
        // The password was right, and is still not enough: nobody signs in.
        return Ok(ui.see_other(
            "/login",
            Some(Flash {
                heading: "Sign in with single sign-on".into(),
                body: Some(format!(
                    "{} {} its staff to sign in with single sign-on, not a password. Use a \"Sign in with …\" button on this page.",
                    refused_by.join(" and "),
                    if refused_by.len() == 1 { "asks" } else { "ask" }
                )),
            }),
        ));
    }
    if enrolled {
        auth::begin_second_step(ui.session(), user_id, next)?;
        return Ok(ui.see_other("/login/code", None));
    }
    if required {
        auth::begin_second_step(ui.session(), user_id, next)?;
        return Ok(ui.see_other("/login/two-factor", None));
    }
    auth::log_in(ui.session(), user_id, false)?;
    Ok(ui.see_other(next, flash))
}

fn throttle_policy(ui: &Ui) -> ThrottlePolicy {
    let settings = &ui.state().settings;
    ThrottlePolicy {
        max_failures: settings.login_max_failures,
        longest_wait: chrono::Duration::minutes(i64::from(settings.login_lockout_minutes)),
    }
}

/// Where someone goes when no sign-in waits for its second factor (it
/// timed out, or was never started).
fn log_in_again(ui: &Ui) -> HttpResponse {
    ui.see_other(
        "/login",
        Some(Flash {
            heading: "Log in again".into(),
            body: Some(format!(
                "The code must be entered within {} minutes of your password. Log in with your email address and password again.",
                model::PENDING_SIGN_IN_MINUTES
            )),
        }),
    )
}

/// Moves errors about the code onto the field of the form they came from
/// (a page may have more than one code field).
fn on_field(errors: Vec<FieldError>, field: &str) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| {
            if e.field == CODE_FIELD {
                FieldError::new(field, e.message)
            } else {
                e
            }
        })
        .collect()
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

#[derive(Serialize, Default)]
struct CodePage {
    code: String,
}

const CODE_TITLE: &str = "Enter the code from your authenticator app";

pub async fn code_form(ui: Ui) -> AppResult<HttpResponse> {
    if auth::pending_sign_in(ui.session()).is_none() {
        return Ok(log_in_again(&ui));
    }
    ui.page("accounts/two_factor_code", CODE_TITLE, &CodePage::default())
}

pub async fn code(ui: Ui, form: CsrfForm<CodeForm>) -> AppResult<HttpResponse> {
    let Some(signing_in) = auth::pending_sign_in(ui.session()) else {
        return Ok(log_in_again(&ui));
    };
    let (outbox, sealer, policy) = (
        ui.state().outbox.clone(),
        ui.state().account_secrets.clone(),
        throttle_policy(&ui),
    );
    let (user_id, typed) = (signing_in.user_id, form.0.code);
    let input = typed.clone();
    let result = ui
        .state()
        .run(move |pool| service::check_sign_in_code(pool, &outbox, &sealer, policy, user_id, &input))
        .await;
    match result {
        Ok(used) => {
            auth::log_in(ui.session(), user_id, true)?;
            let flash = match used {
                SecondFactorUsed::OneTimeCode => None,
                SecondFactorUsed::RecoveryCode { left } => Some(Flash {
                    heading: "You signed in with a recovery code".into(),
                    body: Some(format!(
                        "That code cannot be used again; {left} {} left. Make new ones on \"Your account\" if you are running out.",
                        if left == 1 { "is" } else { "are" }
                    )),
                }),
            };
            Ok(ui.see_other(&signing_in.next, flash))
        }
        Err(AppError::Invalid(errors)) => code_again(&ui, StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(AppError::Throttled(message)) => code_again(
            &ui,
            StatusCode::TOO_MANY_REQUESTS,
            vec![FieldError::new(CODE_FIELD, message)],
        ),
        Err(other) => Err(other),
    }
}

/// The code page again with its errors; a code typed is never shown back.
fn code_again(ui: &Ui, status: StatusCode, errors: Vec<FieldError>) -> AppResult<HttpResponse> {
    ui.form_errors(
        status,
        "accounts/two_factor_code",
        CODE_TITLE,
        errors,
        &CodePage::default(),
    )
}

#[derive(Serialize)]
struct SetupPage {
    action: &'static str,
    /// During sign-in, because a role needs it.
    required: bool,
    roles: String,
    qr: String,
    key: String,
}

const SETUP_TITLE: &str = "Set up two-factor sign-in";

fn issuer(ui: &Ui) -> String {
    let operator = ui.state().settings.operator_name.trim();
    if operator.is_empty() || operator == "Quorate" {
        "Quorate".into()
    } else {
        format!("Quorate ({operator})")
    }
}

fn required_roles(policy: &SecondFactorPolicy, user: &crate::accounts::service::SessionUser) -> String {
    let mut labels: Vec<&str> = Vec::new();
    for role in user
        .roles
        .iter()
        .map(|r| r.grant.role)
        .filter(|role| policy.requires([*role]))
    {
        if !labels.contains(&role.label()) {
            labels.push(role.label());
        }
    }
    labels.join(", ").to_lowercase()
}

async fn setup_page(
    ui: &Ui,
    user: &crate::accounts::service::SessionUser,
    action: &'static str,
    required: bool,
) -> AppResult<SetupPage> {
    let secret = auth::enrolment_secret(ui.session())?;
    let totp = model::generator(&secret, &issuer(ui), &user.email).map_err(AppError::Internal)?;
    let url = totp
        .to_url()
        .map_err(|e| AppError::Internal(format!("otpauth URL: {e}")))?;
    Ok(SetupPage {
        action,
        required,
        roles: required_roles(&ui.state().settings.second_factor.clone(), user),
        qr: crate::web::render::qr_svg(&url),
        key: model::secret_for_typing(&secret),
    })
}

type Pending = (PendingSignIn, crate::accounts::service::SessionUser);

async fn pending_user(ui: &Ui) -> AppResult<Option<Pending>> {
    let Some(signing_in) = auth::pending_sign_in(ui.session()) else {
        return Ok(None);
    };
    let user_id = signing_in.user_id;
    let user = ui
        .state()
        .run(move |pool| crate::accounts::service::session_user(pool, user_id))
        .await?
        .ok_or(AppError::LoginRequired)?;
    Ok(Some((signing_in, user)))
}

/// Setting up during sign-in, for a role that needs it.
pub async fn sign_in_setup_form(ui: Ui) -> AppResult<HttpResponse> {
    let Some((_, user)) = pending_user(&ui).await? else {
        return Ok(log_in_again(&ui));
    };
    let page = setup_page(&ui, &user, "/login/two-factor", true).await?;
    ui.page("accounts/two_factor_setup", SETUP_TITLE, &page)
}

pub async fn sign_in_setup(ui: Ui, form: CsrfForm<CodeForm>) -> AppResult<HttpResponse> {
    let Some((signing_in, user)) = pending_user(&ui).await? else {
        return Ok(log_in_again(&ui));
    };
    match enrol(&ui, user.id, form.0.code).await {
        Ok(codes) => {
            auth::log_in(ui.session(), user.id, true)?;
            recovery_codes_page(&ui, codes, &signing_in.next, "Two-factor sign-in is on")
        }
        Err(AppError::Invalid(errors)) => {
            let page = setup_page(&ui, &user, "/login/two-factor", true).await?;
            ui.form_errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "accounts/two_factor_setup",
                SETUP_TITLE,
                errors,
                &page,
            )
        }
        Err(other) => Err(other),
    }
}

async fn enrol(ui: &Ui, user_id: i32, code: String) -> AppResult<Vec<String>> {
    let enrolment = Enrolment {
        secret: auth::enrolment_secret(ui.session())?,
        issuer: issuer(ui),
    };
    let (outbox, sealer) = (ui.state().outbox.clone(), ui.state().account_secrets.clone());
    let codes = ui
        .state()
        .run(move |pool| service::enrol(pool, &outbox, &sealer, user_id, enrolment, &code))
        .await?;
    auth::forget_enrolment_secret(ui.session());
    Ok(codes)
}

#[derive(Serialize)]
struct RecoveryCodesPage<'a> {
    codes: Vec<String>,
    next: &'a str,
}

/// The recovery codes, on the page that answers the form (never after a
/// redirect, never again).
fn recovery_codes_page(ui: &Ui, codes: Vec<String>, next: &str, title: &str) -> AppResult<HttpResponse> {
    ui.page(
        "accounts/two_factor_recovery_codes",
        title,
        &RecoveryCodesPage { codes, next },
    )
}

#[derive(Serialize)]
struct AccountTwoFactorPage {
    enrolled: bool,
    enrolled_on: String,
    codes_left: i64,
    required: bool,
    roles: String,
    setup: Option<SetupPage>,
}

const ACCOUNT_TITLE: &str = "Two-factor sign-in";

async fn account_page(ui: &Ui, user: &CurrentUser) -> AppResult<AccountTwoFactorPage> {
    let user_id = user.id;
    let status = ui.state().run(move |pool| service::status(pool, user_id)).await?;
    let policy = ui.state().settings.second_factor.clone();
    let required = policy.requires(user.roles.iter().map(|r| r.grant.role));
    let setup = match status {
        Some(_) => None,
        None => Some(setup_page(ui, user, "/account/two-factor", required).await?),
    };
    Ok(AccountTwoFactorPage {
        enrolled: status.is_some(),
        enrolled_on: status
            .as_ref()
            .map(|s| crate::time::date(s.enrolled_at))
            .unwrap_or_default(),
        codes_left: status.as_ref().map_or(0, |s| s.recovery_codes_left),
        required,
        roles: required_roles(&policy, user),
        setup,
    })
}

pub async fn account(ui: Ui, user: CurrentUser) -> AppResult<HttpResponse> {
    let page = account_page(&ui, &user).await?;
    ui.page("accounts/two_factor", ACCOUNT_TITLE, &page)
}

async fn account_errors(ui: &Ui, user: &CurrentUser, errors: Vec<FieldError>) -> AppResult<HttpResponse> {
    let page = account_page(ui, user).await?;
    ui.form_errors(
        StatusCode::UNPROCESSABLE_ENTITY,
        "accounts/two_factor",
        ACCOUNT_TITLE,
        errors,
        &page,
    )
}

/// Turning it on from "Your account".
pub async fn account_setup(ui: Ui, user: CurrentUser, form: CsrfForm<CodeForm>) -> AppResult<HttpResponse> {
    match enrol(&ui, user.id, form.0.code).await {
        Ok(codes) => {
            // This session now has both factors.
            auth::log_in(ui.session(), user.id, true)?;
            recovery_codes_page(&ui, codes, "/account/two-factor", "Two-factor sign-in is on")
        }
        Err(AppError::Invalid(errors)) => account_errors(&ui, &user, errors).await,
        Err(other) => Err(other),
    }
}

pub async fn new_recovery_codes(ui: Ui, user: CurrentUser, form: CsrfForm<CodeForm>) -> AppResult<HttpResponse> {
    let (sealer, actor, code) = (ui.state().account_secrets.clone(), (*user.0).clone(), form.0.code);
    match ui
        .state()
        .run(move |pool| service::new_recovery_codes(pool, &sealer, &actor, &code))
        .await
    {
        Ok(codes) => recovery_codes_page(&ui, codes, "/account/two-factor", "Your new recovery codes"),
        Err(AppError::Invalid(errors)) => account_errors(&ui, &user, on_field(errors, "codes-code")).await,
        Err(other) => Err(other),
    }
}

pub async fn turn_off(ui: Ui, user: CurrentUser, form: CsrfForm<CodeForm>) -> AppResult<HttpResponse> {
    let (outbox, sealer, policy) = (
        ui.state().outbox.clone(),
        ui.state().account_secrets.clone(),
        ui.state().settings.second_factor.clone(),
    );
    let (actor, code) = ((*user.0).clone(), form.0.code);
    match ui
        .state()
        .run(move |pool| service::turn_off(pool, &outbox, &sealer, &policy, &actor, &code))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            "/account/two-factor",
            Some(Flash {
                heading: "Two-factor sign-in is off".into(),
                body: Some("You now log in with your password alone.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => account_errors(&ui, &user, on_field(errors, "off-code")).await,
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct ResetPage {
    id: i32,
    name: String,
    email: String,
    enrolled: bool,
    reason: String,
}

const RESET_TITLE: &str = "Reset two-factor sign-in";

async fn reset_page(ui: &Ui, id: i32, reason: String) -> AppResult<ResetPage> {
    let (user, enrolled) = ui
        .state()
        .run(move |pool| {
            let user = crate::accounts::service::session_user(pool, id)?.ok_or(AppError::NotFound)?;
            Ok((user, service::is_enrolled(pool, id)?))
        })
        .await?;
    Ok(ResetPage {
        id,
        name: user.name,
        email: user.email,
        enrolled,
        reason,
    })
}

pub async fn reset_form(ui: Ui, _admin: RequireSystemAdmin, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let page = reset_page(&ui, id.into_inner(), String::new()).await?;
    ui.page("accounts/two_factor_reset", RESET_TITLE, &page)
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    reason: String,
}

pub async fn reset(
    ui: Ui,
    admin: RequireSystemAdmin,
    id: web::Path<i32>,
    form: CsrfForm<ResetForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let (outbox, actor, reason) = (ui.state().outbox.clone(), (*admin.0.0).clone(), form.0.reason);
    let typed = reason.clone();
    match ui
        .state()
        .run(move |pool| service::reset(pool, &outbox, Some(&actor), id, &typed))
        .await
    {
        Ok(email) => Ok(ui.see_other(
            "/admin/users",
            Some(Flash {
                heading: "Two-factor sign-in reset".into(),
                body: Some(format!(
                    "{email} has been signed out everywhere and emailed. They set it up again at their next sign-in."
                )),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let page = reset_page(&ui, id, reason).await?;
            ui.form_errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "accounts/two_factor_reset",
                RESET_TITLE,
                errors,
                &page,
            )
        }
        Err(other) => Err(other),
    }
}

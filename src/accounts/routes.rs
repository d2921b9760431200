//! Log in, log out, first-run setup, the user's account and the user list.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::model::ThrottlePolicy;
use super::service::{self, Credentials, FirstAdministrator};
use crate::error::{AppError, AppResult};
use crate::web::auth::{self, CurrentUser, MaybeUser, RequireSystemAdmin};
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::Ui;
use crate::web::render::Flash;

/// Only same-site paths, so a crafted link cannot send someone elsewhere.
/// Browsers drop tabs and newlines from URLs and read `\` as `/`, so
/// `/\t/evil.example` is `//evil.example` to them: any control character,
/// space or backslash makes the path unsafe, as does a second leading `/`.
pub(crate) fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if crate::site_path::is_same_site_path(n) => n,
        _ => "/",
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Serialize)]
struct LoginPage<'a> {
    email: &'a str,
    next: &'a str,
    providers: Vec<ProviderButton>,
}

/// "Sign in with …" for each single sign-on provider.
#[derive(Serialize)]
struct ProviderButton {
    label: String,
    href: String,
}

fn provider_buttons(ui: &Ui, next: &str) -> Vec<ProviderButton> {
    let query = if next == "/" {
        String::new()
    } else {
        format!("?{}", serde_urlencoded::to_string([("next", next)]).unwrap_or_default())
    };
    ui.state()
        .settings
        .sso
        .iter()
        .map(|p| ProviderButton {
            label: p.label().to_owned(),
            href: format!("/login/sso/{}{query}", p.id),
        })
        .collect()
}

const LOGIN_TITLE: &str = "Log in to Quorate";

pub async fn login_form(ui: Ui, user: MaybeUser, query: web::Query<LoginQuery>) -> AppResult<HttpResponse> {
    let next = safe_next(query.next.as_deref());
    if user.0.is_some() {
        return Ok(ui.see_other(next, None));
    }
    let providers = provider_buttons(&ui, next);
    ui.page(
        "accounts/login",
        LOGIN_TITLE,
        &LoginPage {
            email: "",
            next,
            providers,
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login(req: HttpRequest, ui: Ui, form: CsrfForm<LoginForm>) -> AppResult<HttpResponse> {
    let form = form.0;
    let settings = &ui.state().settings;
    let policy = ThrottlePolicy {
        max_failures: settings.login_max_failures,
        longest_wait: chrono::Duration::minutes(i64::from(settings.login_lockout_minutes)),
    };
    let key = ui.state().cookie_key.clone();
    let credentials = Credentials {
        email: form.email.clone(),
        password: form.password,
        address: crate::web::client_address(&req, settings),
        device: crate::web::device::known_device(&req, &key),
    };
    let secure = settings.uses_https();
    let next = safe_next(form.next.as_deref()).to_owned();
    let page = LoginPage {
        email: &form.email,
        next: &next,
        providers: provider_buttons(&ui, &next),
    };
    match ui
        .state()
        .run(move |pool| service::authenticate(pool, policy, credentials))
        .await
    {
        Ok(signed_in) => {
            let mut response = super::two_factor::routes::after_password(&ui, signed_in.user.id, &next, None).await?;
            if let Some(cookie) = crate::web::device::device_cookie(&key, &signed_in.device, secure) {
                response
                    .add_cookie(&cookie)
                    .map_err(|e| AppError::Internal(format!("device cookie: {e}")))?;
            }
            Ok(response)
        }
        Err(AppError::Invalid(errors)) => ui.form_errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            "accounts/login",
            LOGIN_TITLE,
            errors,
            &page,
        ),
        Err(AppError::Throttled(message)) => ui.form_errors(
            StatusCode::TOO_MANY_REQUESTS,
            "accounts/login",
            LOGIN_TITLE,
            vec![crate::error::FieldError::new("email", message)],
            &page,
        ),
        Err(other) => Err(other),
    }
}

pub async fn logout(
    ui: Ui,
    sso: web::Data<crate::accounts::sso::client::Sso>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let through_provider = auth::take_provider_session(ui.session());
    // Ended here and on the server: a copy of the cookie stops working too.
    if let Some((user_id, session_id)) = auth::session_of(ui.session()) {
        let max_age = chrono::Duration::hours(i64::from(ui.state().settings.session_hours));
        ui.state()
            .run(move |pool| service::end_session(pool, user_id, &session_id, max_age))
            .await?;
    }
    auth::log_out(ui.session());
    // Signed in through a provider: its session ends too, and it sends the
    // browser back to the log in page.
    if let Some(kept) = through_provider {
        if let Some((url, label)) = crate::accounts::sso::routes::provider_logout(&ui, &sso, &kept).await {
            return Ok(ui.see_other(
                &url,
                Some(Flash {
                    heading: "You have logged out".into(),
                    body: Some(format!("You have also been signed out of {label} in this browser.")),
                }),
            ));
        }
    }
    Ok(ui.see_other(
        "/login",
        Some(Flash {
            heading: "You have logged out".into(),
            body: None,
        }),
    ))
}

/// "Sign out everywhere": every session of the account, this one too.
pub async fn end_my_sessions(ui: Ui, user: CurrentUser, _form: CsrfForm<NoFields>) -> AppResult<HttpResponse> {
    let (actor, id) = ((*user.0).clone(), user.id);
    ui.state()
        .run(move |pool| service::end_all_sessions(pool, &actor, id))
        .await?;
    auth::log_out(ui.session());
    Ok(ui.see_other(
        "/login",
        Some(Flash {
            heading: "You have been signed out everywhere".into(),
            body: Some("Every browser where you were signed in must log in again.".into()),
        }),
    ))
}

/// A system administrator signs someone out everywhere.
pub async fn end_user_sessions(
    ui: Ui,
    admin: RequireSystemAdmin,
    id: web::Path<i32>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (actor, id) = ((*admin.0.0).clone(), id.into_inner());
    ui.state()
        .run(move |pool| service::end_all_sessions(pool, &actor, id))
        .await?;
    Ok(ui.see_other(
        "/admin/users",
        Some(Flash {
            heading: "Signed out everywhere".into(),
            body: None,
        }),
    ))
}

/// `GET /admin/users/{id}/export.json`: what Quorate holds about the
/// account, for a subject access request (audited).
pub async fn export_user(ui: Ui, admin: RequireSystemAdmin, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let (actor, id) = (admin.0.actor(), id.into_inner());
    let exported = ui
        .state()
        .run(move |pool| super::subject_access::export(pool, &actor, id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"quorate-account-{id}.json\""),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(exported))
}

#[derive(Serialize)]
struct SetupPage<'a> {
    name: &'a str,
    email: &'a str,
    action: String,
}

const SETUP_TITLE: &str = "Set up Quorate";

pub async fn setup_form(ui: Ui, token: web::Path<String>) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let action = format!("/setup/{token}");
    ui.state()
        .run(move |pool| service::check_setup_token(pool, &token))
        .await?;
    ui.page(
        "accounts/setup",
        SETUP_TITLE,
        &SetupPage {
            name: "",
            email: "",
            action,
        },
    )
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn setup(ui: Ui, token: web::Path<String>, form: CsrfForm<SetupForm>) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let form = form.0;
    let page = SetupPage {
        name: &form.name,
        email: &form.email,
        action: format!("/setup/{token}"),
    };
    let admin = FirstAdministrator {
        name: form.name.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
        confirm_password: form.confirm_password.clone(),
    };
    match ui
        .state()
        .run(move |pool| service::complete_setup(pool, &token, admin))
        .await
    {
        Ok(user_id) => {
            let flash = Flash {
                heading: "Your administrator account is ready".into(),
                body: Some("You are logged in as the system administrator.".into()),
            };
            super::two_factor::routes::after_password(&ui, user_id, "/", Some(flash)).await
        }
        Err(AppError::Invalid(errors)) => ui.form_errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            "accounts/setup",
            SETUP_TITLE,
            errors,
            &page,
        ),
        Err(other) => Err(other),
    }
}

pub(super) const ACCOUNT_TITLE: &str = "Your account";

#[derive(Serialize)]
pub(super) struct AccountPage {
    /// What was typed in the change of address form, kept after an error.
    pub(super) new_email: String,
    name: String,
    email: String,
    roles: Vec<String>,
    tokens: Vec<TokenRow>,
    /// A token just created: shown this once.
    new_token: Option<String>,
    two_factor: bool,
    sign_ins: Vec<LinkRow>,
}

/// A linked single sign-on identity.
#[derive(Serialize)]
struct LinkRow {
    id: i32,
    provider: String,
    email: String,
    linked: String,
    last_used: String,
}

#[derive(Serialize)]
struct TokenRow {
    id: i32,
    name: String,
    created: String,
    last_used: String,
    live: bool,
}

pub(super) async fn account_page(ui: &Ui, user: &CurrentUser, new_token: Option<String>) -> AppResult<AccountPage> {
    let user_id = user.id;
    let (tokens, two_factor, links) = ui
        .state()
        .run(move |pool| {
            Ok((
                service::api_tokens(pool, user_id)?,
                super::two_factor::service::is_enrolled(pool, user_id)?,
                super::sso::service::links_of(pool, user_id)?,
            ))
        })
        .await?;
    let providers = &ui.state().settings.sso;
    let sign_ins = links
        .into_iter()
        .map(|l| LinkRow {
            id: l.id,
            provider: providers
                .iter()
                .find(|p| p.id == l.provider)
                .map_or(l.provider.clone(), |p| p.label().to_owned()),
            email: l.email.unwrap_or_default(),
            linked: crate::time::date(l.linked_at),
            last_used: l
                .last_used_at
                .map(crate::time::date_time)
                .unwrap_or_else(|| "Never".into()),
        })
        .collect();
    Ok(AccountPage {
        new_email: String::new(),
        name: user.name.clone(),
        email: user.email.clone(),
        roles: user.roles.iter().map(|r| r.describe()).collect(),
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name,
                created: crate::time::date(t.created_at),
                last_used: t
                    .last_used_at
                    .map(crate::time::date_time)
                    .unwrap_or_else(|| "Never".into()),
                live: t.revoked_at.is_none(),
            })
            .collect(),
        new_token,
        two_factor,
        sign_ins,
    })
}

pub async fn account(ui: Ui, user: CurrentUser) -> AppResult<HttpResponse> {
    let page = account_page(&ui, &user, None).await?;
    ui.page("accounts/account", "Your account", &page)
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

/// Shows the new token on the page itself (not after a redirect), once.
pub async fn create_token(ui: Ui, user: CurrentUser, form: CsrfForm<TokenForm>) -> AppResult<HttpResponse> {
    let (user_id, name) = (user.id, form.0.name);
    match ui
        .state()
        .run(move |pool| service::create_api_token(pool, user_id, &name))
        .await
    {
        Ok(raw) => {
            let page = account_page(&ui, &user, Some(raw)).await?;
            ui.page("accounts/account", "Your account", &page)
        }
        Err(AppError::Invalid(errors)) => {
            let page = account_page(&ui, &user, None).await?;
            ui.form_errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "accounts/account",
                "Your account",
                errors,
                &page,
            )
        }
        Err(other) => Err(other),
    }
}

pub async fn revoke_token(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<i32>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (user_id, id) = (user.id, id.into_inner());
    ui.state()
        .run(move |pool| service::revoke_api_token(pool, user_id, id))
        .await?;
    Ok(ui.see_other(
        "/account",
        Some(Flash {
            heading: "Token revoked".into(),
            body: None,
        }),
    ))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn change_password(ui: Ui, user: CurrentUser, form: CsrfForm<PasswordForm>) -> AppResult<HttpResponse> {
    let form = form.0;
    let change = service::PasswordChange {
        current: form.current_password,
        new: form.new_password,
        confirm: form.confirm_password,
    };
    let user_id = user.id;
    match ui
        .state()
        .run(move |pool| service::change_own_password(pool, user_id, change))
        .await
    {
        Ok(()) => {
            // Older sessions ended with the change; this one starts afresh,
            // with the factors it was signed in with.
            let second_factor = auth::gave_second_factor(ui.session());
            auth::log_in(ui.session(), user_id, second_factor)?;
            Ok(ui.see_other(
                "/account",
                Some(Flash {
                    heading: "Password changed".into(),
                    body: Some("You have been logged out everywhere else.".into()),
                }),
            ))
        }
        Err(AppError::Invalid(errors)) => ui.form_errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            "accounts/account",
            "Your account",
            errors,
            &account_page(&ui, &user, None).await?,
        ),
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct UserRow {
    id: i32,
    name: String,
    email: String,
    roles: Vec<String>,
    two_factor: bool,
}

#[derive(Serialize)]
struct UsersPage {
    users: Vec<UserRow>,
}

pub async fn users(ui: Ui, _admin: RequireSystemAdmin) -> AppResult<HttpResponse> {
    let users = ui
        .state()
        .run(service::list_users)
        .await?
        .into_iter()
        .map(|u| UserRow {
            id: u.user.id,
            name: u.user.name,
            email: u.user.email,
            roles: u.roles.iter().map(|r| r.describe()).collect(),
            two_factor: u.two_factor,
        })
        .collect();
    ui.page("accounts/users", "Users", &UsersPage { users })
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/organisations")), "/organisations");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/", "browsers drop the tab");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/");
        assert_eq!(safe_next(Some("/ballots/1\\..\\x")), "/");
        assert_eq!(safe_next(Some("/ballots/12?x=1")), "/ballots/12?x=1");
        assert_eq!(safe_next(None), "/");
    }
}

#[derive(Serialize)]
struct ForgotPage<'a> {
    email: &'a str,
}

const FORGOT_TITLE: &str = "Reset your password";

pub async fn forgot_password_form(ui: Ui) -> AppResult<HttpResponse> {
    ui.page("accounts/forgot_password", FORGOT_TITLE, &ForgotPage { email: "" })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot_password(ui: Ui, form: CsrfForm<ForgotForm>) -> AppResult<HttpResponse> {
    let email = form.0.email;
    let outbox = ui.state().outbox.clone();
    let address = email.clone();
    match ui
        .state()
        .run(move |pool| service::request_password_reset(pool, &outbox, &address))
        .await
    {
        Ok(()) => ui.page(
            "accounts/forgot_password_sent",
            "Check your email",
            &ForgotPage { email: email.trim() },
        ),
        Err(AppError::Invalid(errors)) => ui.form_errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            "accounts/forgot_password",
            FORGOT_TITLE,
            errors,
            &ForgotPage { email: &email },
        ),
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct PasswordLinkPage {
    heading: &'static str,
    name: String,
    email: String,
    action: String,
}

fn password_link_page(link: service::PasswordLink, token: &str) -> PasswordLinkPage {
    PasswordLinkPage {
        heading: if link.is_invitation {
            "Choose your password"
        } else {
            "Choose a new password"
        },
        name: link.name,
        email: link.email,
        action: format!("/password/{token}"),
    }
}

pub async fn password_link_form(ui: Ui, token: web::Path<String>) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let raw = token.clone();
    let link = ui
        .state()
        .run(move |pool| service::check_password_link(pool, &raw))
        .await?;
    let page = password_link_page(link, &token);
    ui.page("accounts/password_link", page.heading, &page)
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn password_link(
    ui: Ui,
    token: web::Path<String>,
    form: CsrfForm<NewPasswordForm>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let form = form.0;
    let raw = token.clone();
    let result = ui
        .state()
        .run(move |pool| service::set_password_with_link(pool, &raw, &form.password, &form.confirm_password))
        .await;
    match result {
        Ok(user_id) => {
            // A link by email proves the address, not the second factor.
            let flash = Flash {
                heading: "Your password is set".into(),
                body: None,
            };
            super::two_factor::routes::after_password(&ui, user_id, "/", Some(flash)).await
        }
        Err(AppError::Invalid(errors)) => {
            let raw = token.clone();
            let link = ui
                .state()
                .run(move |pool| service::check_password_link(pool, &raw))
                .await?;
            let page = password_link_page(link, &token);
            ui.form_errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "accounts/password_link",
                page.heading,
                errors,
                &page,
            )
        }
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct RoleOption {
    value: &'static str,
    label: &'static str,
    id: String,
    checked: bool,
}

#[derive(Serialize)]
struct InvitePage<'a> {
    name: &'a str,
    email: &'a str,
    org: &'a str,
    roles: Vec<RoleOption>,
}

fn invite_page<'a>(name: &'a str, email: &'a str, org: &'a str, role: &str) -> InvitePage<'a> {
    let roles = super::model::Role::ALL
        .iter()
        .enumerate()
        .map(|(i, r)| RoleOption {
            value: r.as_str(),
            label: r.label(),
            id: if i == 0 {
                "role".to_owned()
            } else {
                format!("role-{}", i + 1)
            },
            checked: r.as_str() == role,
        })
        .collect();
    InvitePage {
        name,
        email,
        org,
        roles,
    }
}

const INVITE_TITLE: &str = "Invite a user";

pub async fn invite_form(ui: Ui, _admin: RequireSystemAdmin) -> AppResult<HttpResponse> {
    ui.page("accounts/invite", INVITE_TITLE, &invite_page("", "", "", ""))
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    org: String,
}

pub async fn invite(ui: Ui, admin: RequireSystemAdmin, form: CsrfForm<InviteForm>) -> AppResult<HttpResponse> {
    let form = form.0;
    let inviter = (*admin.0.0).clone();
    let outbox = ui.state().outbox.clone();
    let invitation = service::Invitation {
        name: form.name.clone(),
        email: form.email.clone(),
        role: form.role.clone(),
        scope_code: Some(form.org.clone()),
    };
    match ui
        .state()
        .run(move |pool| service::invite_user(pool, &outbox, &inviter, invitation))
        .await
    {
        Ok(_) => Ok(ui.see_other(
            "/admin/users",
            Some(Flash {
                heading: "Invitation sent".into(),
                body: Some(format!(
                    "{} will get an email with a link to choose their password.",
                    form.email.trim()
                )),
            }),
        )),
        Err(AppError::Invalid(errors)) => ui.form_errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            "accounts/invite",
            INVITE_TITLE,
            errors,
            &invite_page(&form.name, &form.email, &form.org, &form.role),
        ),
        Err(other) => Err(other),
    }
}

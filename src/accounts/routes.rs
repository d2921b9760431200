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
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n,
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
}

const LOGIN_TITLE: &str = "Log in to Quorate";

pub async fn login_form(ui: Ui, user: MaybeUser, query: web::Query<LoginQuery>) -> AppResult<HttpResponse> {
    let next = safe_next(query.next.as_deref());
    if user.0.is_some() {
        return Ok(ui.see_other(next, None));
    }
    ui.page("accounts/login", LOGIN_TITLE, &LoginPage { email: "", next })
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
        period: chrono::Duration::minutes(i64::from(settings.login_lockout_minutes)),
    };
    let credentials = Credentials {
        email: form.email.clone(),
        password: form.password,
        address: crate::web::client_address(&req, settings),
    };
    let next = safe_next(form.next.as_deref()).to_owned();
    let page = LoginPage {
        email: &form.email,
        next: &next,
    };
    match ui
        .state()
        .run(move |pool| service::authenticate(pool, policy, credentials))
        .await
    {
        Ok(user) => {
            auth::log_in(ui.session(), user.id)?;
            Ok(ui.see_other(&next, None))
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

pub async fn logout(ui: Ui, _form: CsrfForm<NoFields>) -> HttpResponse {
    auth::log_out(ui.session());
    ui.see_other(
        "/login",
        Some(Flash {
            heading: "You have logged out".into(),
            body: None,
        }),
    )
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
            auth::log_in(ui.session(), user_id)?;
            Ok(ui.see_other(
                "/",
                Some(Flash {
                    heading: "Your administrator account is ready".into(),
                    body: Some("You are logged in as the system administrator.".into()),
                }),
            ))
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

#[derive(Serialize)]
struct AccountPage<'a> {
    name: &'a str,
    email: &'a str,
    roles: Vec<String>,
}

fn account_page(user: &CurrentUser) -> AccountPage<'_> {
    AccountPage {
        name: &user.name,
        email: &user.email,
        roles: user.roles.iter().map(|r| r.describe()).collect(),
    }
}

pub async fn account(ui: Ui, user: CurrentUser) -> AppResult<HttpResponse> {
    ui.page("accounts/account", "Your account", &account_page(&user))
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
            // Older sessions ended with the change; this one starts afresh.
            auth::log_in(ui.session(), user_id)?;
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
            &account_page(&user),
        ),
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct UserRow {
    name: String,
    email: String,
    roles: Vec<String>,
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
            name: u.user.name,
            email: u.user.email,
            roles: u.roles.iter().map(|r| r.describe()).collect(),
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
        assert_eq!(safe_next(None), "/");
    }
}

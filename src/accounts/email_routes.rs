//! Pages for changing an account's email address: the owner's request and
//! its confirmation link, and a system administrator's change.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::email_change::{self, OwnChange};
use super::routes::{ACCOUNT_TITLE, account_page};
use super::store::User;
use crate::error::{AppError, AppResult};
use crate::web::auth::{CurrentUser, MaybeUser, RequireSystemAdmin};
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::Ui;
use crate::web::render::Flash;

#[derive(Deserialize)]
pub struct OwnChangeForm {
    #[serde(default)]
    new_email: String,
    #[serde(default)]
    current_password: String,
}

pub async fn request_change(ui: Ui, user: CurrentUser, form: CsrfForm<OwnChangeForm>) -> AppResult<HttpResponse> {
    let form = form.0;
    let outbox = ui.state().outbox.clone();
    let user_id = user.id;
    let change = OwnChange {
        new_email: form.new_email.clone(),
        current_password: form.current_password,
    };
    match ui
        .state()
        .run(move |pool| email_change::request_own_change(pool, &outbox, user_id, change))
        .await
    {
        Ok(address) => Ok(ui.see_other(
            "/account",
            Some(Flash {
                heading: "Check your new email address".into(),
                body: Some(format!(
                    "We sent a link to {address}. Your address changes when you follow it, within 24 hours."
                )),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let mut page = account_page(&ui, &user, None).await?;
            page.new_email = form.new_email;
            ui.form_errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "accounts/account",
                ACCOUNT_TITLE,
                errors,
                &page,
            )
        }
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct ConfirmPage {
    name: String,
    old_email: String,
    new_email: String,
    action: String,
}

const CONFIRM_TITLE: &str = "Confirm your new email address";

pub async fn confirm_form(ui: Ui, token: web::Path<String>) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let raw = token.clone();
    let pending = ui.state().run(move |pool| email_change::check_link(pool, &raw)).await?;
    let page = ConfirmPage {
        name: pending.name,
        old_email: pending.old_email,
        new_email: pending.new_email,
        action: format!("/account/email/{token}"),
    };
    ui.page("accounts/email_confirm", CONFIRM_TITLE, &page)
}

pub async fn confirm(
    ui: Ui,
    user: MaybeUser,
    token: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let raw = token.into_inner();
    let outbox = ui.state().outbox.clone();
    let address = ui
        .state()
        .run(move |pool| email_change::confirm(pool, &outbox, &raw))
        .await?;
    Ok(ui.see_other(
        if user.0.is_some() { "/account" } else { "/login" },
        Some(Flash {
            heading: "Your email address has changed".into(),
            body: Some(format!("You now log in with {address}.")),
        }),
    ))
}

#[derive(Serialize)]
struct AdminChangePage {
    id: i32,
    name: String,
    email: String,
    new_email: String,
}

const ADMIN_TITLE: &str = "Change a user's email address";

async fn find_user(ui: &Ui, id: i32) -> AppResult<User> {
    ui.state()
        .run(move |pool| {
            let mut conn = pool.get()?;
            User::find(&mut conn, id)?.ok_or(AppError::NotFound)
        })
        .await
}

pub async fn admin_form(ui: Ui, _admin: RequireSystemAdmin, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let user = find_user(&ui, id.into_inner()).await?;
    let page = AdminChangePage {
        id: user.id,
        name: user.name,
        email: user.email,
        new_email: String::new(),
    };
    ui.page("accounts/user_email", ADMIN_TITLE, &page)
}

#[derive(Deserialize)]
pub struct AdminChangeForm {
    #[serde(default)]
    email: String,
}

pub async fn admin_change(
    ui: Ui,
    admin: RequireSystemAdmin,
    id: web::Path<i32>,
    form: CsrfForm<AdminChangeForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let new_email = form.0.email;
    let admin_user = (*admin.0.0).clone();
    let outbox = ui.state().outbox.clone();
    let address = new_email.clone();
    match ui
        .state()
        .run(move |pool| email_change::set_by_system_admin(pool, &outbox, &admin_user, id, &address))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            "/admin/users",
            Some(Flash {
                heading: "Email address changed".into(),
                body: Some(format!(
                    "Both the old and the new address have been told; links sent to the old address no longer work. It is now {}.",
                    new_email.trim()
                )),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let user = find_user(&ui, id).await?;
            let page = AdminChangePage {
                id: user.id,
                name: user.name,
                email: user.email,
                new_email,
            };
            ui.form_errors(StatusCode::UNPROCESSABLE_ENTITY, "accounts/user_email", ADMIN_TITLE, errors, &page)
        }
        Err(other) => Err(other),
    }
}

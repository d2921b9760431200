//! `Ui`: what a handler uses to answer with a page or a redirect.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_session::{Session, SessionExt};
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};
use serde::Serialize;

use super::AppState;
use super::auth::MaybeUser;
use super::render::{Flash, Layout, NavItem, Viewer, render};
use crate::accounts::model::Role;
use crate::accounts::service::SessionUser;
use crate::error::{AppError, AppResult, FieldError};

const FLASH_KEY: &str = "flash";

pub struct Ui {
    state: web::Data<AppState>,
    session: Session,
    user: Option<Rc<SessionUser>>,
    path: String,
}

impl FromRequest for Ui {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = MaybeUser::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let session = req.get_session();
        let path = req.path().to_owned();
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::Internal("application state missing".into()))?;
            Ok(Ui {
                state,
                session,
                user: user.await?.0,
                path,
            })
        })
    }
}

impl Ui {
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn page<T: Serialize>(&self, template: &str, title: &str, page: &T) -> AppResult<HttpResponse> {
        self.page_with_status(StatusCode::OK, template, title, Vec::new(), page)
    }

    /// A form's page: 200 when it is shown fresh, 422 when it comes back
    /// with `errors` (an error summary, and the answers kept).
    pub fn form_page<T: Serialize>(
        &self,
        template: &str,
        title: &str,
        errors: Vec<FieldError>,
        page: &T,
    ) -> AppResult<HttpResponse> {
        let status = if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        self.page_with_status(status, template, title, errors, page)
    }

    /// The form again, with an error summary and the answers kept.
    pub fn form_errors<T: Serialize>(
        &self,
        status: StatusCode,
        template: &str,
        title: &str,
        errors: Vec<FieldError>,
        page: &T,
    ) -> AppResult<HttpResponse> {
        self.page_with_status(status, template, title, errors, page)
    }

    fn page_with_status<T: Serialize>(
        &self,
        status: StatusCode,
        template: &str,
        title: &str,
        errors: Vec<FieldError>,
        page: &T,
    ) -> AppResult<HttpResponse> {
        let flash = self.take_flash();
        let layout = Layout {
            title: title.to_owned(),
            csrf: super::csrf::token(&self.session),
            viewer: self.user.as_deref().map(viewer),
            nav: navigation(self.user.as_deref(), &self.path),
            flash,
            errors,
            nhs_branding: self.state.settings.nhs_branding,
            operator_name: self.state.settings.operator_name.clone(),
        };
        let html = render(&self.state.templates, template, &layout, page).map_err(AppError::Internal)?;
        Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html))
    }

    /// 303 See Other, with a banner for the next page.
    pub fn see_other(&self, location: &str, flash: Option<Flash>) -> HttpResponse {
        if let Some(flash) = flash {
            let _ = self.session.insert(FLASH_KEY, flash);
        }
        see_other(location)
    }

    fn take_flash(&self) -> Option<Flash> {
        let flash = self.session.get::<Flash>(FLASH_KEY).ok().flatten();
        if flash.is_some() {
            self.session.remove(FLASH_KEY);
        }
        flash
    }
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

fn viewer(user: &SessionUser) -> Viewer {
    Viewer {
        name: user.name.clone(),
        roles: user.roles.iter().map(|r| r.describe()).collect(),
    }
}

/// Header links for what the user's roles let them reach.
pub fn navigation(user: Option<&SessionUser>, path: &str) -> Vec<NavItem> {
    let Some(user) = user else {
        return Vec::new();
    };
    let grants = user.grants();
    let mut items = vec![("/", "Home")];
    let has_organisation_role = grants
        .0
        .iter()
        .any(|g| g.organisation_id.is_some() || g.role == Role::SystemAdmin);
    if has_organisation_role {
        items.push(("/organisations", "Organisations"));
    }
    if grants.has_role(Role::LmcObserver) {
        items.push(("/lmc", "LMC dashboard"));
    }
    if grants.is_system_admin() {
        items.push(("/admin/users", "Users"));
    }
    items.push(("/account", "Your account"));
    items
        .into_iter()
        .map(|(href, label)| NavItem {
            href,
            label,
            current: if href == "/" {
                path == "/"
            } else {
                path == href || path.starts_with(&format!("{href}/"))
            },
        })
        .collect()
}

/// A file to download, its name kept to printable ASCII so the header
/// cannot be broken by what an uploader called it.
pub fn attachment(file_name: &str, content_type: String, body: Vec<u8>) -> actix_web::HttpResponse {
    let ascii: String = file_name
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' })
        .collect();
    actix_web::HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", ascii.replace('"', "_")),
        ))
        .body(body)
}

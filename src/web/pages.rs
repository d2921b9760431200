//! Pages that belong to no feature: home and the accessibility statement.

use actix_web::HttpResponse;
use serde::Serialize;

use super::auth::CurrentUser;
use super::page::Ui;
use crate::error::{AppError, AppResult};

#[derive(Serialize)]
struct Link {
    href: String,
    label: String,
    hint: String,
}

#[derive(Serialize)]
struct HomePage {
    name: String,
    roles: Vec<String>,
    links: Vec<Link>,
}

pub async fn home(ui: Ui, user: CurrentUser) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let mut links = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for role in &user.roles {
        if let (Some(code), Some(name)) = (&role.organisation_code, &role.organisation_name) {
            if seen.insert(code.clone()) {
                links.push(Link {
                    href: format!("/organisations/{code}"),
                    label: name.clone(),
                    hint: role.grant.role.label().to_owned(),
                });
            }
        }
    }
    if grants.is_system_admin() {
        links.push(Link {
            href: "/organisations".into(),
            label: "All organisations".into(),
            hint: "System administrator".into(),
        });
        links.push(Link {
            href: "/admin/users".into(),
            label: "User accounts".into(),
            hint: "System administrator".into(),
        });
    }
    let page = HomePage {
        name: user.name.clone(),
        roles: user.roles.iter().map(|r| r.describe()).collect(),
        links,
    };
    ui.page("home", "Home", &page)
}

pub async fn accessibility(ui: Ui) -> AppResult<HttpResponse> {
    ui.page("accessibility", "Accessibility statement", &serde_json::json!({}))
}

pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

//! Pages that belong to no feature: the accessibility statement, the
//! privacy notice and 404.

use super::page::Ui;
use crate::error::{AppError, AppResult};
use actix_web::HttpResponse;

pub async fn accessibility(ui: Ui) -> AppResult<HttpResponse> {
    let contact = ui.state().settings.operator_email.clone();
    ui.page(
        "accessibility",
        "Accessibility statement",
        &serde_json::json!({ "contact": contact }),
    )
}

/// The privacy notice, with this server's retention settings.
pub async fn privacy(ui: Ui) -> AppResult<HttpResponse> {
    let settings = &ui.state().settings;
    let page = serde_json::json!({
        "contact": settings.operator_email,
        "voting_links_days": settings.retain_voting_links_days,
        "messages_days": settings.retain_messages_days,
        "sign_in_days": settings.retain_sign_in_records_days,
    });
    ui.page("privacy", "Privacy notice", &page)
}

pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

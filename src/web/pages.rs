//! Pages that belong to no feature: the accessibility statement and 404.

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

pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

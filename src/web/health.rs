//! `GET /healthz`: 200 when the database answers, 503 when it does not.

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;
use serde_json::json;

use super::AppState;

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let database_ok = web::block(move || {
        pool.get()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| conn.batch_execute("SELECT 1").map_err(|e| e.to_string()))
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    match database_ok {
        Ok(()) => HttpResponse::Ok().json(json!({
            "status": "ok",
            "database": "ok",
            "version": env!("CARGO_PKG_VERSION"),
        })),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database does not answer");
            HttpResponse::ServiceUnavailable().json(json!({
                "status": "unavailable",
                "database": "error",
                "version": env!("CARGO_PKG_VERSION"),
            }))
        }
    }
}

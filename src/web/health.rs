//! Liveness and readiness, for a load balancer or an orchestrator.
//!
//! `GET /healthz` (liveness): 200 while the process answers at all; a
//! database outage does not make every server look dead and be restarted.
//! `GET /readyz` (readiness): 200 when this server can serve — its database
//! answers — and 503 when it cannot, so the balancer sends requests elsewhere.

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;
use serde_json::json;

use super::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
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
            "status": "ready",
            "database": "ok",
            "version": env!("CARGO_PKG_VERSION"),
        })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            HttpResponse::ServiceUnavailable().json(json!({
                "status": "unavailable",
                "database": "error",
                "version": env!("CARGO_PKG_VERSION"),
            }))
        }
    }
}

//! `/healthz` says 503 when the database does not answer: here a real
//! PostgreSQL client pointed at a loopback port where nothing listens.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, test as atest, web};
use quorate::config::Settings;
use quorate::db::{DatabaseUrl, Manager};
use quorate::web::{AppState, health, render};

#[actix_web::test]
async fn healthz_is_503_when_the_database_does_not_answer() {
    // Port 9 (discard) on loopback: nothing listens there on this machine.
    let url = DatabaseUrl::parse("postgres://quorate@127.0.0.1:9/quorate").expect("url");
    let pool = diesel::r2d2::Pool::builder()
        .connection_timeout(Duration::from_millis(500))
        .build_unchecked(Manager::new(url));
    let settings = Settings::load_from(None, Vec::new()).expect("defaults");
    let state = web::Data::new(AppState {
        pool,
        templates: render::load_templates().expect("templates"),
        settings: Arc::new(settings),
    });
    let app = atest::init_service(
        App::new()
            .app_data(state)
            .route("/healthz", web::get().to(health::healthz)),
    )
    .await;
    let response =
        atest::call_service(&app, atest::TestRequest::get().uri("/healthz").to_request()).await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = atest::read_body_json(response).await;
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], "error");
}

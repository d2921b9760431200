//! `/readyz` says 503 when the database does not answer (and `/healthz`,
//! liveness, still 200): here a real PostgreSQL client pointed at a
//! loopback port where nothing listens.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, test as atest, web};
use quorate::config::Settings;
use quorate::db::{DatabaseUrl, Manager};
use quorate::web::{AppState, health, render};

/// The defaults, with a secret key given so nothing is written to disk.
fn test_settings() -> Settings {
    Settings::load_from(None, vec![("QUORATE_SECRET_KEY".to_owned(), "k".repeat(48))]).expect("defaults")
}

fn vote_writer(settings: &Settings) -> quorate::ballots::casting::VoteWriter {
    let url = DatabaseUrl::parse("sqlite://:memory:").expect("url");
    let pool = diesel::r2d2::Pool::builder().build_unchecked(Manager::new(url));
    let outbox = quorate::mail::service::Outbox::new(settings).expect("outbox");
    quorate::ballots::casting::VoteWriter::start(pool, outbox)
        .expect("vote writer")
        .0
}

#[actix_web::test]
async fn readyz_is_503_when_the_database_does_not_answer_and_healthz_still_200() {
    // Port 9 (discard) on loopback: nothing listens there on this machine.
    let url = DatabaseUrl::parse("postgres://quorate@127.0.0.1:9/quorate").expect("url");
    let pool = diesel::r2d2::Pool::builder()
        .connection_timeout(Duration::from_millis(500))
        .build_unchecked(Manager::new(url));
    let settings = test_settings();
    let state = web::Data::new(AppState::new(
        pool,
        render::load_templates().expect("templates"),
        Arc::new(settings.clone()),
        quorate::mail::service::Outbox::new(&settings).expect("outbox"),
        vote_writer(&settings),
        actix_web::cookie::Key::generate(),
        quorate::mail::seal::Sealer::for_account_secrets("a secret key of at least thirty-two characters"),
    ));
    let app = atest::init_service(
        App::new()
            .app_data(state)
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz)),
    )
    .await;
    let response = atest::call_service(&app, atest::TestRequest::get().uri("/healthz").to_request()).await;
    assert_eq!(response.status(), 200, "alive, though not ready");
    let response = atest::call_service(&app, atest::TestRequest::get().uri("/readyz").to_request()).await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = atest::read_body_json(response).await;
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], "error");
}

/// A request that fails inside gets the 500 page with a reference that is
/// also in the log and the `x-request-id` header, and no internal detail.
#[actix_web::test]
async fn a_server_error_shows_the_request_id_and_hides_the_detail() {
    use actix_web::middleware::from_fn;
    use quorate::error::AppError;
    use quorate::web::{error::error_pages, middleware::request_log};

    async fn broken() -> Result<actix_web::HttpResponse, AppError> {
        Err(AppError::Internal("secret detail: connection string xyz".into()))
    }
    let url = DatabaseUrl::parse("sqlite://:memory:").expect("url");
    let settings = test_settings();
    let state = web::Data::new(AppState::new(
        diesel::r2d2::Pool::builder().build_unchecked(Manager::new(url)),
        render::load_templates().expect("templates"),
        Arc::new(settings.clone()),
        quorate::mail::service::Outbox::new(&settings).expect("outbox"),
        vote_writer(&settings),
        actix_web::cookie::Key::generate(),
        quorate::mail::seal::Sealer::for_account_secrets("a secret key of at least thirty-two characters"),
    ));
    let app = atest::init_service(
        App::new()
            .app_data(state)
            .wrap(from_fn(error_pages))
            .wrap(from_fn(request_log))
            .route("/broken", web::get().to(broken)),
    )
    .await;
    let response = atest::call_service(&app, atest::TestRequest::get().uri("/broken").to_request()).await;
    assert_eq!(response.status(), 500);
    let request_id = response
        .headers()
        .get("x-request-id")
        .expect("request id")
        .to_str()
        .expect("text")
        .to_owned();
    let body = String::from_utf8(atest::read_body(response).await.to_vec()).expect("utf-8");
    assert!(body.contains("Sorry, there is a problem with the service"), "{body}");
    assert!(body.contains(&format!("<strong>{request_id}</strong>")), "{body}");
    assert!(!body.contains("secret detail"), "{body}");
}

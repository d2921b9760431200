//! `/metrics` (Prometheus text format, read here by a parser of that
//! format), liveness and readiness, and log lines as JSON: through the real
//! server and a real vote, on both databases; the JSON log through the
//! real binary.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::ballots::{action, create_ballot, electorate, open_when_due, vote_with_link, voting_links};
use common::{Backend, TestApp};
use serde_json::json;

const TOKEN: &str = "a-metrics-token-for-the-tests-0123";

async fn scrape(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("GET /metrics")
}

fn samples<'a>(scrape: &'a prometheus_parse::Scrape, name: &str) -> Vec<&'a prometheus_parse::Sample> {
    scrape.samples.iter().filter(|s| s.metric == name).collect()
}

fn value(sample: &prometheus_parse::Sample) -> f64 {
    match &sample.value {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => *v,
        other => panic!("not a number: {other:?}"),
    }
}

async fn metrics_count_requests_and_votes_for_whoever_holds_the_token(backend: Backend) {
    let app = common::spawn_app_configured(backend, &[("QUORATE_METRICS_TOKEN", TOKEN)], None).await;
    assert_eq!(scrape(&app, None).await.status(), 401);
    assert_eq!(scrape(&app, Some("not-the-token-not-the-token")).await.status(), 401);

    let e = electorate(&app, &[1_000, 2_000]);
    let ballot = create_ballot(&app, &e, json!({})).await;
    assert_eq!(action(&app, &e, ballot, "publish", None).await.0, 200);
    open_when_due(&app, &e, ballot).await;
    let rep = e.practices[0].2.clone();
    let token = voting_links(&app, ballot)[&rep].clone();
    assert_eq!(vote_with_link(&app, ballot, &token, "for").await.0, 201);
    for _ in 0..3 {
        assert_eq!(app.get("/login").await.status(), 200);
    }
    assert_eq!(app.get("/no/such/page").await.status(), 404);

    let response = scrape(&app, Some(TOKEN)).await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().expect("type").to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = response.text().await.expect("body");
    assert!(!text.contains(&token), "a voting link's token never appears");
    let parsed =
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text format");

    let login = samples(&parsed, "quorate_http_requests_total")
        .into_iter()
        .find(|s| {
            s.labels.get("route") == Some("/login")
                && s.labels.get("method") == Some("GET")
                && s.labels.get("status") == Some("200")
        })
        .unwrap_or_else(|| panic!("/login in {text}"));
    assert_eq!(value(login), 3.0);
    assert!(
        samples(&parsed, "quorate_http_requests_total")
            .iter()
            .any(|s| s.labels.get("route") == Some("unmatched") && s.labels.get("status") == Some("404")),
        "{text}"
    );
    // The vote is counted under its route pattern, not its address.
    assert!(
        samples(&parsed, "quorate_http_requests_total").iter().any(|s| {
            s.labels.get("route") == Some("/api/v1/ballots/:id/votes") && s.labels.get("status") == Some("201")
        }),
        "{text}"
    );
    let latency = parsed
        .samples
        .iter()
        .find(|s| s.metric == "quorate_http_request_duration_seconds" && s.labels.get("route") == Some("/login"))
        .unwrap_or_else(|| panic!("a latency histogram for /login in {text}"));
    match &latency.value {
        prometheus_parse::Value::Histogram(buckets) => {
            let last = buckets.last().expect("buckets");
            assert!(last.less_than.is_infinite() && last.count == 3.0, "{buckets:?}");
            assert!(
                buckets.windows(2).all(|w| w[0].count <= w[1].count),
                "cumulative: {buckets:?}"
            );
        }
        other => panic!("not a histogram: {other:?}"),
    }
    assert_eq!(value(samples(&parsed, "quorate_votes_accepted_total")[0]), 1.0);
    let outbox: f64 = samples(&parsed, "quorate_outbox_messages").into_iter().map(value).sum();
    assert!(outbox >= 2.0, "the notices are in the outbox: {text}");
    assert!(value(samples(&parsed, "quorate_db_pool_max_connections")[0]) >= 1.0);
    assert_eq!(
        parsed.docs.get("quorate_votes_accepted_total").map(String::as_str),
        Some("Votes this server's vote writer committed.")
    );
}

#[actix_web::test]
async fn metrics_on_sqlite() {
    metrics_count_requests_and_votes_for_whoever_holds_the_token(Backend::Sqlite).await;
}

#[cfg(quorate_pg_tests)]
#[actix_web::test]
async fn metrics_on_postgres() {
    metrics_count_requests_and_votes_for_whoever_holds_the_token(Backend::Postgres).await;
}

#[actix_web::test]
async fn without_a_token_set_metrics_are_off() {
    let app = common::spawn_app(Backend::Sqlite).await;
    assert_eq!(scrape(&app, Some(TOKEN)).await.status(), 404);
}

#[test]
fn a_short_metrics_token_is_refused_when_the_settings_load() {
    let error =
        quorate::config::Settings::load_from(None, vec![("QUORATE_METRICS_TOKEN".to_owned(), "short".to_owned())])
            .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("metrics_token must be at least 16 characters"),
        "{error}"
    );
}

/// `log_format = "json"`: every line the server writes is one JSON object.
#[actix_web::test]
async fn the_server_logs_json_lines_when_asked() {
    use std::io::Read;
    let dir = tempfile::tempdir().expect("dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_quorate"))
        .env_clear()
        .env("QUORATE_BIND", "127.0.0.1:0")
        .env("QUORATE_LOG", "info")
        .env("QUORATE_LOG_FORMAT", "json")
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start quorate");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let started = Instant::now();
    let mut port = None;
    let mut line = String::new();
    while port.is_none() && started.elapsed() < Duration::from_secs(30) {
        line.clear();
        if stdout.read_line(&mut line).expect("read") == 0 {
            break;
        }
        port = line
            .split("listening on port ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse::<u16>().ok());
    }
    let port = port.expect("the server says which port it listens on");
    let health = common::client()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let _ = child.kill();
    let _ = child.wait();
    let mut logged = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut logged)
        .expect("read the log");
    let lines: Vec<&str> = logged.lines().collect();
    assert!(!lines.is_empty(), "the server logged nothing");
    for line in &lines {
        let object: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(object["level"].is_string() && object["timestamp"].is_string(), "{line}");
    }
    let request = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|o| o["message"] == "request")
        .unwrap_or_else(|| panic!("the request's line in {logged}"));
    assert_eq!(request["path"], "/healthz");
    assert_eq!(request["status"], 200);
}

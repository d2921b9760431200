//! `GET /metrics`: what an operator's Prometheus scrapes, in its text
//! exposition format (version 0.0.4). Requests by route pattern, method and
//! status, request latency histograms, votes accepted, the outbox by state,
//! scheduler rounds and the database pool. Counters live in this server's
//! memory (each server of several is scraped on its own); the outbox is
//! read from the shared database when scraped.
//!
//! Off unless `metrics_token` is set: then only a request bearing it reads
//! the figures (the route names and counts say how the service is used).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::{HttpRequest, HttpResponse, web};
use diesel::prelude::*;

use super::AppState;
use crate::error::{AppError, AppResult};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Default, Clone)]
struct Histogram {
    /// Observations at or below each bucket's bound (not cumulative here).
    counts: [u64; BUCKETS.len()],
    over: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        match BUCKETS.iter().position(|bound| seconds <= *bound) {
            Some(i) => self.counts[i] += 1,
            None => self.over += 1,
        }
        self.sum += seconds;
    }

    fn count(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.over
    }
}

#[derive(Default)]
struct Requests {
    /// (route, method, status) → answered.
    answered: BTreeMap<(String, String, u16), u64>,
    /// (route, method) → latency.
    latency: BTreeMap<(String, String), Histogram>,
}

/// This server's counters.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<Requests>,
    scheduler_rounds: AtomicU64,
    scheduler_failures: AtomicU64,
}

impl Metrics {
    /// One request answered: its route pattern (never the path itself, which
    /// may hold a secret, and whose variety would be unbounded), its
    /// parameters written `:name` rather than `{name}`, as dashboards expect
    /// and as simple parsers of the format can read.
    pub fn observe_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let route = route_label(route);
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .answered
                .entry((route.clone(), method.to_owned(), status))
                .or_default() += 1;
            requests
                .latency
                .entry((route, method.to_owned()))
                .or_default()
                .observe(seconds);
        }
    }

    pub fn scheduler_round(&self, succeeded: bool) {
        self.scheduler_rounds.fetch_add(1, Ordering::Relaxed);
        if !succeeded {
            self.scheduler_failures.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// `/ballots/{id}/votes` → `/ballots/:id/votes` (and `{path:.*}` → `:path`).
fn route_label(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..open + close];
        out.push(':');
        out.push_str(name.split(':').next().unwrap_or(name));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// A label value as the text format writes it.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// What the database says at scrape time.
pub struct Shared {
    pub outbox: Vec<(String, i64)>,
    pub pool_connections: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
}

/// The whole exposition.
pub fn render(metrics: &Metrics, votes_accepted: u64, shared: &Shared) -> String {
    let mut out = String::new();
    family(&mut out, "quorate_build_info", "gauge", "The running version.");
    let _ = writeln!(out, "quorate_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));

    let (answered, latency) = match metrics.requests.lock() {
        Ok(requests) => (requests.answered.clone(), requests.latency.clone()),
        Err(_) => (BTreeMap::new(), BTreeMap::new()),
    };
    family(
        &mut out,
        "quorate_http_requests_total",
        "counter",
        "HTTP requests answered, by route pattern, method and status.",
    );
    for ((route, method, status), count) in &answered {
        let _ = writeln!(
            out,
            "quorate_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {count}",
            label(route),
            label(method)
        );
    }
    family(
        &mut out,
        "quorate_http_request_duration_seconds",
        "histogram",
        "Time to answer a request, by route pattern and method.",
    );
    for ((route, method), histogram) in &latency {
        let labels = format!("route=\"{}\",method=\"{}\"", label(route), label(method));
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(histogram.counts) {
            cumulative += count;
            let _ = writeln!(
                out,
                "quorate_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
            );
        }
        let total = histogram.count();
        let _ = writeln!(
            out,
            "quorate_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {total}"
        );
        let _ = writeln!(
            out,
            "quorate_http_request_duration_seconds_sum{{{labels}}} {}",
            histogram.sum
        );
        let _ = writeln!(out, "quorate_http_request_duration_seconds_count{{{labels}}} {total}");
    }

    family(
        &mut out,
        "quorate_votes_accepted_total",
        "counter",
        "Votes this server's vote writer committed.",
    );
    let _ = writeln!(out, "quorate_votes_accepted_total {votes_accepted}");

    family(
        &mut out,
        "quorate_outbox_messages",
        "gauge",
        "Messages in the shared outbox, by state.",
    );
    for (state, count) in &shared.outbox {
        let _ = writeln!(out, "quorate_outbox_messages{{state=\"{}\"}} {count}", label(state));
    }

    family(
        &mut out,
        "quorate_scheduler_rounds_total",
        "counter",
        "Rounds of the ballot scheduler this server ran, by outcome.",
    );
    let rounds = metrics.scheduler_rounds.load(Ordering::Relaxed);
    let failures = metrics.scheduler_failures.load(Ordering::Relaxed);
    let _ = writeln!(
        out,
        "quorate_scheduler_rounds_total{{outcome=\"ok\"}} {}",
        rounds.saturating_sub(failures)
    );
    let _ = writeln!(out, "quorate_scheduler_rounds_total{{outcome=\"failed\"}} {failures}");

    family(
        &mut out,
        "quorate_db_pool_connections",
        "gauge",
        "Database connections of this server's pool, by state.",
    );
    let in_use = shared.pool_connections.saturating_sub(shared.pool_idle);
    let _ = writeln!(
        out,
        "quorate_db_pool_connections{{state=\"idle\"}} {}",
        shared.pool_idle
    );
    let _ = writeln!(out, "quorate_db_pool_connections{{state=\"in_use\"}} {in_use}");
    family(
        &mut out,
        "quorate_db_pool_max_connections",
        "gauge",
        "The most connections this server's pool opens.",
    );
    let _ = writeln!(out, "quorate_db_pool_max_connections {}", shared.pool_max);
    out
}

fn outbox_by_state(pool: &crate::db::Pool) -> AppResult<Vec<(String, i64)>> {
    use crate::db::schema::outbox_messages;
    let mut conn = pool.get()?;
    Ok(outbox_messages::table
        .group_by(outbox_messages::state)
        .select((outbox_messages::state, diesel::dsl::count_star()))
        .order(outbox_messages::state.asc())
        .load::<(String, i64)>(&mut conn)?)
}

pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let Some(expected) = state.settings.metrics_token.as_ref() else {
        return Err(AppError::NotFound);
    };
    let given = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !crate::token::constant_time_eq(given, expected.expose()) {
        return Ok(HttpResponse::Unauthorized()
            .insert_header(("www-authenticate", "Bearer realm=\"metrics\""))
            .body("A bearer token (the metrics_token setting) is needed.\n"));
    }
    let pool = state.pool.clone();
    let outbox = state.run(move |_| outbox_by_state(&pool)).await?;
    let pool_state = state.pool.state();
    let shared = Shared {
        outbox,
        pool_connections: pool_state.connections,
        pool_idle: pool_state.idle_connections,
        pool_max: state.pool.max_size(),
    };
    let body = render(&state.metrics, state.votes.accepted(), &shared);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_end_with_every_observation() {
        let metrics = Metrics::default();
        for seconds in [0.001, 0.02, 0.02, 3.0, 60.0] {
            metrics.observe_request("/login", "GET", 200, seconds);
        }
        metrics.observe_request("/vote/{token}", "POST", 303, 0.2);
        assert_eq!(route_label("/assets/{path:.*}"), "/assets/:path");
        assert_eq!(route_label("/odd/{unclosed"), "/odd/{unclosed");
        assert_eq!(
            route_label("/organisations/{code}/account-requests/{id}"),
            "/organisations/:code/account-requests/:id"
        );
        let shared = Shared {
            outbox: vec![("queued".into(), 2)],
            pool_connections: 3,
            pool_idle: 1,
            pool_max: 10,
        };
        let text = render(&metrics, 7, &shared);
        let line = |start: &str| {
            text.lines()
                .find(|l| l.starts_with(start))
                .unwrap_or_else(|| panic!("{start} in {text}"))
                .rsplit(' ')
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(
            line("quorate_http_requests_total{route=\"/login\",method=\"GET\",status=\"200\"}"),
            "5"
        );
        assert_eq!(
            line("quorate_http_request_duration_seconds_bucket{route=\"/login\",method=\"GET\",le=\"0.005\"}"),
            "1"
        );
        assert_eq!(
            line("quorate_http_request_duration_seconds_bucket{route=\"/login\",method=\"GET\",le=\"0.025\"}"),
            "3"
        );
        assert_eq!(
            line("quorate_http_request_duration_seconds_bucket{route=\"/login\",method=\"GET\",le=\"5\"}"),
            "4"
        );
        assert_eq!(
            line("quorate_http_request_duration_seconds_bucket{route=\"/login\",method=\"GET\",le=\"+Inf\"}"),
            "5"
        );
        assert_eq!(
            line("quorate_http_request_duration_seconds_count{route=\"/login\",method=\"GET\"}"),
            "5"
        );
        assert_eq!(line("quorate_votes_accepted_total"), "7");
        assert_eq!(line("quorate_db_pool_connections{state=\"in_use\"}"), "2");
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

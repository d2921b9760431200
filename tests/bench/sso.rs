//! Single sign-on round trips: `cargo bench --bench sso -- [--sign-ins N] [--total M]`
//!
//! Starts the test OpenID Connect provider (panva's oidc-provider from
//! `tests/oidc`, on Node.js) and Quorate (release build, SQLite) on
//! loopback, then signs one account in M times in a row (default 1,000)
//! through the whole round trip: Quorate's "Sign in with …" (discovery is
//! cached), the provider's authorisation and its (non-interactive) log in,
//! Quorate's callback with the code exchange and the ID token's checks,
//! and the home page. It prints p50, p95 and p99 of the first N round
//! trips (default 200), the rate, and the resident memory of this process
//! (the server and the client share it) before the first and after the
//! last sign-in.

#[path = "../common/mod.rs"]
mod common;

use std::time::Instant;

use common::measure::{option, percentile, rss_kib};

async fn sign_in(w: &common::oidc::World) {
    let response = w.sign_in_as("plain", "jo").await;
    assert_eq!(common::oidc::location(&response), "/", "signed in");
    let (status, _) = w.app.get_text("/").await;
    assert_eq!(status, 200);
}

fn main() {
    let measured = option("--sign-ins", 200).clamp(1, 10_000);
    let total = option("--total", 1_000).clamp(measured, 20_000);
    actix_web::rt::System::new().block_on(async {
        let w = common::oidc::world(common::Backend::Sqlite, &[]).await;
        w.app.create_user("jo@example.org", "system_admin", None);
        // The first links the account and reads the provider's metadata.
        sign_in(&w).await;
        let before = rss_kib();
        let mut times = Vec::with_capacity(measured);
        let started = Instant::now();
        for i in 0..total {
            let at = Instant::now();
            sign_in(&w).await;
            if i < measured {
                times.push(at.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        times.sort_by(f64::total_cmp);
        println!("== single sign-on through the loopback provider (SQLite, release build)");
        println!(
            "round trip over {} sign-ins: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            times.len(),
            percentile(&times, 0.50),
            percentile(&times, 0.95),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or(0.0)
        );
        println!("{total} sign-ins in {seconds:.1} s ({:.1} per second, one at a time)", total as f64 / seconds);
        println!(
            "resident memory (server and client in one process): {} MiB after the first sign-in, {} MiB after {total} more",
            before / 1024,
            rss_kib() / 1024
        );
        w.app.stop().await;
    });
}

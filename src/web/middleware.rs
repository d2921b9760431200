//! Request ids, one log line per request, and security headers.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};

/// Identifies one request in the logs and on the 500 page.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    fn new() -> Self {
        RequestId(crate::token::random_token(9))
    }
}

const REQUEST_ID_HEADER: &str = "x-request-id";

/// Logs method, route, status and time with the request id. Routes are
/// logged by pattern (`/setup/{token}`) so secrets in paths stay out of logs.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = RequestId::new();
    req.extensions_mut().insert(id.clone());
    let method = req.method().to_string();
    let started = Instant::now();
    let result = next.call(req).await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(mut res) => {
            let pattern = res.request().match_pattern();
            if let Some(state) = res.request().app_data::<actix_web::web::Data<super::AppState>>() {
                // Unmatched paths are one series: their variety is unbounded.
                state.metrics.observe_request(
                    pattern.as_deref().unwrap_or("unmatched"),
                    &method,
                    res.status().as_u16(),
                    elapsed_ms / 1000.0,
                );
            }
            let route = pattern.unwrap_or_else(|| res.request().path().to_owned());
            tracing::info!(
                request_id = %id.0,
                method = %method,
                path = %route,
                status = res.status().as_u16(),
                ms = format_args!("{elapsed_ms:.1}"),
                "request"
            );
            if let Ok(value) = HeaderValue::from_str(&id.0) {
                res.headers_mut()
                    .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
            }
            Ok(res)
        }
        Err(e) => {
            tracing::error!(request_id = %id.0, method = %method, error = %e, "request failed");
            Err(e)
        }
    }
}

/// Our pages load nothing from other sites and run no script. Forms post
/// here only, or — logging out of a session that came through a single
/// sign-on provider, whose answer redirects there — to the providers
/// (`form-action` also governs where a form's answer may redirect).
pub fn content_security_policy(providers: &[String]) -> String {
    let mut form_action = String::from("'self'");
    for origin in providers {
        form_action.push(' ');
        form_action.push_str(origin);
    }
    format!(
        "default-src 'self'; img-src 'self'; style-src 'self'; font-src 'self'; script-src 'none'; \
         connect-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
}

pub fn security_headers(content_security_policy: &str) -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, content_security_policy.to_owned()))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            "permissions-policy",
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ))
        .add(("cross-origin-opener-policy", "same-origin"))
        .add((header::CACHE_CONTROL, "no-store"))
}

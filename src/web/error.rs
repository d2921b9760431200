//! The one place where errors become responses: an HTML page in the
//! NHS.UK style, or JSON for `/api/` routes.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use serde_json::json;

use super::AppState;
use super::middleware::RequestId;
use super::render::{Layout, render};
use crate::error::{AppError, FieldError};

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::LoginRequired => StatusCode::UNAUTHORIZED,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) | AppError::Busy(_) | AppError::NotSetUp { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A bare status; `error_pages` fills in the body, since only it sees the request.
    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::new(self.status_code());
        if let AppError::Busy(_) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("30"));
        }
        response
    }
}

/// What an error page says.
#[derive(serde::Serialize)]
struct ErrorPage {
    heading: String,
    paragraphs: Vec<String>,
    errors: Vec<FieldError>,
    request_id: Option<String>,
    show_home_link: bool,
}

fn describe(status: StatusCode, error: Option<&AppError>) -> ErrorPage {
    let page = |heading: &str, paragraphs: Vec<String>| ErrorPage {
        heading: heading.to_owned(),
        paragraphs,
        errors: Vec::new(),
        request_id: None,
        show_home_link: true,
    };
    match (status.as_u16(), error) {
        (_, Some(AppError::Forbidden(why))) => page(
            "You cannot view this page",
            vec![
                why.clone(),
                "If you think you should be able to, contact your organisation's Quorate administrator.".into(),
            ],
        ),
        (_, Some(AppError::CsrfRejected)) => page(
            "Your form could not be sent",
            vec![
                "Quorate could not confirm that the form came from this site. Nothing was saved.".into(),
                "Go back, reload the page and try again.".into(),
            ],
        ),
        (_, Some(AppError::Gone(why))) => page("This link no longer works", vec![why.clone()]),
        (_, Some(AppError::Conflict(why))) => page("That already exists", vec![why.clone()]),
        (_, Some(AppError::Throttled(why))) => page("Too many attempts", vec![why.clone()]),
        (_, Some(AppError::BadRequest(why))) => page(
            "There is a problem with your request",
            vec![format!(
                "Quorate could not use what was sent: {why}. Nothing was saved."
            )],
        ),
        (_, Some(AppError::Invalid(errors))) => ErrorPage {
            errors: errors.clone(),
            ..page(
                "There is a problem with what you sent",
                vec!["Nothing was saved.".into()],
            )
        },
        (404, _) => page(
            "Page not found",
            vec![
                "If you typed the web address, check it is correct.".into(),
                "If you pasted the web address, check you copied the entire address.".into(),
            ],
        ),
        (405, _) => page(
            "This page cannot be used in that way",
            vec!["Go back and use the page's own links and buttons.".into()],
        ),
        (_, Some(AppError::TooLarge(why))) => page(
            "What you sent is too large",
            vec![why.clone(), "Nothing was saved.".into()],
        ),
        (_, Some(AppError::Busy(why))) => page(
            "Quorate is busy",
            vec![
                why.clone(),
                "Nothing you sent has been kept. Try again in a minute.".into(),
            ],
        ),
        (_, Some(AppError::NotSetUp { what, .. })) => page(
            "This server cannot do that yet",
            vec![
                format!("This server is not set up to {what}. Its operator has been told what is missing."),
                "Nothing you sent has been saved. Try again later.".into(),
            ],
        ),
        (413, _) => page(
            "What you sent is too large",
            vec!["Nothing was saved. Send a smaller file or form.".into()],
        ),
        (503, _) => page(
            "Sorry, the service is unavailable",
            vec![
                "Quorate cannot reach its database at the moment. Nothing you sent has been saved.".into(),
                "Try again in a few minutes.".into(),
            ],
        ),
        (500..=599, _) => page(
            "Sorry, there is a problem with the service",
            vec![
                "Try again later.".into(),
                "Nothing you sent in this request has been saved.".into(),
            ],
        ),
        _ => page(
            "There is a problem with your request",
            vec!["Go back and try again.".into()],
        ),
    }
}

/// `{"error": {"code": "...", "message": "...", "field": "..."}}`, with
/// every field error under `errors` when there are several.
fn json_error(
    status: StatusCode,
    error: Option<&AppError>,
    page: &ErrorPage,
    request_id: Option<&str>,
) -> serde_json::Value {
    let code = match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        410 => "gone",
        413 => "too_large",
        422 => "invalid",
        429 => "too_many_requests",
        503 => "unavailable",
        _ => "internal",
    };
    let (message, field) = match error {
        Some(AppError::Invalid(errors)) => (
            errors.first().map_or(String::new(), |e| e.message.clone()),
            errors.first().map(|e| e.field.clone()),
        ),
        Some(AppError::LoginRequired) => (
            "Send a live API token in an Authorization: Bearer header".to_owned(),
            None,
        ),
        Some(AppError::Forbidden(why) | AppError::Conflict(why) | AppError::Gone(why) | AppError::Throttled(why)) => {
            (why.clone(), None)
        }
        Some(AppError::BadRequest(why) | AppError::TooLarge(why) | AppError::Busy(why)) => (why.clone(), None),
        _ => (page.heading.clone(), None),
    };
    json!({
        "error": { "code": code, "message": message, "field": field },
        "errors": page.errors,
        "request_id": request_id,
    })
}

fn wants_json(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Middleware: turns error responses and empty 4xx/5xx responses into
/// pages (or JSON), logs server errors with the request id, and sends
/// visitors who must log in to the login page.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    let app_error = res.response().error().and_then(|e| e.as_error::<AppError>());
    let has_body = !matches!(
        res.response().body().size(),
        actix_web::body::BodySize::Sized(0) | actix_web::body::BodySize::None
    );
    if app_error.is_none() && has_body && res.response().error().is_none() {
        // A page the handler rendered itself (a form with errors).
        return Ok(res);
    }
    let request = res.request().clone();
    let request_id = request.extensions().get::<RequestId>().map(|id| id.0.clone());
    let path = request.path().to_owned();

    match app_error {
        Some(AppError::Internal(detail))
        | Some(AppError::Unavailable(detail))
        | Some(AppError::NotSetUp { detail, .. }) => {
            tracing::error!(request_id = request_id.as_deref().unwrap_or("-"), error = %detail, "request failed");
        }
        None if status.is_server_error() => {
            let detail = res.response().error().map(|e| e.to_string()).unwrap_or_default();
            tracing::error!(request_id = request_id.as_deref().unwrap_or("-"), error = %detail, "request failed");
        }
        _ => {}
    }

    if matches!(app_error, Some(AppError::LoginRequired)) && !wants_json(&path) {
        let target = request.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
        let location = format!("/login?next={}", url_encode(target));
        let response = HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish();
        return Ok(ServiceResponse::new(request, response));
    }

    // Headers the status needs (405's Allow, 429's Retry-After) survive.
    let kept: Vec<(header::HeaderName, header::HeaderValue)> = [header::ALLOW, header::RETRY_AFTER]
        .into_iter()
        .filter_map(|name| res.headers().get(&name).map(|value| (name, value.clone())))
        .collect();
    let mut page = describe(status, app_error);
    if status.is_server_error() {
        page.request_id = request_id.clone();
    }
    let response = if wants_json(&path) {
        HttpResponse::build(status).json(json_error(status, app_error, &page, request_id.as_deref()))
    } else {
        match request.app_data::<web::Data<AppState>>() {
            Some(state) => {
                let layout = Layout {
                    title: page.heading.clone(),
                    csrf: String::new(),
                    viewer: None,
                    nav: Vec::new(),
                    flash: None,
                    errors: Vec::new(),
                    nhs_branding: state.settings.nhs_branding,
                    operator_name: state.settings.operator_name.clone(),
                };
                match render(&state.templates, "errors/page", &layout, &page) {
                    Ok(html) => HttpResponse::build(status)
                        .content_type("text/html; charset=utf-8")
                        .body(html),
                    Err(e) => {
                        tracing::error!(error = %e, "error page could not be rendered");
                        plain(status, &page)
                    }
                }
            }
            None => plain(status, &page),
        }
    };
    let mut response = response;
    for (name, value) in kept {
        response.headers_mut().insert(name, value);
    }
    Ok(ServiceResponse::new(request, response))
}

fn plain(status: StatusCode, page: &ErrorPage) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(page.heading.clone())
}

/// Percent-encodes a path for a query parameter.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

//! CSRF protection for every state-changing form: a random token kept in
//! the (encrypted) session, sent back in a hidden `_csrf` field, compared in
//! constant time. Cross-site requests are refused before the token is read.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};
use crate::token;

pub const SESSION_KEY: &str = "csrf";
pub const FIELD: &str = "_csrf";

/// The session's token, created when first needed.
pub fn token(session: &Session) -> String {
    if let Ok(Some(existing)) = session.get::<String>(SESSION_KEY) {
        return existing;
    }
    let fresh = token::random_token(32);
    // A failed insert only means the form will be refused and shown again.
    let _ = session.insert(SESSION_KEY, &fresh);
    fresh
}

/// Replaces the token (at login, so a token seen before login is useless after).
pub fn rotate(session: &Session) -> String {
    let fresh = token::random_token(32);
    let _ = session.insert(SESSION_KEY, &fresh);
    fresh
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{}://{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

/// Whether the request says it comes from another site: `Sec-Fetch-Site`,
/// or else its `Origin` (or `Referer`) is neither this server's public
/// address nor the host it was sent to. A second layer: the token already
/// protects every form.
fn is_cross_site(req: &HttpRequest) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if header("sec-fetch-site").is_some_and(|v| v.eq_ignore_ascii_case("cross-site")) {
        return true;
    }
    let claimed = match (header("origin"), header("referer")) {
        (Some(origin), _) => origin.to_owned(),
        (None, Some(referer)) => referer.to_owned(),
        (None, None) => return false,
    };
    if claimed == "null" {
        return true;
    }
    let Some(claimed) = origin_of(&claimed) else {
        return true;
    };
    let info = req.connection_info();
    let own = format!("{}://{}", info.scheme(), info.host()).to_ascii_lowercase();
    let public = req
        .app_data::<web::Data<super::AppState>>()
        .and_then(|state| origin_of(&state.settings.base_url));
    claimed != own && Some(&claimed) != public.as_ref()
}

#[cfg(test)]
mod origin_tests {
    #[test]
    fn origins_are_scheme_and_host() {
        assert_eq!(
            super::origin_of("https://Q.example:8443/ballots?x").as_deref(),
            Some("https://q.example:8443")
        );
        assert_eq!(
            super::origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(super::origin_of("not a url"), None);
    }
}

/// For forms that are not URL-encoded (file uploads): checks the token a
/// handler read from the form.
pub fn verify(req: &HttpRequest, sent: Option<&str>) -> Result<(), AppError> {
    let expected = req.get_session().get::<String>(SESSION_KEY).ok().flatten();
    match (sent, expected) {
        (Some(sent), Some(expected)) if !is_cross_site(req) && token::constant_time_eq(sent, &expected) => Ok(()),
        _ => Err(AppError::CsrfRejected),
    }
}

/// A URL-encoded form whose CSRF token matched the session's.
pub struct CsrfForm<T>(pub T);

/// For forms with no fields besides the token (log out).
#[derive(serde::Deserialize)]
pub struct NoFields {}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let cross_site = is_cross_site(req);
        let is_form = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if cross_site {
                return Err(AppError::CsrfRejected);
            }
            let body = body
                .await
                .map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))?;
            if !is_form && !body.is_empty() {
                return Err(AppError::BadRequest(
                    "forms must be sent as application/x-www-form-urlencoded".into(),
                ));
            }
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                .map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))?;
            let sent = pairs.iter().find(|(k, _)| k == FIELD).map(|(_, v)| v.as_str());
            let expected = session.get::<String>(SESSION_KEY).ok().flatten();
            match (sent, expected) {
                (Some(sent), Some(expected)) if token::constant_time_eq(sent, &expected) => {}
                _ => return Err(AppError::CsrfRejected),
            }
            // PostgreSQL cannot store a NUL and SQLite would keep it
            // unseen: refused here, for every form, naming the field.
            let with_nul: Vec<FieldError> = pairs
                .iter()
                .filter(|(_, v)| v.contains('\0'))
                .map(|(k, _)| {
                    let field = k.replace('_', "-");
                    FieldError::new(
                        &field,
                        format!(
                            "{} contains a NUL character, which is not allowed in text",
                            k.replace('_', " ")
                        ),
                    )
                })
                .collect();
            if !with_nul.is_empty() {
                return Err(AppError::Invalid(with_nul));
            }
            serde_urlencoded::from_bytes(&body)
                .map(CsrfForm)
                .map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))
        })
    }
}

//! `ApiJson<T>`: the JSON body of an API request — always an object — refused
//! with a clear error when it is not, or when a string in it holds a NUL
//! character (which PostgreSQL cannot store and SQLite would keep
//! invisibly), naming where it is.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};

/// The largest JSON body the API reads.
pub const LIMIT: usize = 1024 * 1024;

pub struct ApiJson<T>(pub T);

impl<T> ApiJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// The path of the first string (or key) holding a NUL, like `options[2].label`.
pub fn nul_at(value: &serde_json::Value, path: &str) -> Option<String> {
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(path.trim_start_matches('.').to_owned()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_at(v, &format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(path.trim_start_matches('.').to_owned())
            } else {
                nul_at(v, &format!("{path}.{k}"))
            }
        }),
        _ => None,
    }
}

fn parse<T: DeserializeOwned>(is_json: bool, body: &[u8]) -> Result<T, AppError> {
    if !is_json {
        return Err(AppError::BadRequest(
            "the JSON body cannot be read: send it as Content-Type: application/json".into(),
        ));
    }
    if body.len() > LIMIT {
        return Err(AppError::BadRequest(format!(
            "the JSON body cannot be read: it is larger than {} KB",
            LIMIT / 1024
        )));
    }
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("the JSON body cannot be read: {e}")))?;
    // Every body the API takes is an object; serde would read an array as
    // a struct's fields in order (and `[]` as an empty patch).
    if !value.is_object() {
        return Err(AppError::BadRequest(
            "the JSON body must be an object ({…}), not an array, string, number or null".into(),
        ));
    }
    if let Some(field) = nul_at(&value, "") {
        return Err(AppError::Invalid(vec![FieldError::new(
            &field,
            format!("{field} contains a NUL character (\\u0000), which is not allowed in text"),
        )]));
    }
    serde_json::from_value(value).map_err(|e| AppError::BadRequest(format!("the JSON body cannot be read: {e}")))
}

/// The body's bytes and whether it says it is JSON.
fn read(
    req: &HttpRequest,
    payload: &mut Payload,
) -> (bool, impl Future<Output = Result<web::Bytes, AppError>> + 'static) {
    let is_json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let body = web::Bytes::from_request(req, payload);
    (is_json, async move {
        body.await
            .map_err(|e| AppError::BadRequest(format!("the JSON body cannot be read: {e}")))
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (is_json, body) = read(req, payload);
        Box::pin(async move { parse(is_json, &body.await?).map(ApiJson) })
    }
}

/// A JSON body that may be left out: an empty body is `None`, but a body
/// that is there must be good JSON of the right shape (it is never
/// silently ignored).
pub struct OptionalApiJson<T>(pub Option<T>);

impl<T: Default> OptionalApiJson<T> {
    pub fn into_inner_or_default(self) -> T {
        self.0.unwrap_or_default()
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for OptionalApiJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (is_json, body) = read(req, payload);
        Box::pin(async move {
            let body = body.await?;
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalApiJson(None));
            }
            parse(is_json, &body).map(|v| OptionalApiJson(Some(v)))
        })
    }
}

/// For `#[serde(default, deserialize_with = "…present")]`: a field left out
/// is `None`; one sent must have a value (`null` is refused rather than
/// taken as "leave it as it is").
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::nul_at;

    #[test]
    fn a_nul_is_found_where_it_is() {
        let value = serde_json::json!({"name": "ok", "options": [{"label": "fine"}, {"label": "bad\u{0}"}]});
        assert_eq!(nul_at(&value, "").as_deref(), Some("options[1].label"));
        assert_eq!(nul_at(&serde_json::json!({"a": [1, "x"]}), ""), None);
    }
}

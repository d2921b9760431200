//! The one error type of the service layer. The web layer maps it to a page
//! or a JSON body in one place (`web::error`).

use serde::Serialize;

/// A problem with one form field or input, worded for the person who sent it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// The id of the field the message is about (the error summary links to it).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// The user is logged in but may not do this; the text says why.
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("login required")]
    LoginRequired,
    /// Input that cannot be accepted, field by field.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The form's CSRF token is missing or does not match the session.
    #[error("the form's security token did not match")]
    CsrfRejected,
    /// It already exists (an organisation or practice with that code).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many attempts: {0}")]
    Throttled(String),
    /// The link (setup, reset, voting) is unknown, used or expired.
    #[error("link no longer valid")]
    Gone(String),
    /// What was sent is larger than this request may be; the text says what.
    #[error("too large: {0}")]
    TooLarge(String),
    /// Too many such requests are being served at once: try again shortly.
    #[error("busy: {0}")]
    Busy(String),
    /// The database (or another service we need) does not answer.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// This server is not set up to do it: `what` is said to the user
    /// ("sign certificates for 08V"), `detail` (what the operator must do)
    /// is logged.
    #[error("not set up to {what}: {detail}")]
    NotSetUp { what: String, detail: String },
    /// Anything else: logged with the request id, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(format!("database connection: {e}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;

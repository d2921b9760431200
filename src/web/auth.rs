//! Who is asking: the session cookie names a user; extractors load them
//! once per request and enforce what each handler needs.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use chrono::Utc;

use super::AppState;
use crate::accounts::model::Role;
use crate::accounts::service::{self, SessionUser};
use crate::error::AppError;
use crate::token;

const USER_ID: &str = "uid";
const ISSUED_AT_MS: &str = "iat";
const SESSION_ID: &str = "sid";
/// Set when this sign-in gave a second factor (a one-time or recovery code).
const SECOND_FACTOR: &str = "2fa";
/// A sign-in whose password was right, waiting for its second factor.
const PENDING_USER: &str = "puid";
const PENDING_AT_MS: &str = "pat";
const PENDING_NEXT: &str = "pnext";
/// A two-factor secret offered for enrolment, until a code proves the app has it.
const ENROL_SECRET: &str = "enrol";
/// The single sign-on provider this sign-in came through, to end its
/// session there too at logout.
const PROVIDER_SESSION: &str = "idp";

/// A sign-in through a provider: which, and its ID token (the hint the
/// provider's end-session endpoint takes), when small enough for the cookie.
#[derive(serde::Serialize, serde::Deserialize, Clone)]
pub struct ProviderSession {
    pub provider: String,
    pub id_token: Option<String>,
}

/// ID tokens longer than this are not kept: the session is a cookie, and
/// browsers drop cookies over 4 KB. Logout then names the client instead.
const LARGEST_ID_TOKEN_KEPT: usize = 1800;

/// Remembers that this sign-in (or the second step it waits for) came
/// through a provider.
pub fn remember_provider_session(session: &Session, provider: &str, id_token: Option<&str>) -> Result<(), AppError> {
    let kept = ProviderSession {
        provider: provider.to_owned(),
        id_token: id_token.filter(|t| t.len() <= LARGEST_ID_TOKEN_KEPT).map(str::to_owned),
    };
    session.insert(PROVIDER_SESSION, kept).map_err(insert_failed)
}

/// The provider this sign-in came through, forgotten as it is read.
pub fn take_provider_session(session: &Session) -> Option<ProviderSession> {
    session
        .remove_as::<ProviderSession>(PROVIDER_SESSION)
        .and_then(Result::ok)
}

pub fn insert_failed(e: actix_session::SessionInsertError) -> AppError {
    AppError::Internal(format!("session: {e}"))
}

/// Starts a fresh session for `user_id`: new session id, new CSRF token.
/// `second_factor`: whether this sign-in gave a code as well as a password.
pub fn log_in(session: &Session, user_id: i32, second_factor: bool) -> Result<(), AppError> {
    // A provider's sign-in waiting for its second factor stays this sign-in's.
    let through_provider = (session.get::<i32>(PENDING_USER).ok().flatten() == Some(user_id))
        .then(|| session.get::<ProviderSession>(PROVIDER_SESSION).ok().flatten())
        .flatten();
    // clear + renew rather than purge: a purged session ignores later inserts.
    session.clear();
    session.renew();
    session
        .insert(SESSION_ID, token::random_token(16))
        .map_err(insert_failed)?;
    session.insert(USER_ID, user_id).map_err(insert_failed)?;
    session
        .insert(ISSUED_AT_MS, Utc::now().timestamp_millis())
        .map_err(insert_failed)?;
    if second_factor {
        session.insert(SECOND_FACTOR, true).map_err(insert_failed)?;
    }
    if let Some(kept) = through_provider {
        session.insert(PROVIDER_SESSION, kept).map_err(insert_failed)?;
    }
    super::csrf::rotate(session);
    Ok(())
}

/// Whether this session's sign-in gave a second factor.
pub fn gave_second_factor(session: &Session) -> bool {
    session.get::<bool>(SECOND_FACTOR).ok().flatten().unwrap_or(false)
}

/// A password accepted, a second factor still to come: nobody is signed in
/// yet, and the session remembers only who and where they were going.
pub fn begin_second_step(session: &Session, user_id: i32, next: &str) -> Result<(), AppError> {
    session.clear();
    session.renew();
    session.insert(PENDING_USER, user_id).map_err(insert_failed)?;
    session
        .insert(PENDING_AT_MS, Utc::now().timestamp_millis())
        .map_err(insert_failed)?;
    session.insert(PENDING_NEXT, next).map_err(insert_failed)?;
    super::csrf::rotate(session);
    Ok(())
}

/// A sign-in waiting for its second factor.
pub struct PendingSignIn {
    pub user_id: i32,
    pub next: String,
}

/// The sign-in waiting for a second factor, if it has not taken too long.
pub fn pending_sign_in(session: &Session) -> Option<PendingSignIn> {
    let user_id = session.get::<i32>(PENDING_USER).ok().flatten()?;
    let started_ms = session.get::<i64>(PENDING_AT_MS).ok().flatten()?;
    let limit_ms = crate::accounts::two_factor::model::PENDING_SIGN_IN_MINUTES * 60_000;
    if Utc::now().timestamp_millis() - started_ms > limit_ms {
        return None;
    }
    let next = session
        .get::<String>(PENDING_NEXT)
        .ok()
        .flatten()
        .unwrap_or_else(|| "/".into());
    Some(PendingSignIn { user_id, next })
}

/// The secret offered for enrolment in this session, made on first asking.
pub fn enrolment_secret(session: &Session) -> Result<Vec<u8>, AppError> {
    if let Some(secret) = session
        .get::<String>(ENROL_SECRET)
        .ok()
        .flatten()
        .and_then(|hex_text| hex::decode(hex_text).ok())
    {
        return Ok(secret);
    }
    let secret = crate::accounts::two_factor::model::new_secret();
    session
        .insert(ENROL_SECRET, hex::encode(&secret))
        .map_err(insert_failed)?;
    Ok(secret)
}

pub fn forget_enrolment_secret(session: &Session) {
    session.remove(ENROL_SECRET);
}

/// This session's random id and user, to end it server-side.
pub fn session_of(session: &Session) -> Option<(i32, String)> {
    let user = session.get::<i32>(USER_ID).ok().flatten()?;
    let id = session.get::<String>(SESSION_ID).ok().flatten()?;
    Some((user, id))
}

pub fn log_out(session: &Session) {
    session.clear();
    session.renew();
}

/// The user of this request's session, if the session is still valid.
#[derive(Clone)]
pub struct MaybeUser(pub Option<Rc<SessionUser>>);

async fn load_user(req: &HttpRequest) -> Result<Option<Rc<SessionUser>>, AppError> {
    if let Some(cached) = req.extensions().get::<MaybeUser>() {
        return Ok(cached.0.clone());
    }
    let session = req.get_session();
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal("application state missing".into()))?
        .clone();
    let user_id = session.get::<i32>(USER_ID).ok().flatten();
    let issued_ms = session.get::<i64>(ISSUED_AT_MS).ok().flatten();
    let session_id = session.get::<String>(SESSION_ID).ok().flatten();
    let second_factor = gave_second_factor(&session);
    let user = match (user_id, issued_ms) {
        (Some(user_id), Some(issued_ms)) => {
            let pool = state.pool.clone();
            let found = web::block(move || service::session_user_of(&pool, user_id, session_id.as_deref()))
                .await
                .map_err(|e| AppError::Internal(format!("blocking: {e}")))??;
            let max_age_ms = i64::from(state.settings.session_hours) * 3_600_000;
            let now_ms = Utc::now().timestamp_millis();
            // A role that needs a second factor, gained after signing in
            // with a password alone, ends the session: the next sign-in asks.
            let policy = &state.settings.second_factor;
            found.filter(|u| {
                issued_ms >= u.sessions_valid_after.and_utc().timestamp_millis()
                    && now_ms - issued_ms < max_age_ms
                    && (second_factor || !policy.requires(u.roles.iter().map(|r| r.grant.role)))
            })
        }
        _ => None,
    };
    if user.is_none() && user_id.is_some() {
        // Expired, revoked or deleted: forget it rather than ask again.
        // (clear, not purge: a purged session would drop the CSRF token
        // the login page is about to store.)
        session.clear();
    }
    let user = user.map(Rc::new);
    req.extensions_mut().insert(MaybeUser(user.clone()));
    Ok(user)
}

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { load_user(&req).await.map(MaybeUser) })
    }
}

/// A logged-in user; anyone else is sent to the login page.
#[derive(Clone)]
pub struct CurrentUser(pub Rc<SessionUser>);

impl std::ops::Deref for CurrentUser {
    type Target = SessionUser;
    fn deref(&self) -> &SessionUser {
        &self.0
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { load_user(&req).await?.map(CurrentUser).ok_or(AppError::LoginRequired) })
    }
}

/// A logged-in system administrator; other users get the 403 page.
pub struct RequireSystemAdmin(pub CurrentUser);

impl FromRequest for RequireSystemAdmin {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            if user.grants().has_role(Role::SystemAdmin) {
                Ok(RequireSystemAdmin(user))
            } else {
                Err(AppError::Forbidden(
                    "Only system administrators can manage user accounts.".into(),
                ))
            }
        })
    }
}

/// The user of a personal API token sent as `Authorization: Bearer …`.
/// Session cookies are not accepted here, so the API needs no CSRF token.
pub struct ApiUser(pub SessionUser);

impl FromRequest for ApiUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(AppError::LoginRequired);
            };
            let user = state.run(move |pool| service::api_user(pool, &token)).await?;
            user.map(ApiUser).ok_or(AppError::LoginRequired)
        })
    }
}

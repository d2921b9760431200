//! The device cookie: a browser that has signed in to an account keeps an
//! encrypted note of it, so the login throttle can tell its owner's
//! browsers from everyone else's (see `accounts::model::ThrottlePolicy`).
//! It is sent only to `/login` and says nothing to anyone without the
//! server's key.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite, time};

use crate::accounts::model::KnownDevice;

pub const DEVICE_COOKIE: &str = "quorate_device";

/// A year: a practice manager may sign in once a year, for the vote.
const KEPT_DAYS: i64 = 366;

/// The device this browser proved it is, if its cookie opens with our key.
pub fn known_device(req: &HttpRequest, key: &Key) -> Option<KnownDevice> {
    let mut jar = CookieJar::new();
    jar.add_original(req.cookie(DEVICE_COOKIE)?);
    let cookie = jar.private(key).get(DEVICE_COOKIE)?;
    let (user_id, token) = cookie.value().split_once(':')?;
    Some(KnownDevice {
        user_id: user_id.parse().ok()?,
        token: token.to_owned(),
    })
}

/// The cookie that marks this browser as known to `device.user_id`.
pub fn device_cookie(key: &Key, device: &KnownDevice, secure: bool) -> Option<Cookie<'static>> {
    let mut jar = CookieJar::new();
    jar.private_mut(key).add(
        Cookie::build(DEVICE_COOKIE, format!("{}:{}", device.user_id, device.token))
            .path("/login")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .max_age(time::Duration::days(KEPT_DAYS))
            .finish(),
    );
    jar.get(DEVICE_COOKIE).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn device() -> KnownDevice {
        KnownDevice {
            user_id: 7,
            token: "abc123".into(),
        }
    }

    #[test]
    fn a_device_cookie_opens_only_with_its_key_and_unchanged() {
        let key = Key::generate();
        let cookie = device_cookie(&key, &device(), true).expect("cookie");
        assert!(!cookie.value().contains("abc123"), "encrypted");
        assert_eq!(cookie.path(), Some("/login"));
        assert_eq!(cookie.http_only(), Some(true));
        let req = TestRequest::default().cookie(cookie.clone()).to_http_request();
        assert_eq!(known_device(&req, &key), Some(device()));

        let other_key = Key::generate();
        assert_eq!(known_device(&req, &other_key), None, "another server's key");

        let mut value = cookie.value().to_owned();
        let last = value.pop().expect("a character");
        value.push(if last == 'A' { 'B' } else { 'A' });
        let tampered = Cookie::new(DEVICE_COOKIE, value);
        let req = TestRequest::default().cookie(tampered).to_http_request();
        assert_eq!(known_device(&req, &key), None, "tampered");

        // The session cookie's value, under the same key, is not a device cookie.
        let mut jar = CookieJar::new();
        jar.private_mut(&key)
            .add(Cookie::new(crate::web::SESSION_COOKIE, "7:abc123"));
        let moved = Cookie::new(
            DEVICE_COOKIE,
            jar.get(crate::web::SESSION_COOKIE).expect("cookie").value().to_owned(),
        );
        let req = TestRequest::default().cookie(moved).to_http_request();
        assert_eq!(known_device(&req, &key), None, "a value made for another cookie");
    }
}

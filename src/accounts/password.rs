//! argon2id password hashes (PHC strings). Call only from blocking threads:
//! each hash takes tens of milliseconds on purpose.

use std::sync::LazyLock;

use argon2::password_hash::SaltString;
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

/// OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

fn hasher() -> Result<Argon2<'static>, String> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).map_err(|e| e.to_string())?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// True when `password` matches the stored PHC string. A malformed stored
/// hash never matches.
pub fn verify(stored: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    hasher().is_ok_and(|h| h.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash of a random password, checked against when the account does not
/// exist, so a login for an unknown email costs the same time as one for a
/// known email.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash(&crate::token::random_token(16)).unwrap_or_else(|_| {
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpg".to_owned()
    })
});

pub fn verify_against_nobody(password: &str) {
    let _ = verify(&DUMMY_HASH, password);
}

/// Computes the dummy hash now rather than during the first login.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_with_explicit_parameters() {
        let h = hash("maple kettle orbit").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(&h, "maple kettle orbit"));
        assert!(!verify(&h, "maple kettle orbiT"));
        assert!(!verify("not a hash", "anything"));
        assert_ne!(hash("maple kettle orbit").expect("hash"), h, "salted");
    }
}

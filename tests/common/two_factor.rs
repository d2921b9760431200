//! Two-factor helpers: what an authenticator app does with the key the
//! set-up page shows (made with totp-rs, not with Quorate's own code).

/// The key shown under "I cannot scan the QR code".
pub fn setup_key(page: &str) -> String {
    let start = page.find("id=\"setup-key\"").expect("the set-up page shows the key");
    let from = start + page[start..].find('>').expect("tag") + 1;
    let to = from + page[from..].find('<').expect("end");
    page[from..to].replace(' ', "")
}

pub fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

pub fn code_at(key: &str, unix_seconds: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(key).expect("base32 key");
    let totp = totp_rs::Builder::new()
        .with_secret(secret.as_ref().to_vec())
        .build()
        .expect("totp");
    totp.generate(unix_seconds).to_string()
}

//! Sealed message bodies. A message that carries a secret — a voting link,
//! or the receipt code of a secret ballot, which with the recipient would
//! tie a paper to a practice — is stored encrypted (AES-256-GCM, with a key
//! derived from the server's secret key), so the database alone does not
//! give it away. The worker opens it just before sending.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::config::Settings;

const PREFIX: &str = "sealed:v1:";
const NONCE_BYTES: usize = 12;

#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
    /// Derives the seeds of encrypted papers shown for a cast-as-intended
    /// check, so a seed in a voter's form alone does not open their paper.
    paper_key: [u8; 32],
}

impl Sealer {
    pub fn new(secret_key: &str) -> Self {
        Self::with_label(secret_key, b"quorate outbox seal v1\0")
    }

    /// A sealer for secrets kept with accounts (two-factor keys), with a key
    /// of its own so a sealed message body can never be passed off as one.
    pub fn for_account_secrets(secret_key: &str) -> Self {
        Self::with_label(secret_key, b"quorate account secrets v1\0")
    }

    fn with_label(secret_key: &str, label: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        // A key of its own, so the session key is never used for this too.
        hasher.update(label);
        hasher.update(secret_key.as_bytes());
        let key = hasher.finalize();
        let mut paper = Sha256::new();
        paper.update(b"quorate paper seed key v1\0");
        paper.update(secret_key.as_bytes());
        Sealer {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
            paper_key: paper.finalize().into(),
        }
    }

    /// The seed of the encrypted paper whose nonce is in a voter's form.
    pub fn paper_seed(&self, nonce: &[u8; 32]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(b"quorate paper seed v1\0");
        hasher.update(self.paper_key);
        hasher.update(nonce);
        hasher.finalize().into()
    }

    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let key = settings.resolve_secret_key().map_err(|e| e.to_string())?;
        Ok(Sealer::new(key.expose()))
    }

    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).expect("the operating system's random number source failed");
        // Encrypting a byte string in memory cannot fail with this cipher.
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
        )
    }

    /// The text of a stored body, sealed or not.
    pub fn open(&self, stored: &str) -> Result<String, String> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let unreadable = || "the sealed message cannot be opened with this server's secret key".to_owned();
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(encoded)
            .map_err(|_| unreadable())?;
        if bytes.len() < NONCE_BYTES {
            return Err(unreadable());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| unreadable())?;
        String::from_utf8(plain).map_err(|_| unreadable())
    }

    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_opens_only_with_the_same_key() {
        let sealer = Sealer::new("a secret key of at least thirty-two characters");
        let sealed = sealer.seal("your link: https://q.example/vote/abc");
        assert!(Sealer::is_sealed(&sealed));
        assert!(!sealed.contains("vote/abc"));
        assert_eq!(
            sealer.open(&sealed).expect("opens"),
            "your link: https://q.example/vote/abc"
        );
        assert_ne!(sealer.seal("same"), sealer.seal("same"), "a fresh nonce each time");
        let other = Sealer::new("another secret key of at least thirty-two chars");
        assert!(other.open(&sealed).is_err());
        let accounts = Sealer::for_account_secrets("a secret key of at least thirty-two characters");
        assert!(accounts.open(&sealed).is_err(), "each purpose has its own key");
        assert_eq!(sealer.open("plain text").expect("plain"), "plain text");
        // One bit changed anywhere in the sealed bytes: refused.
        let engine = base64::engine::general_purpose::STANDARD_NO_PAD;
        let bytes = engine.decode(sealed.trim_start_matches(PREFIX)).expect("base64");
        for position in [0, NONCE_BYTES, bytes.len() - 1] {
            let mut changed = bytes.clone();
            changed[position] ^= 1;
            let tampered = format!("{PREFIX}{}", engine.encode(changed));
            assert!(sealer.open(&tampered).is_err(), "bit flipped at {position}");
        }
    }
}

//! Each organisation's Ed25519 signing key: generated at first use into
//! `DATA_DIR/signing-keys/CODE.key` (owner-only), or placed there by the
//! operator (the same file on every server). The key never enters the
//! database, so database access alone cannot sign a certificate.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

pub fn key_path(data_dir: &Path, organisation_code: &str) -> PathBuf {
    data_dir.join("signing-keys").join(format!("{organisation_code}.key"))
}

fn parse_seed(text: &str) -> Option<SigningKey> {
    let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
    Some(SigningKey::from_bytes(&bytes))
}

/// The organisation's key, creating it the first time.
pub fn signing_key(data_dir: &Path, organisation_code: &str) -> Result<SigningKey, String> {
    let path = key_path(data_dir, organisation_code);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_seed(&text).ok_or_else(|| {
            format!(
                "{} does not hold an Ed25519 key (64 hexadecimal characters)",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| format!("no randomness for a key: {e}"))?;
            match crate::config::write_owner_only(&path, &format!("{}\n", hex::encode(seed))) {
                Ok(()) => {
                    tracing::info!(path = %path.display(), "generated a signing key");
                    Ok(SigningKey::from_bytes(&seed))
                }
                // Another server made it at the same moment: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => signing_key(data_dir, organisation_code),
                Err(e) => Err(format!("cannot create {}: {e}", path.display())),
            }
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_and_kept_owner_only() {
        let dir = tempfile_dir();
        let first = signing_key(&dir, "08V").expect("made");
        let again = signing_key(&dir, "08V").expect("read");
        assert_eq!(first.to_bytes(), again.to_bytes());
        assert_ne!(signing_key(&dir, "16C").expect("other").to_bytes(), first.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(key_path(&dir, "08V"))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(key_path(&dir, "BAD"), "nonsense").expect("write");
        assert!(signing_key(&dir, "BAD").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("quorate-keys-{}", crate::token::random_token(6)));
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }
}

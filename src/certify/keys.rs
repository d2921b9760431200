//! Each organisation's Ed25519 signing key: generated at first use into
//! `DATA_DIR/signing-keys/CODE.key` (owner-only), or placed there by the
//! operator (the same file on every server). The key never enters the
//! database, so database access alone cannot sign a certificate; the
//! database records its public half, so servers holding different keys for
//! one organisation are found (see `certify::service::check_keys`).

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

pub fn key_path(data_dir: &Path, organisation_code: &str) -> PathBuf {
    data_dir.join("signing-keys").join(format!("{organisation_code}.key"))
}

fn parse_seed(text: &str) -> Option<SigningKey> {
    let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
    Some(SigningKey::from_bytes(&bytes))
}

/// The key in this server's file for the organisation, if there is one.
pub fn read_key(data_dir: &Path, organisation_code: &str) -> Result<Option<SigningKey>, String> {
    let path = key_path(data_dir, organisation_code);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_seed(&text).map(Some).ok_or_else(|| {
            format!(
                "{} does not hold an Ed25519 key (64 hexadecimal characters)",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Makes a new key into the organisation's file, which must not exist (a
/// key file is never overwritten).
pub fn generate_key(data_dir: &Path, organisation_code: &str) -> Result<SigningKey, String> {
    let path = key_path(data_dir, organisation_code);
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no randomness for a key: {e}"))?;
    crate::config::write_owner_only(&path, &format!("{}\n", hex::encode(seed)))
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a signing key");
    Ok(SigningKey::from_bytes(&seed))
}

/// Organisation codes with a key file on this server.
pub fn codes_with_keys(data_dir: &Path) -> Result<Vec<String>, String> {
    let dir = data_dir.join("signing-keys");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    let mut codes: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.strip_suffix(".key").map(str::to_owned))
        .collect();
    codes.sort();
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_and_kept_owner_only() {
        let dir = tempfile_dir();
        assert!(read_key(&dir, "08V").expect("nothing yet").is_none());
        let first = generate_key(&dir, "08V").expect("made");
        let again = read_key(&dir, "08V").expect("read").expect("there");
        assert_eq!(first.to_bytes(), again.to_bytes());
        assert!(generate_key(&dir, "08V").is_err(), "a key file is never overwritten");
        assert_ne!(generate_key(&dir, "16C").expect("other").to_bytes(), first.to_bytes());
        assert_eq!(codes_with_keys(&dir).expect("listed"), ["08V", "16C"]);
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
        assert!(read_key(&dir, "BAD").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("quorate-keys-{}", crate::token::random_token(6)));
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }
}

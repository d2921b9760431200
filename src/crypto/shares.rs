//! Carrying f_i(j) from trustee i to trustee j over the server, which must learn nothing from it: hashed
//! ElGamal (DHIES, Abdalla, Bellare, Rogaway 2001) on ristretto255 with AES-256-GCM, the construction
//! ElectionGuard 2.0 ("Key Generation") uses for its share encryption, with an AEAD in place of its
//! stream cipher and MAC.
//!
//! For a share from i to j: ephemeral x, X = g^x, S = E_j^x (E_j the recipient's transport key), then
//!
//! - key = SHA-256(encode_parts(["quorate share key v1", X, S, i as u32 BE, j as u32 BE]))
//! - nonce = 12 random bytes (the key is fresh for every share, so this is belt and braces)
//! - associated data = encode_parts(["quorate share v1", i as u32 BE, j as u32 BE])
//! - plaintext = the 32-byte canonical encoding of f_i(j)
//!
//! where encode_parts writes each part as its length (u64 BE) followed by its bytes. Naming sender and
//! recipient in both key and associated data means a share moved to another pair does not decrypt.
//! Nothing authenticates the sender, and nothing needs to: a share is accepted only if it agrees with the
//! sender's published commitments, and a share that agrees is the right one whoever sent it.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use curve25519_dalek::scalar::Scalar;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{CryptoError, ShareFault};
use super::group::{Point, ScalarSource, bytes_hex, encode_parts};
use super::trustees::{SecretShare, TrusteePrivate, TrusteePublic, check_ceremony, commitment_at, find};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedShare {
    pub sender: u32,
    pub recipient: u32,
    /// X = g^x.
    pub ephemeral: Point,
    #[serde(with = "bytes_hex")]
    pub nonce: Vec<u8>,
    /// AES-256-GCM output: 32 bytes of share then the 16-byte tag.
    #[serde(with = "bytes_hex")]
    pub ciphertext: Vec<u8>,
}

fn ceremony_of<'a>(me: &TrusteePrivate, publics: &'a [TrusteePublic]) -> Result<Vec<&'a TrusteePublic>, CryptoError> {
    if publics.len() != me.n() as usize {
        return Err(CryptoError::WrongShape(format!(
            "{} trustees' public parts were given, but the ceremony has {}",
            publics.len(),
            me.n()
        )));
    }
    check_ceremony(publics, me.t())
}

fn share_key(ephemeral: &Point, shared: &Point, sender: u32, recipient: u32) -> [u8; 32] {
    let parts: [&[u8]; 5] = [
        b"quorate share key v1",
        ephemeral.as_bytes(),
        shared.as_bytes(),
        &sender.to_be_bytes(),
        &recipient.to_be_bytes(),
    ];
    Sha256::digest(encode_parts(&parts)).into()
}

fn associated_data(sender: u32, recipient: u32) -> Vec<u8> {
    encode_parts(&[b"quorate share v1", &sender.to_be_bytes(), &recipient.to_be_bytes()])
}

/// f_i(j) for every other trustee j, each sealed to j's transport key.
pub fn shares_for_others(
    me: &TrusteePrivate,
    publics: &[TrusteePublic],
    source: &mut dyn ScalarSource,
) -> Result<Vec<EncryptedShare>, CryptoError> {
    let ordered = ceremony_of(me, publics)?;
    let mut out = Vec::with_capacity(ordered.len().saturating_sub(1));
    for recipient in ordered.into_iter().filter(|p| p.index != me.index()) {
        let x = source.next_scalar();
        let ephemeral = Point::mul_base(&x);
        let shared = Point::new(recipient.transport_key.point() * x);
        let key = share_key(&ephemeral, &shared, me.index(), recipient.index);
        let nonce = source.wide_bytes()[..12].to_vec();
        let share = me.evaluate(recipient.index).to_bytes();
        let aad = associated_data(me.index(), recipient.index);
        let ciphertext = Aes256Gcm::new(&key.into())
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: &share, aad: &aad })
            .map_err(|_| CryptoError::WrongShape("a share could not be sealed".into()))?;
        out.push(EncryptedShare {
            sender: me.index(),
            recipient: recipient.index,
            ephemeral,
            nonce,
            ciphertext,
        });
    }
    Ok(out)
}

fn open(me: &TrusteePrivate, share: &EncryptedShare) -> Result<Scalar, ShareFault> {
    if share.recipient != me.index() {
        return Err(ShareFault::WrongRecipient {
            to: share.recipient,
            me: me.index(),
        });
    }
    if share.nonce.len() != 12 {
        return Err(ShareFault::DoesNotDecrypt);
    }
    let shared = Point::new(share.ephemeral.point() * me.transport_secret());
    let key = share_key(&share.ephemeral, &shared, share.sender, share.recipient);
    let aad = associated_data(share.sender, share.recipient);
    let plain = Aes256Gcm::new(&key.into())
        .decrypt(
            Nonce::from_slice(&share.nonce),
            Payload {
                msg: &share.ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| ShareFault::DoesNotDecrypt)?;
    let bytes: [u8; 32] = plain.try_into().map_err(|_| ShareFault::DoesNotDecrypt)?;
    Option::from(Scalar::from_canonical_bytes(bytes)).ok_or(ShareFault::DoesNotDecrypt)
}

/// Opens and checks one share from every other trustee and returns s_j = Σ_i f_i(j).
pub fn receive_shares(
    me: &TrusteePrivate,
    publics: &[TrusteePublic],
    shares: &[EncryptedShare],
) -> Result<SecretShare, CryptoError> {
    let ordered = ceremony_of(me, publics)?;
    let fault = |sender: u32, fault: ShareFault| CryptoError::Share { sender, fault };
    let mut total = me.evaluate(me.index());
    let mut seen: Vec<u32> = Vec::with_capacity(shares.len());
    for share in shares {
        let sender = share.sender;
        if sender == me.index() || find(publics, sender).is_err() {
            return Err(fault(sender, ShareFault::UnknownSender));
        }
        if seen.contains(&sender) {
            return Err(fault(sender, ShareFault::Duplicate));
        }
        seen.push(sender);
        let value = open(me, share).map_err(|f| fault(sender, f))?;
        let expected = commitment_at(find(publics, sender)?, me.index());
        if Point::mul_base(&value).point() != &expected {
            return Err(fault(sender, ShareFault::DoesNotMatchCommitments));
        }
        total += value;
    }
    if let Some(missing) = ordered
        .iter()
        .find(|p| p.index != me.index() && !seen.contains(&p.index))
    {
        return Err(fault(missing.index, ShareFault::Missing));
    }
    Ok(SecretShare::new(me.index(), total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::group::Seeded;
    use crate::crypto::trustees::{keygen, verification_key};

    fn ceremony(n: u32, t: u32) -> (Vec<TrusteePrivate>, Vec<TrusteePublic>, Vec<EncryptedShare>) {
        let mut src = Seeded::new("shares", [5; 32]);
        let (privates, publics): (Vec<_>, Vec<_>) = (1..=n)
            .map(|i| keygen(i, n, t, &mut src).expect("should succeed"))
            .unzip();
        let all = privates
            .iter()
            .flat_map(|p| shares_for_others(p, &publics, &mut src).expect("should succeed"))
            .collect();
        (privates, publics, all)
    }

    fn to(shares: &[EncryptedShare], j: u32) -> Vec<EncryptedShare> {
        shares.iter().filter(|s| s.recipient == j).cloned().collect()
    }

    #[test]
    fn honest_exchange_gives_consistent_shares() {
        let (privates, publics, shares) = ceremony(3, 2);
        assert_eq!(shares.len(), 6);
        for me in &privates {
            let mine = receive_shares(me, &publics, &to(&shares, me.index())).expect("should succeed");
            assert_eq!(Point::mul_base(mine.value()), verification_key(me.index(), &publics));
        }
        let json = serde_json::to_string(&shares[0]).expect("should succeed");
        assert_eq!(
            serde_json::from_str::<EncryptedShare>(&json).expect("should succeed"),
            shares[0]
        );
    }

    #[test]
    fn tampered_share_names_its_sender() {
        let (privates, publics, shares) = ceremony(3, 2);
        let mut mine = to(&shares, 1);
        let from3 = mine.iter().position(|s| s.sender == 3).expect("should succeed");
        mine[from3].ciphertext[0] ^= 1;
        let err = receive_shares(&privates[0], &publics, &mine).expect_err("should be refused");
        assert_eq!(
            err,
            CryptoError::Share {
                sender: 3,
                fault: ShareFault::DoesNotDecrypt
            }
        );
        assert_eq!(
            err.to_string(),
            "the share from trustee 3 does not decrypt: it was altered in transit or was not sealed for this trustee"
        );
    }

    #[test]
    fn share_for_someone_else_is_refused() {
        let (privates, publics, shares) = ceremony(3, 2);
        // Trustee 2's share for trustee 3, handed to trustee 1 as it is...
        let mut mine = to(&shares, 1);
        let misdelivered = shares
            .iter()
            .find(|s| s.sender == 2 && s.recipient == 3)
            .expect("should succeed")
            .clone();
        let slot = mine.iter().position(|s| s.sender == 2).expect("should succeed");
        mine[slot] = misdelivered.clone();
        let err = receive_shares(&privates[0], &publics, &mine).expect_err("should be refused");
        assert_eq!(
            err,
            CryptoError::Share {
                sender: 2,
                fault: ShareFault::WrongRecipient { to: 3, me: 1 }
            }
        );
        // ...or relabelled as if it were for trustee 1.
        mine[slot].recipient = 1;
        let err = receive_shares(&privates[0], &publics, &mine).expect_err("should be refused");
        assert_eq!(
            err,
            CryptoError::Share {
                sender: 2,
                fault: ShareFault::DoesNotDecrypt
            }
        );
        // Relabelling the sender does not help either.
        let mut mine = to(&shares, 1);
        let (a, b) = (
            mine.iter().position(|s| s.sender == 2).expect("should succeed"),
            mine.iter().position(|s| s.sender == 3).expect("should succeed"),
        );
        mine[a].sender = 3;
        mine[b].sender = 2;
        assert!(matches!(
            receive_shares(&privates[0], &publics, &mine),
            Err(CryptoError::Share {
                fault: ShareFault::DoesNotDecrypt,
                ..
            })
        ));
    }

    #[test]
    fn share_off_the_polynomial_is_refused() {
        let (privates, publics, _) = ceremony(3, 2);
        let mut src = Seeded::new("cheat", [1; 32]);
        // Trustee 2 seals a share from a different polynomial than it committed to.
        let (other, _) = keygen(2, 3, 2, &mut src).expect("should succeed");
        let mut mine: Vec<EncryptedShare> = Vec::new();
        for sender in [&privates[1], &privates[2]] {
            let honest = shares_for_others(sender, &publics, &mut src).expect("should succeed");
            mine.extend(honest.into_iter().filter(|s| s.recipient == 1));
        }
        let cheating = shares_for_others(&other, &publics, &mut src).expect("should succeed");
        mine[0] = cheating.into_iter().find(|s| s.recipient == 1).expect("should succeed");
        let err = receive_shares(&privates[0], &publics, &mine).expect_err("should be refused");
        assert_eq!(
            err,
            CryptoError::Share {
                sender: 2,
                fault: ShareFault::DoesNotMatchCommitments
            }
        );
    }

    #[test]
    fn missing_and_duplicate_shares() {
        let (privates, publics, shares) = ceremony(3, 3);
        let mine = to(&shares, 2);
        assert!(receive_shares(&privates[1], &publics, &mine).is_ok());
        assert!(matches!(
            receive_shares(&privates[1], &publics[..2], &mine),
            Err(CryptoError::WrongShape(_))
        ));
        let err = receive_shares(&privates[1], &publics, &mine[..1]).expect_err("should be refused");
        assert!(matches!(
            err,
            CryptoError::Share {
                fault: ShareFault::Missing,
                ..
            }
        ));
        let doubled = vec![mine[0].clone(), mine[0].clone()];
        assert!(matches!(
            receive_shares(&privates[1], &publics, &doubled),
            Err(CryptoError::Share {
                fault: ShareFault::Duplicate,
                ..
            })
        ));
    }
}

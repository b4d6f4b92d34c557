//! Secrets at rest (Stripe keys, webhook signing secrets): XChaCha20-Poly1305 under the master
//! key, with a random 24-byte nonce per value and the row's purpose as associated data, so a
//! ciphertext copied into another row or column does not decrypt.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};

/// The key secrets are sealed under (`FLEET_MASTER_KEY`): 32 bytes that must never be printed,
/// so `Debug` shows nothing of them.
#[derive(Clone)]
pub struct MasterKey(pub [u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

/// Stored values start with a version tag, so the scheme can change without guessing.
const VERSION: &str = "v1";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("the stored secret is malformed")]
    Malformed,
    #[error(
        "the stored secret does not decrypt with this master key (was FLEET_MASTER_KEY changed?)"
    )]
    WrongKey,
}

fn cipher(key: &MasterKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new((&key.0).into())
}

/// Encrypts `plaintext` for the place named by `purpose` (e.g. `"connection:con_…:secret_key"`).
pub fn seal(key: &MasterKey, purpose: &str, plaintext: &str) -> String {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let payload = Payload {
        msg: plaintext.as_bytes(),
        aad: purpose.as_bytes(),
    };
    // Encryption only fails for messages beyond the cipher's length limit (256 GiB).
    let sealed = cipher(key).encrypt(&nonce, payload).unwrap_or_default();
    format!(
        "{VERSION}:{}:{}",
        STANDARD_NO_PAD.encode(nonce),
        STANDARD_NO_PAD.encode(sealed)
    )
}

pub fn open(key: &MasterKey, purpose: &str, stored: &str) -> Result<String, SecretError> {
    let mut parts = stored.splitn(3, ':');
    let (Some(VERSION), Some(nonce), Some(sealed)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(SecretError::Malformed);
    };
    let nonce = STANDARD_NO_PAD
        .decode(nonce)
        .map_err(|_| SecretError::Malformed)?;
    if nonce.len() != 24 {
        return Err(SecretError::Malformed);
    }
    let sealed = STANDARD_NO_PAD
        .decode(sealed)
        .map_err(|_| SecretError::Malformed)?;
    let plain = cipher(key)
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &sealed,
                aad: purpose.as_bytes(),
            },
        )
        .map_err(|_| SecretError::WrongKey)?;
    String::from_utf8(plain).map_err(|_| SecretError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_tampering_other_keys_and_other_purposes() {
        let key = MasterKey([1; 32]);
        let sealed = seal(&key, "connection:a", "sk_test_1234567890");
        assert!(!sealed.contains("sk_test"));
        assert_ne!(
            sealed,
            seal(&key, "connection:a", "sk_test_1234567890"),
            "fresh nonce each time"
        );
        assert_eq!(
            open(&key, "connection:a", &sealed).as_deref(),
            Ok("sk_test_1234567890")
        );
        assert_eq!(
            open(&MasterKey([2; 32]), "connection:a", &sealed),
            Err(SecretError::WrongKey)
        );
        assert_eq!(
            open(&key, "connection:b", &sealed),
            Err(SecretError::WrongKey)
        );
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(open(&key, "connection:a", &tampered).is_err());
        assert_eq!(
            open(&key, "connection:a", "garbage"),
            Err(SecretError::Malformed)
        );
    }
}

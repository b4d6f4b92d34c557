//! `Stripe-Signature` headers: `t=<unix>,v1=<hex>[,v1=<hex>…]`, each `v1` an HMAC-SHA256 of
//! `"{t}.{raw body}"` keyed with the endpoint's `whsec_` secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Stripe's default tolerance between the signed timestamp and now.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing or malformed")]
    Malformed,
    #[error("the Stripe-Signature header has no v1 signature")]
    NoSignature,
    #[error("the signature timestamp is outside the tolerance ({0} s)")]
    Stale(i64),
    #[error("no v1 signature matches the payload")]
    Mismatch,
}

fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// The hex `v1` signature of `payload` at `timestamp`.
pub fn compute_signature(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let bytes = mac(secret, timestamp, payload).finalize().into_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A complete `Stripe-Signature` header value, as Stripe sends it.
pub fn sign_header(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        compute_signature(secret, timestamp, payload)
    )
}

/// Verifies a `Stripe-Signature` header against the raw body, accepting any of its `v1` values,
/// comparing in constant time and refusing timestamps further than `tolerance_secs` from `now`.
pub fn verify_header(
    header: &str,
    payload: &[u8],
    secret: &str,
    now: i64,
    tolerance_secs: i64,
) -> Result<i64, SignatureError> {
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<&str> = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key {
            "t" => timestamp = Some(value.parse().map_err(|_| SignatureError::Malformed)?),
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::NoSignature);
    }
    let expected = compute_signature(secret, timestamp, payload);
    let matched = signatures
        .iter()
        .any(|sig| bool::from(sig.as_bytes().ct_eq(expected.as_bytes())));
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    if tolerance_secs > 0 && (now - timestamp).abs() > tolerance_secs {
        return Err(SignatureError::Stale(tolerance_secs));
    }
    Ok(timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    #[test]
    fn signs_and_verifies() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign_header(SECRET, 1_700_000_000, body);
        assert_eq!(
            verify_header(&header, body, SECRET, 1_700_000_100, 300),
            Ok(1_700_000_000)
        );
    }

    #[test]
    fn known_vector() {
        // Computed independently: printf '1614556800.{}' | openssl dgst -sha256 -hmac whsec_test_secret
        let sig = compute_signature(SECRET, 1_614_556_800, b"{}");
        assert_eq!(
            sig,
            "abb0b905e130a1185b747822884803b510d0e61726b7bfaab61b84669c35f791"
        );
    }

    #[test]
    fn accepts_any_of_several_v1() {
        let body = b"payload";
        let good = compute_signature(SECRET, 10, body);
        let header = format!("t=10,v1=deadbeef,v1={good},v0=ignored");
        assert!(verify_header(&header, body, SECRET, 10, 300).is_ok());
    }

    #[test]
    fn refuses_tampering_staleness_and_garbage() {
        let body = b"payload";
        let header = sign_header(SECRET, 1000, body);
        assert_eq!(
            verify_header(&header, b"payloaX", SECRET, 1000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_header(&header, body, "whsec_other", 1000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_header(&header, body, SECRET, 1301, 300),
            Err(SignatureError::Stale(300))
        );
        assert_eq!(
            verify_header("nonsense", body, SECRET, 1000, 300),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_header("t=1000", body, SECRET, 1000, 300),
            Err(SignatureError::NoSignature)
        );
    }
}

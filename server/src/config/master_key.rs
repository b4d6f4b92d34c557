//! The master key that seals secrets at rest: given, or in development generated once into the
//! data directory.

use super::{create_dir, invalid, ConfigError, Environment};
use app::ssr::MasterKey;
use base64::Engine;
use std::path::Path;

const HOW: &str = "32 random bytes in base64, e.g. from `openssl rand -base64 32`";

/// `FLEET_MASTER_KEY` (32 bytes, base64 or hex). In development a missing key is generated once
/// into the data directory; in production it must be given, since losing it loses every secret.
pub fn master_key(
    given: Option<&str>,
    env: Environment,
    data_dir: &Path,
) -> Result<MasterKey, ConfigError> {
    if let Some(raw) = given {
        return decode_key(raw)
            .map(MasterKey)
            .ok_or_else(|| invalid(format!("FLEET_MASTER_KEY must be {HOW}.")));
    }
    if env == Environment::Production {
        return Err(invalid(format!(
            "FLEET_MASTER_KEY is required when FLEET_ENV=production: set it to {HOW}."
        )));
    }
    let path = data_dir.join("master.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return decode_key(&existing).map(MasterKey).ok_or_else(|| {
            invalid(format!(
                "{} is not a valid master key ({HOW}); restore it or remove it to start afresh.",
                path.display()
            ))
        });
    }
    create_dir(data_dir)?;
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    let encoded = base64::engine::general_purpose::STANDARD.encode(key);
    write_private(&path, &encoded)?;
    tracing::warn!(
        path = %path.display(),
        "FLEET_MASTER_KEY is not set: generated a development key. Set FLEET_MASTER_KEY in production."
    );
    Ok(MasterKey(key))
}

fn decode_key(raw: &str) -> Option<[u8; 32]> {
    let raw = raw.trim();
    let bytes = if raw.len() == 64 && raw.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&raw[i * 2..i * 2 + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw))
            .ok()?
    };
    bytes.try_into().ok()
}

fn write_private(path: &Path, contents: &str) -> Result<(), ConfigError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let io = |source| ConfigError::Io {
        action: "write the master key to",
        path: path.display().to_string(),
        source,
    };
    let mut file = options.open(path).map_err(io)?;
    file.write_all(contents.as_bytes()).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_from_hex_and_base64() {
        let hex = "00".repeat(31) + "ff";
        assert_eq!(decode_key(&hex).map(|k| k[31]), Some(0xff));
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(decode_key(&b64), Some([7u8; 32]));
        assert_eq!(decode_key("short"), None);
    }
}

//! Secrets at rest and random tokens: AES-256-GCM for provider API keys, SHA-256 for stored
//! magic-link tokens, and the generators of magic-link tokens and project keys.

use aes_gcm::aead::{Aead as _, Payload};
use aes_gcm::{Aes256Gcm, KeyInit as _, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use rand::{Rng as _, RngCore as _};
use sha2::{Digest as _, Sha256};

/// Prefix of the current ciphertext format, so that the format can evolve.
const FORMAT_V1: &str = "v1:";
const NONCE_LEN: usize = 12;
/// Random characters after `pk_`: 24 base62 characters carry about 143 bits.
const PROJECT_KEY_CHARS: usize = 24;

/// Encrypts and decrypts provider API keys with AES-256-GCM and a random nonce per value.
#[derive(Clone)]
pub struct KeyCipher {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for KeyCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCipher([redacted])")
    }
}

/// A ciphertext that cannot be decrypted (wrong key, tampered, or bound to another row).
#[derive(Debug, thiserror::Error)]
#[error("stored secret cannot be decrypted")]
pub struct DecryptError;

impl KeyCipher {
    /// A cipher over a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Encrypts `plaintext`, bound to `context` (the row's id) as associated data, so a
    /// ciphertext copied to another row does not decrypt.
    pub fn encrypt(&self, plaintext: &str, context: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            // Encryption only fails for messages beyond GCM's 64 GiB bound.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{FORMAT_V1}{}", BASE64.encode(out))
    }

    /// Decrypts a value made by [`KeyCipher::encrypt`] with the same `context`.
    pub fn decrypt(&self, stored: &str, context: &str) -> Result<String, DecryptError> {
        let encoded = stored.strip_prefix(FORMAT_V1).ok_or(DecryptError)?;
        let bytes = BASE64.decode(encoded).map_err(|_| DecryptError)?;
        if bytes.len() <= NONCE_LEN {
            return Err(DecryptError);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| DecryptError)?;
        String::from_utf8(plain).map_err(|_| DecryptError)
    }
}

/// A magic-link token: 256 random bits, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A project's identity-signing secret: 256 random bits, URL-safe base64 (43 characters),
/// used as the HS256 key as written.
pub fn identity_secret() -> String {
    random_token()
}

/// SHA-256 of a token, hex: what the database keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new project key: `pk_` and 24 base62 characters.
pub fn project_key() -> String {
    let mut rng = rand::rng();
    let random: String = (0..PROJECT_KEY_CHARS)
        .map(|_| char::from(rng.sample(rand::distr::Alphanumeric)))
        .collect();
    format!("pk_{random}")
}

/// The displayable hint of a provider key, `sk-…AbCd`: enough to recognise it, too little to use.
pub fn key_preview(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 12 {
        // Too short to show any part without revealing much of it.
        return "…".to_owned();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let cipher = KeyCipher::new(&[7u8; 32]);
        let a = cipher.encrypt("sk-secret", "row-1");
        let b = cipher.encrypt("sk-secret", "row-1");
        assert_ne!(a, b, "a fresh nonce per value");
        assert!(!a.contains("sk-secret"));
        assert_eq!(
            cipher.decrypt(&a, "row-1").ok().as_deref(),
            Some("sk-secret")
        );
        assert!(cipher.decrypt(&a, "row-2").is_err());
        assert!(KeyCipher::new(&[8u8; 32]).decrypt(&a, "row-1").is_err());
        assert!(cipher.decrypt("v1:AAAA", "row-1").is_err());
    }

    #[test]
    fn keys_and_tokens() {
        let k = project_key();
        assert!(k.starts_with("pk_") && k.len() == 27);
        assert!(k[3..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(project_key(), k);
        assert_eq!(random_token().len(), 43);
        assert_eq!(token_hash("abc").len(), 64);
        assert_eq!(key_preview("sk-proj-1234567890AbCd"), "sk-…AbCd");
        assert_eq!(key_preview("short"), "…");
    }
}

//! Passwords (argon2id), TOTP second factors, recovery codes and opaque tokens.
//! CPU-heavy functions here are synchronous; callers run them on a blocking thread.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::{CryptoRng, Rng, RngCore};
use sha2::{Digest, Sha256};

use crate::text::{FieldError, FieldErrorKind};

/// argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
fn hasher() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters"),
    )
}

/// A password as typed, checked against the policy: 12–256 characters, not only one kind of
/// character repeated, not the username.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str, username: &str) -> Result<Self, FieldError> {
        let len = raw.chars().count();
        if len < 12 {
            return Err(FieldError::new(
                "password",
                FieldErrorKind::TooShort { min: 12 },
            ));
        }
        if len > 256 {
            return Err(FieldError::new(
                "password",
                FieldErrorKind::TooLong { max: 256 },
            ));
        }
        let first = raw.chars().next();
        if raw.chars().all(|c| Some(c) == first)
            || raw.to_lowercase().contains(&username.to_lowercase()) && !username.is_empty()
        {
            return Err(FieldError::new("password", FieldErrorKind::NotAllowed));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn hash<R: RngCore + CryptoRng>(&self, rng: &mut R) -> String {
        hash_password(&self.0, rng)
    }
}

fn hash_password<R: RngCore + CryptoRng>(password: &str, rng: &mut R) -> String {
    let mut salt = [0u8; 16];
    rng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with valid parameters")
        .to_string()
}

/// Checks a password against a stored PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a password nobody knows, verified against when the username does not exist so that
/// a failed login takes the same time either way.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("mamori-dummy-password-for-timing", &mut rand::rngs::OsRng))
}

/// A random token for sessions, CSRF and API use: 32 bytes, URL-safe base64.
pub fn random_token<R: RngCore + CryptoRng>(rng: &mut R) -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// How tokens are kept at rest: SHA-256 hex. Tokens have 256 bits of entropy, so a fast hash
/// suffices, and lookups stay indexable.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// How long an API token lives when its maker names no time, in days.
pub const TOKEN_DEFAULT_DAYS: u32 = 90;
/// The longest life an API token may be given, in days: every token ends.
pub const TOKEN_MAX_DAYS: u32 = 3650;

/// When a token made at `now_ms` to live `days` days expires (milliseconds since the epoch);
/// `None` for a life of no days or beyond [`TOKEN_MAX_DAYS`].
pub fn token_expiry(now_ms: i64, days: u32) -> Option<i64> {
    (1..=TOKEN_MAX_DAYS)
        .contains(&days)
        .then(|| now_ms.saturating_add(i64::from(days) * 86_400_000))
}

/// Constant-time string comparison for secrets.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()).into()
}

/// A TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s), as authenticator apps expect.
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = vec![0u8; 20];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_base32(text: &str) -> Option<Self> {
        match totp_rs::Secret::Encoded(text.to_owned()).to_bytes() {
            Ok(bytes) if bytes.len() >= 16 => Some(Self(bytes)),
            _ => None,
        }
    }

    pub fn to_base32(&self) -> String {
        totp_rs::Secret::Raw(self.0.clone())
            .to_encoded()
            .to_string()
    }

    fn totp(&self, issuer: &str, account: &str) -> totp_rs::TOTP {
        totp_rs::TOTP::new_unchecked(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            self.0.clone(),
            Some(issuer.to_owned()),
            account.to_owned(),
        )
    }

    /// The `otpauth://` URL that the enrolment QR code carries.
    pub fn provisioning_url(&self, issuer: &str, account: &str) -> String {
        self.totp(issuer, account).get_url()
    }

    /// Checks a code at `unix_seconds`, allowing one step of clock drift either way. Returns the
    /// time step that matched so that the caller can refuse a code used twice.
    pub fn verify(&self, code: &str, unix_seconds: u64) -> Option<u64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let totp = self.totp("mamori", "user");
        let step = unix_seconds / 30;
        [step.saturating_sub(1), step, step + 1]
            .into_iter()
            .find(|s| secrets_equal(&totp.generate(s * 30), &code))
    }

    /// The code for a moment (for tests and for clients).
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.totp("mamori", "user").generate(unix_seconds)
    }
}

/// Ten single-use recovery codes of the form `xxxx-xxxx-xxxx` (lower-case letters and digits
/// without look-alikes).
pub fn recovery_codes<R: Rng>(rng: &mut R) -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..10)
        .map(|_| {
            (0..3)
                .map(|_| {
                    (0..4)
                        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// Normalises a recovery code as typed (spaces, case) before hashing.
pub fn normalise_recovery_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_token_expires_within_the_longest_life() {
        let now = 1_700_000_000_000;
        assert_eq!(token_expiry(now, 1), Some(now + 86_400_000));
        assert_eq!(
            token_expiry(now, TOKEN_DEFAULT_DAYS),
            Some(now + 90 * 86_400_000)
        );
        assert_eq!(
            token_expiry(now, TOKEN_MAX_DAYS),
            Some(now + 3650 * 86_400_000)
        );
        assert_eq!(token_expiry(now, 0), None, "a token that never lives");
        assert_eq!(token_expiry(now, TOKEN_MAX_DAYS + 1), None);
        assert_eq!(token_expiry(now, u32::MAX), None);
    }

    #[test]
    fn password_policy() {
        assert!(NewPassword::parse("short", "u").is_err());
        assert!(NewPassword::parse("aaaaaaaaaaaaaaaa", "u").is_err());
        assert!(NewPassword::parse("tanaka-password-1", "tanaka").is_err());
        assert!(
            NewPassword::parse("正しい馬電池ホチキス", "u").is_err(),
            "10 chars"
        );
        assert!(NewPassword::parse("correct horse battery", "tanaka").is_ok());
    }

    #[test]
    fn hash_and_verify() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let hash = NewPassword::parse("correct horse battery", "u")
            .unwrap()
            .hash(&mut rng);
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("x", "not a phc string"));
        assert!(!verify_password("x", dummy_hash()));
    }

    #[test]
    fn totp_accepts_adjacent_steps_only() {
        let secret = TotpSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
        let now = 1_800_000_000;
        let code = secret.code_at(now);
        assert_eq!(secret.verify(&code, now), Some(now / 30));
        assert!(secret.verify(&code, now + 30).is_some());
        assert!(secret.verify(&code, now + 90).is_none());
        assert!(secret.verify("12345", now).is_none());
        assert!(secret.verify("abcdef", now).is_none());
    }

    #[test]
    fn totp_secret_round_trip() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let secret = TotpSecret::generate(&mut rng);
        let again = TotpSecret::from_base32(&secret.to_base32()).unwrap();
        assert_eq!(secret.0, again.0);
        assert!(
            secret
                .provisioning_url("mamori", "tanaka")
                .starts_with("otpauth://totp/")
        );
        assert!(TotpSecret::from_base32("!!!").is_none());
    }

    #[test]
    fn recovery_codes_are_distinct() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let codes = recovery_codes(&mut rng);
        assert_eq!(codes.len(), 10);
        let set: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(set.len(), 10);
        assert_eq!(
            normalise_recovery_code(" ABCD-efgh-2345 "),
            "abcd-efgh-2345"
        );
    }
}

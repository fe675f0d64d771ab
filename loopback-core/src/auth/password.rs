//! Password hashing as LB3's User model does it: bcrypt (`$2a$`/`$2b$`, cost 10 by default),
//! at most 72 bytes, hashes written by LoopBack 3 accepted as they are.

use crate::error::{Error, Result};

/// bcrypt reads at most 72 bytes; LB3 rejects longer passwords instead of truncating them.
pub const MAX_PASSWORD_LENGTH: usize = 72;

/// LB3's default bcrypt cost (`saltWorkFactor`).
pub const DEFAULT_SALT_WORK_FACTOR: u32 = 10;

/// Whether `s` is already a bcrypt hash, as LB3 tells (so that a hash loaded from the
/// database is not hashed again).
pub fn is_bcrypt_hash(s: &str) -> bool {
    (s.starts_with("$2a$") || s.starts_with("$2b$") || s.starts_with("$2y$")) && s.len() == 60
}

/// LB3's `User.validatePassword`: a non-empty string of at most 72 bytes.
pub fn validate_password(plain: &str) -> Result<()> {
    if plain.is_empty() {
        return Err(invalid_password());
    }
    let len = plain.len();
    if len > MAX_PASSWORD_LENGTH {
        return Err(Error::Http {
            status: 422,
            name: "Error".into(),
            code: Some("PASSWORD_TOO_LONG".into()),
            message: format!(
                "The password entered was too long. Max length is {MAX_PASSWORD_LENGTH} (entered {len})"
            ),
        });
    }
    Ok(())
}

/// The `INVALID_PASSWORD` error of a missing, empty or non-string password.
pub(crate) fn invalid_password() -> Error {
    Error::Http {
        status: 422,
        name: "Error".into(),
        code: Some("INVALID_PASSWORD".into()),
        message: "Invalid password.".into(),
    }
}

/// Validates and hashes `plain` with bcrypt at `cost` (LB3's `User.hashPassword`).
pub fn hash_password(plain: &str, cost: u32) -> Result<String> {
    validate_password(plain)?;
    let cost = cost.clamp(4, 31);
    bcrypt::hash(plain, cost).map_err(|e| Error::Internal(format!("bcrypt: {e}")))
}

/// Whether `plain` matches `hash` (LB3's `user.hasPassword`); false when either is empty or
/// the hash is not a bcrypt hash. bcrypt compares in constant time.
pub fn verify_password(plain: &str, hash: &str) -> bool {
    if plain.is_empty() || hash.is_empty() || plain.len() > MAX_PASSWORD_LENGTH {
        return false;
    }
    bcrypt::verify(plain, hash).unwrap_or(false)
}

/// Compares two secrets without stopping at the first difference, so that the time taken
/// does not tell how much of a guess was right.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_reject_wrong_passwords() {
        let h = hash_password("opensesame", 4).unwrap();
        assert!(is_bcrypt_hash(&h));
        assert!(verify_password("opensesame", &h));
        assert!(!verify_password("opensesam", &h));
        assert!(!verify_password("", &h));
        assert!(!verify_password("opensesame", "not a hash"));
    }

    #[test]
    fn accepts_hashes_written_by_loopback_3() {
        // Written by LB3 3.28 (bcryptjs, cost 10) for the password "alice-pass".
        let lb3 = "$2a$10$AyZO4YXtZxRQmtpX0xNzP.jJNQjuLwnmzoUemuYqdlVuUJo6btMwm";
        assert!(is_bcrypt_hash(lb3));
        assert!(verify_password("alice-pass", lb3));
        assert!(!verify_password("alice-pas", lb3));
    }

    #[test]
    fn rejects_empty_and_overlong_passwords() {
        assert_eq!(
            validate_password("").unwrap_err().code(),
            Some("INVALID_PASSWORD")
        );
        let long = "a".repeat(73);
        let err = hash_password(&long, 4).unwrap_err();
        assert_eq!(err.code(), Some("PASSWORD_TOO_LONG"));
        assert_eq!(err.status(), 422);
        assert_eq!(
            err.to_string(),
            "The password entered was too long. Max length is 72 (entered 73)"
        );
        // 72 bytes of multi-byte characters are counted in bytes, as LB3 does.
        assert!(validate_password(&"é".repeat(36)).is_ok());
        assert!(validate_password(&"é".repeat(37)).is_err());
        // A 73-byte guess never matches, even where bcrypt would truncate.
        let h = hash_password(&"a".repeat(72), 4).unwrap();
        assert!(verify_password(&"a".repeat(72), &h));
        assert!(!verify_password(&"a".repeat(73), &h));
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}

//! Input rules shared by the server (which enforces them) and the forms (which hint them).

use crate::error::{AppError, AppResult};

pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 1024;

/// The longest email address SMTP can carry (RFC 5321's 256-octet path, less its brackets).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Refuses an email address longer than any real one before it costs a lookup or a hash.
pub fn email_length(raw: &str) -> AppResult<()> {
    if raw.trim().chars().count() > MAX_EMAIL_CHARS {
        return Err(AppError::invalid(
            "email",
            format!("An email address has at most {MAX_EMAIL_CHARS} characters."),
        ));
    }
    Ok(())
}

/// A trimmed, lower-cased email address of a plausible shape.
pub fn email(raw: &str) -> AppResult<String> {
    email_length(raw)?;
    let email = raw.trim().to_lowercase();
    let valid = !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if email.is_empty() {
        return Err(AppError::invalid("email", "Enter an email address."));
    }
    if !valid {
        return Err(AppError::invalid(
            "email",
            format!("'{}' is not an email address.", crate::error::quote(raw)),
        ));
    }
    Ok(email)
}

pub fn new_password(password: &str, email: &str) -> AppResult<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "password",
            format!("Use at least {MIN_PASSWORD_CHARS} characters for your password."),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "password",
            format!("Use at most {MAX_PASSWORD_CHARS} characters for your password."),
        ));
    }
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err(AppError::invalid(
            "password",
            "Your password must not be your email address.",
        ));
    }
    Ok(())
}

pub fn organisation_name(raw: &str, email: &str) -> AppResult<String> {
    let name = raw.trim();
    if name.is_empty() {
        let local = email.split('@').next().unwrap_or("My");
        return Ok(format!("{local}'s organisation"));
    }
    if name.chars().count() > 100 {
        return Err(AppError::invalid(
            "organisation",
            "Keep the organisation name under 100 characters.",
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            email("  Ann@Example.COM ").as_deref(),
            Ok("ann@example.com")
        );
        assert!(email("ann").is_err());
        assert!(email("ann@example").is_err());
        assert!(email("a b@example.com").is_err());
        assert!(email("").is_err());
    }

    #[test]
    fn passwords() {
        assert!(new_password("short", "a@b.co").is_err());
        assert!(new_password("ann@example.com", "ann@example.com").is_err());
        assert!(new_password("ANN@EXAMPLE.COM", "ann@example.com").is_err());
        assert!(new_password("long enough pass", "ann@example.com").is_ok());
    }
}

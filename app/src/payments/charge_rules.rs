//! What a charge must be before Stripe is asked to make it, whoever starts it (the reader page
//! or a till through the API): each rule names the field it refuses and says why in words for
//! the person who filled it in.

use super::types::CURRENCIES;
use crate::error::AppError;

/// A field of a charge that cannot go to Stripe, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub message: &'static str,
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> AppError {
        AppError::invalid(refusal.field, refusal.message)
    }
}

/// Descriptions longer than this many characters are refused.
pub const MAX_DESCRIPTION_CHARS: usize = 200;

/// An operation id, which a page's form carries so that the same id never makes a second
/// PaymentIntent: 8 to 64 ASCII letters and digits.
pub fn operation_is_valid(op: &str) -> bool {
    (8..=64).contains(&op.len()) && op.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The currency as Stripe writes it (lowercase), when it is one we offer.
pub fn currency(text: &str) -> Result<String, Refusal> {
    let currency = text.trim().to_ascii_lowercase();
    if CURRENCIES.contains(&currency.as_str()) {
        Ok(currency)
    } else {
        Err(Refusal {
            field: "currency",
            message: "Choose a currency from the list.",
        })
    }
}

/// An amount in the currency's smallest unit: at least 1.
pub fn amount(minor: i64) -> Result<i64, Refusal> {
    if minor < 1 {
        Err(Refusal {
            field: "amount",
            message: "The amount must be at least 1 (in the currency's smallest unit).",
        })
    } else {
        Ok(minor)
    }
}

/// The description without surrounding blanks (empty for none), under the length limit.
pub fn description(text: &str) -> Result<&str, Refusal> {
    let description = text.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        Err(Refusal {
            field: "description",
            message: "Keep the description under 200 characters.",
        })
    } else {
        Ok(description)
    }
}

/// Stripe's capture method: `manual`, or `automatic` (also when none is given).
pub fn capture(method: &str) -> Result<&'static str, Refusal> {
    match method {
        "manual" => Ok("manual"),
        "automatic" | "" => Ok("automatic"),
        _ => Err(Refusal {
            field: "capture",
            message: "Choose automatic or manual capture.",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field a refusal names, or a failure saying what was accepted instead.
    fn refused_field<T: std::fmt::Debug>(result: Result<T, Refusal>, input: &str) -> &'static str {
        match result {
            Err(refusal) => {
                assert!(
                    !refusal.message.is_empty(),
                    "{input}: refused {} without a reason",
                    refusal.field
                );
                refusal.field
            }
            Ok(value) => panic!("{input}: accepted as {value:?}"),
        }
    }

    #[test]
    fn operation_ids_are_8_to_64_letters_and_digits() {
        for op in ["abcd1234", &"a".repeat(64)] {
            assert!(operation_is_valid(op), "op {op:?} refused");
        }
        for op in [
            "",
            "abc1234",
            &"a".repeat(65),
            "abcd-1234",
            "abcd 1234",
            "abcdé123",
        ] {
            assert!(!operation_is_valid(op), "op {op:?} accepted");
        }
    }

    #[test]
    fn currencies_are_the_offered_ones_in_stripes_lowercase() {
        assert_eq!(
            currency(" USD ").as_deref(),
            Ok("usd"),
            "currency \" USD \""
        );
        assert_eq!(currency("jpy").as_deref(), Ok("jpy"), "currency jpy");
        for text in ["xyz", "", "us", "usd;"] {
            assert_eq!(refused_field(currency(text), text), "currency");
        }
    }

    #[test]
    fn amounts_start_at_one_minor_unit() {
        assert_eq!(amount(1), Ok(1), "amount 1");
        assert_eq!(amount(999_999), Ok(999_999), "amount 999999");
        for minor in [0, -1, i64::MIN] {
            assert_eq!(refused_field(amount(minor), &minor.to_string()), "amount");
        }
    }

    #[test]
    fn descriptions_are_trimmed_and_kept_under_the_limit() {
        assert_eq!(
            description("  Flat white "),
            Ok("Flat white"),
            "description trimmed"
        );
        assert_eq!(description("   "), Ok(""), "a blank description is none");
        let longest = "é".repeat(MAX_DESCRIPTION_CHARS);
        assert_eq!(
            description(&longest),
            Ok(longest.as_str()),
            "{MAX_DESCRIPTION_CHARS} characters (counted as characters, not bytes)"
        );
        let over = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert_eq!(
            refused_field(description(&over), "201 characters"),
            "description"
        );
        let padded = format!("  {}  ", "x".repeat(MAX_DESCRIPTION_CHARS));
        assert_eq!(
            description(&padded).map(str::len),
            Ok(MAX_DESCRIPTION_CHARS),
            "blanks around do not count"
        );
    }

    #[test]
    fn capture_is_automatic_unless_manual_is_asked_for() {
        assert_eq!(capture(""), Ok("automatic"), "capture \"\"");
        assert_eq!(capture("automatic"), Ok("automatic"), "capture automatic");
        assert_eq!(capture("manual"), Ok("manual"), "capture manual");
        for method in ["later", "Manual", " manual"] {
            assert_eq!(refused_field(capture(method), method), "capture");
        }
    }

    #[test]
    fn a_refusal_is_an_invalid_field_for_the_page_and_the_api() {
        let err: AppError = amount(0).expect_err("amount 0").into();
        assert_eq!(err.field(), Some("amount"), "{err:?}");
    }
}

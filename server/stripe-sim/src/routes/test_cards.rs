//! Stripe's Terminal test cards and test amounts: what a presented card does.

pub const VISA: &str = "4242424242424242";
pub const INTERAC: &str = "4506445006931933";
/// Refunds of a charge on this card stay `pending`, then succeed.
pub const REFUND_PENDING: &str = "4000000000007726";
/// Refunds of a charge on this card look `succeeded`, then fail.
pub const REFUND_FAILS: &str = "4000000000005126";

/// A declined authorisation: the error `code`, the issuer's `decline_code`, the message.
#[derive(Debug, Clone, Copy)]
pub struct Decline {
    pub code: &'static str,
    pub decline_code: &'static str,
    pub message: &'static str,
}

const fn decline(code: &'static str, decline_code: &'static str, message: &'static str) -> Decline {
    Decline {
        code,
        decline_code,
        message,
    }
}

/// The result of authorising `amount` (minor units, tip included) on `number`: the card
/// number decides first, then the amount's last two digits. Endings 02 and 03 (PIN flows)
/// approve, as if the customer entered the PIN the reader asked for.
pub fn outcome(number: &str, amount: i64) -> Option<Decline> {
    let by_card = match number {
        "4000000000000002" => Some(decline(
            "card_declined",
            "generic_decline",
            "Your card was declined.",
        )),
        "4000000000009995" => Some(decline(
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
        )),
        "4000000000009987" => Some(decline(
            "card_declined",
            "lost_card",
            "Your card was declined.",
        )),
        "4000000000009979" => Some(decline(
            "card_declined",
            "stolen_card",
            "Your card was declined.",
        )),
        "4000000000000069" => Some(decline(
            "expired_card",
            "expired_card",
            "Your card has expired.",
        )),
        "4000000000000119" => Some(decline(
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        )),
        _ => None,
    };
    by_card.or(match amount.rem_euclid(100) {
        1 => Some(decline(
            "card_declined",
            "call_issuer",
            "Your card was declined.",
        )),
        5 => Some(decline(
            "card_declined",
            "generic_decline",
            "Your card was declined.",
        )),
        55 => Some(decline(
            "incorrect_pin",
            "incorrect_pin",
            "The PIN you entered is incorrect.",
        )),
        65 => Some(decline(
            "card_declined",
            "withdrawal_count_limit_exceeded",
            "Your card was declined.",
        )),
        75 => Some(decline(
            "card_declined",
            "pin_try_exceeded",
            "The allowable number of PIN tries has been exceeded.",
        )),
        _ => None,
    })
}

/// The card brand Stripe reports for a test number.
pub fn brand(number: &str) -> &'static str {
    match number {
        INTERAC => "interac",
        n if n.starts_with('4') => "visa",
        n if n.starts_with("34") || n.starts_with("37") => "amex",
        n if n.starts_with('5') || n.starts_with('2') => "mastercard",
        n if n.starts_with("30") || n.starts_with("36") => "diners",
        n if n.starts_with("35") => "jcb",
        n if n.starts_with("62") => "unionpay",
        n if n.starts_with('6') => "discover",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_decide_before_amounts() {
        assert!(outcome(VISA, 1000).is_none());
        assert_eq!(
            outcome("4000000000009995", 1000).map(|d| d.decline_code),
            Some("insufficient_funds")
        );
        assert_eq!(
            outcome(VISA, 1005).map(|d| d.decline_code),
            Some("generic_decline")
        );
        assert!(outcome(VISA, 1002).is_none());
        assert_eq!(brand("378282246310005"), "amex");
        assert_eq!(brand("5555555555554444"), "mastercard");
    }
}

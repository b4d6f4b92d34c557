//! Where a payment stands for the person or till waiting on it. It comes only from facts about
//! that payment: its PaymentIntent's state, what a reader reported about an action naming it,
//! and a reader failure that Stripe confirmed. A signal that the reader gave up (its action
//! failed, or it moved on) is a doubt, settled by reading the PaymentIntent and the reader back
//! from Stripe before anyone is told the payment failed: a customer who paid is never reported
//! as not having paid.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The reader waits for a card (or is reading one): ask again.
    Pending,
    Succeeded,
    /// Authorised; captured later by someone's request.
    RequiresCapture,
    /// The card was declined: Stripe's decline code and words say why.
    Declined,
    Canceled,
    /// Stripe confirmed the reader gave up on this payment (timed out, canceled, reset, or moved
    /// on to a newer payment) before a card was presented: nobody paid, a new sale may start.
    ReaderFailed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Succeeded => "succeeded",
            Outcome::RequiresCapture => "requires_capture",
            Outcome::Declined => "declined",
            Outcome::Canceled => "canceled",
            Outcome::ReaderFailed => "reader_failed",
        }
    }

    /// Every outcome but `pending` changes only by someone's request (capture, cancel, refund).
    pub fn is_final(self) -> bool {
        self != Outcome::Pending
    }
}

/// The facts of one payment that decide its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts<'a> {
    /// The PaymentIntent's status, as Stripe last told us.
    pub status: &'a str,
    /// Stripe's decline or error code from the PaymentIntent's last payment error.
    pub failure_code: Option<&'a str>,
    /// Stripe confirmed the reader gave up on this payment.
    pub gave_up: Option<&'a str>,
    /// A reader signal suggests it gave up, not yet confirmed with Stripe.
    pub doubt: bool,
}

pub fn outcome(facts: &Facts<'_>) -> Outcome {
    match facts.status {
        "succeeded" => Outcome::Succeeded,
        "requires_capture" => Outcome::RequiresCapture,
        "canceled" => Outcome::Canceled,
        "requires_payment_method" if facts.failure_code.is_some() => Outcome::Declined,
        "requires_payment_method" if facts.gave_up.is_some() => Outcome::ReaderFailed,
        _ => Outcome::Pending,
    }
}

/// True when a reader signal says the payment may have failed while the PaymentIntent does
/// not: Stripe must be asked before the outcome can be final.
pub fn needs_check(facts: &Facts<'_>) -> bool {
    facts.doubt && outcome(facts) == Outcome::Pending
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: &str) -> Facts<'_> {
        Facts {
            status,
            failure_code: None,
            gave_up: None,
            doubt: false,
        }
    }

    #[test]
    fn the_payment_intent_decides_first() {
        for (status, want) in [
            ("succeeded", Outcome::Succeeded),
            ("requires_capture", Outcome::RequiresCapture),
            ("canceled", Outcome::Canceled),
            ("requires_payment_method", Outcome::Pending),
            ("requires_confirmation", Outcome::Pending),
            ("processing", Outcome::Pending),
        ] {
            assert_eq!(outcome(&facts(status)), want, "status {status}");
        }
        // A reader failure, confirmed or not, never hides a payment the customer made.
        let paid = Facts {
            gave_up: Some("The reader timed out."),
            doubt: true,
            ..facts("succeeded")
        };
        assert_eq!(outcome(&paid), Outcome::Succeeded);
        assert!(
            !needs_check(&paid),
            "nothing to check once Stripe says paid"
        );
    }

    #[test]
    fn a_decline_is_a_decline_even_when_the_reader_also_failed() {
        let declined = Facts {
            failure_code: Some("insufficient_funds"),
            gave_up: Some("The reader moved on."),
            doubt: true,
            ..facts("requires_payment_method")
        };
        assert_eq!(outcome(&declined), Outcome::Declined);
        assert!(!needs_check(&declined));
    }

    #[test]
    fn a_reader_signal_alone_is_a_doubt_not_a_failure() {
        let doubt = Facts {
            doubt: true,
            ..facts("requires_payment_method")
        };
        assert_eq!(
            outcome(&doubt),
            Outcome::Pending,
            "not final until Stripe says so"
        );
        assert!(needs_check(&doubt));
        let confirmed = Facts {
            gave_up: Some("The reader timed out."),
            ..doubt
        };
        assert_eq!(outcome(&confirmed), Outcome::ReaderFailed);
        assert!(outcome(&confirmed).is_final());
        assert!(!needs_check(&confirmed));
    }
}

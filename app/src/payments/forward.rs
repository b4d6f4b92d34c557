//! A payment row only moves forward. Stripe's webhooks arrive at least once and in any order,
//! and our own calls' answers race them, so what Stripe says about a PaymentIntent is written
//! over our row only when it is not older than what the row already reflects: a status of a
//! lower rank is ignored, and so is one of the same rank that Stripe produced before the view
//! the row holds.

/// How far along a PaymentIntent is; Stripe's states only move up this order (a decline returns
/// to `requires_payment_method`, the same rank as before the card).
pub fn rank(status: &str) -> i64 {
    match status {
        "requires_payment_method" | "requires_confirmation" | "requires_action" => 1,
        "processing" => 2,
        "requires_capture" => 3,
        "canceled" | "succeeded" => 4,
        _ => 0,
    }
}

/// One view of a payment's fields that Stripe's answers change: the one our row holds, or the
/// one Stripe just gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View<'a> {
    pub status: &'a str,
    /// The status's [`rank`] (for a row, as stored with it).
    pub rank: i64,
    pub amount: i64,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub failure_code: Option<&'a str>,
    /// When Stripe produced this view, in seconds (an event's `created`; now for an answer to
    /// our own call).
    pub as_of: i64,
}

/// What to do with a row when Stripe's view of its PaymentIntent arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Older than the row, or the same as the row and no newer: nothing changes.
    Ignore,
    /// The same fields, seen later: only when Stripe was last heard from moves on.
    NoteSeen,
    /// Write Stripe's fields over the row; `moved` when the status itself changed.
    Write { moved: bool },
}

/// Decides what Stripe's view `incoming` does to the row that holds `stored`.
pub fn decide(stored: &View<'_>, incoming: &View<'_>) -> Decision {
    let older = incoming.rank < stored.rank
        || (incoming.rank == stored.rank && incoming.as_of < stored.as_of);
    if older {
        return Decision::Ignore;
    }
    let same = stored.status == incoming.status
        && stored.amount == incoming.amount
        && stored.amount_capturable == incoming.amount_capturable
        && stored.amount_received == incoming.amount_received
        && stored.failure_code == incoming.failure_code;
    if !same {
        Decision::Write {
            moved: stored.status != incoming.status,
        }
    } else if incoming.as_of > stored.as_of {
        Decision::NoteSeen
    } else {
        Decision::Ignore
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row waiting for a card, last heard of from Stripe at second 100.
    fn waiting() -> View<'static> {
        View {
            status: "requires_payment_method",
            rank: rank("requires_payment_method"),
            amount: 1250,
            amount_capturable: 0,
            amount_received: 0,
            failure_code: None,
            as_of: 100,
        }
    }

    fn paid(as_of: i64) -> View<'static> {
        View {
            status: "succeeded",
            rank: rank("succeeded"),
            amount_received: 1250,
            as_of,
            ..waiting()
        }
    }

    #[test]
    fn stripes_states_rank_in_the_order_they_happen() {
        let order = [
            "requires_payment_method",
            "processing",
            "requires_capture",
            "succeeded",
        ];
        for pair in order.windows(2) {
            assert!(
                rank(pair[0]) < rank(pair[1]),
                "rank of {} ({}) is not below rank of {} ({})",
                pair[0],
                rank(pair[0]),
                pair[1],
                rank(pair[1])
            );
        }
        assert_eq!(
            rank("canceled"),
            rank("succeeded"),
            "canceled and succeeded are both final"
        );
        assert_eq!(
            rank("requires_action"),
            rank("requires_payment_method"),
            "requires_action waits for the customer like requires_payment_method"
        );
        assert_eq!(
            rank("a_status_stripe_adds_later"),
            0,
            "unknown statuses rank lowest"
        );
    }

    #[test]
    fn a_later_state_is_written_and_moves_the_status() {
        assert_eq!(
            decide(&waiting(), &paid(101)),
            Decision::Write { moved: true }
        );
    }

    #[test]
    fn an_earlier_state_never_moves_a_payment_backwards() {
        // However fresh the event: `payment_intent.created` redelivered after the payment.
        let late = View {
            as_of: 1_000,
            ..waiting()
        };
        assert_eq!(
            decide(&paid(101), &late),
            Decision::Ignore,
            "requires_payment_method (rank {}) over succeeded (rank {})",
            late.rank,
            paid(101).rank
        );
    }

    #[test]
    fn the_same_rank_from_before_the_rows_view_is_ignored() {
        // A decline (requires_payment_method with a failure code), then the same state without
        // it, produced by Stripe earlier but delivered later: the decline stays.
        let declined = View {
            failure_code: Some("insufficient_funds"),
            as_of: 200,
            ..waiting()
        };
        let older = View {
            as_of: 195,
            ..waiting()
        };
        assert_eq!(
            decide(&declined, &older),
            Decision::Ignore,
            "as_of 195 < 200"
        );
        // The same object from a newer view does apply: ordering is by when Stripe made it.
        let newer = View {
            as_of: 205,
            ..waiting()
        };
        assert_eq!(
            decide(&declined, &newer),
            Decision::Write { moved: false },
            "failure_code cleared at as_of 205 > 200"
        );
    }

    #[test]
    fn a_change_in_any_one_field_is_written_without_moving_the_status() {
        let stored = View {
            status: "requires_capture",
            rank: rank("requires_capture"),
            amount_capturable: 1250,
            ..waiting()
        };
        let changes: [(&str, View<'_>); 4] = [
            (
                "amount",
                View {
                    amount: 1500,
                    ..stored
                },
            ),
            (
                "amount_capturable",
                View {
                    amount_capturable: 1000,
                    ..stored
                },
            ),
            (
                "amount_received",
                View {
                    amount_received: 1,
                    ..stored
                },
            ),
            (
                "failure_code",
                View {
                    failure_code: Some("card_declined"),
                    ..stored
                },
            ),
        ];
        for (field, incoming) in changes {
            assert_eq!(
                decide(&stored, &incoming),
                Decision::Write { moved: false },
                "a new {field} alone, at the same as_of"
            );
        }
    }

    #[test]
    fn nothing_new_only_notes_when_stripe_was_heard_from() {
        assert_eq!(
            decide(&paid(101), &paid(150)),
            Decision::NoteSeen,
            "the same view at as_of 150 > 101"
        );
        assert_eq!(
            decide(&paid(101), &paid(101)),
            Decision::Ignore,
            "the same view at the same as_of"
        );
    }
}

//! A stateful, in-memory Stripe (Terminal subset) speaking Stripe's wire format.

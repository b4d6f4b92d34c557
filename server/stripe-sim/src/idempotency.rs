//! `Idempotency-Key` on POST: the first answer (status and body, errors included) is saved
//! per account and key and replayed for 24 hours; a key still being processed is
//! `idempotency_key_in_use`; a key reused with other parameters is an `idempotency_error`.

use crate::errors::SimError;
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::HashMap;

/// How long answers are kept (Stripe: "at least 24 hours").
const KEEP_SECS: i64 = 24 * 3600;

#[derive(Debug, Clone)]
enum Entry {
    InFlight {
        fingerprint: String,
    },
    Done {
        fingerprint: String,
        status: u16,
        body: Value,
        at: i64,
    },
}

#[derive(Default)]
pub struct Keys {
    entries: Mutex<HashMap<(String, String), Entry>>,
}

/// What the idempotency layer decided for a request.
pub enum Claim<'a> {
    /// Run the request; save its answer through the reservation.
    Run(Reservation<'a>),
    /// Answer with a saved response.
    Replay { status: u16, body: Value },
}

/// A key being processed; releases the key if dropped unsaved (the client went away or the
/// answer is not one Stripe saves).
pub struct Reservation<'a> {
    keys: &'a Keys,
    slot: (String, String),
    done: bool,
}

impl Keys {
    pub fn claim(
        &self,
        account: &str,
        key: &str,
        fingerprint: &str,
        now: i64,
    ) -> Result<Claim<'_>, SimError> {
        let mut entries = self.entries.lock();
        entries.retain(|_, e| match e {
            Entry::Done { at, .. } => now - *at < KEEP_SECS,
            Entry::InFlight { .. } => true,
        });
        let slot = (account.to_string(), key.to_string());
        match entries.get(&slot) {
            Some(Entry::InFlight { .. }) => Err(SimError::idempotency_in_use()),
            Some(Entry::Done {
                fingerprint: saved,
                status,
                body,
                ..
            }) => {
                if saved != fingerprint {
                    return Err(SimError::idempotency_mismatch(key));
                }
                Ok(Claim::Replay {
                    status: *status,
                    body: body.clone(),
                })
            }
            None => {
                entries.insert(
                    slot.clone(),
                    Entry::InFlight {
                        fingerprint: fingerprint.to_string(),
                    },
                );
                Ok(Claim::Run(Reservation {
                    keys: self,
                    slot,
                    done: false,
                }))
            }
        }
    }

    pub fn clear(&self) {
        self.entries.lock().clear();
    }
}

impl Reservation<'_> {
    pub fn save(mut self, status: u16, body: Value, now: i64) {
        let mut entries = self.keys.entries.lock();
        if let Some(Entry::InFlight { fingerprint }) = entries.get(&self.slot).cloned() {
            entries.insert(
                self.slot.clone(),
                Entry::Done {
                    fingerprint,
                    status,
                    body,
                    at: now,
                },
            );
        }
        self.done = true;
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.done {
            let mut entries = self.keys.entries.lock();
            if matches!(entries.get(&self.slot), Some(Entry::InFlight { .. })) {
                entries.remove(&self.slot);
            }
        }
    }
}

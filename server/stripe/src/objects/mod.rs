//! Typed Stripe objects for what Terminal Fleet uses. Every field Stripe may omit or null is an
//! `Option`; fields we do not use are ignored.

mod configuration;
mod expandable;
mod payments;
mod platform;
mod terminal;

pub use configuration::*;
pub use expandable::Expandable;
pub use payments::*;
pub use platform::*;
pub use terminal::*;

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub type Metadata = HashMap<String, String>;

/// A page of a list endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    pub has_more: bool,
    #[serde(default)]
    pub url: String,
}

/// What Stripe answers to a DELETE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    pub id: String,
    pub deleted: bool,
}

/// Objects that list endpoints can page through by id.
pub trait HasId {
    fn id(&self) -> &str;
}

macro_rules! has_id {
    ($($t:ty),+) => { $(impl HasId for $t { fn id(&self) -> &str { &self.id } })+ };
}
has_id!(
    Location,
    Reader,
    PaymentIntent,
    Charge,
    Refund,
    Event,
    WebhookEndpoint,
    Account,
    TerminalConfiguration,
    File
);

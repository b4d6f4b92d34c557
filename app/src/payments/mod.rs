//! Payments: test charges on readers, the transactions list and each payment's page.

pub mod api;
mod charge_panel;
pub mod charge_rules;
mod events_page;
pub mod forward;
pub mod outcome;
#[cfg(feature = "ssr")]
pub mod ssr;
mod transaction_page;
mod transactions_page;
pub mod types;

pub use charge_panel::{ChargePanel, ChargeTarget, PaymentList};
pub use events_page::EventsPage;
pub use transaction_page::TransactionPage;
pub use transactions_page::TransactionsPage;

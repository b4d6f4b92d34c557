//! The server half of alert notifications: endpoints and their log, URL rules, the delivery
//! worker's database side, and the conditions found by looking.

pub mod deliveries;
pub mod endpoints_service;
pub mod url_rules;
pub mod watch;

//! The server half of the overview and a reader's page: each reads the fleet's rows and the
//! payments' in one answer.

pub mod overview_service;
pub mod reader_detail;

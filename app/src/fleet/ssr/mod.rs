//! The fleet's server half: locations, readers, and the sync that mirrors each
//! connection's locations and readers from Stripe; bulk jobs on many readers and the inventory.

pub mod bulk_csv;
pub mod bulk_jobs;
pub mod bulk_runner;
pub mod inventory_service;
pub mod locations_service;
pub mod reader_alerts;
pub mod reader_rows;
pub mod reader_screen;
pub mod reader_views;
pub mod readers_service;
pub mod store_figures;
pub mod sync;

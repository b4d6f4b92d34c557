//! Integration tests over real HTTP against the real server, on a fresh database per test:
//! a temporary SQLite file by default, a fresh PostgreSQL database when FLEET_TEST_DB=postgres.

mod access;
mod accounts;
mod alerts;
mod bulk;
mod configurations;
mod connect;
mod figures;
mod fleet;
mod fuzz;
mod harness;
mod health;
mod isolation;
mod limits;
mod live;
mod members;
mod metrics;
mod notifications;
mod pages;
mod payments;
mod plain_forms;
mod pos_api;
mod read_cache;
mod secret_reveal;
mod settings;
mod sign_in_cost;
mod stores;
mod stripe;
mod support;
mod sync_schedule;
mod till;
mod till_screen;
mod trust;
mod webhook_ingest;

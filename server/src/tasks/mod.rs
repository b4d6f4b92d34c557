//! Work each instance runs in the background beside serving requests: the reader status sync,
//! the queue of stored webhook events not yet applied, bulk jobs left by a stopped instance,
//! and periodic clean-up.

pub mod bulk_jobs;
pub mod housekeeping;
pub mod notifications;
pub mod reader_sync;
pub mod webhook_queue;

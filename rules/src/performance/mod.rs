//! Rules for code that holds up the event loop or the database.

pub mod no_await_in_loop_query;
pub mod no_sync_io;
pub mod no_work_in_constructor;

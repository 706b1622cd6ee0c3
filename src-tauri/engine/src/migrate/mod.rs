//! One-off migrations of a ScalarDB deployment to another engine, or of
//! several storages into one: the target layout that ScalarDB's JDBC adapter
//! of a given version creates (layout.rs), values as each engine stores them
//! (values.rs), rows streamed in and out (io.rs) and the job itself (job.rs).

mod checks;
mod connect;
mod copy;
pub mod from_backup;
pub mod io;
pub mod job;
pub mod layout;
pub mod owned;
pub mod plan;
mod properties;
mod sql;
pub mod unlisted;
pub mod values;

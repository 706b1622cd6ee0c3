//! One-off migrations of a ScalarDB deployment to another engine (issue 16,
//! in progress): so far the target layout — what ScalarDB's JDBC adapter of a
//! given version creates on each engine — built from `<sys>.metadata`.

pub mod layout;
pub mod values;

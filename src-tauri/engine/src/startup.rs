//! The one start-up step of the GUI (on a background thread, after its first
//! paint) and of every CLI command: the recovery of what killed jobs left,
//! and the audit of the state files (what an earlier release wrote and this
//! one considers invalid is flagged here, never dropped).

use crate::deployment::Deployments;
use crate::recovery::{self, RecoveryReport};

pub fn check(ds: &Deployments) -> RecoveryReport {
    let home = ds.home();
    // Ledgers of earlier releases become journals first, so recovery keeps them.
    let (carried, unreadable) = crate::migrate::owned::carry_over(home);
    let mut report = recovery::recover(home);
    (report.repaired, report.flagged) = crate::state_audit::audit(ds);
    report.repaired.extend(carried);
    report.flagged.extend(unreadable);
    report.flagged.extend(crate::migrate::owned::flagged(ds));
    report
}

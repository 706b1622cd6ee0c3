//! The audit of the state files at start: entries an earlier release accepted
//! and this one does not (a secret kept in a profile, a name that cannot be a
//! folder, an over-long field) are repaired where that loses nothing (a
//! secret moved to the keyring) and otherwise flagged with what to do; they
//! are never dropped, and everything else keeps working.

use crate::deployment::{self, Deployments};
use crate::profile;

/// A name as shown in a message: long ones cut (a flagged name may be huge).
fn shown(name: &str) -> String {
    if name.chars().count() > 64 {
        format!("{}…", name.chars().take(64).collect::<String>())
    } else {
        name.to_string()
    }
}

/// Fields whose check is about the machine (a file that must exist), not
/// about what is stored: not flagged at every start.
const MACHINE_FIELDS: &[&str] = &["ssl_ca_file", "client_bin_dir"];

/// What was repaired, and what is wrong in the state (one sentence each
/// with the fix).
pub fn audit(ds: &Deployments) -> (Vec<String>, Vec<String>) {
    let mut out = Vec::new();
    let repaired = match ds.profiles().scrub_host_secrets() {
        Ok((moved, not_moved)) => {
            out.extend(not_moved);
            moved
        }
        Err(e) => {
            out.push(format!("The profiles could not be checked for secrets: {}", e.message));
            vec![]
        }
    };
    let profiles = match ds.profiles().list() {
        Ok(p) => p,
        Err(e) => {
            out.push(e.message);
            return (repaired, out);
        }
    };
    for p in &profiles {
        if let Err(fields) = profile::validate(&p.to_input()) {
            for f in fields.iter().filter(|f| !MACHINE_FIELDS.contains(&f.field.as_str())) {
                out.push(format!(
                    "Profile \"{}\" has a {} this release does not accept: {} It is kept and still listed; fix it with `quiesce profile edit {} --{} …` or in the app.",
                    shown(&p.name),
                    f.field.replace('_', " "),
                    f.message,
                    if f.field == "name" { &p.id } else { &p.name },
                    f.field.replace('_', "-")
                ));
            }
        }
    }
    match ds.list() {
        Ok(list) => {
            for d in list {
                if let Err(fields) = deployment::validate(&d.to_input(), &profiles) {
                    for f in fields {
                        out.push(format!(
                            "Deployment \"{}\" has a {} this release does not accept: {} It is kept, and its backups are refused until it is fixed: `quiesce deployment edit {} --{} …` or in the app.",
                            shown(&d.name),
                            f.field.replace('_', " "),
                            f.message,
                            d.id,
                            f.field.replace('_', "-")
                        ));
                    }
                }
            }
        }
        Err(e) => out.push(e.message),
    }
    (repaired, out)
}

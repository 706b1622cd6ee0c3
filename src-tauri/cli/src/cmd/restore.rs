//! `quiesce restore`: a whole backup into profiles of the same database families.

use super::{absolute, root, with_password, Ctx, JobSecrets};
use crate::print::{done, failed_check, print_checks, print_verify, Printed, Report, EXIT_VERIFY_FAILED};
use clap::Args;
use quiesce_engine::profile::Profiles;
use quiesce_engine::restore::{self, RestoreOptions, RestoreResult, UnitTarget};
use quiesce_engine::usecases::restores;
use quiesce_engine::{Error, Result};
use serde::Serialize;

#[derive(Args)]
pub struct RestoreArgs {
    /// Backup id (see `quiesce backups list`) or folder.
    backup: String,
    /// Target profile; for a backup of several units one per unit,
    /// `--to UNIT=PROFILE` (UNIT: the unit's id or one of its storages).
    #[arg(long, value_name = "PROFILE|UNIT=PROFILE", required = true)]
    to: Vec<String>,
    /// Replace the backup's namespaces where the target already has them.
    #[arg(long)]
    replace: bool,
    /// Parallel workers: pg_restore -j (directory-format backups), myloader
    /// threads, or the connections loading a MySQL dump's rows (1: the
    /// mariadb/mysql client alone; default: the cores, 2 to 4).
    #[arg(long, value_name = "N")]
    jobs: Option<u32>,
    /// Re-apply the ScalarDB user's privileges recorded with the backup.
    #[arg(long)]
    grants: bool,
    /// Give those privileges to this role/user instead of the recorded one.
    #[arg(long, value_name = "ROLE", requires = "grants")]
    grant_to: Option<String>,
    /// Skip the verification after the restore (the checks before it always run).
    #[arg(long)]
    no_verify: bool,
    /// Catalog folder to find the backup id in.
    #[arg(long, value_name = "DIR")]
    root: Option<String>,
    /// Print the checks, what the target holds and the commands; touch nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    secrets: JobSecrets,
}

/// `--to` values: one PROFILE (a backup of one unit), or UNIT=PROFILE per
/// unit. A value that is itself a profile's name is that profile, even with a `=`.
pub fn targets(profiles: &Profiles, to: &[String]) -> Result<(Option<String>, Vec<UnitTarget>)> {
    let mut targets = Vec::new();
    let mut one = None;
    for v in to {
        if profiles.get(v).is_ok() || !v.contains('=') {
            if one.is_some() || to.len() > 1 {
                return Err(Error::invalid(format!(
                    "--to {v}: with several --to, give each as UNIT=PROFILE (UNIT: a unit id or one of its storages, see `quiesce backups show`)."
                )));
            }
            one = Some(v.clone());
        } else {
            targets.push(UnitTarget::parse(v)?);
        }
    }
    Ok((one, targets))
}

pub async fn run(ctx: &Ctx, a: RestoreArgs) -> Result<Printed> {
    let root = root(a.root);
    let b = if std::path::Path::new(&a.backup).exists() { absolute(a.backup) } else { a.backup };
    let (one, targets) = targets(ctx.engine.profiles(), &a.to)?;
    let needs = with_password(&ctx.engine, targets.iter().map(|t| t.profile.as_str()).chain(one.as_deref()));
    let e = a.secrets.apply(&ctx.engine, &needs)?;
    let opts = RestoreOptions {
        targets: one.map(UnitTarget::only).into_iter().chain(targets).collect(),
        replace: a.replace,
        jobs: a.jobs,
        confirm: None,
        grants: a.grants,
        grant_to: a.grant_to,
        skip_verify: a.no_verify,
    };
    if a.dry_run {
        let p = restores::dry_run(&e, &b, root.as_deref(), &opts, &ctx.cancel).await?;
        return done(DryRun { dry_run: Box::new(p) });
    }
    let r = restores::run(&e, &b, root.as_deref(), &opts, ctx.events.sink(), &ctx.cancel).await?;
    done(Restored { restore: Box::new(r) })
}

#[derive(Serialize)]
struct DryRun {
    dry_run: Box<restore::RestorePreflight>,
}

impl Report for DryRun {
    fn text(&self) {
        print_restore_preflight(&self.dry_run);
    }

    fn exit_status(&self) -> i32 {
        failed_check(&self.dry_run.checks)
    }
}

#[derive(Serialize)]
struct Restored {
    restore: Box<RestoreResult>,
}

impl Report for Restored {
    fn text(&self) {
        let r = &self.restore;
        let into = r.targets.iter().map(|t| format!("{} -> {}", t.unit, t.profile)).collect::<Vec<_>>().join(", ");
        println!("Restored {} ({into}) in {:.1} s.", r.backup_id, r.duration_ms / 1000.0);
        match &r.verify {
            Some(v) => print_verify(v),
            None => {
                println!("Not verified (--no-verify). Verify each target with:");
                for t in &r.targets {
                    println!("  quiesce verify {} --backup {}", t.profile, r.backup_id);
                }
            }
        }
        if let Some(p) = &r.report_path {
            println!("Report stored with the backup: {p}");
        }
        for g in &r.grants_applied {
            println!("Granted: {g}");
        }
        println!();
        println!("Next:");
        for a in &r.after {
            println!("  - {a}");
        }
    }

    fn exit_status(&self) -> i32 {
        if self.restore.verify.as_ref().is_some_and(|v| !v.passed) {
            EXIT_VERIFY_FAILED
        } else {
            0
        }
    }
}

fn print_restore_preflight(p: &restore::RestorePreflight) {
    println!(
        "Restore {} of \"{}\" ({} unit(s), {} tables, {})",
        p.backup_id,
        p.deployment,
        p.units.len(),
        p.tables,
        quiesce_engine::size::human(p.bytes)
    );
    for u in &p.units {
        println!();
        println!(
            "Unit {} (storages {}; {}, {} tables, {}) from {}",
            u.unit,
            u.storages.join(", "),
            u.format,
            u.tables,
            quiesce_engine::size::human(u.bytes),
            u.source
        );
        println!(
            "  into {} ({}{})",
            u.target_profile,
            u.target,
            u.target_version.as_deref().map(|v| format!(", {v}")).unwrap_or_default()
        );
        if !u.existing.is_empty() {
            println!("  {} on the target:", if u.will_replace { "Will be replaced" } else { "Already" });
            for t in &u.existing {
                println!(
                    "    {}.{} ({} rows)",
                    t.namespace,
                    t.table,
                    t.rows.map(|r| r.to_string()).unwrap_or("?".into())
                );
            }
        }
        println!("  How: {}", u.mode);
        println!("  If it fails or is cancelled, the target holds: {}", u.on_failure);
        if !u.commands.is_empty() {
            println!("  Would run:");
            for c in &u.commands {
                println!("    $ {c}");
            }
        }
    }
    println!();
    println!("Checks (nothing was touched):");
    print_checks(&p.checks);
    if p.units.len() > 1 {
        println!();
        println!("Order: {}", p.order);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn to_takes_one_profile_or_a_profile_per_unit() {
        use quiesce_engine::restore::UnitTarget;
        use quiesce_engine::{paths::Home, profile::Profiles, secrets::SecretStore};
        let dir = tempfile::tempdir().unwrap();
        let profiles = Profiles::new(Home::at(dir.path()), SecretStore::new());
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let t = |u: &str, p: &str| UnitTarget { unit: u.into(), profile: p.into() };
        assert_eq!(super::targets(&profiles, &v(&["prod"])).unwrap(), (Some("prod".into()), vec![]));
        assert_eq!(
            super::targets(&profiles, &v(&["coordinator=pg-new", "u2 = maria-new"])).unwrap(),
            (None, vec![t("coordinator", "pg-new"), t("u2", "maria-new")])
        );
        let e = super::targets(&profiles, &v(&["a=x", "plain"])).unwrap_err();
        assert!(e.message.contains("--to plain") && e.message.contains("UNIT=PROFILE"), "{}", e.message);
    }
}

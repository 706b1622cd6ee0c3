//! The overview's rules on real state: a first start, backups fresh, stale,
//! damaged and left over, each item naming the view that fixes it.

mod common;
use common::*;
use quiesce_engine::backup::{self, BackupOptions};
use quiesce_engine::catalog::CatalogStatus;
use quiesce_engine::overview::{self, AttentionKind};
use quiesce_engine::plan::Method;
use quiesce_engine::profile::{DbKind, ProfileInput};
use quiesce_testsupport::scalardb::Layout;
use tokio_util::sync::CancellationToken;

fn kinds(o: &overview::Overview, name: &str) -> Vec<AttentionKind> {
    o.deployments.iter().find(|d| d.name == name).unwrap().attention.iter().map(|a| a.kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_says_what_needs_attention_and_where_to_fix_it() {
    let env = Env::new();
    quiesce_engine::demo::ensure_demo(env.ds.profiles()).unwrap();
    // Only the demo, nothing restored: the first steps apply.
    let o = overview::build(&env.ds).unwrap();
    assert!(o.first_start);
    let demo = &o.deployments[0];
    assert!(demo.is_demo && demo.last_backup.is_none() && demo.latest_point.is_none());
    assert_eq!(demo.method, Method::NoPause);
    assert_eq!(kinds(&o, "demo"), vec![AttentionKind::NoBackup]);
    assert_eq!(demo.attention[0].view, "backups");

    let lite = |name: &str| {
        let f = env.dir.path().join(format!("{name}.sqlite"));
        quiesce_engine::demo::create_demo_database(&f).unwrap();
        let p = env.profile(
            &format!("{name}-db"),
            ProfileInput { kind: Some(DbKind::Sqlite), path: Some(f.display().to_string()), ..Default::default() },
            None,
        );
        env.deployment(name, &[("default", &p)], &[], &Layout::standard())
    };
    lite("payments");
    lite("ledger");
    let o = overview::build(&env.ds).unwrap();
    assert!(!o.first_start, "a second deployment: not a first start");
    for name in ["payments", "ledger"] {
        backup::run(&env.ds, name, &BackupOptions::default(), quiet(), &CancellationToken::new()).await.unwrap();
    }
    let o = overview::build(&env.ds).unwrap();
    let p = o.deployments.iter().find(|d| d.name == "payments").unwrap();
    assert_eq!(kinds(&o, "payments"), vec![], "backed up now: nothing to fix");
    let b = p.last_backup.as_ref().unwrap();
    assert!(b.bytes > 0 && b.status != CatalogStatus::Damaged);
    let point = p.latest_point.as_ref().expect("one transactional database: its backup is a restore point");
    assert_eq!((point.source.as_str(), point.id.as_str()), ("backup", b.id.as_str()));

    // Three days later, with a damaged folder and a leftover beside the ledger's backups.
    let later = chrono::Utc::now() + chrono::Duration::days(3);
    let root = backup::catalog_root(&env.ds);
    std::fs::create_dir_all(root.join("ledger/20261101T000000Z-dmg")).unwrap();
    std::fs::write(root.join("ledger/20261101T000000Z-dmg/manifest.json"), b"{ not json").unwrap();
    std::fs::create_dir_all(root.join("ledger/20261102T000000Z-old.partial")).unwrap();
    let o = overview::build_at(&env.ds, later).unwrap();
    let k = kinds(&o, "ledger");
    assert!(k.contains(&AttentionKind::StaleBackup) && k.contains(&AttentionKind::Damaged), "{k:?}");
    assert!(k.contains(&AttentionKind::Leftover), "the leftover sits in the ledger's folder: {k:?}");
    let ledger = o.deployments.iter().find(|d| d.name == "ledger").unwrap();
    let stale = ledger.attention.iter().find(|a| a.kind == AttentionKind::StaleBackup).unwrap();
    assert!(stale.message.contains("3 days"), "{}", stale.message);
    assert!(ledger.attention.iter().all(|a| a.view == "backups"));
    assert!(o.other.is_empty(), "everything found a deployment: {:?}", o.other);
    // A damaged folder of no known deployment is still listed, never dropped.
    std::fs::create_dir_all(root.join("gone/20261103T000000Z-x")).unwrap();
    std::fs::write(root.join("gone/20261103T000000Z-x/manifest.json"), b"[]").unwrap();
    let o = overview::build_at(&env.ds, later).unwrap();
    assert_eq!(o.other.iter().map(|a| a.kind).collect::<Vec<_>>(), vec![AttentionKind::Damaged]);
    // A pause window file that does not parse (read through the window index)
    // is flagged on its deployment, as a damaged backup is.
    std::fs::write(root.join("ledger/20261104T000000.000Z-wbad0.window.json"), b"{ not json").unwrap();
    let o = overview::build_at(&env.ds, later).unwrap();
    let ledger = o.deployments.iter().find(|d| d.name == "ledger").unwrap();
    let flagged = |o: &overview::Overview| {
        o.deployments
            .iter()
            .find(|d| d.name == "ledger")
            .unwrap()
            .attention
            .iter()
            .filter(|a| a.kind == AttentionKind::Damaged)
            .count()
    };
    assert_eq!(flagged(&o), 2, "the damaged folder and the window: {:?}", ledger.attention);
    let w = ledger.attention.iter().find(|a| a.message.starts_with("Pause window file")).expect("named as a window");
    assert_eq!(w.view, "restore-points");
    assert!(root.join("ledger").join(quiesce_engine::catalog::windex::INDEX).is_file(), "read through the index");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_steps_clear_once_the_demo_is_backed_up_and_restored() {
    let env = Env::new();
    quiesce_engine::demo::ensure_demo(env.ds.profiles()).unwrap();
    assert!(overview::build(&env.ds).unwrap().first_start);
    let never = CancellationToken::new();
    let (_, m) = backup::run(&env.ds, "demo", &BackupOptions::default(), quiet(), &never).await.unwrap();
    assert!(overview::build(&env.ds).unwrap().first_start, "backed up, not yet restored: step two is left");
    // Restored into the new file the first start offers.
    let o = quiesce_engine::restore::RestoreOptions {
        targets: vec![quiesce_engine::restore::UnitTarget {
            unit: m.units[0].id.clone(),
            profile: "demo-restored".into(),
        }],
        ..Default::default()
    };
    quiesce_engine::restore::run(&env.ds, &backup::catalog_root(&env.ds), &m.id, &o, quiet(), &never).await.unwrap();
    assert!(!overview::build(&env.ds).unwrap().first_start, "restored: the first steps are done");
}

//! Table-driven: every leaf of the guide's tree, every database kind.

use super::*;
use crate::deployment::{AdminEndpoint, CLUSTER_ADMIN_PORT};

fn prof(id: &str, kind: DbKind, flavor: Flavor) -> Profile {
    let mut p = Profile { id: id.into(), name: id.into(), kind, flavor, ..Default::default() };
    match kind {
        DbKind::Postgresql | DbKind::Oracle | DbKind::Sqlserver | DbKind::Db2 => {
            p.host = Some(format!("{id}.internal"));
            p.port = kind.default_port();
            p.database = Some("app".into());
            p.user = Some("scalar".into());
        }
        DbKind::Mysql => {
            p.host = Some(format!("{id}.internal"));
            p.port = Some(3306);
            p.user = Some("scalar".into());
        }
        DbKind::Sqlite => p.path = Some(format!("/var/lib/{id}.db")),
        DbKind::Cassandra => p.nodes = vec![format!("{id}-1"), format!("{id}-2")],
        DbKind::Cosmos => p.endpoint = Some(format!("https://{id}.documents.azure.com:443/")),
        DbKind::Dynamo => p.region = Some(format!("region-{id}")),
    }
    if flavor == Flavor::YugabyteManaged {
        p.instance_id = Some("cluster-uuid".into());
    }
    p
}

fn deployment(profiles: &[&Profile], mapping: &[(&str, &str)]) -> (Deployment, Vec<(DeploymentStorage, Profile)>) {
    crate::deployment::test_deployment("d", profiles, mapping)
}

fn nodes(plan: &Plan) -> Vec<(&str, Option<&str>)> {
    plan.path.iter().map(|s| (s.node.as_str(), s.answer.as_deref())).collect()
}

const ALL: &[(DbKind, Flavor)] = &[
    (DbKind::Postgresql, Flavor::SelfHosted),
    (DbKind::Postgresql, Flavor::AmazonRds),
    (DbKind::Postgresql, Flavor::Azure),
    (DbKind::Postgresql, Flavor::YugabyteYsql),
    (DbKind::Postgresql, Flavor::YugabyteManaged),
    (DbKind::Mysql, Flavor::SelfHosted),
    (DbKind::Mysql, Flavor::AmazonRds),
    (DbKind::Mysql, Flavor::Azure),
    (DbKind::Sqlite, Flavor::SelfHosted),
    (DbKind::Cassandra, Flavor::SelfHosted),
    (DbKind::Cosmos, Flavor::Cloud),
    (DbKind::Dynamo, Flavor::Cloud),
    (DbKind::Oracle, Flavor::SelfHosted),
    (DbKind::Sqlserver, Flavor::Azure),
    (DbKind::Db2, Flavor::SelfHosted),
];

#[test]
fn a_single_database_takes_the_transactional_branch_of_its_kind() {
    for (kind, flavor) in ALL {
        let p = prof("a", *kind, *flavor);
        let (d, pairs) = deployment(&[&p], &[]);
        let plan = evaluate(&d, &pairs, None);
        let transactional = !matches!(kind, DbKind::Cassandra | DbKind::Cosmos | DbKind::Dynamo);
        let (answer, leaf, method) =
            if transactional { ("yes", N_NO_PAUSE, Method::NoPause) } else { ("no", N_PAUSE, Method::Pause) };
        assert_eq!(
            nodes(&plan),
            vec![(N_SINGLE, Some("yes")), (N_TRANSACTIONAL, Some(answer)), (leaf, None)],
            "{kind:?}/{flavor:?}"
        );
        assert_eq!(plan.method, method, "{kind:?}/{flavor:?}");
        assert_eq!(plan.units.len(), 1);
        assert_eq!(plan.steps.len(), 1);
        assert!(plan.path.iter().all(|s| !s.reason.is_empty()));
        // Quiesce runs the dump itself for the live self-run engines; managed-only and descriptive get runbooks.
        let quiesce_runs =
            matches!(kind, DbKind::Postgresql | DbKind::Mysql | DbKind::Sqlite) && *flavor != Flavor::YugabyteManaged;
        assert_eq!(plan.steps[0].backup.kind == ActionKind::Quiesce, quiesce_runs, "{kind:?}/{flavor:?}");
        if !transactional {
            assert!(plan.warnings.iter().any(|w| w.code == "pause_window"));
            assert!(plan.warnings.iter().any(|w| w.code == "no_admin_endpoints" && w.severity == Severity::Error));
        }
    }
}

#[test]
fn any_two_storages_need_a_pause_and_the_reason_names_namespaces_and_storages() {
    for (i, a) in ALL.iter().enumerate() {
        for b in &ALL[i + 1..] {
            let pa = prof("sa", a.0, a.1);
            let pb = prof("sb", b.0, b.1);
            let (d, pairs) = deployment(&[&pa, &pb], &[("bank", "sa"), ("coordinator", "sb")]);
            let plan = evaluate(&d, &pairs, None);
            assert_eq!(plan.method, Method::Pause, "{a:?} + {b:?}");
            assert_eq!(nodes(&plan), vec![(N_SINGLE, Some("no")), (N_PAUSE, None)], "{a:?} + {b:?}");
            let r = &plan.path[0].reason;
            assert!(
                r.starts_with("multi-storage:")
                    && r.contains("bank")
                    && r.contains("on sa")
                    && r.contains("coordinator")
                    && r.contains("on sb")
                    && r.contains("-> 2 databases"),
                "{r}"
            );
            assert_eq!(plan.steps.len(), 2);
        }
    }
}

#[test]
fn yugabyte_managed_alone_needs_no_pause_but_mixed_does() {
    let y = prof("y", DbKind::Postgresql, Flavor::YugabyteManaged);
    let (d, pairs) = deployment(&[&y], &[]);
    let plan = evaluate(&d, &pairs, None);
    assert_eq!(plan.method, Method::NoPause);
    assert_eq!(plan.steps[0].backup.kind, ActionKind::Runbook);
    assert!(plan.steps[0].backup.steps.iter().any(|s| s.contains("cluster-uuid")));
    let c = prof("c", DbKind::Cassandra, Flavor::SelfHosted);
    let (d, pairs) = deployment(&[&y, &c], &[("events", "c")]);
    assert_eq!(evaluate(&d, &pairs, None).method, Method::Pause);
}

#[test]
fn storages_on_one_database_are_one_unit_but_two_databases_on_one_server_are_two() {
    let a = prof("pg", DbKind::Postgresql, Flavor::SelfHosted);
    let mut b = a.clone();
    b.id = "pg-again".into();
    let (d, pairs) = deployment(&[&a, &b], &[("bank", "pg"), ("coordinator", "pg-again")]);
    let plan = evaluate(&d, &pairs, None);
    assert_eq!(plan.method, Method::NoPause);
    assert_eq!(plan.units.len(), 1);
    assert!(plan.path[0].reason.contains("storages pg, pg-again are all"), "{}", plan.path[0].reason);

    let mut other_db = a.clone();
    other_db.id = "pg2".into();
    other_db.database = Some("other".into());
    let (d, pairs) = deployment(&[&a, &other_db], &[("coordinator", "pg2")]);
    let plan = evaluate(&d, &pairs, None);
    assert_eq!(plan.method, Method::Pause);
    assert!(
        plan.path[0].reason.contains("Two PostgreSQL databases on one server are still two"),
        "{}",
        plan.path[0].reason
    );

    // MySQL: ScalarDB databases are namespaces on one server: one dump covers them.
    let m = prof("my", DbKind::Mysql, Flavor::SelfHosted);
    let mut m2 = m.clone();
    m2.id = "my2".into();
    m2.database = Some("audit".into());
    let (d, pairs) = deployment(&[&m, &m2], &[("audit", "my2")]);
    assert_eq!(evaluate(&d, &pairs, None).method, Method::NoPause);
}

#[test]
fn unknown_storages_make_the_plan_say_so() {
    let (mut d, _) = deployment(&[], &[]);
    d.transaction_manager = TransactionManager::Cluster;
    d.storages_known = false;
    d.admin_endpoints = vec![AdminEndpoint::parse("indirect:lb", CLUSTER_ADMIN_PORT).unwrap()];
    let plan = evaluate(&d, &[], None);
    assert_eq!(plan.method, Method::Unknown);
    assert_eq!(nodes(&plan), vec![(N_SINGLE, Some("unknown")), (N_UNKNOWN, None)]);
    assert!(plan.steps.is_empty());
}

#[test]
fn the_guides_warnings_apply_by_kind() {
    let cases: &[(DbKind, Flavor, &str)] = &[
        (DbKind::Cosmos, Flavor::Cloud, "cosmos_after_restore"),
        (DbKind::Dynamo, Flavor::Cloud, "dynamo_alias_restore"),
        (DbKind::Cassandra, Flavor::SelfHosted, "cassandra_replication"),
        (DbKind::Postgresql, Flavor::AmazonRds, "managed_automated_backups"),
        (DbKind::Mysql, Flavor::Azure, "managed_automated_backups"),
    ];
    for (k, f, code) in cases {
        let p = prof("x", *k, *f);
        let (d, pairs) = deployment(&[&p], &[]);
        let plan = evaluate(&d, &pairs, None);
        assert!(plan.warnings.iter().any(|w| w.code == *code), "{k:?}: {:?}", plan.warnings);
    }
    // A paused deployment with endpoints has no endpoint error.
    let c = prof("c", DbKind::Cassandra, Flavor::SelfHosted);
    let (mut d, pairs) = deployment(&[&c], &[]);
    d.admin_endpoints = vec![AdminEndpoint::parse("direct-kubernetes:prod/scalardb", CLUSTER_ADMIN_PORT).unwrap()];
    let plan = evaluate(&d, &pairs, None);
    assert!(!plan.warnings.iter().any(|w| w.code == "no_admin_endpoints"));
    assert!(plan.warnings.iter().any(|w| w.code == "endpoint_needs_address"));
}

#[test]
fn the_command_shown_is_the_command_the_backup_runs() {
    for kind in [DbKind::Postgresql, DbKind::Mysql] {
        let p = prof("db", kind, Flavor::SelfHosted);
        let (d, pairs) = deployment(&[&p], &[]);
        let plan = evaluate(&d, &pairs, None);
        let shown = plan.steps[0].backup.command.clone().expect("a command");
        let runs = backup_command(&p, &plan.units[0], None).unwrap().render();
        assert_eq!(shown, runs);
        assert!(!shown.contains("password") || shown.contains("pass file"), "{shown}");
    }
    // MySQL: one invocation with every ScalarDB database, coordinator and metadata included.
    let p = prof("db", DbKind::Mysql, Flavor::SelfHosted);
    let (d, pairs) = deployment(&[&p], &[]);
    let c = evaluate(&d, &pairs, None).steps[0].backup.command.clone().unwrap();
    assert!(c.contains("--single-transaction") && c.contains("--databases -- coordinator scalardb"), "{c}");
}

#[test]
fn the_tree_is_the_guides() {
    let t = decision_tree();
    assert_eq!(t.nodes.iter().filter(|n| n.kind == TreeNodeKind::Question).count(), 2);
    let edge =
        |from: &str, answer: &str| t.edges.iter().find(|e| e.from == from && e.answer == answer).map(|e| e.to.as_str());
    assert_eq!(edge(N_SINGLE, "yes"), Some(N_TRANSACTIONAL));
    assert_eq!(edge(N_SINGLE, "no"), Some(N_PAUSE));
    assert_eq!(edge(N_TRANSACTIONAL, "yes"), Some(N_NO_PAUSE));
    assert_eq!(edge(N_TRANSACTIONAL, "no"), Some(N_PAUSE));
    // Every evaluated path walks edges of this tree.
    for (k, f) in ALL {
        let p = prof("a", *k, *f);
        let (d, pairs) = deployment(&[&p], &[]);
        let plan = evaluate(&d, &pairs, None);
        for w in plan.path.windows(2) {
            assert_eq!(edge(&w[0].node, w[0].answer.as_deref().unwrap()), Some(w[1].node.as_str()));
        }
    }
}

//! `quiesce deployment ...` through the real binary, with the real keyring:
//! import -> show gives back the same facts, passwords end up only in the
//! keyring, Cluster clients get their storages attached, profiles are shared
//! and outlive the deployments that use them.

mod common;
use common::*;
use quiesce_engine::secrets::SecretStore;
use quiesce_testsupport::require_secret_service;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/properties").join(name)
}

/// `key=value` pairs of a fixture whose key ends in "password".
fn passwords_in(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, v)| k.trim().ends_with("password") && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
        .collect()
}

fn ok(cli: &Cli, args: &[&str]) -> Value {
    let (status, v) = cli.json(args, None, &[]);
    assert_eq!(status, 0, "{args:?}: {v}");
    v
}

/// The facts of a preview and of a saved deployment, side by side.
fn facts_of_preview(p: &Value) -> Value {
    let storages: Vec<Value> = p["storages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let pr = &s["profile"];
            serde_json::json!({"name": s["name"], "kind": pr["kind"], "host": pr["host"], "port": pr["port"],
                "database": pr["database"], "user": pr["user"], "path": pr["path"], "nodes": pr["nodes"],
                "region": pr["region"], "endpoint": pr["endpoint"], "table_prefix": pr["table_prefix"],
                "secret": s["password_present"]})
        })
        .collect();
    serde_json::json!({"tm": p["transaction_manager"], "storages": storages, "mapping": p["namespace_mapping"],
        "default": p["default_storage"], "coordinator": p["coordinator_namespace"], "system": p["system_namespace"],
        "endpoints": p["admin_endpoints"], "known": p["storages_known"]})
}

fn facts_of_deployment(v: &Value) -> Value {
    let d = &v["deployment"];
    let profiles = v["profiles"].as_array().unwrap();
    let storages: Vec<Value> = d["storages"]
        .as_array()
        .unwrap()
        .iter()
        .zip(profiles)
        .map(|(s, pr)| {
            assert_eq!(s["profile_id"], pr["id"]);
            serde_json::json!({"name": s["name"], "kind": pr["kind"], "host": pr["host"], "port": pr["port"],
                "database": pr["database"], "user": pr["user"], "path": pr["path"], "nodes": pr["nodes"],
                "region": pr["region"], "endpoint": pr["endpoint"], "table_prefix": pr["table_prefix"],
                "secret": !pr["secret"].is_null()})
        })
        .collect();
    serde_json::json!({"tm": d["transaction_manager"], "storages": storages, "mapping": d["namespace_mapping"],
        "default": d["default_storage"], "coordinator": d["coordinator_namespace"], "system": d["system_namespace"],
        "endpoints": d["admin_endpoints"], "known": d["storages_known"]})
}

#[test]
fn import_then_show_gives_the_same_facts_and_passwords_live_only_in_the_keyring() {
    require_secret_service();
    let cli = Cli::new();
    let files = [
        "pg-single.properties",
        "mysql-single.properties",
        "sqlite-single.properties",
        "cassandra.properties",
        "cosmos.properties",
        "dynamo.properties",
        "multi-two.properties",
        "multi-three.properties",
        "oracle-sqlserver-db2.properties",
        "coordinator-override.properties",
        "unknown-keys.properties",
        "cluster-client.properties",
        "cluster-server.properties",
    ];
    let mut secrets = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let path = fixture(f);
        let path_s = path.to_str().unwrap();
        let preview = ok(&cli, &["deployment", "import", path_s, "--dry-run"])["preview"].clone();
        // A dry run changes nothing.
        assert_eq!(ok(&cli, &["deployment", "list"])["deployments"].as_array().unwrap().len(), i, "{f}");
        let name = format!("d{i}");
        let imported = ok(&cli, &["deployment", "import", path_s, "--name", &name]);
        let shown = ok(&cli, &["deployment", "show", &name]);
        assert_eq!(imported, shown, "{f}: import and show disagree");
        assert_eq!(
            facts_of_preview(&preview),
            facts_of_deployment(&shown),
            "{f}: the saved facts differ from the preview"
        );
        assert_eq!(shown["deployment"]["source"]["sha256"], preview["sha256"]);

        // Every password of the file is in the keyring, under its profile's reference.
        let mut pws = passwords_in(&path);
        if *f == "unknown-keys.properties" {
            pws.push("golden-url-secret".into());
        }
        if *f == "cluster-client.properties" {
            // The Cluster's own credentials are not needed and not kept.
            assert!(shown["profiles"].as_array().unwrap().is_empty());
            secrets.push(pws[0].clone());
            continue;
        }
        for pw in pws {
            let found = shown["profiles"].as_array().unwrap().iter().any(|p| {
                p["secret"]["account"]
                    .as_str()
                    .and_then(|a| SecretStore::new().get(a).unwrap())
                    .is_some_and(|s| s.expose() == &pw)
            });
            assert!(found, "{f}: a password of the file is not in the keyring");
            secrets.push(pw);
        }
    }
    // ...and in no file under the state directory (profiles, deployments, logs).
    for s in &secrets {
        assert_not_in_files(cli.home.path(), s);
    }
    let listed = ok(&cli, &["deployment", "list"]);
    assert_eq!(listed["deployments"].as_array().unwrap().len(), files.len());
    // Clean the keyring of this test's secrets.
    for d in 0..files.len() {
        ok(&cli, &["deployment", "remove", &format!("d{d}")]);
    }
    for p in ok(&cli, &["profile", "list"])["profiles"].as_array().unwrap() {
        ok(&cli, &["profile", "remove", p["name"].as_str().unwrap()]);
    }
}

#[test]
fn a_cluster_client_has_unknown_storages_until_the_server_file_is_attached() {
    require_secret_service();
    let cli = Cli::new();
    let client = fixture("cluster-client.properties");
    let v = ok(&cli, &["deployment", "import", client.to_str().unwrap(), "--name", "prod"]);
    let d = &v["deployment"];
    assert_eq!(d["transaction_manager"], "cluster");
    assert_eq!(d["storages_known"], false);
    assert_eq!(d["admin_tls"], true);
    assert_eq!(d["admin_endpoints"][0]["kind"], "indirect");
    assert_eq!(d["admin_endpoints"][0]["host"], "scalardb-cluster-envoy.prod.svc");
    assert_eq!(d["admin_endpoints"][0]["port"], 60053);
    let human = cli.run(&["deployment", "show", "prod"], None, &[]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("unknown"), "{}", String::from_utf8_lossy(&human.stdout));

    // Attaching a client file is refused: it names no storages.
    cli.expect_error(
        &["deployment", "import", client.to_str().unwrap(), "--attach-to", "prod"],
        None,
        &[],
        "invalid_input",
    );

    let server = fixture("cluster-server.properties");
    let v = ok(&cli, &["deployment", "import", server.to_str().unwrap(), "--attach-to", "prod"]);
    let d = &v["deployment"];
    assert_eq!(d["storages_known"], true);
    assert_eq!(d["storages"].as_array().unwrap().len(), 1);
    assert_eq!(v["profiles"][0]["flavor"], "azure");
    assert_eq!(v["profiles"][0]["instance_id"], "azure-pg");
    assert_eq!(d["admin_endpoints"][0]["address"], "indirect:scalardb-cluster-envoy.prod.svc", "endpoints are kept");
    ok(&cli, &["deployment", "remove", "prod"]);
    let name = v["profiles"][0]["name"].as_str().unwrap().to_string();
    ok(&cli, &["profile", "remove", &name]);
}

#[test]
fn profiles_are_shared_between_deployments_and_outlive_them() {
    require_secret_service();
    let cli = Cli::new();
    let f = fixture("multi-two.properties");
    let a = ok(&cli, &["deployment", "import", f.to_str().unwrap(), "--name", "a"]);
    let b = ok(&cli, &["deployment", "import", f.to_str().unwrap(), "--name", "b"]);
    let ids = |v: &Value| {
        v["deployment"]["storages"].as_array().unwrap().iter().map(|s| s["profile_id"].clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&a), ids(&b), "the second import reuses the profiles of the first");
    assert_eq!(ok(&cli, &["profile", "list"])["profiles"].as_array().unwrap().len(), 2);

    // The same name twice is refused, and nothing new is created.
    cli.expect_error(&["deployment", "import", f.to_str().unwrap(), "--name", "a"], None, &[], "already_exists");
    // A name that cannot be one is refused before any profile is created.
    cli.expect_error(&["deployment", "import", f.to_str().unwrap(), "--name", "no spaces"], None, &[], "invalid_input");
    assert_eq!(ok(&cli, &["profile", "list"])["profiles"].as_array().unwrap().len(), 2);

    // A profile in use cannot be removed; the message names the deployments.
    let pname = a["profiles"][0]["name"].as_str().unwrap().to_string();
    let e = cli.expect_error(&["profile", "remove", &pname], None, &[], "in_use");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains("\"a\"") && msg.contains("\"b\""), "{msg}");

    ok(&cli, &["deployment", "remove", "a"]);
    ok(&cli, &["deployment", "remove", "b"]);
    cli.expect_error(&["deployment", "show", "a"], None, &[], "not_found");
    let profiles = ok(&cli, &["profile", "list"]);
    assert_eq!(profiles["profiles"].as_array().unwrap().len(), 2, "removing deployments keeps their profiles");
    for p in profiles["profiles"].as_array().unwrap() {
        let account = p["secret"]["account"].as_str().unwrap().to_string();
        ok(&cli, &["profile", "remove", p["name"].as_str().unwrap()]);
        assert!(SecretStore::new().get(&account).unwrap().is_none(), "the secret went with the profile");
    }
}

#[test]
fn bad_files_are_refused_with_the_line_and_nothing_is_saved() {
    require_secret_service();
    let cli = Cli::new();
    for (f, needle) in [
        ("bad-malformed.properties", "line 3"),
        ("bad-storage.properties", "line 2"),
        ("bad-mapping.properties", "line 5"),
        ("bad-no-storage.properties", "scalar.db.storage"),
    ] {
        let e = cli.expect_error(&["deployment", "import", fixture(f).to_str().unwrap()], None, &[], "invalid_input");
        assert!(e["error"]["message"].as_str().unwrap().contains(needle), "{f}: {e}");
    }
    cli.expect_error(&["deployment", "import", "/nonexistent/database.properties"], None, &[], "file_not_found");
    assert!(ok(&cli, &["deployment", "list"])["deployments"].as_array().unwrap().is_empty());
    assert!(ok(&cli, &["profile", "list"])["profiles"].as_array().unwrap().is_empty());
}

#[test]
fn a_file_changed_after_its_preview_is_refused() {
    use quiesce_engine::deployment::{import, Deployments};
    use quiesce_engine::profile::Profiles;
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("database.properties");
    std::fs::write(&file, "scalar.db.storage=cassandra\nscalar.db.contact_points=c1\n").unwrap();
    let ds = Deployments::new(Profiles::new(quiesce_engine::paths::Home::at(home.path()), SecretStore::new()));
    let preview = import::preview(&ds, &file).unwrap();
    std::fs::write(&file, "scalar.db.storage=cassandra\nscalar.db.contact_points=c1,c2\n").unwrap();
    let e = import::import(&ds, &file, Some("x"), Some(&preview.sha256)).unwrap_err();
    assert_eq!(e.code, quiesce_engine::ErrorCode::InvalidInput);
    assert!(e.message.contains("changed since it was previewed"), "{}", e.message);
    assert!(ds.list().unwrap().is_empty() && ds.profiles().list().unwrap().is_empty());
}

//! The steps per storage kind, after the restore tabs of ScalarDB's backup
//! guide (scalar-labs/docs-scalardb `docs/backup-restore.mdx`) and the
//! providers' own CLIs (`aws rds`/`aws dynamodb`, `az`, `ybm`). Every name goes in as an [`Arg::Lit`] or an
//! [`Arg::Opt`] value; nothing here builds a shell string from a name.

use super::schema::SchemaAttachment;
use super::{Arg, Command, EnvVar, Runbook, Section, Step};
use crate::catalog::manifest::Manifest;
use crate::catalog::window::PauseWindow;
use crate::deployment::{Deployment, DeploymentStorage};
use crate::discovery::Discovery;
use crate::error::{Error, ErrorCode, Result};
use crate::points::{time, Pick, RestoresBy};
use crate::profile::{DbKind, Flavor, Profile};
use chrono::DateTime;

pub struct Inputs<'a> {
    pub d: &'a Deployment,
    pub storages: &'a [(DeploymentStorage, Profile)],
    pub pick: Pick,
    pub discovery: Option<&'a Discovery>,
    pub schema: Option<&'a SchemaAttachment>,
    pub window: Option<&'a PauseWindow>,
    pub manifest: Option<&'a Manifest>,
}

fn lit(s: &str) -> Arg {
    Arg::Lit(s.into())
}
fn opt(name: &str, v: &str) -> Arg {
    Arg::Opt(name.into(), v.into())
}
fn cmd(argv: Vec<Arg>) -> Command {
    Command::new(argv)
}
fn step(key: &str, title: impl Into<String>, detail: impl Into<String>, commands: Vec<Command>) -> Step {
    Step { key: key.into(), title: title.into(), detail: detail.into(), commands, destructive: false, manual: false }
}
fn destructive(mut s: Step) -> Step {
    s.destructive = true;
    s
}
fn manual(mut s: Step) -> Step {
    s.manual = true;
    s
}

/// A shell variable name from a storage name (letters, digits, `_`).
fn var(prefix: &str, storage: &str) -> String {
    let clean: String =
        storage.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    format!("{prefix}_{clean}")
}

/// A new resource's name: `<source>-r<stamp>`, cut to the provider's limit.
fn new_name(source: &str, stamp: &str, max: usize) -> String {
    let suffix = format!("-r{stamp}");
    let keep = max.saturating_sub(suffix.len());
    let head: String = source.chars().take(keep).collect();
    format!("{}{suffix}", head.trim_end_matches('-'))
}

/// The ScalarDB tables of one storage and where the list comes from.
struct Tables {
    names: Vec<String>,
    source: String,
}

fn schema_tables(i: &Inputs, storage: &str) -> Vec<(String, String)> {
    i.schema
        .map(|s| {
            s.tables
                .iter()
                .filter_map(|t| t.split_once('.'))
                .filter(|(ns, _)| i.d.storage_of(ns) == Some(storage))
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn schema_source(s: &SchemaAttachment) -> String {
    format!("the schema file {} (SHA-256 {}…, attached {})", s.file, &s.sha256[..12], time::utc(s.attached_at))
}

fn need_schema(i: &Inputs, storage: &str, p: &Profile) -> Result<&'static str> {
    if i.schema.is_none() {
        return Err(Error::new(
            ErrorCode::InvalidInput,
            format!(
                "Storage {storage} ({}): Quiesce cannot read its tables, so the runbook needs the ScalarDB schema file. Attach it: quiesce deployment attach-schema {} schema.json",
                p.kind.label(),
                i.d.name
            ),
        ));
    }
    Ok("")
}

/// Physical names of a non-JDBC storage's tables: data, metadata, coordinator.
fn nosql_tables(i: &Inputs, storage: &str, p: &Profile) -> Result<Tables> {
    need_schema(i, storage, p)?;
    let mut v: Vec<(String, String)> = schema_tables(i, storage);
    let has_coord = i.d.coordinator_storage() == Some(storage);
    if v.is_empty() && !has_coord {
        return Err(Error::invalid(format!(
            "Storage {storage}: the attached schema file lists no table of a namespace mapped to it. Attach the deployment's full schema file, or fix the namespace mapping."
        )));
    }
    let sys = i.d.system_namespace.clone();
    let coord = i.d.coordinator_namespace.clone();
    let names = match p.kind {
        DbKind::Dynamo => {
            let prefix = p.table_prefix.clone().unwrap_or_default();
            v.push((sys, "metadata".into()));
            if has_coord {
                v.push((coord, "state".into()));
            }
            v.iter().map(|(n, t)| format!("{prefix}{n}.{t}")).collect()
        }
        DbKind::Cosmos => {
            v.push((sys, "metadata".into()));
            if has_coord {
                v.push((coord, "state".into()));
            }
            v.iter().map(|(n, t)| format!("{n}/{t}")).collect()
        }
        _ => {
            if has_coord {
                v.push((coord, "state".into()));
            }
            v.iter().map(|(n, t)| format!("{n}.{t}")).collect()
        }
    };
    let mut names: Vec<String> = names;
    names.sort();
    names.dedup();
    Ok(Tables { names, source: schema_source(i.schema.expect("checked")) })
}

/// A JDBC storage's tables: the backup's manifest (what will be restored),
/// else the last discovery.
fn sql_tables(i: &Inputs, storage: &str) -> Tables {
    if let Some(u) = i.manifest.and_then(|m| m.units.iter().find(|u| u.storages.iter().any(|s| s == storage))) {
        return Tables {
            names: u.tables.iter().map(|t| format!("{}.{}", t.namespace, t.table)).collect(),
            source: format!("the manifest of backup {}", i.manifest.map(|m| m.id.as_str()).unwrap_or("")),
        };
    }
    match i.discovery.and_then(|d| d.storage(storage).filter(|s| s.reachable).map(|s| (d, s))) {
        Some((d, s)) => Tables {
            names: s.tables.iter().map(|t| format!("{}.{}", t.namespace, t.table)).collect(),
            source: format!("discovery of {}", time::utc(d.taken_at)),
        },
        None => Tables {
            names: vec![],
            source: "not discovered: the whole server comes back, every table with it (run discovery to list them: quiesce plan <deployment> --discover)".into(),
        },
    }
}

/// Refuses a runbook that would leave out a table the schema or the metadata lists.
fn check_complete(i: &Inputs, storage: &str, p: &Profile, by: RestoresBy, have: &Tables) -> Result<()> {
    let mut want: Vec<String> = schema_tables(i, storage).iter().map(|(n, t)| format!("{n}.{t}")).collect();
    if by == RestoresBy::Backup {
        if let Some(s) = i.discovery.and_then(|d| d.storage(storage)) {
            want.extend(s.tables.iter().filter(|t| t.in_metadata).map(|t| format!("{}.{}", t.namespace, t.table)));
        }
    } else {
        return Ok(()); // PITR, snapshots: the whole server, account or keyspaces come back.
    }
    let missing: Vec<&String> = want.iter().filter(|w| !have.names.contains(w)).collect();
    if !missing.is_empty() {
        return Err(Error::invalid(format!(
            "Storage {storage} ({}): backup {} does not hold {} that the schema or ScalarDB's metadata lists, so restoring it would lose them. Pick a backup that holds every table (or attach the current schema file if the table was dropped).",
            p.kind.label(),
            i.pick.backup_id.as_deref().unwrap_or("?"),
            missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(())
}

pub fn build(i: &Inputs) -> Result<Runbook> {
    let stamp = DateTime::from_timestamp_millis(i.pick.point_ms).unwrap_or_default().format("%Y%m%d%H%M%S").to_string();
    let mut env: Vec<EnvVar> = Vec::new();
    let mut sections = vec![before(i)];
    let mut endpoints: Vec<String> = Vec::new();
    let mut backup_storages: Vec<(String, &Profile)> = Vec::new();
    for (s, p) in i.storages {
        let by = RestoresBy::of(p.kind, p.flavor);
        let name = s.name.as_str();
        let (tables, steps) = match (by, p.kind) {
            (RestoresBy::Pitr, DbKind::Dynamo) => {
                let t = nosql_tables(i, name, p)?;
                let steps = dynamo(i, name, p, &t.names, &stamp);
                (t, steps)
            }
            (RestoresBy::Pitr, DbKind::Cosmos) => {
                let t = nosql_tables(i, name, p)?;
                env.push(EnvVar { name: "SCHEMA_LOADER_JAR".into(), why: "the ScalarDB Schema Loader jar of your ScalarDB version".into() });
                env.push(EnvVar { name: "SCALARDB_PROPERTIES".into(), why: "ScalarDB's properties file, already pointing at the restored account".into() });
                let steps = cosmos(i, name, p, &stamp, &mut endpoints)?;
                (t, steps)
            }
            (RestoresBy::Pitr, _) => {
                let t = sql_tables(i, name);
                let steps = match p.flavor {
                    Flavor::Azure => azure(i, name, p, &stamp, &mut endpoints)?,
                    _ => rds(i, name, p, &stamp, &mut endpoints)?,
                };
                (t, steps)
            }
            (RestoresBy::Snapshot, _) => {
                let t = nosql_tables(i, name, p)?;
                let steps = cassandra(i, name, p, &t.names)?;
                (t, steps)
            }
            (RestoresBy::ManagedBackup, _) => (sql_tables(i, name), ybm(i, name, p)?),
            (RestoresBy::Backup, _) => {
                let t = sql_tables(i, name);
                check_complete(i, name, p, by, &t)?;
                backup_storages.push((name.to_string(), p));
                sections.push(Section {
                    id: format!("storage-{name}"),
                    title: format!("Storage {name}: {} ({})", p.kind.label(), p.name),
                    storage: Some(name.into()),
                    restores_by: Some(by),
                    tables: t.names,
                    tables_source: t.source,
                    steps: vec![],
                });
                continue;
            }
            (RestoresBy::Manual, _) => (
                sql_tables(i, name),
                vec![manual(step(
                    &format!("{name}:manual"),
                    format!("Restore {} ({}) to {} with its own tools", p.kind.label(), p.name, i.pick.utc),
                    "Quiesce has no procedure for this database. Restore it to exactly this instant (UTC) with its own point-in-time recovery, into a new server, and note its endpoint for the last steps.",
                    vec![],
                ))],
            ),
        };
        sections.push(Section {
            id: format!("storage-{name}"),
            title: format!("Storage {name}: {} ({})", p.kind.label(), p.name),
            storage: Some(name.into()),
            restores_by: Some(by),
            tables: tables.names,
            tables_source: tables.source,
            steps,
        });
    }
    if !backup_storages.is_empty() {
        quiesce_restore(i, &backup_storages, &mut sections)?;
    }
    sections.push(finish(i, &endpoints));
    env.dedup();
    for c in sections.iter_mut().flat_map(|s| s.steps.iter_mut()).flat_map(|s| s.commands.iter_mut()) {
        c.line = super::render::line(c);
    }
    Ok(Runbook {
        deployment: i.d.name.clone(),
        deployment_id: i.d.id.clone(),
        key: super::ticks::key(&i.d.id, &i.pick),
        point: i.pick.clone(),
        generated_at: time::utc(chrono::Utc::now()),
        schema: i.schema.cloned(),
        env,
        sections,
    })
}

fn before(i: &Inputs) -> Section {
    let mut steps = vec![manual(step(
        "before:stop",
        "Stop ScalarDB (or ScalarDB Cluster) and every client that writes through it",
        "Nothing may write while the databases are restored, and nothing may be deleted before it stops. On Kubernetes, scale the release to zero (e.g. `kubectl scale deployment <release>-scalardb-cluster --replicas=0`, or `helm upgrade` with replicaCount 0), and stop the applications that use it.",
        vec![],
    ))];
    if i.d.admin_endpoints.is_empty() {
        steps.push(manual(step(
            "before:confirm",
            "Confirm that no ScalarDB node runs",
            "The deployment has no Scalar Admin endpoints, so Quiesce cannot check: confirm by hand that every node is stopped.",
            vec![],
        )));
    } else {
        steps.push(step(
            "before:confirm",
            "Confirm that no ScalarDB node answers",
            "Every node must be listed as unreachable. A node that still answers is still running: stop it before going on.",
            vec![cmd(vec![lit("quiesce"), lit("nodes"), lit("--"), lit(&i.d.name)])],
        ));
    }
    Section {
        id: "before".into(),
        title: "Before you start".into(),
        storage: None,
        restores_by: None,
        tables: vec![],
        tables_source: String::new(),
        steps,
    }
}

/// `aws WORDS… MORE… --region=R`: every AWS command of a storage, in its region.
fn aws(p: &Profile, words: &[&str], more: Vec<Arg>) -> Command {
    let mut argv: Vec<Arg> = std::iter::once("aws").chain(words.iter().copied()).map(lit).collect();
    argv.extend(more);
    argv.extend(p.region.as_deref().map(|r| opt("--region", r)));
    cmd(argv)
}

fn need<'a>(v: &'a Option<String>, storage: &str, what: &str) -> Result<&'a str> {
    v.as_deref().ok_or_else(|| {
        Error::invalid(format!(
            "Storage {storage}: the profile has no {what}, and the restore command needs it. Set it on the profile (quiesce profile edit, or Profiles in the app)."
        ))
    })
}

fn rds(i: &Inputs, storage: &str, p: &Profile, stamp: &str, endpoints: &mut Vec<String>) -> Result<Vec<Step>> {
    let src = need(&p.instance_id, storage, "instance (or Aurora cluster) identifier")?;
    let aurora = p.host.as_deref().is_some_and(|h| h.contains(".cluster-"));
    let new = new_name(src, stamp, 63);
    let (sg, subnet, params, endpoint) =
        (var("SG", storage), var("SUBNET_GROUP", storage), var("PARAM_GROUP", storage), var("ENDPOINT", storage));
    let aws = |words: &[&str], more: Vec<Arg>| aws(p, words, more);
    let q = |query: &str| vec![opt("--query", query), opt("--output", "text")];
    let mut steps = Vec::new();
    if aurora {
        let class = var("CLASS", storage);
        let engine = var("ENGINE", storage);
        steps.push(step(
            &format!("{storage}:describe"),
            format!("Read Aurora cluster {src}'s network and parameter settings"),
            "A restored cluster gets the default subnet group, security groups and parameter group unless they are given: carry the source's over.",
            vec![
                aws(&["rds", "describe-db-clusters"], [vec![opt("--db-cluster-identifier", src)], q("DBClusters[0].DBSubnetGroup")].concat()).capture(&subnet),
                aws(&["rds", "describe-db-clusters"], [vec![opt("--db-cluster-identifier", src)], q("DBClusters[0].VpcSecurityGroups[].VpcSecurityGroupId")].concat()).capture_array(&sg),
                aws(&["rds", "describe-db-clusters"], [vec![opt("--db-cluster-identifier", src)], q("DBClusters[0].DBClusterParameterGroup")].concat()).capture(&params),
                aws(&["rds", "describe-db-clusters"], [vec![opt("--db-cluster-identifier", src)], q("DBClusters[0].Engine")].concat()).capture(&engine),
                aws(&["rds", "describe-db-instances"], [vec![opt("--filters", &format!("Name=db-cluster-id,Values={src}"))], q("DBInstances[0].DBInstanceClass")].concat()).capture(&class),
            ],
        ));
        steps.push(step(
            &format!("{storage}:restore"),
            format!("Restore Aurora cluster {src} to {} into a new cluster {new}", i.pick.utc),
            "Aurora restores a cluster without any instance.",
            vec![
                aws(
                    &["rds", "restore-db-cluster-to-point-in-time"],
                    vec![
                        opt("--source-db-cluster-identifier", src),
                        opt("--db-cluster-identifier", &new),
                        opt("--restore-to-time", &i.pick.utc),
                        Arg::OptVar("--db-subnet-group-name".into(), subnet.clone()),
                        lit("--vpc-security-group-ids"),
                        Arg::Array(sg.clone()),
                        Arg::OptVar("--db-cluster-parameter-group-name".into(), params.clone()),
                    ],
                ),
                aws(&["rds", "wait", "db-cluster-available"], vec![opt("--db-cluster-identifier", &new)]),
            ],
        ));
        let inst = new_name(&new, "1", 63);
        steps.push(step(
            &format!("{storage}:instance"),
            format!("Create an instance {inst} in the restored cluster"),
            "Same class and engine as the source's writer.",
            vec![
                aws(
                    &["rds", "create-db-instance"],
                    vec![
                        opt("--db-instance-identifier", &inst),
                        opt("--db-cluster-identifier", &new),
                        Arg::OptVar("--engine".into(), engine),
                        Arg::OptVar("--db-instance-class".into(), class),
                    ],
                ),
                aws(&["rds", "wait", "db-instance-available"], vec![opt("--db-instance-identifier", &inst)]),
                aws(
                    &["rds", "describe-db-clusters"],
                    [vec![opt("--db-cluster-identifier", &new)], q("DBClusters[0].Endpoint")].concat(),
                )
                .capture(&endpoint),
            ],
        ));
    } else {
        steps.push(step(
            &format!("{storage}:describe"),
            format!("Read instance {src}'s network and parameter settings"),
            "A restored instance gets the default subnet group, security groups and parameter group unless they are given: carry the source's over.",
            vec![
                aws(&["rds", "describe-db-instances"], [vec![opt("--db-instance-identifier", src)], q("DBInstances[0].DBSubnetGroup.DBSubnetGroupName")].concat()).capture(&subnet),
                aws(&["rds", "describe-db-instances"], [vec![opt("--db-instance-identifier", src)], q("DBInstances[0].VpcSecurityGroups[].VpcSecurityGroupId")].concat()).capture_array(&sg),
                aws(&["rds", "describe-db-instances"], [vec![opt("--db-instance-identifier", src)], q("DBInstances[0].DBParameterGroups[0].DBParameterGroupName")].concat()).capture(&params),
            ],
        ));
        steps.push(step(
            &format!("{storage}:restore"),
            format!("Restore instance {src} to {} into a new instance {new}", i.pick.utc),
            "RDS restores to a new instance; the source is left as it is.",
            vec![
                aws(
                    &["rds", "restore-db-instance-to-point-in-time"],
                    vec![
                        opt("--source-db-instance-identifier", src),
                        opt("--target-db-instance-identifier", &new),
                        opt("--restore-time", &i.pick.utc),
                        Arg::OptVar("--db-subnet-group-name".into(), subnet),
                        lit("--vpc-security-group-ids"),
                        Arg::Array(sg),
                        Arg::OptVar("--db-parameter-group-name".into(), params),
                    ],
                ),
                aws(&["rds", "wait", "db-instance-available"], vec![opt("--db-instance-identifier", &new)]),
                aws(
                    &["rds", "describe-db-instances"],
                    [vec![opt("--db-instance-identifier", &new)], q("DBInstances[0].Endpoint.Address")].concat(),
                )
                .capture(&endpoint),
            ],
        ));
    }
    endpoints.push(contact_point(i, storage, p, &format!("${endpoint}")));
    Ok(steps)
}

fn azure(i: &Inputs, storage: &str, p: &Profile, stamp: &str, endpoints: &mut Vec<String>) -> Result<Vec<Step>> {
    let src = need(&p.instance_id, storage, "server name")?;
    let rg = need(&p.restore.resource_group, storage, "resource group")?;
    let new = new_name(src, stamp, 63);
    let family = if p.kind == DbKind::Mysql { "mysql" } else { "postgres" };
    let endpoint = var("ENDPOINT", storage);
    let az = |words: &[&str], more: Vec<Arg>| -> Command {
        let mut argv: Vec<Arg> = ["az", family, "flexible-server"].iter().chain(words).map(|w| lit(w)).collect();
        argv.extend(more);
        cmd(argv)
    };
    endpoints.push(contact_point(i, storage, p, &format!("${endpoint}")));
    Ok(vec![step(
        &format!("{storage}:restore"),
        format!("Restore flexible server {src} to {} into a new server {new}", i.pick.utc),
        "Azure restores to a new server in the same resource group; the source is left as it is.",
        vec![
            az(
                &["restore"],
                vec![
                    opt("--resource-group", rg),
                    opt("--name", &new),
                    opt("--source-server", src),
                    opt("--restore-time", &i.pick.utc),
                ],
            ),
            az(
                &["show"],
                vec![
                    opt("--resource-group", rg),
                    opt("--name", &new),
                    opt("--query", "fullyQualifiedDomainName"),
                    opt("--output", "tsv"),
                ],
            )
            .capture(&endpoint),
        ],
    )])
}

fn dynamo(i: &Inputs, storage: &str, p: &Profile, tables: &[String], stamp: &str) -> Vec<Step> {
    let aws = |words: &[&str], more: Vec<Arg>| aws(p, words, more);
    let alias = |t: &str| format!("{t}-restore-{stamp}");
    let arn = |n: usize| var(&format!("BACKUP_ARN_{n}"), storage);
    let mut steps = Vec::new();
    // Every alias first: if one table cannot be restored (PITR off), nothing is deleted yet.
    steps.push(step(
        &format!("{storage}:alias"),
        format!("Restore each of the {} tables to {} into an alias", tables.len(), i.pick.utc),
        "DynamoDB restores a table only into a new name. Each alias is waited for until it is active.",
        tables
            .iter()
            .flat_map(|t| {
                [
                    aws(
                        &["dynamodb", "restore-table-to-point-in-time"],
                        vec![
                            opt("--source-table-name", t),
                            opt("--target-table-name", &alias(t)),
                            opt("--restore-date-time", &i.pick.utc),
                        ],
                    ),
                    aws(&["dynamodb", "wait", "table-exists"], vec![opt("--table-name", &alias(t))]),
                ]
            })
            .collect(),
    ));
    steps.push(step(
        &format!("{storage}:backup"),
        "Back up each alias",
        "An on-demand backup is how the restored data gets its original name back. Each is waited for until it is available.",
        tables
            .iter()
            .enumerate()
            .flat_map(|(n, t)| {
                [
                    aws(
                        &["dynamodb", "create-backup"],
                        vec![opt("--table-name", &alias(t)), opt("--backup-name", &alias(t)), opt("--query", "BackupDetails.BackupArn"), opt("--output", "text")],
                    )
                    .capture(&arn(n)),
                    aws(
                        &["dynamodb", "describe-backup"],
                        vec![Arg::OptVar("--backup-arn".into(), arn(n)), opt("--query", "BackupDescription.BackupDetails.BackupStatus"), opt("--output", "text")],
                    )
                    .until("AVAILABLE"),
                ]
            })
            .collect(),
    ));
    steps.push(step(
        &format!("{storage}:drop-alias"),
        "Delete each alias",
        "Only the aliases made above; their backups stay.",
        tables
            .iter()
            .flat_map(|t| {
                [
                    aws(&["dynamodb", "delete-table"], vec![opt("--table-name", &alias(t))]),
                    aws(&["dynamodb", "wait", "table-not-exists"], vec![opt("--table-name", &alias(t))]),
                ]
            })
            .collect(),
    ));
    steps.push(destructive(step(
        &format!("{storage}:drop-original"),
        "Delete each original table",
        "This deletes the current data of every ScalarDB table of this storage. Its point-in-time history goes with it; the backups above hold the restore point.",
        tables
            .iter()
            .flat_map(|t| {
                [
                    aws(&["dynamodb", "delete-table"], vec![opt("--table-name", t)]),
                    aws(&["dynamodb", "wait", "table-not-exists"], vec![opt("--table-name", t)]),
                ]
            })
            .collect(),
    )));
    steps.push(step(
        &format!("{storage}:restore"),
        "Restore each original table from its alias's backup",
        "The tables get their original names back, with the data of the restore point.",
        tables
            .iter()
            .enumerate()
            .flat_map(|(n, t)| {
                [
                    aws(
                        &["dynamodb", "restore-table-from-backup"],
                        vec![opt("--target-table-name", t), Arg::OptVar("--backup-arn".into(), arn(n))],
                    ),
                    aws(&["dynamodb", "wait", "table-exists"], vec![opt("--table-name", t)]),
                ]
            })
            .collect(),
    ));
    steps.extend(dynamo_after(storage, p, tables));
    steps
}

/// What a restored DynamoDB table lacks: PITR (a command), the rest (by hand).
fn dynamo_after(storage: &str, p: &Profile, tables: &[String]) -> Vec<Step> {
    let aws = |words: &[&str], more: Vec<Arg>| aws(p, words, more);
    let mut steps = Vec::new();
    steps.push(step(
        &format!("{storage}:pitr"),
        "Turn point-in-time recovery back on for each table",
        "A restored table has PITR off.",
        tables
            .iter()
            .map(|t| {
                aws(
                    &["dynamodb", "update-continuous-backups"],
                    vec![
                        opt("--table-name", t),
                        opt("--point-in-time-recovery-specification", "PointInTimeRecoveryEnabled=true"),
                    ],
                )
            })
            .collect(),
    ));
    steps.push(manual(step(
        &format!("{storage}:settings"),
        "Set again what DynamoDB does not restore",
        "Auto scaling (Schema Loader sets it when it creates tables; re-register the scalable targets and policies as before), TTL, streams, tags, CloudWatch alarms and IAM policies are not part of a restored table. Set them as they were on the originals; then delete the alias backups when you no longer need them.",
        vec![],
    )));
    steps
}

fn cosmos(i: &Inputs, storage: &str, p: &Profile, stamp: &str, endpoints: &mut Vec<String>) -> Result<Vec<Step>> {
    let uri = need(&p.endpoint, storage, "account URI")?;
    let account = uri
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split(['.', ':', '/'])
        .next()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| Error::invalid(format!("Storage {storage}: the account URI {uri} names no account.")))?;
    let rg = need(&p.restore.resource_group, storage, "resource group")?;
    let location = need(&p.region, storage, "location (region, e.g. westus)")?;
    let new = new_name(account, stamp, 44);
    let coord = i.d.coordinator_storage() == Some(storage);
    let schema = i.schema.map(|s| s.copy.clone()).unwrap_or_default();
    let mut loader = vec![
        lit("java"),
        lit("-jar"),
        Arg::Env("SCHEMA_LOADER_JAR".into()),
        lit("--config"),
        Arg::Env("SCALARDB_PROPERTIES".into()),
        opt("-f", &schema),
        lit("--repair-all"),
    ];
    if coord {
        loader.push(lit("--coordinator"));
    }
    endpoints.push(contact_point(i, storage, p, &format!("https://{new}.documents.azure.com:443/")));
    Ok(vec![
        step(
            &format!("{storage}:restore"),
            format!("Restore account {account} to {} into a new account {new}", i.pick.utc),
            "Cosmos DB restores a continuous-backup account into a new account.",
            vec![cmd(vec![
                lit("az"),
                lit("cosmosdb"),
                lit("restore"),
                opt("--account-name", account),
                opt("--target-database-account-name", &new),
                opt("--restore-timestamp", &i.pick.utc),
                opt("--location", location),
                opt("--resource-group", rg),
            ])],
        ),
        step(
            &format!("{storage}:consistency"),
            "Set the new account's default consistency to Strong",
            "ScalarDB requires Strong consistency; a restored account does not keep it.",
            vec![cmd(vec![lit("az"), lit("cosmosdb"), lit("update"), opt("--name", &new), opt("--resource-group", rg), opt("--default-consistency-level", "Strong")])],
        ),
        manual(step(
            &format!("{storage}:properties"),
            format!("Point ScalarDB's properties at https://{new}.documents.azure.com:443/ with the new account's key"),
            "Edit the file $SCALARDB_PROPERTIES names: the contact point is the new account's URI; its key (az cosmosdb keys list --name <account> --resource-group <group>) goes where the old one was. Quiesce never writes a key into a runbook.",
            vec![],
        )),
        step(
            &format!("{storage}:repair"),
            "Re-install ScalarDB's stored procedures with Schema Loader",
            if coord {
                "--repair-all with the deployment's schema file, and --coordinator for the coordinator table (there is no --repair-coordinator)."
            } else {
                "--repair-all with the deployment's schema file."
            },
            vec![cmd(loader)],
        ),
    ])
}

/// The snapshot tag a window's hook recorded for a storage.
fn hook_of<'a>(i: &'a Inputs, storage: &str) -> Result<&'a crate::pause::hooks::HookRun> {
    let run = i.window.and_then(|w| w.hooks.iter().find(|h| h.storage == storage && h.ok)).ok_or_else(|| {
        Error::invalid(format!(
            "Storage {storage}: the picked window has no successful in-pause hook for it, so there is no snapshot to restore."
        ))
    })?;
    if run.tag.chars().any(char::is_control) || run.tag.starts_with('-') {
        return Err(Error::invalid(format!(
            "Storage {storage}: the window's snapshot tag {:?} is damaged (a control character, or a leading '-'); no runbook is written from it.",
            run.tag
        )));
    }
    Ok(run)
}

fn cassandra(i: &Inputs, storage: &str, p: &Profile, tables: &[String]) -> Result<Vec<Step>> {
    let tag = hook_of(i, storage)?.tag.clone();
    let host = |n: &str| -> String {
        if n.starts_with('[') {
            n.trim_start_matches('[').split(']').next().unwrap_or(n).to_string()
        } else {
            n.rsplit_once(':')
                .filter(|(_, port)| port.parse::<u16>().is_ok())
                .map(|(h, _)| h.to_string())
                .unwrap_or_else(|| n.to_string())
        }
    };
    let data_dir = |n: usize| -> String {
        p.data_dirs.get(n).or(p.data_dirs.first()).cloned().unwrap_or_else(|| "/var/lib/cassandra/data".into())
    };
    if let Some(n) = p.nodes.iter().find(|n| n.starts_with('-') || n.chars().any(char::is_control)) {
        return Err(Error::invalid(format!(
            "Storage {storage}: node {n:?} is not a host name ssh can take (it begins with '-' or holds a control character). Fix the profile's nodes."
        )));
    }
    // The remote scripts are constant text on ssh's stdin; every value (the
    // data folder, the tag, the tables) is an argument of `bash -s`, quoted
    // for the remote shell, so no catalog or profile value is ever inside
    // the here-document (a value holding its terminator ends nothing).
    let ssh = |node: &str, script: &str, values: &[&str]| {
        let mut remote = String::from("bash -s --");
        for v in values {
            remote.push(' ');
            remote.push_str(&super::render::single_quote(v));
        }
        cmd(vec![lit("ssh"), lit("--"), lit(&host(node)), lit(&remote)]).stdin(script.to_string())
    };
    let stop = "set -eu\nsudo systemctl stop cassandra\n";
    let start = "set -eu\nsudo systemctl start cassandra\n";
    let place = "set -euo pipefail\nshopt -s nullglob\ndata=$1\ntag=$2\nshift 2\nbase=$(dirname \"$data\")\nsudo find \"$base/commitlog\" \"$base/hints\" -mindepth 1 -maxdepth 1 -type f -delete\nplace() {\n  local placed=0 dir\n  for dir in \"$data/$1/$2\"-*/; do\n    [ -d \"$dir/snapshots/$tag\" ] || continue\n    sudo find \"$dir\" -mindepth 1 -maxdepth 1 -type f -delete\n    sudo cp -a \"$dir/snapshots/$tag/.\" \"$dir\"\n    placed=1\n  done\n  [ \"$placed\" = 1 ] || { echo \"no snapshot $tag of $1.$2 under $data\" >&2; exit 1; }\n}\nwhile [ $# -ge 2 ]; do\n  place \"$1\" \"$2\"\n  shift 2\ndone\n";
    let pairs: Vec<(&str, &str)> = tables.iter().filter_map(|t| t.split_once('.')).collect();
    let place_args = |dir: &str| -> Vec<String> {
        let mut v = vec![dir.to_string(), tag.clone()];
        v.extend(pairs.iter().flat_map(|(ks, t)| [ks.to_string(), t.to_string()]));
        v
    };
    Ok(vec![
        destructive(step(
            &format!("{storage}:stop"),
            format!("Stop Cassandra on all {} nodes", p.nodes.len()),
            "Over your own ssh (the service name may differ where you run it).",
            p.nodes.iter().map(|n| ssh(n, stop, &[])).collect(),
        )),
        destructive(step(
            &format!("{storage}:place"),
            format!("On each node: clean commitlog, hints and the ScalarDB tables' data, and place snapshot {tag}"),
            "Each table's live SSTables are deleted and replaced by the files of the snapshot the window's hook took on that node. A node without that snapshot stops the script.",
            p.nodes
                .iter()
                .enumerate()
                .map(|(n, node)| {
                    let args = place_args(&data_dir(n));
                    ssh(node, place, &args.iter().map(String::as_str).collect::<Vec<_>>())
                })
                .collect(),
        )),
        step(
            &format!("{storage}:start"),
            "Start Cassandra on all nodes",
            "Wait until `nodetool status` shows every node UN.",
            p.nodes.iter().map(|n| ssh(n, start, &[])).collect(),
        ),
    ])
}

fn ybm(i: &Inputs, storage: &str, p: &Profile) -> Result<Vec<Step>> {
    let run = hook_of(i, storage)?;
    let id = run
        .output
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .rev()
        .find(|w| w.len() == 36 && w.matches('-').count() == 4)
        .ok_or_else(|| {
            Error::invalid(format!(
                "Storage {storage}: the window's hook output has no backup id (a UUID): {}",
                run.output.lines().last().unwrap_or("")
            ))
        })?;
    let cluster = need(&p.instance_id, storage, "cluster name")?;
    Ok(vec![destructive(step(
        &format!("{storage}:restore"),
        format!("Restore backup {id} into cluster {cluster}"),
        "YugabyteDB Managed restores a backup in place (snapshots, not point in time): the cluster's current data is replaced.",
        vec![cmd(vec![lit("ybm"), lit("backup"), lit("restore"), opt("--cluster-name", cluster), opt("--backup-id", id)])],
    ))])
}

/// The self-managed storages: Quiesce's own restore of the backup, one command.
fn quiesce_restore(i: &Inputs, storages: &[(String, &Profile)], sections: &mut [Section]) -> Result<()> {
    let m = i.manifest.ok_or_else(|| {
        Error::invalid(format!(
            "Storages {} restore only from a Quiesce backup, and the picked point has none.",
            storages.iter().map(|s| s.0.as_str()).collect::<Vec<_>>().join(", ")
        ))
    })?;
    let mut argv = vec![lit("quiesce"), lit("restore"), lit(&m.id)];
    for u in m.units.iter().filter(|u| u.storages.iter().any(|s| storages.iter().any(|(n, _)| n == s))) {
        argv.push(opt("--to", &format!("{}={}", u.id, u.profile)));
    }
    argv.push(lit("--replace"));
    let s = destructive(step(
        "quiesce:restore",
        format!("Restore backup {} with Quiesce", m.id),
        "Replaces the ScalarDB namespaces of each database with the backup's (checked first, verified after). In the app: Restore, this backup, one click.",
        vec![cmd(argv)],
    ));
    if let Some(sec) = sections.iter_mut().rev().find(|s| s.restores_by == Some(RestoresBy::Backup)) {
        sec.steps.push(s);
    }
    Ok(())
}

/// `scalar.db.contact_points` (or the multi-storage key) for a storage and its new value.
fn contact_point(i: &Inputs, storage: &str, p: &Profile, host: &str) -> String {
    let key = if i.d.storages.len() > 1 {
        format!("scalar.db.multi_storage.storages.{storage}.contact_points")
    } else {
        "scalar.db.contact_points".into()
    };
    let value = match p.kind {
        DbKind::Postgresql => {
            format!("jdbc:postgresql://{host}:{}/{}", p.port.unwrap_or(5432), p.database.as_deref().unwrap_or(""))
        }
        DbKind::Mysql => format!("jdbc:mysql://{host}:{}/", p.port.unwrap_or(3306)),
        _ => host.to_string(),
    };
    format!("{key}={value}")
}

fn finish(i: &Inputs, endpoints: &[String]) -> Section {
    let mut steps = Vec::new();
    if !endpoints.is_empty() {
        steps.push(manual(step(
            "finish:contact-points",
            "Point ScalarDB at the restored endpoints",
            format!(
                "Point-in-time restores land in new servers and accounts. In ScalarDB's properties (and the Helm values), set:\n{}",
                endpoints.join("\n")
            ),
            vec![],
        )));
    }
    steps.push(manual(step(
        "finish:start",
        "Start ScalarDB (or ScalarDB Cluster) and its clients",
        "The restored system starts unpaused: no unpause is needed.",
        vec![],
    )));
    steps.push(step(
        "finish:verify",
        "Verify the restored deployment",
        "Tables, row counts and the ScalarDB consistency audit on every storage Quiesce can read.",
        vec![cmd(vec![lit("quiesce"), lit("verify"), lit("--"), lit(&i.d.name)])],
    ));
    Section {
        id: "finish".into(),
        title: "Finish".into(),
        storage: None,
        restores_by: None,
        tables: vec![],
        tables_source: String::new(),
        steps,
    }
}

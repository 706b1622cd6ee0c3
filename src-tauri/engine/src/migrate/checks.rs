//! The checks that stop a migration before anything is written: names, key
//! sizes, NUL bytes, collisions under the target's collation, a target that
//! already holds the namespaces.

use super::connect::{
    connect_sources, connect_targets, engine_label, full, keys_of, open_snapshots, read_metadata, targets_of, Move,
    Source, Storages, Target,
};
use super::io::Col;
use super::job::Prepared;
use super::layout::{self, Engine, KeyKind, MetaTable, ScalarType, Version};
use super::owned::drop_leftovers;
use super::plan::{ColumnPlan, MigrateOptions, MigrationPlan, TablePlan, TargetPlan};
use super::properties::properties;
use super::sql::{binary_collation, fold_sql, length_sql, namespace_exists};
use crate::deployment::{Deployment, Deployments, NamespaceMapping};
use crate::error::{ErrorCode, Result};
use crate::job::{self, Check, Sink};
use crate::live::Dialect;
use crate::profile::{DbKind, Profile};
use std::path::PathBuf;

/// Key and indexed TEXT/BLOB values longer than a MySQL target's key columns hold.
pub(super) async fn key_size_checks(s: &mut Source, mt: &MetaTable, e: Engine, version: Version) -> Result<Vec<Check>> {
    let n = match e {
        Engine::Mysql { key_size } => key_size,
        Engine::Mariadb => 128,
        _ => return Ok(vec![]),
    };
    let phys = s.conn.table(&mt.namespace, &mt.table);
    let keys = keys_of(mt);
    let d = s.conn.dialect();
    let key_list: Vec<String> = keys.iter().map(|k| crate::live::quote_ident(d, &k.name)).collect();
    let mut checks = Vec::new();
    for c in mt.columns.iter().filter(|c| matches!(c.data_type, ScalarType::Text | ScalarType::Blob)) {
        if c.key == KeyKind::None && !layout::indexed(mt, c, version) {
            continue;
        }
        let len = length_sql(d, &c.name, c.data_type);
        let r = s
            .conn
            .rows(&format!("SELECT {len}, {} FROM {phys} WHERE {len} > {n} LIMIT 1", key_list.join(", ")))
            .await?;
        let Some(r) = r.first() else { continue };
        let key: Vec<String> =
            keys.iter().zip(&r[1..]).map(|(k, v)| format!("{}={:?}", k.name, v.clone().unwrap_or_default())).collect();
        checks.push(Check::fail(
            "key_size",
            ErrorCode::KeyTooLong,
            format!(
                "{}: the row with key ({}) holds {} {} in {} column {}, over the {n} the target's {} key and index columns hold. Shorten it on the source{}.",
                full(mt),
                key.join(", "),
                r[0].clone().unwrap_or_default(),
                if c.data_type == ScalarType::Text { "characters" } else { "bytes" },
                if c.key == KeyKind::None { "indexed" } else { "key" },
                c.name,
                engine_label(e),
                if matches!(e, Engine::Mysql { .. }) {
                    ", or raise --mysql-key-size (scalar.db.jdbc.mysql.variable_key_column_size)"
                } else {
                    " (MariaDB's key columns are always 128 under ScalarDB)"
                }
            ),
        ));
    }
    Ok(checks)
}

/// Columns the source table has but the metadata does not list. The target is
/// built from the metadata (as ScalarDB lists every column there, the
/// transaction columns included), so such a column would be lost: refuse.
pub(super) async fn unlisted_columns(s: &mut Source, mt: &MetaTable, sys: &str) -> Result<Vec<Check>> {
    let physical = s.conn.columns(&mt.namespace, &mt.table).await?;
    let extra: Vec<&String> = physical.iter().filter(|c| !mt.columns.iter().any(|m| &m.name == *c)).collect();
    if extra.is_empty() {
        return Ok(vec![]);
    }
    let list: Vec<&str> = extra.iter().map(|c| c.as_str()).collect();
    Ok(vec![Check::fail(
        "metadata",
        ErrorCode::Unsupported,
        format!(
            "{}: column(s) {} exist on the source but {sys}.metadata does not list them, so the migration would lose them. \
             ScalarDB lists every column there (the transaction columns too): restore the missing metadata rows, \
             or drop the columns if ScalarDB does not use them.",
            full(mt),
            list.join(", ")
        ),
    )])
}

/// TEXT values holding a NUL character, which PostgreSQL's text cannot hold
/// (it would fail mid-copy with only "invalid byte sequence"): refused before
/// anything is written, naming the table, the row's key and the column.
pub(super) async fn nul_checks(s: &mut Source, mt: &MetaTable, e: Engine) -> Result<Vec<Check>> {
    let text: Vec<&str> =
        mt.columns.iter().filter(|c| c.data_type == ScalarType::Text).map(|c| c.name.as_str()).collect();
    let d = s.conn.dialect();
    if e != Engine::Postgresql || d == Dialect::Postgres || text.is_empty() {
        return Ok(vec![]);
    }
    let has_nul = |c: &str| {
        let q = crate::live::quote_ident(d, c);
        match d {
            Dialect::Sqlite => format!("instr(CAST({q} AS BLOB), X'00') > 0"),
            _ => format!("INSTR(CAST({q} AS BINARY), X'00') > 0"),
        }
    };
    let keys = keys_of(mt);
    let shown: Vec<String> = keys.iter().map(|k| crate::live::quote_ident(d, &k.name)).collect();
    let flags: Vec<String> = text.iter().map(|c| format!("CASE WHEN {} THEN 1 ELSE 0 END", has_nul(c))).collect();
    let sql = format!(
        "SELECT {}, {} FROM {} WHERE {} LIMIT 1",
        shown.join(", "),
        flags.join(", "),
        s.conn.table(&mt.namespace, &mt.table),
        text.iter().map(|c| has_nul(c)).collect::<Vec<_>>().join(" OR ")
    );
    let Some(row) = s.conn.rows(&sql).await?.into_iter().next() else { return Ok(vec![]) };
    let key: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            format!("{}={}", k.name, crate::text::one_line(&row.get(i).cloned().flatten().unwrap_or_default()))
        })
        .collect();
    let cols: Vec<&str> = text
        .iter()
        .enumerate()
        .filter(|(i, _)| row.get(keys.len() + i).cloned().flatten().as_deref() == Some("1"))
        .map(|(_, c)| *c)
        .collect();
    Ok(vec![Check::fail(
        "values",
        ErrorCode::Unsupported,
        format!(
            "{}: the row with key ({}) holds a NUL character in {} {}, which PostgreSQL's text cannot store. Remove it on the source (or store such values as BLOB), then migrate again.",
            full(mt),
            key.join(", "),
            if cols.len() == 1 { "column" } else { "columns" },
            cols.join(", ")
        ),
    )])
}

/// TEXT keys that would be one key under the target's collation (grouped on the source).
pub(super) async fn collision_checks(s: &mut Source, mt: &MetaTable, t: &Target) -> Result<Vec<Check>> {
    let text_keys: Vec<Col> = keys_of(mt).into_iter().filter(|k| k.ty == ScalarType::Text).collect();
    if t.folds == (false, false) || text_keys.is_empty() {
        return Ok(vec![]);
    }
    let d = s.conn.dialect();
    let phys = s.conn.table(&mt.namespace, &mt.table);
    let group: Vec<String> = keys_of(mt)
        .iter()
        .map(|k| {
            if k.ty == ScalarType::Text {
                fold_sql(d, &k.name, t.folds)
            } else {
                crate::live::quote_ident(d, &k.name)
            }
        })
        .collect();
    let shown: Vec<String> = text_keys
        .iter()
        .flat_map(|k| {
            let q = crate::live::quote_ident(d, &k.name);
            [format!("min({q})"), format!("max({q})")]
        })
        .collect();
    let rows = s
        .conn
        .rows(&format!(
            "SELECT count(*), {} FROM {phys} GROUP BY {} HAVING count(*) > 1 LIMIT 5",
            shown.join(", "),
            group.join(", ")
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let cell = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
            let pairs: Vec<String> = text_keys
                .iter()
                .enumerate()
                .map(|(i, k)| format!("{} {:?} and {:?}", k.name, cell(1 + 2 * i), cell(2 + 2 * i)))
                .collect();
            Check::fail(
                "collisions",
                ErrorCode::KeyCollision,
                format!(
                    "{}: {} rows whose keys differ only in {} ({}) would be one key under the target's collation {}. Make them distinct on the source, or give --binary-collation to create the namespaces with {} (a deviation from Schema Loader).",
                    full(mt),
                    cell(0),
                    match t.folds {
                        (true, true) => "letter case or trailing spaces",
                        (true, false) => "letter case",
                        _ => "trailing spaces",
                    },
                    pairs.join("; "),
                    t.collation.as_deref().unwrap_or(""),
                    binary_collation(t.engine)
                ),
            )
        })
        .collect())
}

/// A table as the target gets it: each column's type and role, the DDL.
pub(super) fn table_plan(
    mt: &MetaTable,
    e: Engine,
    version: Version,
    (source, target): (&str, &str),
    rows: u64,
    listed: bool,
) -> TablePlan {
    let columns = mt
        .columns
        .iter()
        .map(|c| {
            let ix = layout::indexed(mt, c, version);
            ColumnPlan {
                name: c.name.clone(),
                scalar_type: format!("{:?}", c.data_type).to_ascii_uppercase(),
                target_type: if c.key != KeyKind::None || ix {
                    layout::key_type(e, c.data_type)
                } else {
                    layout::column_type(e, c.data_type).into()
                },
                role: match c.key {
                    KeyKind::Partition => "PARTITION".into(),
                    KeyKind::Clustering { desc } => format!("CLUSTERING {}", if desc { "DESC" } else { "ASC" }),
                    KeyKind::None if ix => "INDEX".into(),
                    KeyKind::None => String::new(),
                },
            }
        })
        .collect();
    TablePlan {
        namespace: mt.namespace.clone(),
        table: mt.table.clone(),
        source_storage: source.into(),
        target_storage: target.into(),
        rows,
        columns,
        ddl: layout::create_table(e, mt, version),
        in_metadata: listed,
    }
}

/// The namespaces a target gets (its tables' and the system namespace).
pub(super) fn namespaces_of(moves: &[Move], ti: usize, sys: &str) -> Vec<String> {
    let mut nss: Vec<String> = moves.iter().filter(|m| m.target == ti).map(|m| m.table.namespace.clone()).collect();
    nss.push(sys.to_string());
    nss.sort();
    nss.dedup();
    nss
}

/// Each target: empty of the namespaces, able to hold any text, its system namespace's name.
pub(super) async fn target_checks(
    targets: &mut [Target],
    moves: &[Move],
    d: &Deployment,
    version: Version,
) -> Result<Vec<Check>> {
    let mut checks = Vec::new();
    for (ti, t) in targets.iter_mut().enumerate() {
        let nss = namespaces_of(moves, ti, &d.system_namespace);
        let mut there = Vec::new();
        for ns in &nss {
            if namespace_exists(t, ns).await? {
                there.push(ns.clone());
            }
        }
        checks.push(Check::of(
            "target",
            there.is_empty(),
            ErrorCode::NotEmpty,
            if there.is_empty() {
                format!("{} holds none of the {} namespace(s)", t.profile.name, nss.len())
            } else {
                format!("{} already holds namespace(s) {}: a migration only creates. Drop them there first, or migrate to another database.", t.profile.name, there.join(", "))
            },
        ));
        if let Some(cs) = t.charset.as_deref().filter(|cs| *cs != "utf8mb4") {
            checks.push(Check::fail(
                "charset",
                ErrorCode::InvalidInput,
                format!("{}'s default character set is {cs}: namespaces created there (as Schema Loader does) could not hold every text ScalarDB stores. Set character_set_server=utf8mb4 on that server (Debian's default), or give --binary-collation (utf8mb4 with a binary collation).", t.profile.name),
            ));
        }
        let sys = MetaTable { namespace: d.system_namespace.clone(), table: "metadata".into(), columns: vec![] };
        if let Some(n) = layout::name_problems(t.engine, &sys, version).first() {
            checks.push(Check::fail("names", ErrorCode::NameTooLong, format!("the system namespace: {n}")));
        }
    }
    Ok(checks)
}

/// What changes for ScalarDB, and what the migration did differently from Schema Loader.
pub(super) fn notes_of(
    opts: &MigrateOptions,
    sources: usize,
    storages: usize,
    targets: &[Target],
    mapping: &[NamespaceMapping],
    paused_ms: Option<f64>,
) -> Vec<String> {
    let mut notes = vec![format!(
        "Point ScalarDB at the new properties and restart every node (and the Cluster) before it takes traffic: the old {} as before.",
        if sources > 1 { "databases stay" } else { "database stays" }
    )];
    if storages > targets.len() {
        notes.push(format!(
            "{storages} storages become {}: the namespace mapping is {}{}.",
            targets.len(),
            mapping.iter().map(|m| format!("{}→{}", m.namespace, m.storage)).collect::<Vec<_>>().join(", "),
            if targets.len() == 1 { "; one database needs no pause for a consistent backup" } else { "" }
        ));
    }
    if opts.binary_collation {
        for t in targets.iter().filter(|t| t.collation.is_some()) {
            notes.push(format!(
                "Namespaces on {} are created with COLLATE {} (--binary-collation): keys compare byte for byte, as on PostgreSQL and SQLite. Schema Loader would keep the server's default; recreate them with it and keys would compare by that collation again.",
                t.profile.name,
                t.collation.as_deref().unwrap_or("")
            ));
        }
    }
    if let Some(ms) = paused_ms {
        notes.push(format!("The source was read inside one pause of {ms:.0} ms, then from its snapshots."));
    }
    notes
}

/// A check that passed, where none of its kind failed.
pub(super) fn passed(checks: &mut Vec<Check>, name: &str, applies: bool, message: &str) {
    if applies && !checks.iter().any(|c| c.name == name) {
        checks.push(Check::pass(name, message));
    }
}

pub(super) fn empty_plan(d: &Deployment) -> MigrationPlan {
    MigrationPlan {
        deployment: d.name.clone(),
        scalardb_version: String::new(),
        targets: vec![],
        tables: vec![],
        checks: vec![],
        mapping: vec![],
        properties: String::new(),
        notes: vec![],
        leftovers: vec![],
    }
}

/// The namespaces a source database holds: those of its listed tables, those
/// mapped to its storages (the coordinator's too), and the system namespace.
pub(super) fn source_namespaces(d: &Deployment, storages: &[String], listed: &[MetaTable]) -> Vec<String> {
    let mine = |ns: &str| d.storage_of(ns).is_some_and(|s| storages.iter().any(|x| x == s));
    let mut nss: Vec<String> = listed.iter().map(|t| t.namespace.clone()).collect();
    nss.extend(d.namespace_mapping.iter().filter(|m| mine(&m.namespace)).map(|m| m.namespace.clone()));
    if mine(&d.coordinator_namespace) {
        nss.push(d.coordinator_namespace.clone());
    }
    nss.push(d.system_namespace.clone());
    nss.sort();
    nss.dedup();
    nss
}

/// Each source's tables: those its metadata lists, and those of its
/// namespaces it does not (copied as they are, or refused by a failed check).
pub(super) async fn read_tables(sources: &mut [Source], d: &Deployment) -> Result<Vec<Check>> {
    let mut refused = Vec::new();
    for s in sources.iter_mut() {
        s.tables = read_metadata(&mut s.conn, &d.system_namespace).await?;
        let nss = source_namespaces(d, &s.storages, &s.tables);
        let found = super::unlisted::find(&mut s.conn, &nss, &s.tables, &d.system_namespace).await?;
        s.unlisted = found.tables;
        refused.extend(found.refused);
    }
    Ok(refused)
}

/// Says which tables are copied without being listed in the metadata.
pub(super) fn copied_as_they_are(moves: &[Move], sys: &str) -> Option<Check> {
    let copied: Vec<String> = moves.iter().filter(|m| !m.listed).map(|m| full(&m.table)).collect();
    (!copied.is_empty()).then(|| {
        Check::pass(
            "unlisted",
            format!(
                "{} not listed in {sys}.metadata: copied as it is and proven like the others ({})",
                if copied.len() == 1 { "1 table is".to_string() } else { format!("{} tables are", copied.len()) },
                copied.join(", ")
            ),
        )
    })
}

/// The body of `prepare`: connects, snapshots, reads the metadata, checks, plans.
#[allow(clippy::too_many_arguments)]
/// Before a target is opened: in a job, its lock, held until the job ends
/// (no other restore or migration writes into it meanwhile, nor drops what
/// this one creates there); a SQLite target that does not exist yet (opening
/// creates it) noted, to go again if this stops.
fn claim_targets(p: &mut Prepared, unit_target: &[(String, Profile)], really: bool) -> Result<()> {
    for (_, prof) in unit_target.iter().filter(|_| really) {
        if !p.locks.iter().any(|(id, _)| *id == prof.id) {
            p.locks.push((prof.id.clone(), crate::restore::lock_target(&p.home, prof)?));
        }
    }
    p.new_files = unit_target
        .iter()
        .filter(|(_, prof)| prof.kind == DbKind::Sqlite)
        .filter_map(|(_, prof)| prof.path.as_ref().map(PathBuf::from))
        .filter(|f| !f.exists())
        .collect();
    Ok(())
}

pub(super) async fn check_all(
    ds: &Deployments,
    p: &mut Prepared,
    storages: Storages,
    opts: &MigrateOptions,
    key_size: u32,
    job: Option<&job::JobCtx>,
    sink: &Sink,
) -> Result<()> {
    let really = job.is_some();
    let (d, home, version) = (p.d.clone(), p.home.clone(), p.version);
    let (storages, unit_target) = targets_of(ds, &d, storages, opts)?;
    claim_targets(p, &unit_target, really)?;
    p.sources = connect_sources(ds, &storages, p.from.as_ref().map(|f| &f.0)).await?;
    p.targets = connect_targets(ds, &d, &unit_target, opts, key_size).await?;
    // A backup is one point already: nothing to pause.
    let pausing = job.filter(|_| !opts.no_pause && p.from.is_none());
    let max_pause = opts.max_pause_ms.map(std::time::Duration::from_millis);
    p.paused_ms = open_snapshots(ds, &d, &mut p.sources, pausing, max_pause).await?;
    let (sources, targets) = (&mut p.sources, &mut p.targets);
    let mut checks = read_tables(sources, &d).await?;
    let leftovers = drop_leftovers(&home, targets, really, sink).await?;

    let (mut moves, mut tables, mut mapping) = (Vec::new(), Vec::new(), Vec::<NamespaceMapping>::new());
    for (si, s) in sources.iter_mut().enumerate() {
        let all: Vec<(MetaTable, bool)> =
            s.tables.iter().map(|t| (t.clone(), true)).chain(s.unlisted.iter().map(|t| (t.clone(), false))).collect();
        for (mt, listed) in all {
            let storage = d
                .storage_of(&mt.namespace)
                .filter(|st| s.storages.iter().any(|x| x == st))
                .unwrap_or(&s.storages[0])
                .to_string();
            let profile = &unit_target.iter().find(|(u, _)| *u == storage).unwrap_or(&unit_target[0]).1;
            let ti = targets.iter().position(|t| t.profile.id == profile.id).unwrap_or(0);
            let t = &targets[ti];
            let phys = s.conn.table(&mt.namespace, &mt.table);
            let rows = s.conn.scalar_i64(&format!("SELECT count(*) FROM {phys}")).await?.unwrap_or(0) as u64;
            // The system namespace is every storage's own, not mapped.
            if mt.namespace != d.system_namespace && !mapping.iter().any(|m| m.namespace == mt.namespace) {
                mapping.push(NamespaceMapping { namespace: mt.namespace.clone(), storage: t.storage.clone() });
            }
            if moves.iter().any(|m: &Move| m.target == ti && full(&m.table) == full(&mt)) {
                checks.push(Check::fail(
                    "tables",
                    ErrorCode::KeyCollision,
                    format!(
                        "{} exists in more than one source storage and they all go to {}, which can hold one: migrate them to different targets, or drop the copy ScalarDB does not use.",
                        full(&mt),
                        t.profile.name
                    ),
                ));
            }
            for p in layout::name_problems(t.engine, &mt, version) {
                checks.push(Check::fail(
                    "names",
                    ErrorCode::NameTooLong,
                    format!(
                        "{}: {p}. Rename it on the source (ScalarDB cannot use it on {} either).",
                        full(&mt),
                        engine_label(t.engine)
                    ),
                ));
            }
            if listed {
                checks.extend(unlisted_columns(s, &mt, &d.system_namespace).await?);
            }
            checks.extend(key_size_checks(s, &mt, t.engine, version).await?);
            checks.extend(collision_checks(s, &mt, t).await?);
            checks.extend(nul_checks(s, &mt, t.engine).await?);
            tables.push(table_plan(&mt, t.engine, version, (&storage, &t.storage), rows, listed));
            moves.push(Move { table: mt, source: si, target: ti, rows, listed });
        }
    }
    checks.extend(copied_as_they_are(&moves, &d.system_namespace));
    if !moves.iter().any(|m| m.listed) {
        checks.push(Check::fail(
            "tables",
            ErrorCode::NotFound,
            format!("{}.metadata lists no table on the source: there is nothing to migrate.", d.system_namespace),
        ));
    }
    checks.extend(target_checks(targets, &moves, &d, version).await?);
    let mysql = targets.iter().any(|t| t.collation.is_some());
    passed(&mut checks, "metadata", true, "every column of the source tables is listed in the metadata");
    passed(&mut checks, "names", true, "every namespace, table, column and index name fits the target");
    passed(&mut checks, "collisions", mysql, "no two keys become one under the target's collation");
    passed(&mut checks, "key_size", mysql, "every key and indexed value fits the target's key columns");

    let target_plans: Vec<TargetPlan> = targets
        .iter()
        .map(|t| TargetPlan {
            storage: t.storage.clone(),
            profile: t.profile.name.clone(),
            engine: engine_label(t.engine).into(),
            units: unit_target.iter().filter(|(_, p)| p.id == t.profile.id).map(|(u, _)| u.clone()).collect(),
            collation: t.collation.clone(),
        })
        .collect();
    if !mapping.iter().any(|m| m.namespace == d.coordinator_namespace) {
        mapping
            .push(NamespaceMapping { namespace: d.coordinator_namespace.clone(), storage: targets[0].storage.clone() });
    }
    let profs: Vec<&Profile> = targets.iter().map(|t| &t.profile).collect();
    let engines: Vec<Engine> = targets.iter().map(|t| t.engine).collect();
    let properties = properties(&d, &target_plans, &profs, &mapping, &engines);
    let mut notes = notes_of(opts, sources.len(), storages.len(), targets, &mapping, p.paused_ms);
    if let Some((fb, _)) = &p.from {
        notes.insert(0, fb.note());
    }
    let plan = MigrationPlan {
        deployment: d.name.clone(),
        scalardb_version: format!("{}.{}.{}", version.0, version.1, version.2),
        targets: target_plans,
        tables,
        checks,
        mapping,
        properties,
        notes,
        leftovers,
    };
    p.plan = plan;
    p.moves = moves;
    Ok(())
}

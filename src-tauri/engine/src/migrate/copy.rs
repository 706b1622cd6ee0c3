//! Copying every table with its Consensus Commit columns, then the proof:
//! row counts, fingerprints, and the consistency audit on both sides.

use super::checks::namespaces_of;
use super::connect::{cols_of, full, keys_of, Move, Source, Target};
use super::io::{self, Col};
use super::job::Prepared;
use super::layout::{self, Engine, MetaTable, ScalarType};
use super::owned::create_owned;
use super::plan::TableProof;
use super::values::Val;
use crate::error::{Error, ErrorCode, Result};
use crate::job::journal::Journal;
use crate::job::{self, Live, Sink};
use crate::live::Dialect;
use crate::verify::audit::{self, AuditPart, AuditReport, AuditTable};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub(super) type Proven = (Vec<TableProof>, Option<AuditReport>, Option<AuditReport>);

pub(super) async fn copy_and_prove(p: &mut Prepared, ctx: &job::JobCtx, live: &Arc<Live>) -> Result<Proven> {
    let (j, sink, cancel) = (&*ctx.journal, &ctx.sink, &ctx.cancel);
    create_namespaces(p, j).await?;
    let mut proofs = Vec::new();
    for i in 0..p.moves.len() {
        proofs.push(copy_table(p, j, i, live, sink).await?);
    }
    // The metadata table last: a half-done target does not look like a ScalarDB deployment.
    live.set_phase("metadata");
    for ti in 0..p.targets.len() {
        write_metadata(p, j, ti).await?;
    }
    live.set_phase("proving");
    job::phase(sink, "proving", "Reading every table back on the target: row counts and fingerprints…");
    for (m, proof) in p.moves.iter().zip(proofs.iter_mut()) {
        if cancel.is_cancelled() {
            return Err(Error::cancelled_job());
        }
        prove(&mut p.sources[m.source], &mut p.targets[m.target], &m.table, proof).await?;
    }
    let (source_audit, target_audit) = audit_both(p, live, sink, cancel).await?;
    live.all_tables_done();
    Ok((proofs, source_audit, target_audit))
}

/// The namespaces first (PostgreSQL schemas, MySQL databases; SQLite has none).
pub(super) async fn create_namespaces(p: &mut Prepared, j: &Journal) -> Result<()> {
    let binary = p.plan.notes.iter().any(|n| n.contains("--binary-collation"));
    for ti in 0..p.targets.len() {
        let nss = namespaces_of(&p.moves, ti, &p.d.system_namespace);
        let t = &mut p.targets[ti];
        for ns in nss {
            let sql = match t.engine {
                Engine::Sqlite => continue,
                Engine::Postgresql => format!("CREATE SCHEMA {}", crate::live::quote_ident(Dialect::Postgres, &ns)),
                _ => {
                    let mut s = format!("CREATE SCHEMA {}", crate::live::quote_ident(Dialect::Mysql, &ns));
                    if binary {
                        s.push_str(&format!(
                            " CHARACTER SET utf8mb4 COLLATE {}",
                            t.collation.as_deref().unwrap_or("utf8mb4_bin")
                        ));
                    }
                    s
                }
            };
            create_owned(j, &p.d.name, t, "schema", &ns, &sql).await?;
        }
    }
    Ok(())
}

/// One table: created, its rows streamed from the snapshot (hashed on the
/// way: the source side of the proof), then its indexes.
pub(super) async fn copy_table(
    p: &mut Prepared,
    j: &Journal,
    i: usize,
    live: &Arc<Live>,
    sink: &Sink,
) -> Result<TableProof> {
    let (m, version, n) = (&p.moves[i], p.version, p.moves.len());
    let mt = &m.table;
    let t = &mut p.targets[m.target];
    let ddl = layout::create_table(t.engine, mt, version);
    let tphys = t.conn.table(&mt.namespace, &mt.table);
    if t.engine == Engine::Sqlite {
        create_owned(j, &p.d.name, t, "table", &format!("{}${}", mt.namespace, mt.table), &ddl[0]).await?;
    } else {
        t.conn.exec(&ddl[0]).await?;
    }
    live.set_phase(&format!("copying {}", full(mt)));
    job::phase(sink, "copying", format!("Copying {} ({} rows, table {} of {n})…", full(mt), m.rows, i + 1));
    let began = Instant::now();
    let s = &mut p.sources[m.source];
    let sphys = s.conn.table(&mt.namespace, &mt.table);
    let (cols, keys) = (cols_of(mt), keys_of(mt));
    let (tx1, rx1) = mpsc::channel(2);
    let (tx2, rx2) = mpsc::channel(2);
    let read = io::scan(&mut s.conn, &sphys, &cols, &keys, tx1);
    let hash = io::tee(rx1, tx2);
    let write = io::write(&mut t.conn, &tphys, &cols, rx2, live.rows_done.clone());
    let ((), fp, ()) = tokio::try_join!(read, hash, write)?;
    for stmt in &ddl[1..] {
        t.conn.exec(stmt).await?;
    }
    let secs = began.elapsed().as_secs_f64();
    live.tables_done.fetch_add(1, Ordering::Relaxed);
    sink(job::JobEvent::Log {
        line: format!("{}: {} rows in {secs:.2} s ({:.0} rows/s)", full(mt), fp.rows, fp.rows as f64 / secs.max(1e-6)),
    });
    Ok(TableProof {
        table: full(mt),
        source_rows: fp.rows,
        target_rows: 0,
        source_fingerprint: fp.hex(),
        target_fingerprint: String::new(),
        secs,
    })
}

/// `<sys>.metadata` on a target with the rows of its tables, as the target version records them.
pub(super) async fn write_metadata(p: &mut Prepared, j: &Journal, ti: usize) -> Result<()> {
    let sys = p.d.system_namespace.clone();
    let t = &mut p.targets[ti];
    if t.engine == Engine::Sqlite {
        create_owned(j, &p.d.name, t, "table", &format!("{sys}$metadata"), "").await?;
    }
    t.conn.exec(&layout::create_metadata_table(t.engine, &sys)).await?;
    let cols: Vec<Col> = [
        ("full_table_name", ScalarType::Text),
        ("column_name", ScalarType::Text),
        ("data_type", ScalarType::Text),
        ("key_type", ScalarType::Text),
        ("clustering_order", ScalarType::Text),
        ("indexed", ScalarType::Boolean),
        ("ordinal_position", ScalarType::Int),
    ]
    .iter()
    .map(|(n, ty)| Col { name: (*n).into(), ty: *ty })
    .collect();
    let text = |s: Option<String>| s.map(Val::Text).unwrap_or(Val::Null);
    let rows: Vec<Vec<Val>> = p
        .moves
        .iter()
        .filter(|m| m.target == ti && m.listed)
        .flat_map(|m| layout::metadata_rows(&m.table, p.version))
        .map(|r| {
            vec![
                Val::Text(r.full_table_name),
                Val::Text(r.column_name),
                Val::Text(r.data_type),
                text(r.key_type),
                text(r.clustering_order),
                Val::Bool(r.indexed),
                Val::Int(r.ordinal_position as i32),
            ]
        })
        .collect();
    let (tx, rx) = mpsc::channel(1);
    let meta = t.conn.table(&sys, "metadata");
    let send = async move {
        let _ = tx.send(rows).await;
        Ok(())
    };
    tokio::try_join!(send, io::write(&mut t.conn, &meta, &cols, rx, Default::default()))?;
    Ok(())
}

/// The proof of one table: read back on the target in the same order; a
/// mismatch names the first differing key (the source's snapshot is still open).
pub(super) async fn prove(s: &mut Source, t: &mut Target, mt: &MetaTable, proof: &mut TableProof) -> Result<()> {
    let (cols, keys) = (cols_of(mt), keys_of(mt));
    let tphys = t.conn.table(&mt.namespace, &mt.table);
    // A PostgreSQL cursor lives in a transaction.
    let pg = t.conn.dialect() == Dialect::Postgres;
    if pg {
        t.conn.exec("BEGIN READ ONLY").await?;
    }
    let fp = io::fingerprint(&mut t.conn, &tphys, &cols, &keys).await;
    if pg {
        t.conn.exec("COMMIT").await?;
    }
    let fp = fp?;
    proof.target_rows = fp.rows;
    proof.target_fingerprint = fp.hex();
    if proof.target_rows == proof.source_rows && proof.target_fingerprint == proof.source_fingerprint {
        return Ok(());
    }
    let sphys = s.conn.table(&mt.namespace, &mt.table);
    if pg {
        t.conn.exec("BEGIN READ ONLY").await?;
    }
    let diff = io::first_difference(&mut s.conn, &sphys, &mut t.conn, &tphys, &cols, &keys).await?;
    Err(Error::new(
        ErrorCode::ProofFailed,
        format!(
            "The proof failed for {}: {} rows on the source, {} on the target; {}. The migration is undone.",
            proof.table,
            proof.source_rows,
            proof.target_rows,
            diff.unwrap_or_else(|| "the fingerprints differ".into())
        ),
    ))
}

/// The consistency audit on the source's snapshot and on the target: lazy
/// recovery must decide the same on both. None when there is no coordinator.
pub(super) async fn audit_both(
    p: &mut Prepared,
    live: &Arc<Live>,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<(Option<AuditReport>, Option<AuditReport>)> {
    let coord = format!("{}.state", p.d.coordinator_namespace);
    let Some(cm) = p.moves.iter().find(|m| full(&m.table) == coord) else {
        return Ok((None, None));
    };
    live.set_phase("auditing");
    job::phase(sink, "auditing", "Running the consistency audit on the source snapshot and on the target…");
    let tables = |pick: &dyn Fn(&Move) -> bool| -> Vec<AuditTable> {
        p.moves
            .iter()
            // Tables without Consensus Commit columns (storage-only) have nothing to audit.
            .filter(|m| pick(m) && full(&m.table) != coord && m.table.columns.iter().any(|c| c.name == "tx_state"))
            .map(|m| AuditTable { namespace: m.table.namespace.clone(), table: m.table.table.clone(), in_flight: None })
            .collect()
    };
    let src: Vec<Vec<AuditTable>> = (0..p.sources.len()).map(|i| tables(&|m: &Move| m.source == i)).collect();
    let tgt: Vec<Vec<AuditTable>> = (0..p.targets.len()).map(|i| tables(&|m: &Move| m.target == i)).collect();
    let (cs, ct, ns) = (cm.source, cm.target, p.d.coordinator_namespace.clone());
    let mut parts: Vec<AuditPart> =
        p.sources.iter_mut().zip(src).map(|(s, tables)| AuditPart { conn: &mut s.conn, tables }).collect();
    let sa = audit::run_across(&mut parts, cs, &ns, cancel).await?;
    let mut parts: Vec<AuditPart> =
        p.targets.iter_mut().zip(tgt).map(|(t, tables)| AuditPart { conn: &mut t.conn, tables }).collect();
    let ta = audit::run_across(&mut parts, ct, &ns, cancel).await?;
    let sum = |a: &AuditReport| {
        (a.in_flight_records, a.transactions_total, a.roll_forward, a.roll_back + a.not_yet_expired, a.torn)
    };
    if sum(&sa) != sum(&ta) || (ta.has_errors() && !sa.has_errors()) {
        let say = |a: &AuditReport| {
            format!(
                "{} record(s) in flight, {} transaction(s) ({} roll forward, {} roll back, {} torn)",
                a.in_flight_records,
                a.transactions_total,
                a.roll_forward,
                a.roll_back + a.not_yet_expired,
                a.torn
            )
        };
        return Err(Error::new(
            ErrorCode::ProofFailed,
            format!(
                "The consistency audit differs: on the source {}; on the target {}. The migration is undone.",
                say(&sa),
                say(&ta)
            ),
        ));
    }
    Ok((Some(sa), Some(ta)))
}

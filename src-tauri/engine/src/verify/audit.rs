//! The ScalarDB consistency audit. Lazy recovery (scalar-labs/scalardb
//! `core/src/main/java/com/scalar/db/transaction/consensuscommit/RecoveryHandler.java`)
//! rolls a PREPARED or DELETED record forward when the coordinator says
//! COMMITTED, and back when it says ABORTED or has no row for a transaction
//! older than 15 s. The audit reads what lazy recovery
//! will read — records left PREPARED or DELETED, and the coordinator — and
//! says per in-flight transaction what recovery will do. A transaction whose
//! records are COMMITTED in one place while recovery would roll it back in
//! another (no COMMITTED coordinator row) is torn: the signature of a backup
//! whose coordinator and data were captured at different instants.
//!
//! It reports findings; it never certifies a backup as consistent, because
//! some tears leave no trace (see `LIMITS`).

use crate::discovery::{Finding, Severity};
use crate::error::Result;
use crate::live::{Dialect, LiveConn};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use ts_rs::TS;

pub const PREPARED: i32 = 1;
pub const DELETED: i32 = 2;
pub const COMMITTED: i32 = 3;
pub const ABORTED: i32 = 4;
/// Lazy recovery aborts a transaction absent from the coordinator once its
/// records are older than this.
pub const EXPIRY_MS: i64 = 15_000;
/// Transactions listed one by one in a report; the counts cover all of them.
const LISTED: usize = 500;
const BATCH: usize = 400;

/// What the audit cannot see, said every time.
pub const LIMITS: &[&str] = &[
    "A transaction whose records were all still PREPARED when the data was captured is rolled back as a whole: if the coordinator committed it later, nothing in the captured state shows it.",
    "A torn transaction whose records are both still PREPARED looks like any in-flight transaction; only a COMMITTED record next to a rollback reveals a tear.",
    "A record keeps one before-image: a tear hidden under a later committed transaction on the same record is gone.",
    "COMMITTED records without a coordinator row are also what data loaded outside ScalarDB transactions looks like, so they are warnings, not errors.",
    "Only the tables listed in ScalarDB's metadata (and the coordinator) are read.",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Recovery {
    /// The coordinator says COMMITTED: the PREPARED records are committed.
    RollForward,
    /// ABORTED, or absent and expired: the records go back to their before-image.
    RollBack,
    /// Absent and younger than the expiry: a reader waits for its owner.
    NotYetExpired,
    /// COMMITTED records next to records recovery rolls back: half a transaction survives.
    Torn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TxRecords {
    pub table: String,
    /// 1 PREPARED, 2 DELETED, 3 COMMITTED.
    pub state: i32,
    #[ts(type = "number")]
    pub records: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InFlightTx {
    pub tx_id: String,
    /// The coordinator's state for it (through its group-commit parent when it has one).
    pub coordinator_state: Option<i32>,
    /// The coordinator row that decided it (the parent id for a group commit).
    pub coordinator_row: Option<String>,
    #[ts(type = "number | null")]
    pub prepared_at: Option<i64>,
    pub records: Vec<TxRecords>,
    pub recovery: Recovery,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AuditReport {
    pub audited_at: String,
    pub tables: Vec<String>,
    pub coordinator_table: String,
    #[ts(type = "number | null")]
    pub coordinator_rows: Option<i64>,
    #[ts(type = "number")]
    pub in_flight_records: u64,
    pub transactions_total: usize,
    /// At most 500, torn ones first.
    pub transactions: Vec<InFlightTx>,
    pub roll_forward: usize,
    pub roll_back: usize,
    pub not_yet_expired: usize,
    pub torn: usize,
    #[ts(type = "number")]
    pub committed_unknown_records: u64,
    pub committed_unknown_examples: Vec<String>,
    pub findings: Vec<Finding>,
    pub limits: Vec<String>,
}

impl AuditReport {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Records of one transaction in one table and state, as read.
#[derive(Debug, Clone)]
pub struct RecordGroup {
    pub table: String,
    pub tx_id: String,
    pub state: i32,
    pub prepared_at: Option<i64>,
    pub count: u64,
}

#[derive(Debug, Clone)]
pub struct CoordRow {
    pub state: i32,
    pub child_ids: Option<String>,
}

/// The coordinator row deciding `tx_id`: its own, or its group-commit
/// parent's when the id is `parent$child` and the parent lists the child.
pub fn lookup<'a>(tx_id: &str, coord: &'a HashMap<String, CoordRow>) -> Option<(&'a CoordRow, String)> {
    if let Some(r) = coord.get(tx_id) {
        return Some((r, tx_id.to_string()));
    }
    let (parent, child) = tx_id.split_once('$')?;
    let r = coord.get(parent)?;
    let listed = r.child_ids.as_deref().unwrap_or("").split(',').any(|c| c.trim() == child);
    listed.then(|| (r, parent.to_string()))
}

fn state_name(s: i32) -> &'static str {
    match s {
        PREPARED => "PREPARED",
        DELETED => "DELETED",
        COMMITTED => "COMMITTED",
        ABORTED => "ABORTED",
        5 => "UNKNOWN",
        _ => "?",
    }
}

/// What lazy recovery does with each in-flight transaction. `groups` holds
/// the in-flight records and the COMMITTED records of the same ids.
pub fn decide(groups: &[RecordGroup], coord: &HashMap<String, CoordRow>, now_ms: i64) -> Vec<InFlightTx> {
    let mut by_tx: BTreeMap<&str, Vec<&RecordGroup>> = BTreeMap::new();
    for g in groups {
        by_tx.entry(&g.tx_id).or_default().push(g);
    }
    let mut out = Vec::new();
    for (tx, gs) in by_tx {
        if !gs.iter().any(|g| g.state == PREPARED || g.state == DELETED) {
            continue;
        }
        let committed: u64 = gs.iter().filter(|g| g.state == COMMITTED).map(|g| g.count).sum();
        let prepared_at = gs.iter().filter_map(|g| g.prepared_at).max();
        let found = lookup(tx, coord);
        let cstate = found.as_ref().map(|(r, _)| r.state);
        let expired = prepared_at.is_none_or(|p| p + EXPIRY_MS < now_ms);
        let (recovery, explanation) = match cstate {
            Some(COMMITTED) => (Recovery::RollForward, "the coordinator says COMMITTED: its PREPARED/DELETED records are committed".to_string()),
            Some(s) if committed > 0 => (
                Recovery::Torn,
                format!("{committed} record(s) are COMMITTED, but the coordinator says {}: the others are rolled back, so half of the transaction survives", state_name(s)),
            ),
            None if committed > 0 => (
                Recovery::Torn,
                format!("{committed} record(s) are COMMITTED, but the coordinator has no row for it: recovery aborts it and rolls back the others, so half of the transaction survives"),
            ),
            Some(ABORTED) => (Recovery::RollBack, "the coordinator says ABORTED: its records go back to their before-image".into()),
            Some(s) => (Recovery::RollBack, format!("the coordinator says {}: not committed, so its records are rolled back", state_name(s))),
            None if expired => (Recovery::RollBack, "no coordinator row and older than 15 s: recovery writes ABORTED and rolls its records back".into()),
            None => (Recovery::NotYetExpired, "no coordinator row yet and younger than 15 s: readers wait for it to commit or expire".into()),
        };
        let mut records: Vec<TxRecords> =
            gs.iter().map(|g| TxRecords { table: g.table.clone(), state: g.state, records: g.count }).collect();
        records.sort_by(|a, b| a.table.cmp(&b.table).then(a.state.cmp(&b.state)));
        out.push(InFlightTx {
            tx_id: tx.to_string(),
            coordinator_state: cstate,
            coordinator_row: found.map(|(_, id)| id),
            prepared_at,
            records,
            recovery,
            explanation,
        });
    }
    out
}

/// Everything else the report says, from the decisions.
pub fn summarize(
    txs: Vec<InFlightTx>,
    committed_unknown: u64,
    examples: Vec<String>,
) -> (Vec<InFlightTx>, Vec<Finding>) {
    let mut findings = Vec::new();
    let torn: Vec<&InFlightTx> = txs.iter().filter(|t| t.recovery == Recovery::Torn).collect();
    if !torn.is_empty() {
        let ids: Vec<&str> = torn.iter().take(10).map(|t| t.tx_id.as_str()).collect();
        findings.push(Finding::new(
            Severity::Error,
            "torn_transaction",
            format!(
                "{} transaction(s) are COMMITTED in some records but would be rolled back in others ({}{}). The coordinator and the data were captured at different instants: after recovery, half of these transactions remain.",
                torn.len(),
                ids.join(", "),
                if torn.len() > ids.len() { ", …" } else { "" }
            ),
        ));
    }
    if committed_unknown > 0 {
        findings.push(Finding::new(
            Severity::Warning,
            "committed_unknown_to_coordinator",
            format!(
                "{committed_unknown} COMMITTED record(s) belong to transactions the coordinator has never seen (e.g. {}). Expected for data loaded outside ScalarDB transactions; otherwise the coordinator was captured before the data.",
                examples.join(", ")
            ),
        ));
    }
    let count = |r: Recovery| txs.iter().filter(|t| t.recovery == r).count();
    let (fwd, back, wait) = (count(Recovery::RollForward), count(Recovery::RollBack), count(Recovery::NotYetExpired));
    if fwd + back + wait > 0 {
        findings.push(Finding::new(
            Severity::Info,
            "in_flight",
            format!("In-flight transactions: {fwd} will be rolled forward, {back} rolled back, {wait} not yet expired. Lazy recovery does this on first read; nothing is lost."),
        ));
    }
    let mut txs = txs;
    txs.sort_by_key(|t| (t.recovery != Recovery::Torn, t.tx_id.clone()));
    (txs, findings)
}

/// A table of the deployment, by namespace and name.
#[derive(Debug, Clone)]
pub struct AuditTable {
    pub namespace: String,
    pub table: String,
    /// Records PREPARED/DELETED, when already counted (the table is not read again if 0).
    pub in_flight: Option<u64>,
}

fn in_list(conn: &LiveConn, ids: &[String]) -> String {
    ids.iter().map(|i| conn.lit(i)).collect::<Vec<_>>().join(",")
}

fn parse_i64(v: &Option<String>) -> Option<i64> {
    v.as_deref().and_then(|s| s.trim().parse().ok())
}

/// One database's part of an audit: its connection and its tables.
pub struct AuditPart<'a> {
    pub conn: &'a mut LiveConn,
    pub tables: Vec<AuditTable>,
}

/// Runs the audit over a live connection.
pub async fn run(
    conn: &mut LiveConn,
    tables: &[AuditTable],
    coordinator_ns: &str,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<AuditReport> {
    let mut parts = [AuditPart { conn, tables: tables.to_vec() }];
    run_across(&mut parts, 0, coordinator_ns, cancel).await
}

fn label_of(conn: &LiveConn, ns: &str, t: &str) -> String {
    match conn.dialect() {
        Dialect::Sqlite => format!("{ns}${t}"),
        _ => format!("{ns}.{t}"),
    }
}

/// Runs the audit across several databases (the units of one deployment),
/// the coordinator being in `parts[coordinator]`: a transaction's records
/// are gathered from every database before it is decided, so one whose
/// records are PREPARED in one database and COMMITTED in another is seen
/// whole.
pub async fn run_across(
    parts: &mut [AuditPart<'_>],
    coordinator: usize,
    coordinator_ns: &str,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<AuditReport> {
    let now = chrono::Utc::now();
    let mut groups = Vec::new();
    let mut in_flight_records = 0u64;
    let mut names = Vec::new();
    for part in parts.iter_mut() {
        let (g, n, count) = in_flight_groups(part, cancel).await?;
        groups.extend(g);
        names.extend(n);
        in_flight_records += count;
    }
    // COMMITTED records of the in-flight transactions, in every table of every database.
    let mut ids: Vec<String> = groups.iter().map(|g| g.tx_id.clone()).collect();
    ids.sort();
    ids.dedup();
    for part in parts.iter_mut() {
        groups.extend(committed_records(part, &ids).await?);
    }
    let coord_part = &mut parts[coordinator];
    let coord_t = coord_part.conn.table(coordinator_ns, "state");
    let has_children = coord_part.conn.has_column(coordinator_ns, "state", "tx_child_ids").await?;
    let coord = coordinator_rows(coord_part.conn, &coord_t, &ids, has_children).await?;
    let coordinator_rows = coord_part.conn.scalar_i64(&format!("SELECT COUNT(*) FROM {coord_t}")).await?;
    // Records the coordinator never saw: found by a join, so only in the
    // coordinator's own database (said among the limits when there are others).
    let (unknown, examples) = unknown_committed(coord_part, &coord_t, cancel).await?;
    let txs = decide(&groups, &coord, now.timestamp_millis());
    let total = txs.len();
    let count = |r: Recovery| txs.iter().filter(|t| t.recovery == r).count();
    let (fwd, back, wait, torn) = (
        count(Recovery::RollForward),
        count(Recovery::RollBack),
        count(Recovery::NotYetExpired),
        count(Recovery::Torn),
    );
    let (mut txs, findings) = summarize(txs, unknown, examples.clone());
    txs.truncate(LISTED);
    let mut limits: Vec<String> = LIMITS.iter().map(|s| s.to_string()).collect();
    if parts.len() > 1 {
        limits.push(format!(
            "COMMITTED records unknown to the coordinator are looked for only in the database holding {}; in the other databases only the in-flight transactions' records are read.",
            label_of(parts[coordinator].conn, coordinator_ns, "state")
        ));
    }
    Ok(AuditReport {
        audited_at: now.to_rfc3339(),
        tables: names,
        coordinator_table: label_of(parts[coordinator].conn, coordinator_ns, "state"),
        coordinator_rows,
        in_flight_records,
        transactions_total: total,
        transactions: txs,
        roll_forward: fwd,
        roll_back: back,
        not_yet_expired: wait,
        torn,
        committed_unknown_records: unknown,
        committed_unknown_examples: examples,
        findings,
        limits,
    })
}

/// The records left PREPARED or DELETED in a database's tables, grouped by
/// transaction; the tables' labels; how many records.
async fn in_flight_groups(
    part: &mut AuditPart<'_>,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<(Vec<RecordGroup>, Vec<String>, u64)> {
    let mut groups = Vec::new();
    let mut names = Vec::new();
    let mut records = 0u64;
    for t in &part.tables {
        if cancel.is_cancelled() {
            return Err(crate::Error::cancelled_job());
        }
        let q = part.conn.table(&t.namespace, &t.table);
        let label = label_of(part.conn, &t.namespace, &t.table);
        names.push(label.clone());
        if t.in_flight == Some(0) {
            continue;
        }
        let rows = part
            .conn
            .rows(&format!(
                "SELECT tx_id, tx_state, COUNT(*), MAX(tx_prepared_at) FROM {q} WHERE tx_state IN ({PREPARED},{DELETED}) GROUP BY tx_id, tx_state"
            ))
            .await?;
        for r in rows {
            let count = parse_i64(&r[2]).unwrap_or(0) as u64;
            records += count;
            groups.push(RecordGroup {
                table: label.clone(),
                tx_id: r[0].clone().unwrap_or_default(),
                state: parse_i64(&r[1]).unwrap_or(0) as i32,
                prepared_at: parse_i64(&r[3]),
                count,
            });
        }
    }
    Ok((groups, names, records))
}

/// The COMMITTED records of the given transactions in a database's tables.
async fn committed_records(part: &mut AuditPart<'_>, ids: &[String]) -> Result<Vec<RecordGroup>> {
    let mut out = Vec::new();
    for t in &part.tables {
        let q = part.conn.table(&t.namespace, &t.table);
        let label = label_of(part.conn, &t.namespace, &t.table);
        for chunk in ids.chunks(BATCH) {
            let rows = part
                .conn
                .rows(&format!(
                    "SELECT tx_id, COUNT(*) FROM {q} WHERE tx_state = {COMMITTED} AND tx_id IN ({}) GROUP BY tx_id",
                    in_list(part.conn, chunk)
                ))
                .await?;
            out.extend(rows.into_iter().map(|r| RecordGroup {
                table: label.clone(),
                tx_id: r[0].clone().unwrap_or_default(),
                state: COMMITTED,
                prepared_at: None,
                count: parse_i64(&r[1]).unwrap_or(0) as u64,
            }));
        }
    }
    Ok(out)
}

/// The coordinator rows of the given transactions and of their group-commit parents.
/// Coordinators before group commit have no `tx_child_ids` (`has_children`
/// is asked of the catalog: a failed query would abort a snapshot's transaction).
async fn coordinator_rows(
    conn: &mut LiveConn,
    coord_t: &str,
    ids: &[String],
    has_children: bool,
) -> Result<HashMap<String, CoordRow>> {
    let mut wanted: Vec<String> = ids.to_vec();
    wanted.extend(ids.iter().filter_map(|i| i.split_once('$').map(|(p, _)| p.to_string())));
    wanted.sort();
    wanted.dedup();
    let mut coord: HashMap<String, CoordRow> = HashMap::new();
    for chunk in wanted.chunks(BATCH) {
        let list = in_list(conn, chunk);
        let with_children = format!("SELECT tx_id, tx_state, tx_child_ids FROM {coord_t} WHERE tx_id IN ({list})");
        let without = format!("SELECT tx_id, tx_state, NULL FROM {coord_t} WHERE tx_id IN ({list})");
        let rows = conn.rows(if has_children { &with_children } else { &without }).await?;
        for r in rows {
            coord.insert(
                r[0].clone().unwrap_or_default(),
                CoordRow { state: parse_i64(&r[1]).unwrap_or(0) as i32, child_ids: r[2].clone() },
            );
        }
    }
    Ok(coord)
}

/// COMMITTED records whose transaction the coordinator never saw (own id,
/// or group parent), in the coordinator's database: how many, and examples.
async fn unknown_committed(
    part: &mut AuditPart<'_>,
    coord_t: &str,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<(u64, Vec<String>)> {
    let conn = &mut *part.conn;
    let parent = match conn.dialect() {
        Dialect::Postgres => "split_part(t.tx_id, '$', 1)".to_string(),
        Dialect::Mysql => "SUBSTRING_INDEX(t.tx_id, '$', 1)".to_string(),
        Dialect::Sqlite => {
            "CASE WHEN instr(t.tx_id, '$') > 0 THEN substr(t.tx_id, 1, instr(t.tx_id, '$') - 1) ELSE t.tx_id END"
                .to_string()
        }
    };
    let mut unknown = 0u64;
    let mut examples = Vec::new();
    for t in &part.tables {
        if cancel.is_cancelled() {
            return Err(crate::Error::cancelled_job());
        }
        let q = conn.table(&t.namespace, &t.table);
        // One anti-join on the record's own id; the group-commit parent is
        // looked up only when some of those ids have one (`parent$child`).
        let own =
            format!("t.tx_state = {COMMITTED} AND NOT EXISTS (SELECT 1 FROM {coord_t} c WHERE c.tx_id = t.tx_id)");
        let r = conn
            .rows(&format!(
                "SELECT COUNT(*), SUM(CASE WHEN t.tx_id LIKE '%$%' THEN 1 ELSE 0 END) FROM {q} t WHERE {own}"
            ))
            .await?;
        let (n_own, n_child) =
            r.first().map(|r| (parse_i64(&r[0]).unwrap_or(0), parse_i64(&r[1]).unwrap_or(0))).unwrap_or((0, 0));
        let cond = if n_child > 0 {
            format!("{own} AND NOT EXISTS (SELECT 1 FROM {coord_t} c WHERE c.tx_id = {parent})")
        } else {
            own
        };
        let n = if n_child > 0 {
            conn.scalar_i64(&format!("SELECT COUNT(*) FROM {q} t WHERE {cond}")).await?.unwrap_or(0)
        } else {
            n_own
        };
        if n > 0 {
            unknown += n as u64;
            if examples.len() < 5 {
                for r in conn.rows(&format!("SELECT t.tx_id FROM {q} t WHERE {cond} LIMIT 3")).await? {
                    if let Some(id) = r[0].clone() {
                        // Ids are short in ScalarDB (UUIDs); keep a long one readable.
                        examples.push(if id.chars().count() > 40 {
                            format!("{}…", id.chars().take(40).collect::<String>())
                        } else {
                            id
                        });
                    }
                }
            }
        }
    }
    Ok((unknown, examples))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(table: &str, tx: &str, state: i32, at: i64, n: u64) -> RecordGroup {
        RecordGroup { table: table.into(), tx_id: tx.into(), state, prepared_at: Some(at), count: n }
    }

    fn coord(rows: &[(&str, i32, Option<&str>)]) -> HashMap<String, CoordRow> {
        rows.iter()
            .map(|(id, s, c)| (id.to_string(), CoordRow { state: *s, child_ids: c.map(str::to_string) }))
            .collect()
    }

    #[test]
    fn lazy_recovery_decisions() {
        let now = 100_000;
        let groups = vec![
            g("bank.accounts", "fwd", PREPARED, 1, 1),
            g("bank.accounts", "ab", PREPARED, 1, 2),
            g("bank.accounts", "old", DELETED, 1, 1),
            g("bank.accounts", "young", PREPARED, now - 1_000, 1),
            // Committed on one side, PREPARED and unknown to the coordinator on the other.
            g("bank.accounts", "torn", PREPARED, 1, 1),
            g("audit.transfers", "torn", COMMITTED, 1, 1),
            // A committed transaction alone is not in flight.
            g("audit.transfers", "done", COMMITTED, 1, 3),
        ];
        let c = coord(&[("fwd", COMMITTED, None), ("ab", ABORTED, None)]);
        let d = decide(&groups, &c, now);
        let by = |id: &str| d.iter().find(|t| t.tx_id == id).unwrap().recovery;
        assert_eq!(d.len(), 5);
        assert_eq!(by("fwd"), Recovery::RollForward);
        assert_eq!(by("ab"), Recovery::RollBack);
        assert_eq!(by("old"), Recovery::RollBack);
        assert_eq!(by("young"), Recovery::NotYetExpired);
        assert_eq!(by("torn"), Recovery::Torn);
        let (txs, f) = summarize(d, 0, vec![]);
        assert_eq!(txs[0].tx_id, "torn", "torn transactions are listed first");
        assert!(f.iter().any(|f| f.severity == Severity::Error && f.message.contains("torn")));
        // An aborted transaction with a committed record is torn too.
        let d =
            decide(&[g("a", "x", PREPARED, 1, 1), g("b", "x", COMMITTED, 1, 1)], &coord(&[("x", ABORTED, None)]), now);
        assert_eq!(d[0].recovery, Recovery::Torn);
        // A committed coordinator row makes mixed states an ordinary roll-forward.
        let d = decide(
            &[g("a", "x", PREPARED, 1, 1), g("b", "x", COMMITTED, 1, 1)],
            &coord(&[("x", COMMITTED, None)]),
            now,
        );
        assert_eq!(d[0].recovery, Recovery::RollForward);
    }

    #[test]
    fn group_commit_children_are_decided_by_their_parent_only_when_listed() {
        let c = coord(&[("p1", COMMITTED, Some("c1,c2")), ("p2", COMMITTED, Some("c9"))]);
        assert_eq!(lookup("p1$c2", &c).map(|(r, id)| (r.state, id)), Some((COMMITTED, "p1".to_string())));
        assert!(lookup("p2$c1", &c).is_none(), "a child the parent does not list was not part of the group's commit");
        let d = decide(&[g("a", "p1$c1", PREPARED, 1, 1), g("a", "p2$c1", PREPARED, 1, 1)], &c, 100_000);
        assert_eq!(d[0].recovery, Recovery::RollForward);
        assert_eq!(d[0].coordinator_row.as_deref(), Some("p1"));
        assert_eq!(d[1].recovery, Recovery::RollBack);
    }
}

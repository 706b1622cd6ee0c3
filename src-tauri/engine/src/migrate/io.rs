//! Rows in and out of each engine as ScalarDB values: a scan of a table in the
//! canonical key order (byte order for TEXT keys on every engine, so the two
//! sides of a migration are read in the same order), and a writer that loads
//! batches the way each engine loads fastest (PostgreSQL binary COPY,
//! multi-row INSERTs on MySQL/MariaDB, one transaction on SQLite). Batches
//! go through bounded channels, so memory stays flat in the table's size.

use super::layout::ScalarType;
use super::values::{self, Fingerprint, Val};
use crate::error::{Error, ErrorCode, Result};
use crate::live::{Dialect, Inner, LiveConn};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

pub type Row = Vec<Val>;
pub type Batch = Vec<Row>;

/// Rows per batch, and the bytes a batch stops at: with two batches in each
/// of the pipeline's channels, a copy holds a few MB whatever the table's size.
const BATCH_ROWS: usize = 1000;
const BATCH_BYTES: usize = 2 << 20;

/// A column: its physical name and its ScalarDB type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Col {
    pub name: String,
    pub ty: ScalarType,
}

fn db_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::DatabaseError, format!("{what}: {e}"))
}

/// The table's rows in the canonical order: every key column ascending, TEXT
/// keys in byte order (PostgreSQL's "C" collation, MySQL's binary cast,
/// SQLite's default), so a table reads in the same order on every engine.
pub fn select_sql(d: Dialect, phys: &str, cols: &[Col], keys: &[Col]) -> String {
    let q = |n: &str| crate::live::quote_ident(d, n);
    let list: Vec<String> = cols.iter().map(|c| q(&c.name)).collect();
    let order: Vec<String> = keys
        .iter()
        .map(|k| match (d, k.ty) {
            (Dialect::Postgres, ScalarType::Text) => format!("{} COLLATE \"C\"", q(&k.name)),
            (Dialect::Mysql, ScalarType::Text) => format!("CAST({} AS BINARY)", q(&k.name)),
            _ => q(&k.name),
        })
        .collect();
    format!("SELECT {} FROM {phys} ORDER BY {}", list.join(", "), order.join(", "))
}

/// Collects rows into batches.
struct Batcher {
    rows: Batch,
    bytes: usize,
}

impl Batcher {
    fn new() -> Batcher {
        Batcher { rows: Vec::with_capacity(BATCH_ROWS), bytes: 0 }
    }

    /// Adds a row; a full batch is handed back to be sent.
    fn push(&mut self, r: Row) -> Option<Batch> {
        self.bytes += r.iter().map(Val::weight).sum::<usize>();
        self.rows.push(r);
        (self.rows.len() >= BATCH_ROWS || self.bytes >= BATCH_BYTES).then(|| self.take())
    }

    fn take(&mut self) -> Batch {
        self.bytes = 0;
        std::mem::replace(&mut self.rows, Vec::with_capacity(BATCH_ROWS))
    }
}

/// Reads a table (inside the connection's open transaction: the snapshot)
/// into `tx`. A closed channel ends the scan quietly: the consumer failed
/// and says why.
pub async fn scan(conn: &mut LiveConn, phys: &str, cols: &[Col], keys: &[Col], tx: mpsc::Sender<Batch>) -> Result<()> {
    let sql = select_sql(conn.dialect(), phys, cols, keys);
    let cols = cols.to_vec();
    let mut b = Batcher::new();
    match &mut conn.inner {
        Inner::Pg(c) => {
            let c = &c.client;
            c.batch_execute(&format!("DECLARE quiesce_scan NO SCROLL CURSOR FOR {sql}"))
                .await
                .map_err(|e| db_err(&format!("Reading {phys}"), e))?;
            loop {
                let rows = c
                    .query("FETCH 1000 FROM quiesce_scan", &[])
                    .await
                    .map_err(|e| db_err(&format!("Reading {phys}"), e))?;
                if rows.is_empty() {
                    break;
                }
                for r in &rows {
                    let row = cols
                        .iter()
                        .enumerate()
                        .map(|(i, col)| values::from_pg(&format!("{phys}.{}", col.name), col.ty, r, i))
                        .collect::<Result<Row>>()?;
                    if let Some(full) = b.push(row) {
                        if tx.send(full).await.is_err() {
                            return Ok(());
                        }
                    }
                }
            }
            c.batch_execute("CLOSE quiesce_scan").await.map_err(|e| db_err(&format!("Reading {phys}"), e))?;
        }
        Inner::My(c) => {
            use mysql_async::prelude::Queryable;
            let mut res = c.exec_iter(sql.as_str(), ()).await.map_err(|e| db_err(&format!("Reading {phys}"), e))?;
            while let Some(r) = res.next().await.map_err(|e| db_err(&format!("Reading {phys}"), e))? {
                let vals = r.unwrap();
                let row = cols
                    .iter()
                    .zip(vals)
                    .map(|(col, v)| values::from_mysql(&format!("{phys}.{}", col.name), col.ty, v))
                    .collect::<Result<Row>>()?;
                if let Some(full) = b.push(row) {
                    if tx.send(full).await.is_err() {
                        // Drain the rest so the connection stays usable for the cleanup.
                        let _ = res.drop_result().await;
                        return Ok(());
                    }
                }
            }
        }
        Inner::Lite(c) => {
            let (c, phys) = (c.clone(), phys.to_string());
            let tx2 = tx.clone();
            let mut b2 = Batcher::new();
            let r = tokio::task::spawn_blocking(move || -> Result<Option<Batch>> {
                let c = c.lock().unwrap();
                let mut st = c.prepare(&sql).map_err(|e| db_err(&format!("Reading {phys}"), e))?;
                let mut rows = st.query([]).map_err(|e| db_err(&format!("Reading {phys}"), e))?;
                while let Some(r) = rows.next().map_err(|e| db_err(&format!("Reading {phys}"), e))? {
                    let mut row = Vec::with_capacity(cols.len());
                    for (i, col) in cols.iter().enumerate() {
                        let v = r.get_ref(i).map_err(|e| db_err(&format!("Reading {phys}"), e))?;
                        row.push(values::from_sqlite(&format!("{phys}.{}", col.name), col.ty, v)?);
                    }
                    if let Some(full) = b2.push(row) {
                        if tx2.blocking_send(full).is_err() {
                            return Ok(None);
                        }
                    }
                }
                Ok(Some(b2.take()))
            })
            .await
            .map_err(|e| Error::internal(e.to_string()))??;
            b.rows = r.unwrap_or_default();
        }
    }
    if !b.rows.is_empty() {
        let _ = tx.send(b.take()).await;
    }
    Ok(())
}

/// Loads batches into a table; `rows` counts the rows written.
pub async fn write(
    conn: &mut LiveConn,
    phys: &str,
    cols: &[Col],
    mut rx: mpsc::Receiver<Batch>,
    rows: Arc<AtomicU64>,
) -> Result<()> {
    let d = conn.dialect();
    let names: Vec<String> = cols.iter().map(|c| crate::live::quote_ident(d, &c.name)).collect();
    let what = format!("Writing {phys} on the target");
    match &mut conn.inner {
        Inner::Pg(c) => {
            let sink = c
                .client
                .copy_in::<_, bytes::Bytes>(&format!("COPY {phys} ({}) FROM STDIN (FORMAT binary)", names.join(", ")))
                .await
                .map_err(|e| db_err(&what, e))?;
            let types: Vec<_> = cols.iter().map(|c| values::pg_type(c.ty)).collect();
            let writer = tokio_postgres::binary_copy::BinaryCopyInWriter::new(sink, &types);
            futures_util::pin_mut!(writer);
            while let Some(batch) = rx.recv().await {
                for r in &batch {
                    let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                        r.iter().map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync)).collect();
                    writer.as_mut().write(&refs).await.map_err(|e| db_err(&what, e))?;
                }
                rows.fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
            writer.finish().await.map_err(|e| db_err(&what, e))?;
        }
        Inner::My(c) => {
            use mysql_async::prelude::Queryable;
            // The server drops the connection for a statement over
            // max_allowed_packet ("Connection reset by peer"): statements stay
            // well under it, and a single value that cannot fit is named.
            let packet: usize = c
                .query_first::<u64, _>("SELECT @@max_allowed_packet")
                .await
                .map_err(|e| db_err(&what, e))?
                .unwrap_or(4 << 20) as usize;
            let budget = packet / 2;
            // At most 65535 placeholders in one statement.
            let per = (60_000 / cols.len().max(1)).clamp(1, 500);
            let one = format!("({})", vec!["?"; cols.len()].join(","));
            let sql_for = |n: usize| {
                format!("INSERT INTO {phys} ({}) VALUES {}", names.join(", "), vec![one.as_str(); n].join(","))
            };
            while let Some(batch) = rx.recv().await {
                let mut start = 0;
                while start < batch.len() {
                    let (mut end, mut bytes) = (start, 0);
                    while end < batch.len() && end - start < per {
                        let w: usize = batch[end].iter().map(Val::weight).sum();
                        if end > start && bytes + w > budget {
                            break;
                        }
                        if w + 1024 > packet {
                            let (col, big) = cols
                                .iter()
                                .zip(&batch[end])
                                .max_by_key(|(_, v)| v.weight())
                                .map(|(c, v)| (c.name.clone(), v.weight().saturating_sub(24)))
                                .unwrap_or_default();
                            return Err(Error::new(
                                ErrorCode::Unsupported,
                                format!(
                                    "{what}: a row holds {big} bytes in column {col}, more than the target's max_allowed_packet ({packet} bytes) lets one statement carry. Raise it on the target server (SET GLOBAL max_allowed_packet = {}; or max_allowed_packet in its configuration), then migrate again.",
                                    (big + (1 << 20)).next_power_of_two()
                                ),
                            ));
                        }
                        bytes += w;
                        end += 1;
                    }
                    let chunk = &batch[start..end];
                    let params: Vec<mysql_async::Value> = chunk.iter().flatten().map(values::to_mysql).collect();
                    c.exec_drop(sql_for(chunk.len()), mysql_async::Params::Positional(params))
                        .await
                        .map_err(|e| db_err(&what, e))?;
                    start = end;
                }
                rows.fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
        }
        Inner::Lite(c) => {
            let c = c.clone();
            let sql = format!("INSERT INTO {phys} ({}) VALUES ({})", names.join(", "), vec!["?"; cols.len()].join(","));
            tokio::task::spawn_blocking(move || -> Result<()> {
                let c = c.lock().unwrap();
                c.execute_batch("BEGIN IMMEDIATE").map_err(|e| db_err(&what, e))?;
                let r = (|| -> Result<()> {
                    let mut st = c.prepare(&sql).map_err(|e| db_err(&what, e))?;
                    while let Some(batch) = rx.blocking_recv() {
                        for r in &batch {
                            st.execute(rusqlite::params_from_iter(r.iter().map(values::to_sqlite)))
                                .map_err(|e| db_err(&what, e))?;
                        }
                        rows.fetch_add(batch.len() as u64, Ordering::Relaxed);
                    }
                    Ok(())
                })();
                match r {
                    Ok(()) => c.execute_batch("COMMIT").map_err(|e| db_err(&what, e)),
                    Err(e) => {
                        let _ = c.execute_batch("ROLLBACK");
                        Err(e)
                    }
                }
            })
            .await
            .map_err(|e| Error::internal(e.to_string()))??;
        }
    }
    Ok(())
}

/// Hashes the batches going by (the source side of the proof).
pub async fn tee(mut rx: mpsc::Receiver<Batch>, tx: mpsc::Sender<Batch>) -> Result<Fingerprint> {
    let mut fp = Fingerprint::default();
    while let Some(b) = rx.recv().await {
        for r in &b {
            fp.add(r);
        }
        if tx.send(b).await.is_err() {
            break;
        }
    }
    Ok(fp)
}

/// Hashes a whole scan (the target side of the proof).
pub async fn fingerprint(conn: &mut LiveConn, phys: &str, cols: &[Col], keys: &[Col]) -> Result<Fingerprint> {
    let (tx, mut rx) = mpsc::channel(2);
    let read = scan(conn, phys, cols, keys, tx);
    let hash = async {
        let mut fp = Fingerprint::default();
        while let Some(b) = rx.recv().await {
            for r in &b {
                fp.add(r);
            }
        }
        Ok(fp)
    };
    let ((), fp) = tokio::try_join!(read, hash)?;
    Ok(fp)
}

/// Where two scans of one table first differ: the key (the first `nkeys`
/// values) and what differs. None when they are equal.
pub async fn first_difference(
    a: &mut LiveConn,
    a_phys: &str,
    b: &mut LiveConn,
    b_phys: &str,
    cols: &[Col],
    keys: &[Col],
) -> Result<Option<String>> {
    let (atx, mut arx) = mpsc::channel::<Batch>(2);
    let (btx, mut brx) = mpsc::channel::<Batch>(2);
    let ra = scan(a, a_phys, cols, keys, atx);
    let rb = scan(b, b_phys, cols, keys, btx);
    let key_of = |r: &Row| -> String {
        let parts: Vec<String> = keys
            .iter()
            .filter_map(|k| cols.iter().position(|c| c.name == k.name))
            .map(|i| format!("{}={}", cols[i].name, r[i].show()))
            .collect();
        format!("({})", parts.join(", "))
    };
    let compare = async {
        let (mut ab, mut bb) = (std::collections::VecDeque::new(), std::collections::VecDeque::new());
        loop {
            if ab.is_empty() {
                if let Some(x) = arx.recv().await {
                    ab.extend(x);
                }
            }
            if bb.is_empty() {
                if let Some(x) = brx.recv().await {
                    bb.extend(x);
                }
            }
            match (ab.pop_front(), bb.pop_front()) {
                (None, None) => return Ok(None),
                (Some(r), None) => {
                    return Ok(Some(format!("the row with key {} is missing on the target", key_of(&r))))
                }
                (None, Some(r)) => {
                    return Ok(Some(format!("the target has a row with key {} that the source has not", key_of(&r))))
                }
                (Some(x), Some(y)) if x != y => {
                    let what = match cols.iter().zip(x.iter().zip(&y)).find(|(_, (p, q))| p != q) {
                        Some((c, (p, q))) if key_of(&x) == key_of(&y) => {
                            format!(
                                "the row with key {} differs in column {}: {} on the source, {} on the target",
                                key_of(&x),
                                c.name,
                                p.show(),
                                q.show()
                            )
                        }
                        _ => format!("the source's next row has key {}, the target's {}", key_of(&x), key_of(&y)),
                    };
                    return Ok(Some(what));
                }
                _ => {}
            }
        }
    };
    // The comparison ends first; the scans then stop at their next send.
    let (r, _, _) = tokio::join!(compare, ra, rb);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canonical_order_sorts_text_keys_by_bytes_on_every_engine() {
        let cols = vec![
            Col { name: "id".into(), ty: ScalarType::Text },
            Col { name: "n".into(), ty: ScalarType::Int },
            Col { name: "v".into(), ty: ScalarType::Blob },
        ];
        let keys = &cols[..2];
        assert_eq!(
            select_sql(Dialect::Postgres, "\"a\".\"t\"", &cols, keys),
            "SELECT \"id\", \"n\", \"v\" FROM \"a\".\"t\" ORDER BY \"id\" COLLATE \"C\", \"n\""
        );
        assert_eq!(
            select_sql(Dialect::Mysql, "`a`.`t`", &cols, keys),
            "SELECT `id`, `n`, `v` FROM `a`.`t` ORDER BY CAST(`id` AS BINARY), `n`"
        );
        assert_eq!(
            select_sql(Dialect::Sqlite, "\"a$t\"", &cols, keys),
            "SELECT \"id\", \"n\", \"v\" FROM \"a$t\" ORDER BY \"id\", \"n\""
        );
    }
}

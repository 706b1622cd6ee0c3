//! The ScalarDB schema file attached to a deployment: the table list of the
//! storages Quiesce cannot read (DynamoDB, Cosmos DB, Cassandra), and the
//! file Schema Loader's `--repair-all` needs after a Cosmos DB restore. A
//! copy is kept in the state directory with where it came from, its SHA-256
//! and when, so a runbook names its source and a later edit of the original
//! cannot change a runbook silently.

use crate::deployment::Deployment;
use crate::error::{Error, Result};
use crate::paths::Home;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// Schema files are small; a larger one is not a schema file.
const MAX_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SchemaAttachment {
    /// The file it was copied from.
    pub file: String,
    pub sha256: String,
    #[ts(type = "string")]
    pub attached_at: DateTime<Utc>,
    /// The copy Quiesce keeps (what runbooks point Schema Loader at).
    pub copy: String,
    /// Every table it lists, as `namespace.table`, sorted.
    pub tables: Vec<String>,
}

fn dir(home: &Home) -> PathBuf {
    home.config_dir.join("schemas")
}

fn paths(home: &Home, d: &Deployment) -> Result<(PathBuf, PathBuf)> {
    Ok((
        crate::paths::inside(&dir(home), &[&format!("{}.json", d.id)])?,
        crate::paths::inside(&dir(home), &[&format!("{}.attachment.json", d.id)])?,
    ))
}

/// The tables a ScalarDB schema file lists (`{"ns.table": {…}, …}`).
pub fn parse(text: &str, source: &str) -> Result<Vec<(String, String)>> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Error::invalid(format!(
            "{source} is not a ScalarDB schema file: line {}, column {}: {e}. Attach the JSON file given to Schema Loader (-f).",
            e.line(),
            e.column()
        ))
    })?;
    let obj = v.as_object().ok_or_else(|| {
        Error::invalid(format!(
            "{source} is not a ScalarDB schema file: it is not a JSON object of \"namespace.table\" entries."
        ))
    })?;
    let mut out = Vec::new();
    for (key, def) in obj {
        let (ns, table) = key.split_once('.').filter(|(n, t)| !n.is_empty() && !t.is_empty()).ok_or_else(|| {
            Error::invalid(format!(
                "{source}: \"{}\" is not a table name: ScalarDB schema entries are \"namespace.table\".",
                key.chars().take(80).collect::<String>()
            ))
        })?;
        if key.chars().any(char::is_control) || key.len() > 512 {
            return Err(Error::invalid(format!(
                "{source}: an entry's name has control characters or is over 512 bytes; no ScalarDB table is named so."
            )));
        }
        if !def.is_object() {
            return Err(Error::invalid(format!("{source}: the entry \"{key}\" is not an object of table settings.")));
        }
        out.push((ns.to_string(), table.to_string()));
    }
    if out.is_empty() {
        return Err(Error::invalid(format!("{source} lists no table.")));
    }
    out.sort();
    Ok(out)
}

/// Copies a schema file into the state directory and records it.
pub fn attach(home: &Home, d: &Deployment, path: &Path) -> Result<SchemaAttachment> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?;
    if !meta.is_file() || meta.len() > MAX_BYTES {
        return Err(Error::invalid(format!("{} is not a schema file (a regular file under 16 MB).", path.display())));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let text = String::from_utf8(bytes.clone())
        .map_err(|_| Error::invalid(format!("{} is not UTF-8 text.", path.display())))?;
    let tables = parse(&text, &path.display().to_string())?;
    let (copy, record) = paths(home, d)?;
    crate::paths::create_private_dir(&dir(home))?;
    crate::store::write_atomic(&copy, &bytes)?;
    let a = SchemaAttachment {
        file: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string(),
        sha256: format!("{:x}", Sha256::digest(&bytes)),
        attached_at: Utc::now(),
        copy: copy.display().to_string(),
        tables: tables.iter().map(|(n, t)| format!("{n}.{t}")).collect(),
    };
    crate::store::write_json(&record, &a)?;
    Ok(a)
}

/// The attached schema, if any; a copy that no longer matches its record is
/// refused (it was edited or damaged), never used.
pub fn load(home: &Home, d: &Deployment) -> Result<Option<SchemaAttachment>> {
    let (copy, record) = paths(home, d)?;
    if !record.exists() {
        return Ok(None);
    }
    let bytes = std::fs::read(&record).map_err(|e| Error::io("read", &record, e))?;
    let a: SchemaAttachment = serde_json::from_slice(&bytes)
        .map_err(|e| Error::invalid(format!("{} is damaged ({e}). Attach the schema file again.", record.display())))?;
    let body = std::fs::read(&copy).map_err(|e| Error::io("read", &copy, e))?;
    if format!("{:x}", Sha256::digest(&body)) != a.sha256 {
        return Err(Error::new(
            crate::ErrorCode::Corrupt,
            format!(
                "The schema copy {} no longer matches what was attached (SHA-256 differs). Attach the schema file again: quiesce deployment attach-schema {} FILE.",
                copy.display(),
                d.name
            ),
        ));
    }
    Ok(Some(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_read_and_non_schemas_refused_naming_the_problem() {
        let t = parse(r#"{"sales.orders": {"transaction": true}, "app.users": {"partition-key": ["id"]}}"#, "s.json")
            .unwrap();
        assert_eq!(t, vec![("app".into(), "users".into()), ("sales".into(), "orders".into())]);
        for (text, says) in [
            ("[1]", "not a JSON object"),
            ("{\"orders\": {}}", "\"namespace.table\""),
            ("{\"a.b\": 3}", "not an object"),
            ("{}", "lists no table"),
            ("{\"a.b\": {}", "line 1"),
        ] {
            let e = parse(text, "s.json").unwrap_err();
            assert!(e.message.contains(says), "{text}: {}", e.message);
        }
    }
}

//! What an archive holds: every completed WAL segment (and timeline history
//! file) with its size and SHA-256, in `index.json` beside them, and the gaps
//! found by reading the index against the folder. The files stay the truth
//! for what is there; the index is the truth for what was there, so a
//! segment deleted or changed after it was archived is a gap, never skipped.

use crate::catalog::manifest::sha256_file;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use ts_rs::TS;

pub const INDEX: &str = "index.json";
const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Index {
    pub schema_version: u32,
    pub files: Vec<Indexed>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indexed {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A stretch of log the archive cannot replay, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Gap {
    /// The first segment missing (or damaged).
    pub from: String,
    /// The last one.
    pub to: String,
    pub reason: String,
}

/// A WAL segment's name: 24 upper-case hex digits (timeline, log, segment).
pub fn is_segment(name: &str) -> bool {
    name.len() == 24 && name.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

/// A binary log file (`binlog.000012`): its base name and number.
pub fn binlog_number(name: &str) -> Option<(&str, u64)> {
    let (stem, n) = name.rsplit_once('.')?;
    let ok = n.len() >= 6
        && n.bytes().all(|b| b.is_ascii_digit())
        && !stem.is_empty()
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    ok.then(|| Some((stem, n.parse().ok()?))).flatten()
}

/// The binary log file being written: the one changed last (then the
/// highest number). Not the highest number alone: a server whose binary log
/// changed its base name (`host-bin` to `binlog` after an upgrade) writes
/// the new name's low numbers after the old name's high ones.
pub fn open_binlog(dir: &Path) -> Option<String> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_str()?.to_string();
            let (_, k) = binlog_number(&n)?;
            let t = e.metadata().ok()?.modified().ok()?;
            Some(((t, k), n))
        })
        .max()
        .map(|(_, n)| n)
}

/// A timeline history file (`00000002.history`).
fn is_history(name: &str) -> bool {
    name.strip_suffix(".history")
        .is_some_and(|t| t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)))
}

/// Timeline and position (segment number counted from 0) of a segment name,
/// for a segment size: `logid * (4 GiB / size) + seg`.
pub fn segment_number(name: &str, segment_bytes: u64) -> Option<(u32, u64)> {
    if !is_segment(name) || segment_bytes == 0 {
        return None;
    }
    let tli = u32::from_str_radix(&name[..8], 16).ok()?;
    let log = u64::from_str_radix(&name[8..16], 16).ok()?;
    let seg = u64::from_str_radix(&name[16..], 16).ok()?;
    Some((tli, log * (0x1_0000_0000 / segment_bytes) + seg))
}

/// The name of a binary log file (the inverse of [`binlog_number`]).
pub fn binlog_name(stem: &str, n: u64) -> String {
    format!("{stem}.{n:06}")
}

/// The stretches missing between the lowest and the highest of `ns`, as
/// (first, last) missing numbers.
fn holes(mut ns: Vec<u64>) -> Vec<(u64, u64)> {
    ns.sort_unstable();
    ns.windows(2).filter(|w| w[1] > w[0] + 1).map(|w| (w[0] + 1, w[1] - 1)).collect()
}

/// The name of a segment number on a timeline (the inverse of [`segment_number`]).
pub fn segment_name(tli: u32, n: u64, segment_bytes: u64) -> String {
    let per = 0x1_0000_0000 / segment_bytes;
    format!("{tli:08X}{:08X}{:08X}", n / per, n % per)
}

impl Index {
    pub fn read(dir: &Path) -> Result<Index> {
        let path = dir.join(INDEX);
        match std::fs::read(&path) {
            Ok(b) => {
                let i: Index = serde_json::from_slice(&b).map_err(|e| {
                    Error::invalid(format!("{} is damaged ({e}): move it aside; the next archiver run rebuilds it from the segments there (a segment lost meanwhile is then not known as lost).", path.display()))
                })?;
                Ok(i)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Index { schema_version: SCHEMA_VERSION, files: vec![] })
            }
            Err(e) => Err(Error::io("read", &path, e)),
        }
    }

    /// Adds every completed file of the folder not indexed yet (hashing it),
    /// and saves the index when it grew. Returns how many were added.
    pub fn update(&mut self, dir: &Path) -> Result<usize> {
        // A binary log file is complete once a newer one exists.
        let open = open_binlog(dir);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| Error::io("read", dir, e))?
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| is_segment(n) || is_history(n) || (binlog_number(n).is_some() && Some(n) != open.as_ref()))
            .filter(|n| !self.files.iter().any(|f| &f.name == n))
            .collect();
        names.sort();
        for (k, n) in names.iter().enumerate() {
            let (sha256, bytes) = sha256_file(&dir.join(n))?;
            self.files.push(Indexed { name: n.clone(), bytes, sha256 });
            // A long backlog is saved as it goes, not only at its end.
            if k % 16 == 15 {
                self.save(dir)?;
            }
        }
        if !names.is_empty() {
            self.save(dir)?;
        }
        Ok(names.len())
    }

    fn save(&mut self, dir: &Path) -> Result<()> {
        self.files.sort_by(|a, b| a.name.cmp(&b.name));
        self.schema_version = SCHEMA_VERSION;
        crate::store::write_json(&dir.join(INDEX), self)
    }

    pub fn segments(&self) -> impl Iterator<Item = &Indexed> {
        self.files.iter().filter(|f| is_segment(&f.name))
    }

    /// The log files: WAL segments or binary log files (not history files).
    pub fn logs(&self) -> impl Iterator<Item = &Indexed> {
        self.files.iter().filter(|f| is_segment(&f.name) || binlog_number(&f.name).is_some())
    }

    /// The segment size, from the archived segments themselves (16 MiB unless
    /// the cluster was initialised with another `--wal-segsize`).
    pub fn segment_bytes(&self) -> u64 {
        self.segments().map(|f| f.bytes).max().filter(|b| b.is_power_of_two()).unwrap_or(16 * 1024 * 1024)
    }

    /// Gaps: on each timeline, segment numbers missing between the first and
    /// the last archived, and archived segments no longer there or no longer
    /// the size they were archived at. (`verify` rehashes them too.)
    pub fn gaps(&self, dir: &Path, rehash: bool) -> Vec<Gap> {
        let size = self.segment_bytes();
        let mut gaps = Vec::new();
        let mut by_tli: std::collections::BTreeMap<u32, Vec<u64>> = Default::default();
        for f in self.segments() {
            if let Some((tli, n)) = segment_number(&f.name, size) {
                by_tli.entry(tli).or_default().push(n);
            }
        }
        for (tli, ns) in by_tli {
            for (a, b) in holes(ns) {
                gaps.push(Gap {
                    from: segment_name(tli, a, size),
                    to: segment_name(tli, b, size),
                    reason: "never archived (the receiver missed them: its slot was dropped or lost WAL, or it ran without one)".into(),
                });
            }
        }
        let mut binlogs: std::collections::BTreeMap<&str, Vec<u64>> = Default::default();
        for f in &self.files {
            if let Some((stem, n)) = binlog_number(&f.name) {
                binlogs.entry(stem).or_default().push(n);
            }
        }
        for (stem, ns) in binlogs {
            for (a, b) in holes(ns) {
                gaps.push(Gap {
                    from: binlog_name(stem, a),
                    to: binlog_name(stem, b),
                    reason: "never archived (purged by the server before the receiver got them: it was down longer than the server keeps its binary logs)".into(),
                });
            }
        }
        for f in &self.files {
            let path = dir.join(&f.name);
            let problem = match std::fs::metadata(&path) {
                Err(_) => Some("deleted from the archive after it was archived".to_string()),
                Ok(m) if m.len() != f.bytes => Some(format!("now {} bytes, archived as {}", m.len(), f.bytes)),
                Ok(_) if rehash => match sha256_file(&path) {
                    Ok((h, _)) if h != f.sha256 => {
                        Some("its SHA-256 differs from the one recorded when it was archived".into())
                    }
                    Ok(_) => None,
                    Err(e) => Some(e.message),
                },
                Ok(_) => None,
            };
            if let Some(reason) = problem {
                gaps.push(Gap { from: f.name.clone(), to: f.name.clone(), reason });
            }
        }
        gaps.sort_by(|a, b| a.from.cmp(&b.from));
        gaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_and_numbers_round_trip() {
        let size = 16 * 1024 * 1024;
        assert_eq!(segment_number("000000010000000000000003", size), Some((1, 3)));
        assert_eq!(segment_number("0000000200000001000000FF", size), Some((2, 256 + 255)));
        assert_eq!(segment_name(2, 256 + 255, size), "0000000200000001000000FF");
        assert_eq!(segment_name(1, 256, size), "000000010000000100000000");
        assert_eq!(segment_number("000000010000000000000003.partial", size), None);
        assert_eq!(segment_number("00000001000000000000000g", size), None);
        assert!(is_history("00000002.history") && !is_history("2.history"));
    }

    #[test]
    fn missing_deleted_and_changed_segments_are_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let seg = 1024u64; // a small power of two stands for 16 MiB
        for n in [1u64, 2, 5] {
            std::fs::write(dir.path().join(segment_name(1, n, seg)), vec![0u8; seg as usize]).unwrap();
        }
        let mut i = Index::read(dir.path()).unwrap();
        assert_eq!(i.update(dir.path()).unwrap(), 3);
        assert_eq!(i.update(dir.path()).unwrap(), 0, "indexed once");
        assert_eq!(i.segment_bytes(), seg);
        let g = i.gaps(dir.path(), false);
        assert_eq!(g.len(), 1, "{g:?}");
        assert_eq!(
            (g[0].from.as_str(), g[0].to.as_str()),
            (segment_name(1, 3, seg).as_str(), segment_name(1, 4, seg).as_str())
        );
        std::fs::remove_file(dir.path().join(segment_name(1, 2, seg))).unwrap();
        std::fs::write(dir.path().join(segment_name(1, 5, seg)), vec![1u8; seg as usize]).unwrap();
        let back = Index::read(dir.path()).unwrap();
        let g = back.gaps(dir.path(), false);
        assert!(g.iter().any(|x| x.from == segment_name(1, 2, seg) && x.reason.contains("deleted")), "{g:?}");
        assert!(!g.iter().any(|x| x.from == segment_name(1, 5, seg)), "same size: only a rehash sees it");
        let g = back.gaps(dir.path(), true);
        assert!(g.iter().any(|x| x.from == segment_name(1, 5, seg) && x.reason.contains("SHA-256")), "{g:?}");
    }
}

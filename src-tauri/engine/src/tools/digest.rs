//! What a file must be (its size and SHA-256), so a stage that feeds it to a
//! tool can refuse to give the end of a file that was changed.

/// A file's expected size and SHA-256 (a backup manifest's entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    /// As the manifest names it, for messages.
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

impl FileDigest {
    /// What is wrong with a file of `n` bytes hashing to `sha`, if anything.
    pub fn problem(&self, n: u64, sha: &str) -> Option<String> {
        if n != self.bytes {
            Some(format!("{}: {n} bytes, the manifest says {} (truncated or changed)", self.name, self.bytes))
        } else if sha != self.sha256 {
            Some(format!("{}: SHA-256 differs from the manifest (the file was changed or corrupted)", self.name))
        } else {
            None
        }
    }
}

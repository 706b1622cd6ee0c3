//! One error type for the engine, the IPC layer and the CLI.
//!
//! Every error carries a stable machine-readable [`ErrorCode`] and a message
//! written for the person who has to fix the problem: it names what went wrong
//! and what to do about it. Messages never contain secrets.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Stable error codes. The serialized (snake_case) names are a public contract
/// of the IPC layer, the CLI's `--json` output and its exit status: never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    AuthFailed,
    HostNotFound,
    ConnectionRefused,
    Timeout,
    TlsError,
    DatabaseNotFound,
    FileNotFound,
    PermissionDenied,
    KeyringUnavailable,
    NotFound,
    InvalidInput,
    Busy,
    AlreadyExists,
    Cancelled,
    DatabaseError,
    IoError,
    Internal,
    Unsupported,
    InUse,
    /// A backup file does not match its manifest (changed, truncated, missing).
    Corrupt,
    /// A restore target already holds data and replacing it was not asked for.
    NotEmpty,
    /// Keys that are distinct on the source would be one key on the target (its collation).
    KeyCollision,
    /// A key or indexed value longer than the target's key columns hold.
    KeyTooLong,
    /// A name longer than the target takes, or one it cannot hold.
    NameTooLong,
    /// A migration's proof found the target differing from the source.
    ProofFailed,
}

impl ErrorCode {
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::AuthFailed,
        ErrorCode::HostNotFound,
        ErrorCode::ConnectionRefused,
        ErrorCode::Timeout,
        ErrorCode::TlsError,
        ErrorCode::DatabaseNotFound,
        ErrorCode::FileNotFound,
        ErrorCode::PermissionDenied,
        ErrorCode::KeyringUnavailable,
        ErrorCode::NotFound,
        ErrorCode::InvalidInput,
        ErrorCode::Busy,
        ErrorCode::AlreadyExists,
        ErrorCode::Cancelled,
        ErrorCode::DatabaseError,
        ErrorCode::IoError,
        ErrorCode::Internal,
        ErrorCode::Unsupported,
        ErrorCode::InUse,
        ErrorCode::Corrupt,
        ErrorCode::NotEmpty,
        ErrorCode::KeyCollision,
        ErrorCode::KeyTooLong,
        ErrorCode::NameTooLong,
        ErrorCode::ProofFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AuthFailed => "auth_failed",
            ErrorCode::HostNotFound => "host_not_found",
            ErrorCode::ConnectionRefused => "connection_refused",
            ErrorCode::Timeout => "timeout",
            ErrorCode::TlsError => "tls_error",
            ErrorCode::DatabaseNotFound => "database_not_found",
            ErrorCode::FileNotFound => "file_not_found",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::KeyringUnavailable => "keyring_unavailable",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::Busy => "busy",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::DatabaseError => "database_error",
            ErrorCode::IoError => "io_error",
            ErrorCode::Internal => "internal",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::InUse => "in_use",
            ErrorCode::Corrupt => "corrupt",
            ErrorCode::NotEmpty => "not_empty",
            ErrorCode::KeyCollision => "key_collision",
            ErrorCode::KeyTooLong => "key_too_long",
            ErrorCode::NameTooLong => "name_too_long",
            ErrorCode::ProofFailed => "proof_failed",
        }
    }

    /// Process exit status used by the CLI. 1 is reserved for "unclassified",
    /// 2 for usage errors (clap's own), so scripts can branch on the cause.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorCode::InvalidInput => 2,
            ErrorCode::NotFound => 3,
            ErrorCode::AlreadyExists => 4,
            ErrorCode::AuthFailed => 10,
            ErrorCode::HostNotFound => 11,
            ErrorCode::ConnectionRefused => 12,
            ErrorCode::Timeout => 13,
            ErrorCode::TlsError => 14,
            ErrorCode::DatabaseNotFound => 15,
            ErrorCode::FileNotFound => 16,
            ErrorCode::PermissionDenied => 17,
            ErrorCode::KeyringUnavailable => 18,
            ErrorCode::Busy => 19,
            ErrorCode::Cancelled => 20,
            ErrorCode::DatabaseError => 21,
            ErrorCode::IoError => 22,
            ErrorCode::Internal => 1,
            ErrorCode::Unsupported => 23,
            ErrorCode::InUse => 24,
            ErrorCode::Corrupt => 25,
            ErrorCode::NotEmpty => 26,
            ErrorCode::KeyCollision => 32,
            ErrorCode::KeyTooLong => 33,
            ErrorCode::NameTooLong => 34,
            ErrorCode::ProofFailed => 35,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field-level validation problem, shown inline next to the field in the GUI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    /// Field-level details for `invalid_input`.
    pub fields: Vec<FieldError>,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), fields: Vec::new(), source: None }
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub fn invalid_fields(fields: Vec<FieldError>) -> Self {
        let summary = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
        Error {
            code: ErrorCode::InvalidInput,
            message: format!("The profile is not valid. {summary}"),
            fields,
            source: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    pub fn cancelled() -> Self {
        Self::new(ErrorCode::Cancelled, "Cancelled at your request; nothing was changed.")
    }

    /// A cancelled job: whatever it had written is gone again.
    pub fn cancelled_job() -> Self {
        Self::new(ErrorCode::Cancelled, "Cancelled at your request; the partial output was removed.")
    }

    /// Maps a filesystem error on `path` to a code and a message that names the path.
    pub fn io(action: &str, path: &std::path::Path, err: std::io::Error) -> Self {
        use std::io::ErrorKind::*;
        let p = path.display();
        let (code, message) = match err.kind() {
            NotFound => (
                ErrorCode::FileNotFound,
                format!("Could not {action} {p}: no such file or directory. Check the path."),
            ),
            PermissionDenied => (
                ErrorCode::PermissionDenied,
                format!(
                    "Could not {action} {p}: permission denied. Check the file's owner and mode, or choose another location."
                ),
            ),
            StorageFull => (
                ErrorCode::IoError,
                format!("Could not {action} {p}: the disk is full. Free some space and try again."),
            ),
            _ => (ErrorCode::IoError, format!("Could not {action} {p}: {err}.")),
        };
        Error::new(code, message).with_source(err)
    }

    pub fn to_ipc(&self) -> IpcError {
        IpcError { code: self.code, message: self.message.clone(), fields: self.fields.clone() }
    }
}

/// What crosses IPC and what the CLI prints with `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl From<Error> for IpcError {
    fn from(e: Error) -> Self {
        e.to_ipc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_to_their_stable_names_and_exit_codes_are_distinct() {
        let mut exits = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!(exits.insert(code.exit_code()), "duplicate exit code for {code}");
            assert_ne!(code.exit_code(), 0);
        }
    }

    #[test]
    fn io_errors_name_the_path_and_the_cause() {
        let e = Error::io("read", std::path::Path::new("/x/y"), std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(e.code, ErrorCode::FileNotFound);
        assert!(e.message.contains("/x/y"), "{}", e.message);
    }
}

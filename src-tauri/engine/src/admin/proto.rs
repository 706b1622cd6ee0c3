//! The Scalar Admin wire contract (scalar-labs/scalar-admin
//! `src/main/proto/scalar/protobuf/admin.proto`): proto3 package `rpc`, service
//! `Admin`. Written by hand from the contract, so building needs no protoc.
//! `google.protobuf.Empty` is prost's `()`.

/// `PauseRequest { bool wait_outstanding = 1; optional int64 max_pause_wait_time = 2; }` (ms).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PauseRequest {
    #[prost(bool, tag = "1")]
    pub wait_outstanding: bool,
    #[prost(int64, optional, tag = "2")]
    pub max_pause_wait_time: Option<i64>,
}

/// `CheckPausedResponse { bool paused = 1; }`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CheckPausedResponse {
    #[prost(bool, tag = "1")]
    pub paused: bool,
}

pub const PAUSE: &str = "/rpc.Admin/Pause";
pub const UNPAUSE: &str = "/rpc.Admin/Unpause";
pub const CHECK_PAUSED: &str = "/rpc.Admin/CheckPaused";
/// The service's name, as a server registers it.
pub const SERVICE: &str = "rpc.Admin";

/// `google.rpc.ErrorInfo` reasons a server gives (ScalarDB Cluster, ScalarDL).
pub mod reason {
    /// An earlier request still holds the pause: do not send the recovery Unpause.
    pub const TIMED_OUT_STILL_PAUSED: &str = "TIMED_OUT_STILL_PAUSED";
    pub const TIMED_OUT: &str = "TIMED_OUT";
    pub const PAUSE_IN_PROGRESS: &str = "PAUSE_IN_PROGRESS";
    pub const GATE_OPEN: &str = "GATE_OPEN";
}

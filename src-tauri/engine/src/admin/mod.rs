//! The Scalar Admin client: Pause, Unpause and CheckPaused on one node, with
//! a deadline on every call (the official client has none and hangs forever
//! on a stuck node), error details decoded, plaintext or TLS (a CA, an
//! authority override). A configured endpoint is every address its host
//! resolves to (a Kubernetes headless service names all its pods): each
//! address is a node.

pub mod proto;

use crate::deployment::AdminEndpoint;
use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use ts_rs::TS;

/// How long a connection to a node may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Unpause and CheckPaused answer at once on a healthy node.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause may wait `max_pause_wait_time` for in-flight requests; it gets that and this.
pub const PAUSE_GRACE: Duration = Duration::from_secs(5);

/// One node of a deployment: an address an endpoint resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Node {
    /// The endpoint as configured (`host:port`).
    pub endpoint: String,
    /// The host name TLS verifies (the endpoint's host unless overridden).
    pub host: String,
    /// `ip:port`, as dialled.
    pub addr: String,
}

impl Node {
    /// How the node is named in messages: `endpoint` or `endpoint (ip:port)`.
    pub fn label(&self) -> String {
        let plain = self.endpoint.trim_start_matches("indirect:");
        if plain == self.addr {
            self.endpoint.clone()
        } else {
            format!("{} ({})", self.endpoint, self.addr)
        }
    }
}

/// TLS to the admin endpoints: a CA (PEM) and an authority override.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    pub ca_pem: Option<Vec<u8>>,
    pub authority: Option<String>,
}

/// Every node of the endpoints: each address each host resolves to.
pub async fn resolve(endpoints: &[AdminEndpoint]) -> Result<Vec<Node>> {
    let mut nodes: Vec<Node> = Vec::new();
    for e in endpoints {
        if e.needs_address {
            return Err(Error::invalid(format!(
                "{} is found through the Kubernetes API, which Quiesce does not use: give its address (host:port of the Scalar Admin service, port {}).",
                e.address, e.port
            )));
        }
        let host = e.host.clone().unwrap_or_default();
        let addrs: Vec<SocketAddr> = match tokio::net::lookup_host((host.as_str(), e.port)).await {
            Ok(a) => a.collect(),
            Err(err) => {
                return Err(Error::new(
                    ErrorCode::HostNotFound,
                    format!("The Scalar Admin endpoint {} does not resolve ({err}). Check its host name.", e.address),
                ))
            }
        };
        // One node per address, whichever endpoints name it (`localhost:1`
        // and `127.0.0.1:1` are one node: paused once, locked once).
        for a in addrs {
            if !nodes.iter().any(|n| n.addr == a.to_string()) {
                nodes.push(Node { endpoint: e.address.clone(), host: host.clone(), addr: a.to_string() });
            }
        }
    }
    if nodes.is_empty() {
        return Err(Error::invalid(
            "The deployment has no Scalar Admin endpoint: add one for every ScalarDB node (or the Cluster's) before pausing.",
        ));
    }
    Ok(nodes)
}

/// Endpoints that name the same node (`localhost:60053` and
/// `127.0.0.1:60053`), said when a deployment is saved: each address is
/// paused once. Resolved on a thread of its own, given up after 3 s (a name
/// that does not resolve is said when pausing).
pub fn same_nodes(endpoints: &[AdminEndpoint]) -> Vec<String> {
    use std::net::ToSocketAddrs;
    let list: Vec<(String, String, u16)> =
        endpoints.iter().filter_map(|e| e.host.clone().map(|h| (e.address.clone(), h, e.port))).collect();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut by_addr: Vec<(SocketAddr, Vec<String>)> = Vec::new();
        for (address, host, port) in list {
            for a in (host.as_str(), port).to_socket_addrs().into_iter().flatten() {
                match by_addr.iter_mut().find(|(x, _)| *x == a) {
                    Some((_, names)) if !names.contains(&address) => names.push(address.clone()),
                    Some(_) => {}
                    None => by_addr.push((a, vec![address.clone()])),
                }
            }
        }
        let _ = tx.send(by_addr);
    });
    let Ok(by_addr) = rx.recv_timeout(Duration::from_secs(3)) else { return vec![] };
    by_addr
        .into_iter()
        .filter(|(_, names)| names.len() > 1)
        .map(|(a, names)| format!("{} are one node ({a}): it is paused once.", names.join(" and ")))
        .collect()
}

/// What a node answered when a call failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NodeError {
    /// The gRPC status (`unavailable`, `failed_precondition`, `aborted`, …), or
    /// `deadline` when Quiesce stopped waiting, `connect` when it never answered.
    pub status: String,
    /// `google.rpc.ErrorInfo`'s reason, when the server gave one.
    pub reason: Option<String>,
    pub message: String,
}

impl NodeError {
    pub fn is(&self, reason: &str) -> bool {
        self.reason.as_deref() == Some(reason)
    }

    /// Whether a retry can succeed (a pause that lost a race).
    pub fn retryable(&self) -> bool {
        self.status == "aborted"
    }

    /// Quiesce does not know whether the node acted on the call.
    pub fn uncertain(&self) -> bool {
        self.status == "deadline" || self.status == "unavailable" || self.status == "unknown"
    }

    fn of(s: tonic::Status) -> NodeError {
        use tonic_types::StatusExt;
        // What a node says is printed and kept: no control character survives.
        let reason = s.get_details_error_info().map(|i| crate::text::one_line(&i.reason));
        let status = format!("{:?}", s.code());
        // tonic's Code debug names are CamelCase: FailedPrecondition -> failed_precondition.
        let mut snake = String::new();
        for (i, c) in status.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        }
        let status = if snake == "cancelled" && s.message().contains("Timeout") { "deadline".into() } else { snake };
        NodeError { status, reason, message: crate::text::one_line(s.message()) }
    }

    fn deadline(what: &str, after: Duration) -> NodeError {
        NodeError {
            status: "deadline".into(),
            reason: None,
            message: format!("no answer to {what} within {:.1} s", after.as_secs_f64()),
        }
    }

    fn connect(e: impl std::fmt::Display) -> NodeError {
        NodeError { status: "connect".into(), reason: None, message: e.to_string() }
    }
}

impl std::fmt::Display for NodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)?;
        if let Some(r) = &self.reason {
            write!(f, " ({r})")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

/// A connection to one node's admin service.
#[derive(Clone)]
pub struct Client {
    pub node: Node,
    grpc: tonic::client::Grpc<Channel>,
}

impl Client {
    /// Connects (lazily: the first call dials, within CONNECT_TIMEOUT).
    pub fn new(node: &Node, tls: Option<&Tls>) -> std::result::Result<Client, NodeError> {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let addr: SocketAddr = node.addr.parse().map_err(NodeError::connect)?;
        let uri = match addr {
            SocketAddr::V6(a) => format!("{scheme}://[{}]:{}", a.ip(), a.port()),
            SocketAddr::V4(a) => format!("{scheme}://{a}"),
        };
        let mut ep = Endpoint::from_shared(uri).map_err(NodeError::connect)?.connect_timeout(CONNECT_TIMEOUT);
        if let Some(t) = tls {
            let authority = t.authority.clone().unwrap_or_else(|| node.host.clone());
            let mut cfg = ClientTlsConfig::new().domain_name(authority.clone());
            if let Some(ca) = &t.ca_pem {
                cfg = cfg.ca_certificate(Certificate::from_pem(ca));
            } else {
                cfg = cfg.with_native_roots();
            }
            ep = ep.tls_config(cfg).map_err(NodeError::connect)?;
            let origin = format!("https://{authority}:{}", addr.port()).parse().map_err(NodeError::connect)?;
            ep = ep.origin(origin);
        }
        Ok(Client { node: node.clone(), grpc: tonic::client::Grpc::new(ep.connect_lazy()) })
    }

    async fn call<Req, Resp>(
        &mut self,
        path: &'static str,
        req: Req,
        limit: Duration,
    ) -> std::result::Result<Resp, NodeError>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let work = async {
            self.grpc.ready().await.map_err(NodeError::connect)?;
            let codec = tonic_prost::ProstCodec::<Req, Resp>::default();
            let path = tonic::codegen::http::uri::PathAndQuery::from_static(path);
            let mut request = tonic::Request::new(req);
            request.set_timeout(limit);
            self.grpc.unary(request, path, codec).await.map(|r| r.into_inner()).map_err(NodeError::of)
        };
        match tokio::time::timeout(limit, work).await {
            Ok(r) => r,
            Err(_) => Err(NodeError::deadline(path.trim_start_matches("/rpc.Admin/"), limit)),
        }
    }

    /// Pause, waiting for in-flight requests (always: without it a backup is never safe).
    pub async fn pause(&mut self, max_wait: Duration) -> std::result::Result<(), NodeError> {
        let req =
            proto::PauseRequest { wait_outstanding: true, max_pause_wait_time: Some(max_wait.as_millis() as i64) };
        self.call::<_, ()>(proto::PAUSE, req, max_wait + PAUSE_GRACE).await
    }

    pub async fn unpause(&mut self) -> std::result::Result<(), NodeError> {
        self.unpause_within(CALL_TIMEOUT).await
    }

    pub async fn check_paused(&mut self) -> std::result::Result<bool, NodeError> {
        self.check_paused_within(CALL_TIMEOUT).await
    }

    /// Unpause, given up after `limit` (an unpause of many nodes gives each a short one).
    pub async fn unpause_within(&mut self, limit: Duration) -> std::result::Result<(), NodeError> {
        self.call::<_, ()>(proto::UNPAUSE, (), limit).await
    }

    pub async fn check_paused_within(&mut self, limit: Duration) -> std::result::Result<bool, NodeError> {
        self.call::<_, proto::CheckPausedResponse>(proto::CHECK_PAUSED, (), limit).await.map(|r| r.paused)
    }
}
/// TLS settings by file, as the journal keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFiles {
    pub ca_file: Option<String>,
    pub authority: Option<String>,
}

impl TlsFiles {
    pub fn load(&self) -> crate::error::Result<Tls> {
        let ca_pem = match &self.ca_file {
            Some(p) => Some(
                std::fs::read(p)
                    .map_err(|e| crate::error::Error::io("read the admin CA", std::path::Path::new(p), e))?,
            ),
            None => None,
        };
        Ok(Tls { ca_pem, authority: self.authority.clone() })
    }
}

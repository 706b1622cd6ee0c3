//! A Scalar Admin node for tests: the wire contract of scalar-labs/scalar-admin's
//! `admin.proto` (service `rpc.Admin`: Pause, Unpause, CheckPaused), written from
//! that contract and ScalarDB Server's `AdminService.java` and not from the
//! engine's code, over a gate that a test's workload really goes
//! through: Pause closes the gate (new transactions are refused) and waits
//! for the transactions in flight, up to `max_pause_wait_time`, or re-opens
//! it and refuses. Faults are injected per node.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tonic::codegen::{http, BoxFuture, Service};

#[derive(Clone, PartialEq, prost::Message)]
pub struct PauseRequest {
    #[prost(bool, tag = "1")]
    pub wait_outstanding: bool,
    #[prost(int64, optional, tag = "2")]
    pub max_pause_wait_time: Option<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CheckPausedResponse {
    #[prost(bool, tag = "1")]
    pub paused: bool,
}

const DOMAIN: &str = "com.scalar.db.cluster.admin";

/// What a node does wrong.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Every Pause fails with FAILED_PRECONDITION.
    Refuse,
    /// The first Pause loses a race: ABORTED (retryable), reason PAUSE_IN_PROGRESS.
    AbortedOnce,
    /// Pause answers FAILED_PRECONDITION, reason TIMED_OUT_STILL_PAUSED, and
    /// the node stays paused (an earlier request holds the pause).
    TimedOutStillPaused,
    /// Pause never answers.
    Hang,
    /// The pause ends by itself after this long (a restarted pod).
    UnpauseAfter(Duration),
    /// Paused by someone else before the test starts.
    AlreadyPaused,
    /// CheckPaused never answers (Pause and Unpause work).
    CheckHangs,
    /// CheckPaused fails with UNAVAILABLE (Pause and Unpause work).
    CheckFails,
    /// Every Pause fails with FAILED_PRECONDITION and this message (a
    /// hostile server's text: escapes, forged lines).
    RefuseSaying(&'static str),
}

/// A call the node received, and when.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: &'static str,
    pub at: Instant,
    /// Pause's `wait_outstanding`.
    pub wait_outstanding: Option<bool>,
}

#[derive(Default)]
struct Inner {
    paused: bool,
    in_flight: u32,
    fault: Option<Fault>,
    calls: Vec<Call>,
    /// When the gate closed and opened, in order.
    intervals: Vec<(Instant, Option<Instant>)>,
}

/// One node's gate and log, shared by its server and the test's workload.
#[derive(Default)]
pub struct Node {
    inner: Mutex<Inner>,
    changed: tokio::sync::Notify,
}

/// A transaction in flight: the gate waits for it to drop.
pub struct InFlight(Arc<Node>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.inner.lock().unwrap().in_flight -= 1;
        self.0.changed.notify_waiters();
    }
}

fn status(code: tonic::Code, reason: &str, message: &str) -> tonic::Status {
    use tonic_types::{ErrorDetails, StatusExt};
    tonic::Status::with_error_details(code, message, ErrorDetails::with_error_info(reason, DOMAIN, []))
}

impl Node {
    fn set_paused(&self, on: bool) {
        let mut i = self.inner.lock().unwrap();
        if i.paused != on {
            let now = Instant::now();
            if on {
                i.intervals.push((now, None));
            } else if let Some(last) = i.intervals.last_mut() {
                last.1 = Some(now);
            }
        }
        i.paused = on;
        drop(i);
        self.changed.notify_waiters();
    }

    /// Starts a transaction: refused (None) while the gate is closed.
    pub fn enter(self: &Arc<Self>) -> Option<InFlight> {
        let mut i = self.inner.lock().unwrap();
        if i.paused {
            return None;
        }
        i.in_flight += 1;
        Some(InFlight(self.clone()))
    }

    /// Changes what the node does wrong from now on (a node that goes bad mid-pause).
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.inner.lock().unwrap().fault = fault;
    }

    /// When a method was first called at or after `since`.
    pub fn first_call(&self, method: &str, since: Instant) -> Option<Instant> {
        self.inner.lock().unwrap().calls.iter().find(|c| c.method == method && c.at >= since).map(|c| c.at)
    }

    pub fn is_paused(&self) -> bool {
        self.inner.lock().unwrap().paused
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    pub fn count(&self, method: &str) -> usize {
        self.inner.lock().unwrap().calls.iter().filter(|c| c.method == method).count()
    }

    /// When the gate was closed: (closed, reopened).
    pub fn intervals(&self) -> Vec<(Instant, Option<Instant>)> {
        self.inner.lock().unwrap().intervals.clone()
    }

    fn log(&self, method: &'static str, wait_outstanding: Option<bool>) {
        self.inner.lock().unwrap().calls.push(Call { method, at: Instant::now(), wait_outstanding });
    }

    async fn pause(self: Arc<Self>, req: PauseRequest) -> Result<(), tonic::Status> {
        self.log("pause", Some(req.wait_outstanding));
        let fault = self.inner.lock().unwrap().fault;
        match fault {
            Some(Fault::Refuse) => {
                return Err(status(tonic::Code::FailedPrecondition, "TIMED_OUT", "the pause could not drain in time"))
            }
            Some(Fault::AbortedOnce) => {
                self.inner.lock().unwrap().fault = None;
                return Err(status(tonic::Code::Aborted, "PAUSE_IN_PROGRESS", "another pause is in progress"));
            }
            Some(Fault::TimedOutStillPaused) => {
                self.set_paused(true);
                return Err(status(
                    tonic::Code::FailedPrecondition,
                    "TIMED_OUT_STILL_PAUSED",
                    "an earlier request still holds the pause",
                ));
            }
            Some(Fault::RefuseSaying(m)) => return Err(status(tonic::Code::FailedPrecondition, "TIMED_OUT", m)),
            Some(Fault::Hang) => std::future::pending::<()>().await,
            _ => {}
        }
        let max = match req.max_pause_wait_time {
            Some(ms) if ms <= 0 => return Err(tonic::Status::invalid_argument("max_pause_wait_time must be positive")),
            Some(ms) => Duration::from_millis(ms as u64),
            None => Duration::from_secs(30),
        };
        self.set_paused(true);
        if req.wait_outstanding {
            let deadline = tokio::time::Instant::now() + max;
            loop {
                let notified = self.changed.notified();
                if self.inner.lock().unwrap().in_flight == 0 {
                    break;
                }
                if tokio::time::timeout_at(deadline, notified).await.is_err() {
                    self.set_paused(false);
                    return Err(status(
                        tonic::Code::FailedPrecondition,
                        "TIMED_OUT",
                        "in-flight requests did not drain in time",
                    ));
                }
            }
        }
        if let Some(Fault::UnpauseAfter(d)) = fault {
            let me = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(d).await;
                me.set_paused(false);
            });
        }
        Ok(())
    }
}

#[derive(Clone)]
struct AdminService(Arc<Node>);

impl tonic::server::NamedService for AdminService {
    const NAME: &'static str = "rpc.Admin";
}

struct Unary<F>(F);

impl<Req, Resp, F, Fut> tonic::server::UnaryService<Req> for Unary<F>
where
    F: Fn(Req) -> Fut,
    Fut: std::future::Future<Output = Result<Resp, tonic::Status>> + Send + 'static,
    Resp: Send + 'static,
{
    type Response = Resp;
    type Future = BoxFuture<tonic::Response<Resp>, tonic::Status>;
    fn call(&mut self, request: tonic::Request<Req>) -> Self::Future {
        let fut = (self.0)(request.into_inner());
        Box::pin(async move { fut.await.map(tonic::Response::new) })
    }
}

impl Service<http::Request<tonic::body::Body>> for AdminService {
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        let node = self.0.clone();
        match req.uri().path() {
            "/rpc.Admin/Pause" => Box::pin(async move {
                let mut g = tonic::server::Grpc::new(tonic_prost::ProstCodec::<(), PauseRequest>::default());
                Ok(g.unary(Unary(move |r: PauseRequest| node.clone().pause(r)), req).await)
            }),
            "/rpc.Admin/Unpause" => Box::pin(async move {
                let mut g = tonic::server::Grpc::new(tonic_prost::ProstCodec::<(), ()>::default());
                let svc = Unary(move |_: ()| {
                    let n = node.clone();
                    async move {
                        n.log("unpause", None);
                        n.set_paused(false);
                        Ok(())
                    }
                });
                Ok(g.unary(svc, req).await)
            }),
            "/rpc.Admin/CheckPaused" => Box::pin(async move {
                let mut g = tonic::server::Grpc::new(tonic_prost::ProstCodec::<CheckPausedResponse, ()>::default());
                let svc = Unary(move |_: ()| {
                    let n = node.clone();
                    async move {
                        n.log("check", None);
                        let fault = n.inner.lock().unwrap().fault;
                        match fault {
                            Some(Fault::CheckHangs) => std::future::pending::<()>().await,
                            Some(Fault::CheckFails) => {
                                return Err(tonic::Status::unavailable("the node is restarting"))
                            }
                            _ => {}
                        }
                        Ok(CheckPausedResponse { paused: n.is_paused() })
                    }
                });
                Ok(g.unary(svc, req).await)
            }),
            _ => Box::pin(async move { Ok(tonic::Status::unimplemented("no such method").into_http()) }),
        }
    }
}

/// TLS for a test node: its certificate and key (PEM).
pub struct ServerTls {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

/// A running test node; stopped when dropped.
pub struct AdminServer {
    pub addr: SocketAddr,
    pub node: Arc<Node>,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl AdminServer {
    /// A node on 127.0.0.1 and a free port.
    pub fn start(fault: Option<Fault>) -> AdminServer {
        Self::start_on("127.0.0.1:0".parse().unwrap(), fault, None)
    }

    /// A node on `bind` (e.g. `[::1]:0`), plaintext or TLS. It runs on its
    /// own thread and runtime, so it answers whatever the test's runtime does.
    pub fn start_on(bind: SocketAddr, fault: Option<Fault>, tls: Option<ServerTls>) -> AdminServer {
        let node = Arc::new(Node::default());
        {
            let mut i = node.inner.lock().unwrap();
            i.fault = fault;
        }
        if fault == Some(Fault::AlreadyPaused) {
            node.set_paused(true);
        }
        let std_listener = std::net::TcpListener::bind(bind).expect("bind the test admin node");
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let svc = AdminService(node.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                let incoming = tonic::transport::server::TcpIncoming::from(listener);
                let mut b = tonic::transport::Server::builder();
                if let Some(t) = tls {
                    let id = tonic::transport::Identity::from_pem(t.cert_pem, t.key_pem);
                    b = b.tls_config(tonic::transport::ServerTlsConfig::new().identity(id)).unwrap();
                }
                let mut graceful = stopped.clone();
                let mut hard = stopped;
                let serve = b.add_service(svc).serve_with_incoming_shutdown(incoming, async move {
                    let _ = graceful.wait_for(|s| *s).await;
                });
                // A hung call (Fault::Hang) would hold a graceful shutdown forever.
                tokio::select! {
                    _ = serve => {}
                    _ = async move {
                        let _ = hard.wait_for(|s| *s).await;
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    } => {}
                }
            });
        });
        AdminServer { addr, node, stop: Some(stop), thread: Some(thread) }
    }

    /// `host:port` of this node for a deployment's admin endpoints.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for AdminServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

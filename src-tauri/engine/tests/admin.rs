//! The Scalar Admin client against test nodes speaking the wire contract:
//! calls, error details, deadlines, IPv6, TLS with an authority override.

use quiesce_engine::admin::{self, proto::reason, Client, Node, Tls};
use quiesce_engine::deployment::AdminEndpoint;
use quiesce_testsupport::admin::{AdminServer, Fault, ServerTls};
use std::time::{Duration, Instant};

fn node(s: &AdminServer) -> Node {
    Node { endpoint: s.endpoint(), host: s.addr.ip().to_string(), addr: s.addr.to_string() }
}

#[tokio::test]
async fn pause_check_unpause_and_every_pause_waits_for_outstanding_requests() {
    let s = AdminServer::start(None);
    let mut c = Client::new(&node(&s), None).unwrap();
    assert!(!c.check_paused().await.unwrap());
    // A transaction in flight holds the pause until it ends.
    let tx = s.node.enter().unwrap();
    let n2 = s.node.clone();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(tx);
        n2
    });
    let t = Instant::now();
    c.pause(Duration::from_secs(5)).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(250), "the pause waited for the transaction in flight");
    release.await.unwrap();
    assert!(c.check_paused().await.unwrap());
    assert!(s.node.enter().is_none(), "the gate is closed");
    c.unpause().await.unwrap();
    assert!(!s.node.is_paused());
    assert_eq!(s.node.calls().iter().find(|c| c.method == "pause").unwrap().wait_outstanding, Some(true));
}

#[tokio::test]
async fn error_details_and_their_reasons_are_decoded() {
    let s = AdminServer::start(Some(Fault::TimedOutStillPaused));
    let mut c = Client::new(&node(&s), None).unwrap();
    let e = c.pause(Duration::from_secs(1)).await.unwrap_err();
    assert_eq!(e.status, "failed_precondition");
    assert!(e.is(reason::TIMED_OUT_STILL_PAUSED), "{e}");
    let s = AdminServer::start(Some(Fault::AbortedOnce));
    let mut c = Client::new(&node(&s), None).unwrap();
    let e = c.pause(Duration::from_secs(1)).await.unwrap_err();
    assert!(e.retryable() && e.is(reason::PAUSE_IN_PROGRESS), "{e}");
    c.pause(Duration::from_secs(1)).await.unwrap();
    // A pause that cannot drain in time re-opens the gate and says so.
    let s = AdminServer::start(None);
    let _held = s.node.enter().unwrap();
    let mut c = Client::new(&node(&s), None).unwrap();
    let e = c.pause(Duration::from_millis(200)).await.unwrap_err();
    assert!(e.status == "failed_precondition" && e.is(reason::TIMED_OUT), "{e}");
    assert!(!s.node.is_paused());
}

#[tokio::test]
async fn a_pause_that_never_answers_is_stopped_at_its_deadline_and_an_unreachable_node_fails_fast() {
    let s = AdminServer::start(Some(Fault::Hang));
    let mut c = Client::new(&node(&s), None).unwrap();
    let t = Instant::now();
    let e = c.pause(Duration::from_millis(300)).await.unwrap_err();
    assert_eq!(e.status, "deadline", "{e}");
    let took = t.elapsed();
    assert!(took >= admin::PAUSE_GRACE && took < admin::PAUSE_GRACE + Duration::from_secs(2), "{took:?}");
    // Nothing listens there.
    let port = quiesce_testsupport::free_port();
    let dead =
        Node { endpoint: format!("127.0.0.1:{port}"), host: "127.0.0.1".into(), addr: format!("127.0.0.1:{port}") };
    let t = Instant::now();
    let e = Client::new(&dead, None).unwrap().check_paused().await.unwrap_err();
    assert!(e.status == "connect" || e.status == "unavailable", "{e}");
    assert!(t.elapsed() < admin::CONNECT_TIMEOUT + Duration::from_secs(1));
}

#[tokio::test]
async fn ipv6_literals_and_endpoints_resolve_to_their_nodes() {
    let s = AdminServer::start_on("[::1]:0".parse().unwrap(), None, None);
    let e = AdminEndpoint::parse(&format!("[::1]:{}", s.addr.port()), 60053).unwrap();
    let nodes = admin::resolve(&[e]).await.unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0].addr, format!("[::1]:{}", s.addr.port()));
    let mut c = Client::new(&nodes[0], None).unwrap();
    c.pause(Duration::from_secs(1)).await.unwrap();
    assert!(s.node.is_paused());
    c.unpause().await.unwrap();
    // localhost resolves here to 127.0.0.1 only: one node.
    let e = AdminEndpoint::parse("localhost:60053", 60053).unwrap();
    assert_eq!(admin::resolve(&[e]).await.unwrap().len(), 1);
    let e = AdminEndpoint::parse("no-such-host.invalid:60053", 60053).unwrap();
    assert_eq!(admin::resolve(&[e]).await.unwrap_err().code, quiesce_engine::ErrorCode::HostNotFound);
}

#[tokio::test]
async fn tls_with_a_private_ca_and_an_authority_override() {
    let dir = tempfile::tempdir().unwrap();
    let m = quiesce_testsupport::tls::TlsMaterial::generate(dir.path());
    let tls =
        ServerTls { cert_pem: std::fs::read(&m.server_cert).unwrap(), key_pem: std::fs::read(&m.server_key).unwrap() };
    let s = AdminServer::start_on("127.0.0.1:0".parse().unwrap(), None, Some(tls));
    let ca = std::fs::read(&m.ca_cert).unwrap();
    // The certificate names localhost only: dialling 127.0.0.1 needs the override.
    let good = Tls { ca_pem: Some(ca.clone()), authority: Some("localhost".into()) };
    let mut c = Client::new(&node(&s), Some(&good)).unwrap();
    assert!(!c.check_paused().await.unwrap());
    let bad = Tls { ca_pem: Some(ca), authority: None };
    let e = Client::new(&node(&s), Some(&bad)).unwrap().check_paused().await.unwrap_err();
    assert!(e.status == "connect" || e.status == "unavailable" || e.status == "unknown", "{e}");
    // Plaintext to a TLS node does not pass either.
    assert!(Client::new(&node(&s), None).unwrap().check_paused().await.is_err());
}

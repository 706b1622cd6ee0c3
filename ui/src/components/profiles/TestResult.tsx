// What a connection test found: the server reached (product, version, TLS,
// timings), the failure with its code, or that it is still connecting.
import type { TestState } from "../../data/profileEditor";

export function TestResult({ test }: { test: TestState }) {
  if (test.state === "ok") {
    const r = test.report;
    return (
      <div className="test-result ok" role="status" data-testid="test-result-ok">
        <strong>Connected</strong> — {r.product} {r.server_version}
        {r.tls === true && " · TLS"}
        {r.tls === false && " · not encrypted"} · connect {r.connect_ms.toFixed(1)} ms · round trip {r.rtt_ms.toFixed(2)} ms
        {r.notes.map((n) => (
          <div key={n} className="small muted">{n}</div>
        ))}
      </div>
    );
  }
  if (test.state === "failed") {
    return (
      <div className="test-result failed" role="alert" data-testid="test-result-failed">
        <span className="code">{test.error.code}</span> {test.error.message}
      </div>
    );
  }
  if (test.state === "running") {
    return (
      <div className="test-result running" role="status" data-testid="test-running">
        <span className="spinner" aria-hidden /> Connecting…
      </div>
    );
  }
  return null;
}

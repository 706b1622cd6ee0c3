// The ScalarDB schema file attached to a deployment (the table list of
// DynamoDB, Cosmos DB and Cassandra, which runbooks need), and attaching one.
import { useEffect, useState } from "react";
import type { SchemaAttachment } from "../../bindings";
import { backend, BackendError } from "../../backend";
import { Time } from "../Time";

/** The ScalarDB schema file attached to the deployment (the tables of DynamoDB, Cosmos DB, Cassandra). */
export function SchemaBox({ deploymentId }: { deploymentId: string }) {
  const [schema, setSchema] = useState<SchemaAttachment | null | undefined>(undefined);
  const [path, setPath] = useState("");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setSchema(undefined);
    backend().getSchema(deploymentId).then(setSchema).catch((e: BackendError) => setError(e.message));
  }, [deploymentId]);
  const attach = async () => {
    setError(null);
    try {
      setSchema(await backend().attachSchema(deploymentId, path.trim()));
      setPath("");
    } catch (e) {
      setError((e as BackendError).message);
    }
  };
  return (
    <div className="row wrap small schema-box" role="group" aria-label="ScalarDB schema file" data-testid="schema-box">
      <span className="schema-text">
        {schema ? (
          <>
            Schema file: {schema.file} ({schema.tables.length} tables, SHA-256 {schema.sha256.slice(0, 12)}…, attached <Time at={schema.attached_at} />)
          </>
        ) : schema === null
            ? "No ScalarDB schema file attached (runbooks for DynamoDB, Cosmos DB and Cassandra need it)."
            : ""}
      </span>
      <label htmlFor="schema-path">Attach</label>
      <input id="schema-path" className="mono" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/etc/scalardb/schema.json" />
      <button className="small" disabled={!path.trim()} onClick={() => void attach()}>Attach schema</button>
      {error && <span className="field-error" role="alert">✗ {error}</span>}
    </div>
  );
}


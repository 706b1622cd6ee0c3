import { describe, expect, it } from "vitest";
import { draftFromProfile, emptyDraft, toInput } from "./form";
import type { Profile } from "../bindings";

describe("toInput", () => {
  it("sends a typed password as set, blank as keep, and never for SQLite", () => {
    const d = { ...emptyDraft(), name: "p", host: " h ", user: "u", database: "d", password: "pw" };
    expect(toInput(d).password).toEqual({ action: "set", value: "pw" });
    expect(toInput(d).host).toBe("h");
    expect(toInput({ ...d, password: "" }).password).toEqual({ action: "keep" });
    expect(toInput({ ...d, password: "", clearPassword: true }).password).toEqual({ action: "clear" });
    const s = toInput({ ...d, kind: "sqlite", path: "/x.db" });
    expect(s.password).toEqual({ action: "keep" });
    expect(s.host).toBeNull();
    expect(s.path).toBe("/x.db");
  });

  it("turns non-numbers into out-of-range values so the engine names the field", () => {
    expect(toInput({ ...emptyDraft(), port: "abc" }).port).toBe(0);
    expect(toInput({ ...emptyDraft(), port: "" }).port).toBeNull();
    expect(toInput({ ...emptyDraft(), port: "6543" }).port).toBe(6543);
    expect(toInput({ ...emptyDraft(), port: "543241221" }).port).toBe(0);
    expect(toInput({ ...emptyDraft(), connect_timeout_secs: "99999999999" }).connect_timeout_secs).toBe(0);
  });

  it("round-trips a saved profile without a password", () => {
    const p: Profile = {
      id: "1", name: "n", kind: "mysql", flavor: "amazon_rds", host: "h", port: 3306, database: null, user: "u",
      ssl_mode: "verify-full", ssl_ca_file: "/ca.pem", connect_timeout_secs: 5, client_bin_dir: null, path: null,
      nodes: [], data_dirs: [], region: "eu-west-1", endpoint: null, table_prefix: null, instance_id: "prod-mysql",
      restore: { retention_days: 7, earliest: null, lag_secs: null, resource_group: null },
      secret: { store: "secret-service", service: "quiesce", account: "profile/1" },
      created_at: "", updated_at: "",
    };
    const i = toInput(draftFromProfile(p));
    expect(i).toMatchObject({ name: "n", kind: "mysql", flavor: "amazon_rds", port: 3306, ssl_mode: "verify-full", ssl_ca_file: "/ca.pem" });
    expect(i.password).toEqual({ action: "keep" });
    expect(i).toMatchObject({ region: "eu-west-1", instance_id: "prod-mysql" });
  });

  it("sends only the fields of the chosen kind", () => {
    const d = { ...emptyDraft("cassandra"), name: "c", nodes: " c1, c2 ,", data_dirs: "/var/lib/cassandra", host: "stale", user: "u" };
    const i = toInput(d);
    expect(i).toMatchObject({ kind: "cassandra", flavor: "self_hosted", nodes: ["c1", "c2"], data_dirs: ["/var/lib/cassandra"], host: null, ssl_mode: null });
    const dy = toInput({ ...emptyDraft("dynamo"), region: "us-east-1", table_prefix: "prod_", user: "AKIA", password: "s" });
    expect(dy).toMatchObject({ flavor: "cloud", region: "us-east-1", table_prefix: "prod_", user: "AKIA", host: null, port: null });
    expect(dy.password).toEqual({ action: "set", value: "s" });
    const co = toInput({ ...emptyDraft("cosmos"), endpoint: "https://a.documents.azure.com:443/", user: "ignored" });
    expect(co).toMatchObject({ endpoint: "https://a.documents.azure.com:443/", user: null });
  });
});

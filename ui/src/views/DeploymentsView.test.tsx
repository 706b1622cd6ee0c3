import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, configure, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { DeploymentsView } from "./DeploymentsView";
import { BackendError, setBackend } from "../backend";
import type { Deployment, ImportPreview } from "../bindings";
import { fakeBackend, pgProfile } from "../testing";

configure({ asyncUtilTimeout: 5000 });
afterEach(cleanup);

const preview: ImportPreview = {
  file: "/etc/scalardb/multi.properties", sha256: "abc123", config_kind: "multi_storage", suggested_name: "multi",
  transaction_manager: "consensus-commit",
  storages: [
    { name: "postgres", storage: "jdbc", jdbc_url: "jdbc:postgresql://pg/bank", password_present: true, existing_profile: null, problems: [], line: 4,
      profile: { ...pgProfile, name: "", password: { action: "keep" } } },
    { name: "mysql", storage: "jdbc", jdbc_url: "jdbc:mysql://my:3306/", password_present: false, existing_profile: "shared-mysql", problems: [], line: 9,
      profile: { ...pgProfile, kind: "mysql", name: "", password: { action: "keep" } } },
  ],
  namespace_mapping: [{ namespace: "bank", storage: "postgres" }, { namespace: "coordinator", storage: "mysql" }],
  default_storage: "postgres", coordinator_namespace: "coordinator", system_namespace: "scalardb",
  admin_endpoints: [], admin_tls: false, storages_known: true,
  unknown_keys: [{ key: "scalar.db.frobnicate", line: 12 }], ignored_keys: [], notes: ["The coordinator table (coordinator.state) is on storage \"mysql\"."],
};

const saved: Deployment = {
  id: "d1", name: "bank-prod", transaction_manager: "consensus-commit",
  storages: [{ name: "postgres", profile_id: "id-1" }, { name: "mysql", profile_id: "id-2" }],
  namespace_mapping: preview.namespace_mapping, default_storage: "postgres", coordinator_namespace: "coordinator",
  system_namespace: "scalardb", admin_endpoints: [], admin_tls: false, admin_ca_file: null, admin_authority: null, pause_hooks: [],
  pause_limits: { max_pause_ms: null, hook_limit_ms: null }, storages_known: true,
  source: { file: preview.file, sha256: "abc123", imported_at: "" }, created_at: "", updated_at: "",
};

describe("DeploymentsView import", () => {
  it("previews the file, shows what it found, and saves exactly the previewed file under the chosen name", async () => {
    let list: Deployment[] = [];
    const b = fakeBackend({
      listDeployments: vi.fn().mockImplementation(async () => list),
      previewImport: vi.fn().mockResolvedValue(preview),
      importDeployment: vi.fn().mockImplementation(async () => {
        list = [saved];
        return saved;
      }),
    });
    setBackend(b);
    render(<DeploymentsView />);
    // With no deployment yet, the import panel is what the user sees first.
    fireEvent.change(await screen.findByLabelText("Properties file"), { target: { value: " /etc/scalardb/multi.properties " } });
    fireEvent.click(screen.getByTestId("import-read"));
    await screen.findByTestId("import-preview");
    expect(b.previewImport).toHaveBeenCalledWith("/etc/scalardb/multi.properties");
    expect(screen.getByTestId("preview-coordinator").textContent).toContain("on storage “mysql”");
    expect(screen.getByTestId("preview-storage-postgres").textContent).toContain("→ keyring");
    expect(screen.getByTestId("preview-storage-mysql").textContent).toContain("reuses profile “shared-mysql”");
    expect(screen.getByTestId("preview-unknown-key").textContent).toContain("Line 12");
    fireEvent.change(screen.getByLabelText("Save as deployment"), { target: { value: "bank-prod" } });
    fireEvent.click(screen.getByTestId("import-save"));
    await waitFor(() => expect(b.importDeployment).toHaveBeenCalledWith(preview.file, "bank-prod", "abc123"));
    expect((await screen.findByTestId("notice")).textContent).toContain("1 password(s) moved to the keyring");
    await screen.findByTestId("deployment-item-bank-prod");
  });

  it("shows a malformed file's error with its code and keeps Save away", async () => {
    setBackend(fakeBackend({
      previewImport: vi.fn().mockRejectedValue(new BackendError({ code: "invalid_input", message: "x.properties line 3: bad", fields: [] })),
    }));
    render(<DeploymentsView />);
    fireEvent.change(await screen.findByLabelText("Properties file"), { target: { value: "/x.properties" } });
    fireEvent.click(screen.getByTestId("import-read"));
    const e = await screen.findByTestId("import-error");
    expect(e.textContent).toContain("invalid_input");
    expect(e.textContent).toContain("line 3");
    expect(screen.queryByTestId("import-save")).toBeNull();
  });

  it("refuses to save a preview with problems", async () => {
    const bad = { ...preview, storages: [{ ...preview.storages[0], problems: [{ field: "database", message: "Give the database" }] }] };
    setBackend(fakeBackend({ previewImport: vi.fn().mockResolvedValue(bad) }));
    render(<DeploymentsView />);
    fireEvent.change(await screen.findByLabelText("Properties file"), { target: { value: "/x.properties" } });
    fireEvent.click(screen.getByTestId("import-read"));
    expect((await screen.findByTestId("import-problems")).textContent).toContain("Give the database");
    expect((screen.getByTestId("import-save") as HTMLButtonElement).disabled).toBe(true);
  });
});

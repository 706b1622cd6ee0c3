// Every view, reached from the keyboard, has an accessible name on every
// control and a visible focus style.
import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, configure, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { computeAccessibleName } from "dom-accessibility-api";
import css from "./styles.css?raw";
import { App } from "./App";
import { setBackend } from "./backend";
import type { CatalogEntry, Deployment } from "./bindings";
import { fakeBackend, pgProfile } from "./testing";

configure({ asyncUtilTimeout: 5000 });
afterEach(cleanup);

const dep: Deployment = {
  id: "d1", name: "bank", transaction_manager: "consensus_commit", storages: [{ name: "default", profile_id: pgProfile.id }],
  namespace_mapping: [], default_storage: "default", coordinator_namespace: "coordinator", system_namespace: "scalardb",
  admin_endpoints: [], admin_tls: false, admin_ca_file: null, admin_authority: null, pause_hooks: [], storages_known: true, source: null, created_at: "", updated_at: "",
} as unknown as Deployment;

const entry: CatalogEntry = {
  kind: "backup", window: null, paused_ms: null, window_id: null, id: "20261125T120000Z-abc", folder: "/b", deployment: "bank", deployment_id: "d1", method: "no_pause", format: "default",
  started_at: "2026-11-25T12:00:00Z", duration_ms: 1500, bytes: 2048, tables: 4, status: "unverified", problem: null,
  units: [{ id: "u1", storages: ["default"], kind: "postgresql", profile: "prod-pg", format: "default", bytes: 2048 }], verified_at: null,
};

const VIEWS = ["overview", "deployments", "plan", "profiles", "backups", "restore", "pause", "restore-points", "migrate"];
const CONTROLS = "button, input, select, textarea, a[href], [role=button], [tabindex]:not([tabindex='-1'])";

describe("accessibility", () => {
  it("every control of every view has an accessible name, and every nav entry is a focusable button", async () => {
    setBackend(fakeBackend({
      listDeployments: vi.fn().mockResolvedValue([dep]),
      listBackups: vi.fn().mockResolvedValue([entry]),
      getPlan: vi.fn().mockRejectedValue({ code: "not_found", message: "no plan in this test", fields: [] }),
    }));
    render(<App />);
    const unnamed: string[] = [];
    for (const v of VIEWS) {
      const nav = screen.getByTestId(`nav-${v}`);
      expect(nav.tagName).toBe("BUTTON");
      nav.focus();
      expect(document.activeElement).toBe(nav);
      fireEvent.click(nav);
      await waitFor(() => expect(nav.getAttribute("aria-current")).toBe("page"));
      // Let the view load its data.
      await new Promise((r) => setTimeout(r, 30));
      for (const el of Array.from(document.querySelectorAll<HTMLElement>(CONTROLS))) {
        if (el.closest("[aria-hidden=true]")) continue;
        if (computeAccessibleName(el).trim() === "") unnamed.push(`${v}: <${el.tagName.toLowerCase()} ${el.getAttribute("data-testid") ?? el.className}>`);
      }
    }
    expect(unnamed).toEqual([]);
  });

  it("the focus is always visible: the stylesheet outlines focus-visible and never removes outlines", () => {
    expect(css).toMatch(/:focus-visible\s*\{[^}]*outline:\s*2px solid/);
    expect(css).not.toMatch(/outline:\s*(none|0)\b/);
  });
});

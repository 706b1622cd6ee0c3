import { afterEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, configure, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "./App";
import { setBackend } from "./backend";
import type { AppEvent, CatalogEntry, Deployment, JobEvent } from "./bindings";
import { fakeBackend } from "./testing";

configure({ asyncUtilTimeout: 5000 });
afterEach(cleanup);

const dep = { id: "d1", name: "bank", storages: [], admin_endpoints: [] } as unknown as Deployment;
const progress = (tables_done: number): JobEvent => ({
  kind: "progress", phase: "dumping", raw_bytes: 1000 * tables_done, written_bytes: 500, tables_done, tables_total: 4,
  pages_done: 0, pages_total: 0,
      rows_done: 0,
      rows_total: 0,
      rows_per_sec: 0, elapsed_secs: 1, rate_bps: 1000, eta_secs: 2,
});

function appWithBackup() {
  let emit: (e: JobEvent) => void = () => {};
  let fail: (e: unknown) => void = () => {};
  const b = fakeBackend({
    listDeployments: vi.fn().mockResolvedValue([dep]),
    startBackup: vi.fn().mockImplementation((_d, _o, _j, onEvent) => {
      emit = onEvent;
      return new Promise<CatalogEntry>((_, rej) => (fail = rej));
    }),
  });
  setBackend(b);
  render(<App />);
  return { b, emit: (e: JobEvent) => act(() => emit(e)), fail: (e: unknown) => act(async () => fail(e)) };
}

describe("App", () => {
  it("keeps a running backup's progress and log across views, and cancels it from the jobs indicator", async () => {
    const { b, emit } = appWithBackup();
    expect(screen.queryByTestId("jobs-indicator")).toBeNull();
    fireEvent.click(screen.getByTestId("nav-backups"));
    await waitFor(() => expect((screen.getByTestId("backup-deployment") as HTMLSelectElement).value).toBe("d1"));
    fireEvent.click(screen.getByTestId("start-backup"));
    emit({ kind: "phase", phase: "dumping", message: "pg_dump …" });
    emit({ kind: "log", line: "pg_dump: dumping contents of table \"bank.accounts\"" });
    emit(progress(2));
    await waitFor(() => expect(screen.getByTestId("backup-progress").getAttribute("aria-valuenow")).toBe("50"));
    // Away and back: nothing of the job is lost.
    fireEvent.click(screen.getByTestId("nav-profiles"));
    expect(screen.queryByTestId("backup-running")).toBeNull();
    expect(screen.getByTestId("jobs-indicator").textContent).toContain("1 running");
    emit(progress(3));
    fireEvent.click(screen.getByTestId("nav-backups"));
    expect(screen.getByTestId("backup-progress").getAttribute("aria-valuenow")).toBe("75");
    expect(screen.getByTestId("backup-log").textContent).toContain("dumping contents of table");
    // Cancel from the indicator's dialog.
    fireEvent.click(screen.getByTestId("jobs-indicator"));
    const dialog = await screen.findByTestId("jobs-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(dialog.textContent).toContain("Backup of bank");
    fireEvent.click(screen.getByTestId("job-cancel-backup"));
    expect(b.cancelJob).toHaveBeenCalledWith(expect.stringMatching(/^job-/));
    expect(screen.getByTestId("job-backup").getAttribute("data-state")).toBe("cancelling");
  });

  it("opens and closes the jobs dialog from the keyboard, keeping the focus inside it and giving it back", async () => {
    const { fail } = appWithBackup();
    fireEvent.click(screen.getByTestId("nav-backups"));
    await waitFor(() => expect((screen.getByTestId("backup-deployment") as HTMLSelectElement).value).toBe("d1"));
    fireEvent.click(screen.getByTestId("start-backup"));
    const indicator = await screen.findByTestId("jobs-indicator");
    indicator.focus();
    fireEvent.click(indicator); // Enter on a focused button is a click
    await screen.findByTestId("jobs-dialog");
    const first = document.activeElement as HTMLElement;
    expect(first.getAttribute("data-testid")).toBe("job-show-backup");
    // Shift+Tab from the first control goes to the last one, inside the dialog.
    fireEvent.keyDown(first, { key: "Tab", shiftKey: true });
    expect(document.activeElement?.getAttribute("data-testid")).toBe("jobs-close");
    fireEvent.keyDown(document.activeElement!, { key: "Tab" });
    expect(document.activeElement).toBe(first);
    // The focused Cancel goes away when the job ends: the focus stays in the dialog.
    // (jsdom does not move the focus on Tab; the real app's test presses it.)
    screen.getByTestId("job-cancel-backup").focus();
    await fail({ code: "cancelled", message: "The backup was cancelled.", fields: [] });
    await waitFor(() => expect(screen.queryByTestId("job-cancel-backup")).toBeNull());
    expect(document.activeElement).toBe(screen.getByTestId("jobs-dialog"));
    fireEvent.keyDown(document.activeElement!, { key: "Escape" });
    expect(screen.queryByTestId("jobs-dialog")).toBeNull();
    expect(document.activeElement).toBe(indicator);
  });

  it("asks before quitting while jobs run, and says it waits for their cleanup", async () => {
    let tell: (e: AppEvent) => void = () => {};
    const b = fakeBackend({ watchApp: vi.fn().mockImplementation(async (cb) => { tell = cb; }) });
    setBackend(b);
    render(<App />);
    await waitFor(() => expect(b.watchApp).toHaveBeenCalled());
    act(() => tell({ kind: "close_requested", running: 2 }));
    const dialog = await screen.findByTestId("quit-dialog");
    expect(dialog.textContent).toContain("2 job(s) are running");
    expect(document.activeElement?.getAttribute("data-testid")).toBe("quit-keep");
    fireEvent.click(screen.getByTestId("quit-keep"));
    expect(screen.queryByTestId("quit-dialog")).toBeNull();
    expect(b.quit).not.toHaveBeenCalled();
    act(() => tell({ kind: "close_requested", running: 1 }));
    fireEvent.click(await screen.findByTestId("quit-confirm"));
    expect(b.quit).toHaveBeenCalled();
    act(() => tell({ kind: "quitting", running: 1, limit_secs: 60 }));
    expect((await screen.findByTestId("quitting")).textContent).toContain("at most 60 s");
  });
});

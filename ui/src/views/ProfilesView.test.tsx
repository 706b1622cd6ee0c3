import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, configure, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { ProfilesView } from "./ProfilesView";
import { BackendError, setBackend } from "../backend";
import { fakeBackend, pgProfile } from "../testing";
import type { Profile } from "../bindings";

const fake = fakeBackend;

// CI machines are small and busy: give debounced validation time to land.
configure({ asyncUtilTimeout: 5000 });
afterEach(cleanup);

describe("ProfilesView", () => {
  it("deletes a profile only after the question is answered, and Keep takes it back", async () => {
    const b = fake();
    setBackend(b);
    render(<ProfilesView />);
    await waitFor(() => expect(screen.getByTestId("editor-title").textContent).toBe("prod-pg"));
    fireEvent.click(screen.getByTestId("delete-profile"));
    const ask = screen.getByRole("group", { name: "Delete “prod-pg” and its password?" });
    fireEvent.click(within(ask).getByText("Keep"));
    expect(screen.queryByTestId("confirm-delete")).toBeNull();
    expect(b.deleteProfile).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId("delete-profile"));
    fireEvent.click(screen.getByTestId("confirm-delete"));
    await waitFor(() => expect(b.deleteProfile).toHaveBeenCalledWith("id-1"));
  });

  it("keeps the profile picked from the cached list when the fresh list arrives", async () => {
    const other: Profile = { ...pgProfile, id: "id-2", name: "another-pg" };
    let release: (v: Profile[]) => void = () => {};
    const later = new Promise<Profile[]>((r) => (release = r));
    const b = fake({ listProfiles: vi.fn().mockResolvedValueOnce([other, pgProfile]).mockReturnValueOnce(later) });
    setBackend(b);
    const first = render(<ProfilesView />);
    await waitFor(() => expect(screen.getByTestId("editor-title").textContent).toBe("another-pg"));
    first.unmount();
    // Opened again: the cached list at once, read again behind it.
    render(<ProfilesView />);
    fireEvent.click(await screen.findByTestId("profile-item-prod-pg"));
    expect(screen.getByTestId("editor-title").textContent).toBe("prod-pg");
    release([other, pgProfile]);
    await waitFor(() => expect(b.listProfiles).toHaveBeenCalledTimes(2));
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.getByTestId("editor-title").textContent).toBe("prod-pg");
  });

  it("tests the selected profile with its stored password and shows the result", async () => {
    const b = fake();
    setBackend(b);
    render(<ProfilesView />);
    await screen.findByTestId("profile-item-prod-pg");
    await waitFor(() => expect(screen.getByTestId("editor-title").textContent).toBe("prod-pg"));
    fireEvent.click(screen.getByTestId("test-connection"));
    const ok = await screen.findByTestId("test-result-ok");
    expect(ok.textContent).toContain("PostgreSQL 15.19");
    expect(ok.textContent).toContain("TLS");
    const [input, existing] = (b.testConnection as ReturnType<typeof vi.fn>).mock.calls[0];
    expect(existing).toBe("id-1");
    expect(input.password).toEqual({ action: "keep" });
  });

  it("shows a failure with its error code", async () => {
    setBackend(fake({ testConnection: vi.fn().mockRejectedValue(new BackendError({ code: "auth_failed", message: "rejected the password", fields: [] })) }));
    render(<ProfilesView />);
    await screen.findByTestId("profile-item-prod-pg");
    fireEvent.click(screen.getByTestId("test-connection"));
    const failed = await screen.findByTestId("test-result-failed");
    expect(failed.textContent).toContain("auth_failed");
  });

  it("shows the engine's field errors inline and does not save", async () => {
    const b = fake({
      listProfiles: vi.fn().mockResolvedValue([]),
      validateProfile: vi.fn().mockResolvedValue([{ field: "host", message: "Give the server's host name." }]),
    });
    setBackend(b);
    render(<ProfilesView />);
    await waitFor(() => expect(b.validateProfile).toHaveBeenCalled());
    fireEvent.click(screen.getByTestId("save-profile"));
    expect((await screen.findByTestId("error-f-host")).textContent).toContain("host name");
    expect(b.saveProfile).not.toHaveBeenCalled();
  });

  it("cancels a running test by its job id", async () => {
    let reject: (e: unknown) => void = () => {};
    const b = fake({ testConnection: vi.fn().mockImplementation(() => new Promise((_, r) => (reject = r))) });
    b.cancelJob = vi.fn().mockImplementation(async () => {
      reject(new BackendError({ code: "cancelled", message: "Cancelled", fields: [] }));
      return true;
    });
    setBackend(b);
    render(<ProfilesView />);
    await screen.findByTestId("profile-item-prod-pg");
    fireEvent.click(screen.getByTestId("test-connection"));
    fireEvent.click(await screen.findByTestId("cancel-test"));
    const jobId = (b.testConnection as ReturnType<typeof vi.fn>).mock.calls[0][2];
    expect(b.cancelJob).toHaveBeenCalledWith(jobId);
    expect((await screen.findByTestId("test-result-failed")).textContent).toContain("cancelled");
  });
});

describe("saving right after typing", () => {
  it("validates the form as it is now, not the debounced result", async () => {
    let calls = 0;
    const b = fake({
      listProfiles: vi.fn().mockResolvedValue([]),
      // The first (debounced) validation sees an empty form; the one at save time sees it filled.
      validateProfile: vi.fn().mockImplementation(async () => (calls++ === 0 ? [{ field: "name", message: "A name is required" }] : [])),
    });
    setBackend(b);
    render(<ProfilesView />);
    await waitFor(() => expect(b.validateProfile).toHaveBeenCalled());
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "fast-typist" } });
    fireEvent.click(screen.getByTestId("save-profile"));
    await waitFor(() => expect(b.saveProfile).toHaveBeenCalled());
    expect((b.saveProfile as ReturnType<typeof vi.fn>).mock.calls[0][1].name).toBe("fast-typist");
  });
});

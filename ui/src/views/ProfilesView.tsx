// Profiles: how Quiesce reaches each database (or describes one it does not
// connect to), edited with the engine's validation as typed, tested, saved
// with the password in the OS keyring, deleted after a confirmation.
import { useEffect, useRef, useState } from "react";
import type { Profile } from "../bindings";
import { backend, BackendError } from "../backend";
import { fieldsFor, type Draft } from "../data/form";
import { useConnectionTest, useProfileForm } from "../data/profileEditor";
import { invalidate, useProfiles } from "../data/query";
import { ConfirmDelete } from "../components/ConfirmDelete";
import { ProfileFields } from "../components/profiles/ProfileFields";
import { ProfileList } from "../components/profiles/ProfileList";
import { TestResult } from "../components/profiles/TestResult";

export function ProfilesView() {
  const profilesQ = useProfiles();
  const profiles = profilesQ.list;
  const [selected, setSelected] = useState<string | null>(null); // profile id, or null for a new one
  const [notice, setNotice] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const form = useProfileForm();
  const conn = useConnectionTest();
  const { test } = conn;
  const nameRef = useRef<HTMLInputElement>(null);

  const current = profiles.find((p) => p.id === selected) ?? null;
  const started = useRef(false);

  function select(p: Profile | null) {
    started.current = true;
    setSelected(p?.id ?? null);
    form.load(p);
    conn.clear(true);
    setNotice(null);
  }

  // The first profile, once the list is read, unless the user picked one
  // (or began a new one) from the cached list before it came.
  useEffect(() => {
    if (!profilesQ.fresh || started.current) return;
    started.current = true;
    if (profiles.length > 0) select(profiles[0]);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [profilesQ.fresh, profiles]);

  function newProfile() {
    select(null);
    setTimeout(() => nameRef.current?.focus(), 0);
  }

  function update<K extends keyof Draft>(key: K, value: Draft[K]) {
    form.update(key, value);
    setNotice(null);
    conn.clear();
  }

  async function save() {
    const input = form.input();
    const problems = await form.validateNow();
    if (problems.length > 0) {
      setNotice({ kind: "error", text: "Fix the highlighted fields first." });
      return;
    }
    setSaving(true);
    try {
      const saved = await backend().saveProfile(selected, input);
      await invalidate("profiles");
      setSelected(saved.id);
      form.load(saved, { keepShown: true });
      setNotice({ kind: "ok", text: `Saved “${saved.name}”.${saved.secret ? " The password is in the keyring." : ""}` });
    } catch (e) {
      const err = e as BackendError;
      if (err.fields?.length) form.setErrors(err.fields);
      setNotice({ kind: "error", text: `${err.message} [${err.code}]` });
    } finally {
      setSaving(false);
    }
  }

  async function runTest() {
    if (test.state === "running") return;
    form.showAll();
    await conn.run(form.input(), selected);
  }

  async function remove() {
    if (!current) return;
    try {
      await backend().deleteProfile(current.id);
      const list = (await invalidate<Profile[]>("profiles")) ?? [];
      select(list[0] ?? null);
      setNotice({ kind: "ok", text: `Deleted “${current.name}” and its stored password.` });
    } catch (e) {
      const err = e as BackendError;
      setNotice({ kind: "error", text: `${err.message} [${err.code}]` });
    }
  }

  // A result or notice may land below the fold of a long form: bring it into view.
  useEffect(() => {
    if (test.state !== "idle" || notice) {
      document.querySelector(".test-result, [data-testid='notice']")?.scrollIntoView?.({ block: "nearest" });
    }
  }, [test, notice]);

  // Keyboard: Ctrl+S save, Ctrl+Enter test, Esc cancel a running test, Ctrl+N new.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key === "s") {
        e.preventDefault();
        void save();
      } else if (mod && e.key === "Enter") {
        e.preventDefault();
        void runTest();
      } else if (mod && e.key === "n") {
        e.preventDefault();
        newProfile();
      } else if (e.key === "Escape" && test.state === "running") {
        void conn.cancel();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const live = fieldsFor(form.draft.kind, form.draft.flavor).live;

  return (
    <div className="profiles">
      <ProfileList profiles={profiles} selected={selected} loadError={profilesQ.error?.message ?? null} onSelect={select} onNew={newProfile} />

      <section className="editor-pane" aria-label="Profile editor">
        <header className="pane-header">
          <h2 data-testid="editor-title">{current ? current.name : "New profile"}</h2>
          <span className="muted small">Ctrl+S save · Ctrl+Enter test</span>
        </header>
        <form
          className="editor"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <ProfileFields draft={form.draft} fieldError={form.fieldError} update={update} nameRef={nameRef} hasStoredPassword={!!current?.secret} />
          <TestResult test={test} />
          {notice && (
            <div className={`banner ${notice.kind}`} role="status" data-testid="notice">
              {notice.text}
            </div>
          )}

          <div className="actions">
            {test.state === "running" ? (
              <button type="button" onClick={() => void conn.cancel()} data-testid="cancel-test">
                <span className="spinner" aria-hidden /> Testing… Cancel (Esc)
              </button>
            ) : (
              <button type="button" onClick={() => void runTest()} data-testid="test-connection" disabled={!live} title={live ? "Ctrl+Enter" : "Descriptive profiles have no connection to test"}>
                Test connection
              </button>
            )}
            <button type="submit" className="primary" disabled={saving} data-testid="save-profile">
              {saving ? "Saving…" : current ? "Save changes" : "Save profile"}
            </button>
            <span className="spacer" />
            {current && (
              <ConfirmDelete
                key={current.id}
                action="Delete"
                question={`Delete “${current.name}” and its password?`}
                onConfirm={remove}
                testid="delete-profile"
                confirmTestid="confirm-delete"
              />
            )}
          </div>
        </form>
      </section>
    </div>
  );
}

// The profile editor's state, apart from its screen: the form (the draft as
// typed, the engine's errors for it, which of them show) and the connection
// test (running, cancellable by its job id, then its report or error).
import { useCallback, useEffect, useState } from "react";
import type { ConnectionReport, FieldError, Profile, ProfileInput } from "../bindings";
import { backend, BackendError, newJobId } from "../backend";
import { DEFAULT_PORT, draftFromProfile, emptyDraft, FLAVORS, toInput, type Draft } from "./form";

/** The draft, validated by the engine as it is typed (debounced); a field's error shows once it was touched, or every error after Save or Test. */
export function useProfileForm() {
  const [draft, setDraft] = useState<Draft>(emptyDraft());
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [showAll, setShowAll] = useState(false);

  // Inline validation by the engine, debounced.
  useEffect(() => {
    const t = setTimeout(() => {
      backend()
        .validateProfile(toInput(draft))
        .then(setErrors)
        .catch(() => {});
    }, 200);
    return () => clearTimeout(t);
  }, [draft]);

  /** A saved profile (or a new one) in the form, nothing touched. */
  const load = useCallback((p: Profile | null, opts: { keepShown?: boolean } = {}) => {
    setDraft(p ? draftFromProfile(p) : emptyDraft());
    setTouched(new Set());
    if (!opts.keepShown) setShowAll(false);
  }, []);

  /** A field changed; a new kind brings its default port and flavor unless the user changed them. */
  function update<K extends keyof Draft>(key: K, value: Draft[K]) {
    setDraft((d) => {
      const next = { ...d, [key]: value };
      if (key === "kind") {
        const kind = value as Draft["kind"];
        if (d.port === DEFAULT_PORT[d.kind]) next.port = DEFAULT_PORT[kind];
        if (!FLAVORS[kind].some((f) => f.id === d.flavor)) next.flavor = FLAVORS[kind][0].id;
      }
      return next;
    });
    setTouched((t) => new Set(t).add(key as string));
  }

  const fieldError = (field: string) => (showAll || touched.has(field) ? errors.find((e) => e.field === field)?.message : undefined);

  /** Validates the form as it is now (the debounced result may predate the last keystroke) and shows every error. */
  async function validateNow(): Promise<FieldError[]> {
    setShowAll(true);
    const problems = await backend().validateProfile(toInput(draft)).catch(() => [] as FieldError[]);
    setErrors(problems);
    return problems;
  }

  return { draft, input: () => toInput(draft), load, update, fieldError, validateNow, setErrors, showAll: () => setShowAll(true) };
}

export type TestState =
  | { state: "idle" }
  | { state: "running"; jobId: string }
  | { state: "ok"; report: ConnectionReport }
  | { state: "failed"; error: BackendError };

/** A connection test of what the form holds (with the stored password of `existingId` when none is typed). */
export function useConnectionTest() {
  const [test, setTest] = useState<TestState>({ state: "idle" });

  async function run(input: ProfileInput, existingId: string | null) {
    if (test.state === "running") return;
    const jobId = newJobId();
    setTest({ state: "running", jobId });
    try {
      setTest({ state: "ok", report: await backend().testConnection(input, existingId, jobId) });
    } catch (e) {
      setTest({ state: "failed", error: e as BackendError });
    }
  }

  async function cancel() {
    if (test.state === "running") await backend().cancelJob(test.jobId);
  }

  return {
    test,
    run,
    cancel,
    /** Forgets the result (a running test goes on unless `evenRunning`). */
    clear: (evenRunning = false) => setTest((t) => (t.state === "running" && !evenRunning ? t : { state: "idle" })),
  };
}

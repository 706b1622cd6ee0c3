// The lists several views show (deployments, profiles, the catalog), read
// through one hook and shared. A view shows what was read last at once and
// reads the list again when it opens (as each view did on its own before);
// loads under way are shared. A save or delete invalidates the list: every
// view showing it reads it again. The cache belongs to the backend object, so
// a test's fresh fake backend starts with none.
import { useCallback, useEffect, useState, useSyncExternalStore } from "react";
import type { CatalogEntry, Deployment, Profile } from "../bindings";
import { backend, type Backend } from "../backend";

export interface QueryState<T> {
  data: T | undefined;
  error: Error | null;
  /** The number of the last load that ended (0: none yet). */
  settled: number;
}

class Query<T> {
  state: QueryState<T> = { data: undefined, error: null, settled: 0 };
  /** The number of the last load started; only its outcome is kept. */
  started = 0;
  inflight: Promise<T> | null = null;
  listeners = new Set<() => void>();
  constructor(private fetch: (b: Backend) => Promise<T>, private b: Backend) {}

  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  };
  get = () => this.state;

  private set(s: QueryState<T>) {
    this.state = s;
    this.listeners.forEach((l) => l());
  }

  /** Reads the list (joining a load under way unless `fresh`); resolves to the list read. */
  load(fresh = false): Promise<T> {
    if (this.inflight && !fresh) return this.inflight;
    const n = ++this.started;
    const p = this.fetch(this.b).then(
      (data) => {
        if (n === this.started) this.set({ data, error: null, settled: n });
        return data;
      },
      (e: unknown) => {
        if (n === this.started) this.set({ ...this.state, error: e instanceof Error ? e : new Error(String((e as { message?: string })?.message ?? e)), settled: n });
        throw e;
      },
    );
    this.inflight = p;
    void p.finally(() => {
      if (this.inflight === p) this.inflight = null;
    }).catch(() => {});
    return p;
  }
}

type Fetch<T> = (b: Backend) => Promise<T>;
const caches = new WeakMap<Backend, Map<string, Query<unknown>>>();

function query<T>(key: string, fetch: Fetch<T>): Query<T> {
  const b = backend();
  let m = caches.get(b);
  if (!m) caches.set(b, (m = new Map()));
  let q = m.get(key) as Query<T> | undefined;
  if (!q) m.set(key, (q = new Query(fetch, b)));
  return q;
}

export interface QueryResult<T> {
  data: T | undefined;
  error: Error | null;
  /** A load started since this view opened has ended: what to preselect from. */
  fresh: boolean;
  reload: () => Promise<T>;
}

/** The list under `key`, read when the view opens and whenever it is invalidated. */
export function useQuery<T>(key: string, fetch: Fetch<T>): QueryResult<T> {
  const q = query(key, fetch);
  const state = useSyncExternalStore(q.subscribe, q.get);
  // The load this view waits for: the one its opening started (or joined).
  const [want, setWant] = useState(Infinity);
  useEffect(() => {
    q.load().catch(() => {});
    setWant(q.started);
  }, [q]);
  const reload = useCallback(() => q.load(true), [q]);
  return { data: state.data, error: state.error, fresh: state.settled >= want, reload };
}

/** Reads `key` again (for every view showing it); resolves to the new list. */
export function invalidate<T = unknown>(key: QueryKey): Promise<T | undefined> {
  const q = caches.get(backend())?.get(key) as Query<T> | undefined;
  // A failed read is in the query's state, for the views to show.
  return q ? q.load(true).catch(() => undefined) : Promise.resolve(undefined);
}

export type QueryKey = "deployments" | "profiles" | "catalog";

const NONE: never[] = [];

/** A list query with an empty list until it is read. */
function useList<T>(key: QueryKey, fetch: Fetch<T[]>) {
  const r = useQuery(key, fetch);
  return { ...r, list: r.data ?? (NONE as T[]), loaded: r.data !== undefined };
}

export const useDeployments = () => useList<Deployment>("deployments", (b) => b.listDeployments());
export const useProfiles = () => useList<Profile>("profiles", (b) => b.listProfiles());
/** The catalog: backups (complete and damaged), pause windows, leftovers. */
export const useCatalog = () => useList<CatalogEntry>("catalog", (b) => b.listBackups());

// How the views write sizes and times.
//
// Times follow one convention everywhere: on screen, this machine's local time
// with its offset (2026-12-07 09:07:45 -05:00); UTC, as ISO 8601
// (2026-12-07T14:07:45Z), on hover (the title) and in what is copied. One
// Intl.DateTimeFormat per time zone gives the wall-clock fields; the offset is
// what separates them from UTC.

/** Sizes as a DBA reads them (1024-based, one decimal). */
export function human(n: number): string {
  const u = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${u[i]}`;
}

/** A time as the engine sends it: epoch ms, an ISO 8601 string, or a Date. */
export type TimeInput = number | string | Date;

/** Epoch ms of a time; NaN when it is not one. */
export function toMs(t: TimeInput): number {
  if (t instanceof Date) return t.getTime();
  if (typeof t === "number") return t;
  return t.trim() === "" ? NaN : Date.parse(t);
}

export interface TimeOptions {
  /** Milliseconds too, when there are any (restore points); seconds otherwise. */
  ms?: boolean;
  /** An IANA zone instead of this machine's (tests, mostly). */
  timeZone?: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? "";
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      numberingSystem: "latn",
    });
    formatters.set(key, f);
  }
  return f;
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, "0");

/** The wall-clock fields of `ms` in a zone, and that zone's offset from UTC then. */
function wall(ms: number, timeZone?: string) {
  const parts = formatter(timeZone).formatToParts(ms);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const milli = ((ms % 1000) + 1000) % 1000;
  const f = { y: get("year"), mo: get("month"), d: get("day"), h: get("hour") % 24, mi: get("minute"), s: get("second"), milli };
  const asUtc = Date.UTC(f.y, f.mo - 1, f.d, f.h, f.mi, f.s, milli);
  const offsetMin = Math.round((asUtc - ms) / 60_000);
  const offset = `${offsetMin < 0 ? "-" : "+"}${pad(Math.trunc(offsetMin / 60))}:${pad(offsetMin % 60)}`;
  return {
    date: `${f.y}-${pad(f.mo)}-${pad(f.d)}`,
    time: `${pad(f.h)}:${pad(f.mi)}:${pad(f.s)}`,
    milli: pad(milli, 3),
    offset,
  };
}

/** The local date and the local clock with its offset (`09:07:45 -05:00`), apart; null for no time. */
export function localParts(t: TimeInput, o: TimeOptions = {}): { date: string; clock: string } | null {
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return null;
  const w = wall(ms, o.timeZone);
  return { date: w.date, clock: `${w.time}${o.ms && w.milli !== "000" ? `.${w.milli}` : ""} ${w.offset}` };
}

/** What the views show: `2026-12-07 09:07:45 -05:00` (local, with its offset); "?" for no time. */
export function localTime(t: TimeInput, o: TimeOptions = {}): string {
  const p = localParts(t, o);
  return p ? `${p.date} ${p.clock}` : "?";
}

/** Local time as ISO 8601 with its offset and milliseconds (2026-12-07T09:07:45.123-05:00), to paste. */
export function localIso(t: TimeInput, o: Pick<TimeOptions, "timeZone"> = {}): string {
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return "?";
  const w = wall(ms, o.timeZone);
  return `${w.date}T${w.time}.${w.milli}${w.offset}`;
}

/** UTC as ISO 8601 (2026-12-07T14:07:45Z): the title and what is copied; milliseconds when there are any, or always with `ms`. */
export function utcIso(t: TimeInput, o: Pick<TimeOptions, "ms"> = {}): string {
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return "?";
  const iso = new Date(ms).toISOString();
  return o.ms ? iso : iso.replace(".000Z", "Z");
}

// A time as every view shows it (data/format.ts): local with its offset on
// screen; UTC in the title (hover) and in the clipboard when the time alone is
// copied. A selection wider than the time copies as it reads.
import type { ClipboardEvent, ReactNode } from "react";
import { localParts, toMs, utcIso, type TimeInput } from "../data/format";

export function Time({ at, ms = false, children, testid }: {
  at: TimeInput;
  /** Milliseconds too (restore points). */
  ms?: boolean;
  /** Other words for it ("2 h ago"): the title then gives the local time too. */
  children?: ReactNode;
  testid?: string;
}) {
  const v = toMs(at);
  if (!Number.isFinite(v)) return <>{children ?? "?"}</>;
  const utc = utcIso(v);
  const { date, clock } = localParts(v, { ms })!;
  const onCopy = (e: ClipboardEvent<HTMLElement>) => {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || !e.currentTarget.contains(sel.getRangeAt(0).commonAncestorContainer)) return;
    e.clipboardData.setData("text/plain", utc);
    e.preventDefault();
  };
  return (
    <time dateTime={utc} title={children === undefined ? `${utc} (UTC)` : `${date} ${clock} · ${utc} (UTC)`} onCopy={onCopy} data-testid={testid}>
      {children ?? (
        // A narrow column breaks it between the date and the clock, nowhere else.
        <>
          <span className="nowrap">{date}</span> <span className="nowrap">{clock}</span>
        </>
      )}
    </time>
  );
}

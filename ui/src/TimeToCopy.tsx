// A time to copy in the three forms on-call staff paste into consoles: UTC,
// local with its offset, epoch ms — each with a copy button.

/** `iso` as this machine's local time with its offset (ms precision). */
export function localIso(iso: string): string {
  const d = new Date(iso);
  const off = -d.getTimezoneOffset();
  const pad = (n: number) => String(Math.abs(n)).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}${off >= 0 ? "+" : "-"}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

export function TimeToCopy({ label, heading, utc, local, ms, testid }: {
  /** What it is, in the copy buttons' names ("Restore point"). */
  label: string;
  /** The title shown above it (default: the label). */
  heading?: string;
  utc: string;
  local: string;
  ms: number;
  testid: string;
}) {
  const forms = [
    { name: "UTC", value: utc },
    { name: "Local", value: local },
    { name: "Epoch ms", value: String(ms) },
  ];
  return (
    <div className="restore-point" data-testid={testid}>
      <div className="section-title">{heading ?? label}</div>
      {forms.map((f) => (
        <div className="row" key={f.name} style={{ alignItems: "center", gap: 8 }}>
          <label className="small" style={{ width: 70 }} htmlFor={`${testid}-${f.name}`}>{f.name}</label>
          <input id={`${testid}-${f.name}`} className="mono" style={{ flex: "1 1 auto", minWidth: 320, maxWidth: 420 }} readOnly value={f.value} onFocus={(e) => e.target.select()} data-testid={`${testid}-${f.name.replace(" ", "-").toLowerCase()}`} />
          <button className="small" type="button" onClick={() => void navigator.clipboard?.writeText(f.value).catch(() => {})} aria-label={`Copy the ${label.toLowerCase()} (${f.name})`}>Copy</button>
        </div>
      ))}
    </div>
  );
}

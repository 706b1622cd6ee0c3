// A time to copy in the three forms on-call staff paste into consoles: UTC,
// local with its offset (ISO 8601), epoch ms — each with a copy button.

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
        <div className="copy-row" key={f.name}>
          <label className="small" htmlFor={`${testid}-${f.name}`}>{f.name}</label>
          <input id={`${testid}-${f.name}`} className="mono" readOnly value={f.value} onFocus={(e) => e.target.select()} data-testid={`${testid}-${f.name.replace(" ", "-").toLowerCase()}`} />
          <button className="small" type="button" onClick={() => void navigator.clipboard?.writeText(f.value).catch(() => {})} aria-label={`Copy the ${label.toLowerCase()} (${f.name})`}>Copy</button>
        </div>
      ))}
    </div>
  );
}

// A labelled form field: its control, then the engine's error for it (an
// alert) or a hint.
import type { ReactNode } from "react";

export function Field(props: {
  label: string;
  htmlFor: string;
  error?: string;
  hint?: string;
  grow?: boolean;
  narrow?: boolean;
  children: ReactNode;
}) {
  const cls = ["field", props.error ? "invalid" : "", props.grow ? "grow" : "", props.narrow ? "narrow" : ""].join(" ");
  return (
    <div className={cls}>
      <label htmlFor={props.htmlFor}>{props.label}</label>
      {props.children}
      {props.error ? (
        <div className="field-error" role="alert" data-testid={`error-${props.htmlFor}`}>
          {props.error}
        </div>
      ) : (
        props.hint && <div className="hint">{props.hint}</div>
      )}
    </div>
  );
}

// A destructive button that asks first: pressed, it becomes the question, the
// destructive choice and "Keep". Its own state, so a view remounts it (key) to
// forget a pending question when the subject changes.
import { useState } from "react";

export function ConfirmDelete(props: {
  /** The button's label, also the destructive choice's ("Delete", "Remove"). */
  action: string;
  /** What is asked, e.g. `Delete “prod-pg” and its password?` */
  question: string;
  onConfirm: () => void | Promise<void>;
  /** data-testid of the first button; the confirming one is `confirm-` + it. */
  testid: string;
  confirmTestid: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="danger-outline" onClick={() => setAsking(true)} data-testid={props.testid}>
        {props.action}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={props.question}>
      {props.question}
      <button
        type="button"
        className="danger"
        onClick={async () => {
          await props.onConfirm();
          setAsking(false);
        }}
        data-testid={props.confirmTestid}
      >
        {props.action}
      </button>
      <button type="button" onClick={() => setAsking(false)}>Keep</button>
    </span>
  );
}

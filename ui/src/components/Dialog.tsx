// A modal dialog, on the document's body: it takes the focus (its first control, or the one marked
// data-autofocus), keeps Tab inside, closes on Escape, and gives the focus
// back to what had it before.
import { useEffect, useId, useRef, type ReactNode } from "react";
import { createPortal } from "react-dom";

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function Dialog(props: { title: string; onClose: () => void; children: ReactNode; testid?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const box = ref.current!;
    const first = box.querySelector<HTMLElement>("[data-autofocus]") ?? box.querySelector<HTMLElement>(FOCUSABLE) ?? box;
    first.focus();
    return () => before?.focus?.();
  }, []);

  // A control that had the focus may go away (a finished job's Cancel): the
  // focus stays in the dialog, so the keyboard still reaches it.
  useEffect(() => {
    const box = ref.current;
    if (box && !box.contains(document.activeElement)) box.focus();
  });

  function onKeyDown(e: React.KeyboardEvent) {
    if (e.key === "Escape") {
      e.stopPropagation();
      onClose.current();
      return;
    }
    if (e.key !== "Tab") return;
    const items = Array.from(ref.current!.querySelectorAll<HTMLElement>(FOCUSABLE));
    if (items.length === 0) return;
    const [first, last] = [items[0], items[items.length - 1]];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  // On the body, not inside whatever opened it (the sidebar's colours stay there).
  return createPortal(
    <div className="dialog-backdrop">
      <div ref={ref} className="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} tabIndex={-1} onKeyDown={onKeyDown} data-testid={props.testid}>
        <h2 id={titleId}>{props.title}</h2>
        {props.children}
      </div>
    </div>,
    document.body,
  );
}

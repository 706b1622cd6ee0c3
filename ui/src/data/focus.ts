// Where the focus goes when what had it goes away (a button that started a
// job, a view left for another): to the element that shows what happened,
// unless the user has moved the focus somewhere else meanwhile.

/** Focuses `el` (focusable by script only, if it is not already) when the
 *  focus is nowhere (the body) or inside the same <main>. */
export function moveFocus(el: HTMLElement | null | undefined): void {
  if (!el) return;
  const a = document.activeElement;
  const main = el.closest("main");
  if (a && a !== document.body && !(main && main.contains(a))) return;
  if (!el.hasAttribute("tabindex") && el.tabIndex < 0) el.tabIndex = -1;
  el.focus();
}

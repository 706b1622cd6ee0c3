import { afterEach, describe, expect, it } from "vitest";
import { moveFocus } from "./focus";

afterEach(() => {
  document.body.innerHTML = "";
});

function page() {
  document.body.innerHTML = `<nav><button id="nav">Nav</button></nav><main><button id="inside">In</button><h1 id="h">Title</h1></main>`;
  return (id: string) => document.getElementById(id)!;
}

describe("moveFocus", () => {
  it("takes the focus that was lost (on the body) and makes a heading focusable by script only", () => {
    const el = page();
    (document.activeElement as HTMLElement | null)?.blur();
    moveFocus(el("h"));
    expect(document.activeElement).toBe(el("h"));
    expect(el("h").tabIndex).toBe(-1);
  });

  it("moves it from inside the same main, never from elsewhere (the user went to the sidebar)", () => {
    const el = page();
    el("inside").focus();
    moveFocus(el("h"));
    expect(document.activeElement).toBe(el("h"));
    el("nav").focus();
    moveFocus(el("inside"));
    expect(document.activeElement).toBe(el("nav"));
  });
});

// @vitest-environment node
// The front end's layout (issue 30): views/ are the screens App shows, each on
// its own; components/ are pieces views share; data/ is what they read and the
// rules they follow. No view imports another view; components and data never
// import a view; data never imports a component. Read from the sources.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";

const SRC = new URL("./", import.meta.url);

/** Every .ts/.tsx file under `dir` (relative to src/), as src-relative paths. */
function files(dir: string): string[] {
  return readdirSync(new URL(`${dir}/`, SRC), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(`${dir}/${e.name}`) : /\.tsx?$/.test(e.name) ? [`${dir}/${e.name}`] : [],
  );
}

/** The modules a source imports (static, re-exports and dynamic), as written. */
function specifiers(source: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g;
  for (let m = re.exec(source); m; m = re.exec(source)) out.push(m[1]);
  return out;
}

/** A relative specifier resolved against the importing file (src-relative, no extension); null for packages. */
function resolve(from: string, spec: string): string | null {
  if (!spec.startsWith(".")) return null;
  const parts = from.split("/").slice(0, -1);
  for (const p of spec.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  return parts.join("/").replace(/\.(tsx?|css)$/, "");
}

function imports(file: string): string[] {
  return specifiers(readFileSync(new URL(file, SRC), "utf8"))
    .map((s) => resolve(file, s))
    .filter((t): t is string => t !== null);
}

const base = (f: string) => f.replace(/\.tsx?$/, "");
const isTest = (f: string) => /\.test\.tsx?$/.test(f);

describe("layout", () => {
  it("reads imports of every kind", () => {
    const src = `import { a } from "./a";\nimport type { B } from '../b';\nexport { c } from "./c";\nimport "./d.css";\nconst e = await import("./e");\nimport {\n  f,\n} from "@x/f";`;
    expect(specifiers(src)).toEqual(["./a", "../b", "./c", "./d.css", "./e", "@x/f"]);
    expect(resolve("views/A.tsx", "../components/restore/B")).toBe("components/restore/B");
    expect(resolve("views/A.tsx", "./B")).toBe("views/B");
  });

  it("no view imports another view (a view's test imports only its view)", () => {
    const views = files("views");
    expect(views.filter((f) => !isTest(f)).length).toBeGreaterThanOrEqual(9);
    const wrong: string[] = [];
    for (const f of views) {
      for (const t of imports(f).filter((t) => t.startsWith("views/"))) {
        if (isTest(f) && t === base(f).replace(/\.test$/, "")) continue;
        wrong.push(`${f} imports ${t}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("components and data never import a view; data never imports a component", () => {
    const wrong: string[] = [];
    for (const f of [...files("components"), ...files("data")]) {
      for (const t of imports(f)) {
        if (t.startsWith("views/") || (f.startsWith("data/") && t.startsWith("components/"))) wrong.push(`${f} imports ${t}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

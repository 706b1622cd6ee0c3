// The two functions of node:fs the layout test (structure.test.ts) reads the
// sources with, typed here: the UI does not depend on @types/node.
declare module "node:fs" {
  export interface Dirent {
    name: string;
    isDirectory(): boolean;
  }
  export function readdirSync(path: URL, options: { withFileTypes: true }): Dirent[];
  export function readFileSync(path: URL, encoding: "utf8"): string;
}

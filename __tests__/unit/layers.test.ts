import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../support/helpers";

// The layers of modules/, lowest first (docs/architecture.md, "Architecture"): a folder may import
// from itself and from the folders before it, never from one after it.
const LAYERS = ["lib", "config", "rules", "constructs", "workloads", "stacks"] as const;
const MODULES = path.join(ROOT, "modules");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.(ts|js)$/.test(e.name) ? [p] : [];
  });
}

/**
 * Every module specifier of a source text: import ... from "x", import "x", export ... from "x",
 * require("x"), import("x"); type-only ones included (TypeScript's own scanner costs a second to load).
 */
function specifiersOf(text: string): string[] {
  return [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"|^\s*import\s+"([^"]+)"|\b(?:require|import)\(\s*"([^"]+)"\s*\)/gms),
  ].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** The project files `file` imports (type-only imports and re-exports included), by path relative to modules/. */
function importsOf(file: string): string[] {
  const specifiers = specifiersOf(fs.readFileSync(file, "utf8"));
  return specifiers
    .filter((name) => name.startsWith("."))
    .map((name) => {
      const base = path.resolve(path.dirname(file), name);
      const found = [`${base}.ts`, `${base}.js`, path.join(base, "index.ts"), base].find(
        (p) => fs.existsSync(p) && fs.statSync(p).isFile(),
      );
      if (!found) throw new Error(`${path.relative(ROOT, file)} imports ${name}, which does not exist`);
      return path.relative(MODULES, found);
    });
}

const graph = new Map(sourceFiles(MODULES).map((f) => [path.relative(MODULES, f), importsOf(f)]));
const layerOf = (file: string) => LAYERS.indexOf(file.split(path.sep)[0] as (typeof LAYERS)[number]);

/** Every import cycle among `files`, each as the files in order (Tarjan's strongly connected components). */
function cycles(files: readonly string[]): string[][] {
  const inside = new Set(files);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (f: string) => {
    index.set(f, index.size);
    low.set(f, index.get(f)!);
    stack.push(f);
    for (const g of (graph.get(f) ?? []).filter((x) => inside.has(x))) {
      if (!index.has(g)) {
        visit(g);
        low.set(f, Math.min(low.get(f)!, low.get(g)!));
      } else if (stack.includes(g)) low.set(f, Math.min(low.get(f)!, index.get(g)!));
    }
    if (low.get(f) === index.get(f)) {
      const component: string[] = [];
      let g: string;
      do component.push((g = stack.pop()!));
      while (g !== f);
      if (component.length > 1 || (graph.get(f) ?? []).includes(f)) found.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}

describe("layers of modules/", () => {
  it("are the folders of modules/, each in its place", () => {
    const folders = fs
      .readdirSync(MODULES, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect([...folders].sort()).toEqual([...LAYERS].sort());
  });

  it("modules/lib imports nothing from modules/config or any folder above it", () => {
    const upward = [...graph].flatMap(([file, imports]) =>
      layerOf(file) === 0 ? imports.filter((i) => layerOf(i) > 0).map((i) => `${file} -> ${i}`) : [],
    );
    expect(upward).toEqual([]);
  });

  it("no folder imports from a folder above it", () => {
    const upward = [...graph].flatMap(([file, imports]) => imports.filter((i) => layerOf(i) > layerOf(file)).map((i) => `${file} -> ${i}`));
    expect(upward).toEqual([]);
  });

  it("modules/config has no import circle, and neither has any other folder", () => {
    expect(cycles([...graph.keys()])).toEqual([]);
  });

  it("reads every form of import: type-only, multi-line, re-export, side effect, require", () => {
    const text =
      'import type { A } from "./model";\nimport {\n  b,\n  c,\n} from "./names";\nexport { d } from "./tiers";\nimport "./regions";\nconst e = require("./defaults");\n';
    expect(specifiersOf(text)).toEqual(["./model", "./names", "./tiers", "./regions", "./defaults"]);
  });

  it("finds a circle and an upward import when there is one (the check is really checking)", () => {
    graph.set("config/a.ts", ["config/b.ts"]);
    graph.set("config/b.ts", ["config/a.ts", "stacks/app-stack.ts"]);
    try {
      expect(cycles([...graph.keys()])).toEqual([["config/a.ts", "config/b.ts"]]);
      expect(layerOf("stacks/app-stack.ts")).toBeGreaterThan(layerOf("config/b.ts"));
    } finally {
      graph.delete("config/a.ts");
      graph.delete("config/b.ts");
    }
  });
});

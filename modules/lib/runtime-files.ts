import * as fs from "fs";
import * as path from "path";

/**
 * The folder of the code that runs in AWS (the instances' boot, the health responder, the traffic
 * switch, the site invalidation): real files, linted and tested on their own (docs/tests.md), read
 * at synth into the user data or a buildspec.
 */
export const RUNTIME_DIR = path.join(__dirname, "..", "..", "runtime");

/** A file of runtime/, as it ships. */
export function runtimeFile(name: string): string {
  return fs.readFileSync(path.join(RUNTIME_DIR, name), "utf8");
}

/**
 * A template of runtime/ with its `@NAME@` fields filled and its `##` lines (notes for the reader
 * of the template) dropped. Every field must be given and every value used: a field left in the
 * output, or a value the template no longer takes, fails the synth.
 */
export function fillTemplate(name: string, values: Readonly<Record<string, string>>): string {
  const template = runtimeFile(name)
    .split("\n")
    .filter((line) => !line.startsWith("##"))
    .join("\n");
  const unused = Object.keys(values).filter((field) => !template.includes(`@${field}@`));
  if (unused.length) throw new Error(`runtime/${name} has no field ${unused.map((f) => `@${f}@`).join(", ")}`);
  const filled = template.replace(/@([A-Z_]+)@/g, (whole, field: string) => values[field] ?? whole);
  const left = [...new Set([...filled.matchAll(/@([A-Z_]+)@/g)].map((m) => m[0]))];
  if (left.length) throw new Error(`runtime/${name}: no value for ${left.join(", ")}`);
  return filled;
}

/**
 * A shell script of runtime/ as a buildspec's commands: one command per line that is not a comment,
 * blank, or the strict-mode line (CodeBuild stops a phase at the first command that fails).
 */
export function runtimeCommands(name: string): string[] {
  return runtimeFile(name)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#") && line !== "set -euo pipefail");
}

/**
 * A node script of runtime/ without its comments and blank lines, to embed in a buildspec: what
 * runs is the file as tested, less what only its reader needs.
 */
export function compactScript(name: string): string {
  return runtimeFile(name)
    .replace(/\/\*\*[\s\S]*?\*\//g, "")
    .split("\n")
    .filter((line) => !/^\s*\/\/.*$/.test(line) && line.trim() !== "")
    .join("\n");
}

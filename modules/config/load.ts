import * as fs from "fs";
import * as path from "path";
import { ProjectError } from "../lib/errors";
import { validateConfig, type Config, type EnvironmentSource, type ProjectSource } from "./resolve";

/** The project-wide settings file; other files starting with "_" are not environments either. */
export const PROJECT_FILE = "_project.ts";

function readDefaultExport(file: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as { default?: unknown };
  return mod.default;
}

function source(dir: string, fileName: string): { file: string; input: unknown } {
  const file = path.join(path.basename(dir), fileName);
  const input = readDefaultExport(path.resolve(dir, fileName));
  return { file, input };
}

/**
 * Reads `<dir>/_project.ts` and every `<dir>/<name>.ts` (one environment each, named by its file)
 * and validates them together.
 * @throws ConfigError naming each bad file, field and value.
 */
export function loadConfig(dir: string): Config {
  const entries = fs.readdirSync(dir).sort();
  if (!entries.includes(PROJECT_FILE)) {
    throw new ProjectError(
      `${path.join(dir, PROJECT_FILE)} is missing: it holds the project-wide settings (see README.md, "Configuration reference").`,
    );
  }
  const project: ProjectSource = source(dir, PROJECT_FILE);
  const environments: EnvironmentSource[] = entries
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("_"))
    .map((f) => ({ name: f.slice(0, -".ts".length), ...source(dir, f) }));
  return validateConfig(project, environments);
}

import * as fs from "fs";
import * as path from "path";
import { ProjectError } from "../lib/errors";
import { resolveEnvironment, resolveProject, validateConfig, zodProblems } from "./resolve";
import { ConfigError, type Config, type ConfigProblem, type EnvironmentSource, type ProjectConfig, type ProjectSource } from "./model";
import {
  PreviewEntrySchema,
  PREVIEW_NAME_PREFIX,
  PREVIEWS_FILE,
  PreviewsInputSchema,
  previewSource,
  registryProblems,
  type PreviewEntry,
  type PreviewsConfig,
} from "./previews";

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

/** Where previews are registered, for messages: the registry's folder or bucket. */
export interface PreviewsToLoad {
  readonly entries: readonly PreviewEntry[];
  readonly registry: string;
}

/**
 * The preview template, checked as a whole and as an environment (the same rules as an
 * environment file's, on a placeholder preview), or the problems that stop it.
 */
function previewTemplate(dir: string, project: ProjectConfig | undefined): { template?: PreviewsConfig; problems: ConfigProblem[] } {
  const { file, input } = source(dir, PREVIEWS_FILE);
  if (input === undefined) {
    return {
      problems: [
        { file, field: "(file)", value: undefined, message: "has no default export: write `export default definePreviews({ ... })`" },
      ],
    };
  }
  const parsed = PreviewsInputSchema.safeParse(input);
  if (!parsed.success) return { problems: zodProblems(file, input, parsed.error) };
  const template: PreviewsConfig = { file, ...parsed.data };
  const placeholder = { name: `${PREVIEW_NAME_PREFIX}000000`, branch: "preview/template", createdAt: "", expiresOn: "2000-01-01" };
  const asEnvironment = resolveEnvironment(previewSource(template, placeholder, Object.keys(project?.staticSites ?? {})), project);
  const problems = asEnvironment.problems.map((p) => ({ ...p, file, field: `environment.${p.field}` }));
  // A preview is registered after build and the accounts' bootstraps were deployed: neither grants it.
  const accountId = template.environment.accountId;
  if (project && accountId !== undefined && accountId !== project.accountId) {
    problems.push({
      file,
      field: "environment.accountId",
      value: accountId,
      message: `names another account than the tooling account: previews run in the tooling account (${project.accountId}), which build's grants and no account's bootstrap need to know of; remove it`,
    });
  }
  return problems.length ? { problems } : { template, problems };
}

/**
 * Reads `<dir>/_project.ts`, every `<dir>/<name>.ts` (one environment each, named by its file),
 * the preview template `<dir>/_previews.ts` when there is one, and the previews registered (one
 * environment each, from the template), and validates them together.
 * @throws ConfigError naming each bad file, field and value.
 */
export function loadConfig(dir: string, previews: PreviewsToLoad = { entries: [], registry: "" }): Config {
  const entries = fs.readdirSync(dir).sort();
  if (!entries.includes(PROJECT_FILE)) {
    throw new ProjectError(
      `${path.join(dir, PROJECT_FILE)} is missing: it holds the project-wide settings (see docs/configuration.md, "Configuration reference").`,
    );
  }
  const project: ProjectSource = source(dir, PROJECT_FILE);
  const files: EnvironmentSource[] = entries
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("_"))
    .map((f) => ({ name: f.slice(0, -".ts".length), ...source(dir, f) }));
  const projectConfig = resolveProject(project).config;
  const problems: ConfigProblem[] = files
    .filter((f) => f.name.startsWith(PREVIEW_NAME_PREFIX))
    .map((f) => ({
      file: f.file,
      field: "(file name)",
      value: f.name,
      message: `names starting with "${PREVIEW_NAME_PREFIX}" are kept for preview environments (npm run preview): rename the file`,
    }));
  let template: PreviewsConfig | undefined;
  if (entries.includes(PREVIEWS_FILE)) {
    const checked = previewTemplate(dir, projectConfig);
    template = checked.template;
    problems.push(...checked.problems);
  } else if (previews.entries.length) {
    problems.push({
      file: path.join(path.basename(dir), PREVIEWS_FILE),
      field: "(file)",
      value: undefined,
      message: `is missing, but ${previews.registry} registers ${previews.entries.length} preview(s): restore the template (npm run preview needs it to destroy them too)`,
    });
  }
  if (projectConfig) problems.push(...registryProblems(projectConfig.appName, previews.entries, previews.registry));
  const sites = Object.keys(projectConfig?.staticSites ?? {});
  const previewSources = template ? previews.entries.map((e) => previewSource(template!, e, sites)) : [];
  const config = validateConfig(project, [...files, ...previewSources], problems);
  const byName = new Map(previews.entries.map((e) => [e.name, e]));
  return {
    ...config,
    previews: template,
    environments: config.environments.map((e) => (byName.has(e.name) ? { ...e, preview: byName.get(e.name) } : e)),
  };
}

// ---------------------------------------------------------------------------------------------
// The registry of previews, as a local folder (scripts/preview/registry.ts)
// ---------------------------------------------------------------------------------------------

/** An entry as stored, checked; `where` names it in the error. @throws ConfigError */
export function parsePreviewEntry(text: string, where: string): PreviewEntry {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = PreviewEntrySchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError([
      {
        file: where,
        field: "(entry)",
        value: undefined,
        message: `is not a preview entry (${parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`).join("; ")}); remove it, then destroy the preview's stack by hand if it exists`,
      },
    ]);
  }
  return parsed.data;
}

/** The entries in a local folder (none when it does not exist). Synchronous: a synth reads it. @throws ConfigError */
export function readLocalEntries(dir: string): PreviewEntry[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => parsePreviewEntry(fs.readFileSync(path.join(dir, f), "utf8"), path.join(path.basename(dir), f)))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The folder of registered previews that a synth reads: .previews/ at the project's root. */
export const PREVIEWS_DIR = ".previews";

/** The previews registered in `<root>/.previews/`, to pass to loadConfig. @throws ConfigError */
export function localPreviews(root: string): PreviewsToLoad {
  return { entries: readLocalEntries(path.join(root, PREVIEWS_DIR)), registry: `${PREVIEWS_DIR}/` };
}

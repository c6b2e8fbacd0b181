/**
 * Preview environments: short-lived development environments, one per branch, created by `npm run
 * preview` (scripts/preview.ts) from the template environments/_previews.ts, with no file committed.
 * The registry (a JSON entry per preview, scripts/preview/registry.ts) says which exist; each entry
 * becomes one environment named from its branch, with its own stack app-<name> and state key.
 */
import { createHash } from "crypto";
import { z } from "zod";
import { EnvironmentInputSchema, type EnvironmentInput } from "./schema";
import { ARTIFACT_PREFIX_LENGTH, MAX_ENVIRONMENT_PREFIX_LENGTH, defaultBranch } from "./names";
import { isGitBranchName } from "../lib/validators";
import { ProjectError } from "../lib/errors";
import type { ConfigProblem, EnvironmentSource, PreviewEntry, PreviewsConfig } from "./model";

export type { PreviewEntry, PreviewsConfig } from "./model";

/** The template file, beside the environments; files starting with "_" are not environments. */
export const PREVIEWS_FILE = "_previews.ts";

/** Every preview's name starts with this; environment files may not. */
export const PREVIEW_NAME_PREFIX = "pv-";

/** Characters of the branch's hash in a preview's name: it keeps names distinct when slugs are alike. */
const HASH_LENGTH = 6;

/**
 * The longest preview name: CodePipeline keeps the first 20 characters of a pipeline name as its
 * artifact prefix (names.ts), and a preview's pipelines are `<name>-<workload...>`: with at most 18
 * characters, each pipeline's prefix holds its name, the hyphen and at least one character of
 * what follows, so the service's and each site's prefixes stay apart.
 */
export const MAX_PREVIEW_NAME_LENGTH = ARTIFACT_PREFIX_LENGTH - 2;

/** Tags every resource of a preview carries (with the project's and the stack's). */
export const PREVIEW_TAGS = { name: "Preview", expiresOn: "ExpiresOn" } as const;

export const PreviewsInputSchema = z.strictObject({
  /** How many previews may exist at once; `npm run preview -- create` refuses more. */
  maxPreviews: z.number().int("must be a whole number").min(1).max(20),
  /** Days a preview lives after it is created or last updated; then the scheduled workflow destroys it. */
  ttlDays: z.number().int("must be a whole number").min(1).max(30),
  /**
   * Whether previews serve the project's static sites too. A site's pipeline watches the preview's
   * branch name in the site's own repository, where a feature branch of the service rarely exists.
   * @default false - the service only
   */
  staticSites: z.boolean().optional(),
  /**
   * What every preview is: an environment file's fields, in the development tier. The branch and
   * trigger are the preview's own branch; tags Preview and ExpiresOn are added.
   */
  environment: EnvironmentInputSchema.refine((e) => e.tier === "development", {
    message: 'previews are development environments: set tier: "development"',
    path: ["tier"],
  })
    .refine((e) => e.pipeline?.branch === undefined && e.pipeline?.triggerBranches === undefined, {
      message: "a preview's pipeline follows its own branch: remove pipeline.branch and pipeline.triggerBranches",
      path: ["pipeline"],
    })
    .refine((e) => !Object.keys(e.tags ?? {}).some((k) => Object.values<string>(PREVIEW_TAGS).includes(k)), {
      message: `${Object.values(PREVIEW_TAGS).join(" and ")} are set on every preview: remove them from tags`,
      path: ["tags"],
    }),
});
export type PreviewsInput = z.input<typeof PreviewsInputSchema>;

export const PreviewEntrySchema = z.strictObject({
  // Checked before the name is used in a file or stack name; registryProblems then checks that it is its branch's.
  name: z
    .string()
    .regex(
      new RegExp(`^${PREVIEW_NAME_PREFIX}[a-f0-9]{${HASH_LENGTH}}(-[a-z0-9-]*[a-z0-9])?$`),
      "is not a preview name (pv-<hash>-<slug>)",
    ),
  branch: z.string().min(1),
  createdAt: z.iso.datetime(),
  expiresOn: z.iso.date(),
});

/** Thrown when a branch cannot have a preview, or the registry refuses one; the message says why. */
export class PreviewError extends ProjectError {}

/**
 * Why a branch cannot have a preview, or undefined when it can. Its name becomes the pipeline's
 * source branch and trigger filter, where a character outside letters, digits and `._/-` either
 * is not allowed or is read as a pattern (CodePipeline user guide, "Filter triggers on code push
 * or pull requests": `*`, `?`, `[]`, `{}` and `!` are glob syntax).
 */
export function previewBranchProblem(branch: string): string | undefined {
  if (branch.length === 0) return "the branch name is empty";
  if (branch.length > 255) return `it is ${branch.length} characters long; CodePipeline takes branch names of at most 255`;
  const odd = [...new Set(branch.replace(/[A-Za-z0-9._/-]/g, ""))];
  if (odd.length) {
    return `it contains ${odd.map((c) => JSON.stringify(c)).join(", ")}: a preview's pipeline triggers on the branch name, where only letters, digits and . _ / - are taken literally`;
  }
  if (!isGitBranchName(branch)) return "it is not a valid git branch name (git check-ref-format)";
  if (branch.startsWith(defaultBranch(""))) {
    return `${defaultBranch("<env>")} branches belong to environments; a preview is for a feature branch`;
  }
  return undefined;
}

/**
 * A preview's environment name, from its branch: `pv-`, six hex characters of the branch's SHA-256,
 * then as much of the branch as fits, lower-cased, each run of other characters a hyphen. It fits
 * every name it reaches: `<appName>-<name>` within 32 characters (ALB and target group names),
 * and at most 18 characters (each pipeline's artifact prefix stays its own).
 * @throws PreviewError saying why the branch, or the project's appName, allows no preview.
 */
export function previewName(appName: string, branch: string): string {
  const problem = previewBranchProblem(branch);
  if (problem) throw new PreviewError(`The branch ${JSON.stringify(branch)} cannot have a preview: ${problem}.`);
  const hash = createHash("sha256").update(branch).digest("hex").slice(0, HASH_LENGTH);
  const base = `${PREVIEW_NAME_PREFIX}${hash}`;
  const length = Math.min(MAX_PREVIEW_NAME_LENGTH, MAX_ENVIRONMENT_PREFIX_LENGTH - appName.length - 1);
  if (length < base.length) {
    throw new PreviewError(
      `appName "${appName}" is too long for previews: "${appName}-${base}" would pass the ${MAX_ENVIRONMENT_PREFIX_LENGTH} characters of ALB and target group names; shorten appName to at most ${MAX_ENVIRONMENT_PREFIX_LENGTH - base.length - 1} characters`,
    );
  }
  const slug = branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, Math.max(0, length - base.length - 1))
    .replace(/^-+|-+$/g, "");
  return slug ? `${base}-${slug}` : base;
}

/** The day `days` after `from`, as YYYY-MM-DD (UTC). */
export function expiryDate(from: Date, days: number): string {
  return new Date(from.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Whether a preview is past its expiry on `today` (YYYY-MM-DD): it lives through its expiry day. */
export function isExpired(entry: PreviewEntry, today: string): boolean {
  return entry.expiresOn < today;
}

/** The file name messages give a preview: the template, and which preview. */
export function previewFile(templateFile: string, entry: PreviewEntry): string {
  return `${templateFile} (preview ${entry.name} of branch ${entry.branch})`;
}

/**
 * A preview as an environment source: the template, on the preview's branch, with its tags, and
 * without the project's static sites (`sites`) unless the template serves them.
 */
export function previewSource(template: PreviewsConfig, entry: PreviewEntry, sites: readonly string[]): EnvironmentSource {
  const e = template.environment;
  const workloads = template.staticSites
    ? e.workloads
    : { ...e.workloads, ...Object.fromEntries(sites.map((site) => [site, { ...e.workloads?.[site], enabled: false }])) };
  const input: EnvironmentInput = {
    ...e,
    ...(workloads ? { workloads } : {}),
    pipeline: { ...e.pipeline, branch: entry.branch, triggerBranches: [entry.branch] },
    githubEnvironment: e.githubEnvironment ?? "preview",
    tags: { ...e.tags, [PREVIEW_TAGS.name]: entry.name, [PREVIEW_TAGS.expiresOn]: entry.expiresOn },
  };
  return { name: entry.name, file: previewFile(template.file, entry), input };
}

/** What is wrong with the registry's entries as a whole: names that do not follow from their branch, or repeat. */
export function registryProblems(appName: string, entries: readonly PreviewEntry[], registry: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    let expected: string | undefined;
    try {
      expected = previewName(appName, entry.branch);
    } catch (error) {
      problems.push({ file: registry, field: entry.name, value: entry.branch, message: (error as Error).message });
      continue;
    }
    if (expected !== entry.name) {
      problems.push({
        file: registry,
        field: entry.name,
        value: entry.branch,
        message: `is not the preview name of its branch (${expected}): the entry was edited by hand; destroy the preview and create it again`,
      });
    }
    if (seen.has(entry.name)) {
      problems.push({ file: registry, field: entry.name, value: entry.branch, message: "is registered twice" });
    }
    seen.add(entry.name);
  }
  return problems;
}

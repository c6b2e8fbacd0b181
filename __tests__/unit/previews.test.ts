import * as fs from "fs";
import * as path from "path";
import {
  ConfigError,
  MAX_ENVIRONMENT_PREFIX_LENGTH,
  PreviewError,
  artifactPrefix,
  expiryDate,
  isExpired,
  loadConfig,
  pipelineName,
  previewName,
  sitePipelineName,
  type ConfigProblem,
  type PreviewEntry,
} from "../../modules/config";
import { ENVIRONMENTS_DIR, ROOT } from "../support/helpers";

/** A test's title for a branch: long ones by their length. */
const label = (branch: string) => (branch.length > 40 ? `${branch.slice(0, 12)}... (${branch.length} characters)` : JSON.stringify(branch));

const entry = (branch: string, expiresOn = "2026-12-01"): PreviewEntry => ({
  name: previewName("webapp", branch),
  branch,
  createdAt: "2026-11-23T10:00:00.000Z",
  expiresOn,
});

/** The rules every preview name must follow (modules/config/resolve.ts ENV_NAME, names.ts). */
function expectUsable(name: string, appName = "webapp") {
  expect(name).toMatch(/^pv-[0-9a-f]{6}(-[a-z0-9-]*[a-z0-9])?$/);
  expect(name).not.toContain("--");
  expect(name.length).toBeLessThanOrEqual(18);
  expect(`${appName}-${name}`.length).toBeLessThanOrEqual(MAX_ENVIRONMENT_PREFIX_LENGTH);
}

describe("preview names from branch names", () => {
  const hostile = [
    "feature/Login.Page_v2",
    "UPPER/CASE/BRANCH",
    "a".repeat(255),
    "x",
    "dots.in.the.name",
    "feature/a.b/c.d",
    "___",
    "fix/--double--hyphens--",
    "release/2026.11",
    "users/jane.doe/very/deep/folder/structure/for/a/branch",
  ];

  it.each(hostile.map((b) => [label(b), b]))("%s gives a name valid for every resource it reaches", (_, branch) => {
    expectUsable(previewName("webapp", branch));
  });

  it("is stable for a branch and differs between branches that differ only in case or punctuation", () => {
    const names = ["feature/x", "Feature/X", "feature-x", "feature.x", "feature_x", "feature/x/"]
      .slice(0, 5)
      .map((b) => previewName("webapp", b));
    expect(new Set(names).size).toBe(names.length);
    expect(previewName("webapp", "feature/x")).toBe(previewName("webapp", "feature/x"));
    // The slug is the branch, readable: lower case, each run of other characters one hyphen.
    expect(previewName("webapp", "Feature/Login.Page_v2")).toMatch(/^pv-[0-9a-f]{6}-feature$/);
    expect(previewName("webapp", "a.b")).toMatch(/^pv-[0-9a-f]{6}-a-b$/);
    // Nothing readable: the hash alone.
    expect(previewName("webapp", "___")).toMatch(/^pv-[0-9a-f]{6}$/);
  });

  it("keeps the artifact prefixes of a preview's service and site pipelines apart", () => {
    const name = previewName("webapp", "z".repeat(100));
    expect(artifactPrefix(pipelineName("webapp", name))).not.toBe(artifactPrefix(sitePipelineName("webapp", name, "storefront")));
  });

  it("is what the previews page's example says", () => {
    const readme = fs.readFileSync(path.join(ROOT, "docs", "previews.md"), "utf8");
    expect(readme).toContain(`\`feature/Login.Page_v2\` gives \`${previewName("webapp", "feature/Login.Page_v2")}\``);
  });

  it("shortens the slug for a long appName and still fits 32 characters", () => {
    const appName = "a-long-application-n"; // 20 characters
    const name = previewName(appName, "feature/something");
    expectUsable(name, appName);
    expect(name).toMatch(/^pv-[0-9a-f]{6}-f$/);
  });

  it.each(
    [
      ["", "the branch name is empty"],
      ["b".repeat(256), "it is 256 characters long; CodePipeline takes branch names of at most 255"],
      ["feat/{a,b}", 'it contains "{", ",", "}"'],
      ["feat/!x", 'it contains "!"'],
      ["feat/*", 'it contains "*"'],
      ["feature/ünïcode", 'it contains "ü", "ï"'],
      ["has space", 'it contains " "'],
      ["feat/../x", "it is not a valid git branch name"],
      ["-leading-dash", "it is not a valid git branch name"],
      ["trailing/", "it is not a valid git branch name"],
      ["x.lock", "it is not a valid git branch name"],
      ["deploy/feature", "deploy/<env> branches belong to environments"],
    ].map(([branch, reason]) => [label(branch), branch, reason]),
  )("refuses %s, saying why", (_, branch, reason) => {
    expect(() => previewName("webapp", branch)).toThrow(PreviewError);
    expect(() => previewName("webapp", branch)).toThrow(reason);
  });

  it("refuses every branch when appName leaves no room for a preview name", () => {
    expect(() => previewName("a".repeat(23), "feature/x")).toThrow(
      'appName "aaaaaaaaaaaaaaaaaaaaaaa" is too long for previews: "aaaaaaaaaaaaaaaaaaaaaaa-pv-',
    );
    expect(() => previewName("a".repeat(22), "feature/x")).not.toThrow();
  });
});

describe("expiry", () => {
  it("is ttlDays after creation, and a preview lives through its expiry day", () => {
    expect(expiryDate(new Date("2026-11-23T23:59:00Z"), 7)).toBe("2026-11-30");
    expect(expiryDate(new Date("2026-12-30T10:00:00Z"), 3)).toBe("2027-01-02");
    const e = entry("feature/x", "2026-11-30");
    expect(isExpired(e, "2026-11-30")).toBe(false);
    expect(isExpired(e, "2026-12-01")).toBe(true);
  });
});

const copies: string[] = [];
afterAll(() => copies.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/**
 * A copy of environments/ in which `edit` changed some files, beside it (its files import
 * ../modules/config); the copy is named environments, as messages name the folder.
 */
function environmentsWith(edit: Record<string, (text: string) => string | undefined>): string {
  const parent = fs.mkdtempSync(path.join(ROOT, ".test-"));
  copies.push(parent);
  fs.symlinkSync(path.join(ROOT, "modules"), path.join(parent, "modules"));
  const dir = path.join(parent, "environments");
  fs.cpSync(ENVIRONMENTS_DIR, dir, { recursive: true });
  for (const [file, change] of Object.entries(edit)) {
    const p = path.join(dir, file);
    const text = change(fs.existsSync(p) ? fs.readFileSync(p, "utf8") : "");
    if (text === undefined) fs.rmSync(p);
    else fs.writeFileSync(p, text);
  }
  return dir;
}

function problemsOf(dir: string, entries: PreviewEntry[] = []): ConfigProblem[] {
  try {
    loadConfig(dir, { entries, registry: ".previews/" });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("the configuration was accepted");
}

describe("previews in the configuration", () => {
  it("become development environments on their own branch, tagged with their name and expiry, from the template", () => {
    const config = loadConfig(ENVIRONMENTS_DIR, { entries: [entry("feature/Login.Page_v2")], registry: ".previews/" });
    const preview = config.environments.find((e) => e.preview)!;
    expect(preview.name).toBe(previewName("webapp", "feature/Login.Page_v2"));
    expect(preview.tier).toBe("development");
    expect(preview.pipeline).toMatchObject({
      branch: "feature/Login.Page_v2",
      triggerBranches: ["feature/Login.Page_v2"],
      requireApproval: false,
    });
    expect(preview.tags).toEqual({ Preview: preview.name, ExpiresOn: "2026-12-01" });
    expect(preview.githubEnvironment).toBe("preview");
    expect(preview.staticSites).toEqual([]);
    expect(preview.runtime.secretRecoveryDays).toBe(0);
    expect(preview.file).toBe(`environments/_previews.ts (preview ${preview.name} of branch feature/Login.Page_v2)`);
    expect(config.previews).toMatchObject({ maxPreviews: 5, ttlDays: 7 });
    // The environment files' environments are unchanged and unmarked.
    expect(config.environments.filter((e) => !e.preview).map((e) => e.name)).toEqual(["demo", "dev", "hotfix", "prod", "qa", "staging"]);
  });

  it("serves the project's static sites only when the template says so", () => {
    const dir = environmentsWith({ "_previews.ts": (t) => t.replace("staticSites: false", "staticSites: true") });
    const config = loadConfig(dir, { entries: [entry("feature/x")], registry: ".previews/" });
    expect(config.environments.find((e) => e.preview)!.staticSites.map((s) => s.name)).toEqual(["storefront"]);
  });

  it("refuses a template that is not development, sets the branch, or sets the preview tags", () => {
    const dir = environmentsWith({
      "_previews.ts": (t) =>
        t
          .replace('tier: "development"', 'tier: "production"')
          .replace("compute: {", 'pipeline: { branch: "main" },\n    tags: { ExpiresOn: "never" },\n    compute: {'),
    });
    const problems = problemsOf(dir);
    expect(problems.map((p) => [p.file, p.field])).toEqual(
      expect.arrayContaining([
        ["environments/_previews.ts", "environment.tier"],
        ["environments/_previews.ts", "environment.pipeline"],
        ["environments/_previews.ts", "environment.tags"],
      ]),
    );
    expect(problems.find((p) => p.field === "environment.tier")!.message).toContain(
      'previews are development environments: set tier: "development"',
    );
  });

  it("checks the template's environment with an environment file's rules, naming the template's fields", () => {
    const dir = environmentsWith({
      "_previews.ts": (t) => t.replace("compute: { maxCapacity: 2 }", "compute: { minCapacity: 3, maxCapacity: 2 }"),
    });
    const problems = problemsOf(dir);
    expect(problems).toContainEqual(
      expect.objectContaining({ file: "environments/_previews.ts", field: "environment.compute.minCapacity" }),
    );
  });

  it("refuses a template that names an environment account: previews run in the tooling account", () => {
    const dir = environmentsWith({
      "_previews.ts": (t) => t.replace('tier: "development"', 'tier: "development",\n    accountId: "210987654321"'),
    });
    expect(problemsOf(dir)).toContainEqual(
      expect.objectContaining({
        file: "environments/_previews.ts",
        field: "environment.accountId",
        value: "210987654321",
        message: expect.stringContaining("previews run in the tooling account"),
      }),
    );
  });

  it("refuses an environment file named like a preview", () => {
    const dir = environmentsWith({ "pv-123456-x.ts": () => fs.readFileSync(path.join(ENVIRONMENTS_DIR, "dev.ts"), "utf8") });
    expect(problemsOf(dir)).toContainEqual(
      expect.objectContaining({
        file: "environments/pv-123456-x.ts",
        field: "(file name)",
        message: expect.stringContaining("kept for preview environments"),
      }),
    );
  });

  it("refuses registered previews when the template is gone", () => {
    const dir = environmentsWith({ "_previews.ts": () => undefined });
    expect(loadConfig(dir).previews).toBeUndefined();
    expect(problemsOf(dir, [entry("feature/x")])).toContainEqual(
      expect.objectContaining({
        file: "environments/_previews.ts",
        message: "is missing, but .previews/ registers 1 preview(s): restore the template (npm run preview needs it to destroy them too)",
      }),
    );
  });

  it("refuses a registry entry whose name is not its branch's, or that repeats", () => {
    const edited = { ...entry("feature/x"), name: "pv-000000-feature" };
    expect(problemsOf(ENVIRONMENTS_DIR, [edited])).toContainEqual(
      expect.objectContaining({
        file: ".previews/",
        field: "pv-000000-feature",
        message: expect.stringContaining("is not the preview name of its branch"),
      }),
    );
    expect(problemsOf(ENVIRONMENTS_DIR, [entry("feature/x"), entry("feature/x")])).toContainEqual(
      expect.objectContaining({ message: "is registered twice" }),
    );
  });

  it("refuses a preview whose branch another environment's trigger takes", () => {
    expect(problemsOf(ENVIRONMENTS_DIR, [entry("hotfix/urgent")])).toContainEqual(
      expect.objectContaining({
        file: "environments/hotfix.ts",
        field: "pipeline.triggerBranches",
        message: expect.stringContaining("hotfix/urgent"),
      }),
    );
  });
});

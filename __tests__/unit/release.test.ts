import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { compactScript } from "../../modules/lib/runtime-files";

// Build once, promote (runtime/release.js; docs/pipelines.md, "Build once, promote"): the steps as
// they ship (the compacted program the buildspec decodes), run the way the buildspec runs them
// (node, then the shell sources the variables it exports), against a stand-in `aws` that keeps
// the artifact bucket in a folder. The pipeline's order of these steps is checked by the model
// (__tests__/unit/pipeline-model.test.ts); their project and role by the synth tests.

/* eslint-disable @typescript-eslint/no-require-imports */
const { measure } = require("../../runtime/release.js") as { measure: (a: { name: string; dir: string }[]) => { digest: string } };
/* eslint-enable @typescript-eslint/no-require-imports */

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "release-"));
const bucketRoot = path.join(scratch, "s3");
const bin = path.join(scratch, "bin");
fs.mkdirSync(bucketRoot);
fs.mkdirSync(bin);
fs.copyFileSync(path.join(__dirname, "..", "support", "fake-s3-aws.js"), path.join(bin, "aws"));
fs.chmodSync(path.join(bin, "aws"), 0o755);
const program = path.join(scratch, "release.js");
fs.writeFileSync(program, compactScript("release.js"));

const BUCKET = "webapp-artifacts";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const OTHER_COMMIT = "fedcba9876543210fedcba9876543210fedcba98";

/** A folder with the files given (path: content; a trailing "!" makes the file executable). */
function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(scratch, name);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel.replace(/!$/, ""));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode: rel.endsWith("!") ? 0o755 : 0o644 });
  }
  return dir;
}

/**
 * One step as the buildspec runs it: node, then `. /tmp/release.env`, then the exported variables.
 * Like each CodeBuild build, it gets a fresh copy of its primary input.
 */
function step(input: string, variables: Record<string, string>) {
  const id = Math.random().toString(36).slice(2);
  const cwd = path.join(scratch, `build-${id}`);
  fs.cpSync(input, cwd, { recursive: true });
  const envFile = path.join(scratch, `env-${id}`);
  const r = spawnSync(
    "sh",
    ["-c", `node "${program}" && . "${envFile}" && echo "DIGEST=$ARTIFACT_DIGEST" && echo "ORIGIN=$ARTIFACT_ORIGIN"`],
    {
      cwd,
      encoding: "utf8",
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        FAKE_S3_ROOT: bucketRoot,
        RELEASE_ENV_FILE: envFile,
        BUCKET,
        WORKLOAD: "api",
        INPUTS: "inputs-1",
        ARTIFACTS: "Build",
        COMMIT_ID: COMMIT,
        CODEBUILD_SRC_DIR: cwd,
        ...variables,
      },
    },
  );
  return {
    cwd,
    status: r.status,
    stderr: r.stderr,
    digest: /^DIGEST=(.*)$/m.exec(r.stdout)?.[1],
    origin: /^ORIGIN=(.*)$/m.exec(r.stdout)?.[1],
  };
}
const object = (key: string) => path.join(bucketRoot, BUCKET, key);

describe("runtime/release.js", () => {
  const built = folder("built", { "appspec.yml": "version: 0.0\n", "scripts/start.sh!": "#!/bin/sh\necho start\n", "app/server.js": "x" });
  const sourceDir = () => folder(`source-${Math.random().toString(36).slice(2)}`, { "README.md": "the source" });
  let digest = "";

  it("seals the build: stores it under its digest, and exports the digest and where it was built", () => {
    const r = step(built, { STEP: "seal", ENVIRONMENT: "dev" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    digest = measure([{ name: "Build", dir: built }]).digest;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.digest).toBe(digest);
    expect(r.origin).toBe("built in dev");
    const prefix = `releases/api/${COMMIT}/${digest.slice("sha256:".length)}`;
    expect(fs.existsSync(object(`${prefix}/Build.tgz`))).toBe(true);
    expect(fs.readFileSync(object(`${prefix}/manifest.txt`), "utf8")).toMatch(/ x Build\/scripts\/start\.sh$/m);
  });

  it("records a pass only for what was sealed, and only its own environment's", () => {
    const wrong = step(built, { STEP: "record", ENVIRONMENT: "dev", DIGEST: `sha256:${"0".repeat(64)}` });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain("is not what its build stage handed on");
    expect(fs.existsSync(object(`dev-releases/api/${COMMIT}.json`))).toBe(false);

    const r = step(built, { STEP: "record", ENVIRONMENT: "dev", DIGEST: digest, EXECUTION_ID: "exec-1" });
    expect(r.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(object(`dev-releases/api/${COMMIT}.json`), "utf8"))).toMatchObject({
      commit: COMMIT,
      digest,
      inputs: "inputs-1",
      environment: "dev",
      pipelineExecutionId: "exec-1",
    });
  });

  it("announces a release that passed on the environment's topic, and passes even when the notice cannot be sent", () => {
    const topic = "arn:aws:sns:eu-west-1:123456789012:webapp-dev-alerts";
    const announce = {
      STEP: "record",
      ENVIRONMENT: "dev",
      DIGEST: digest,
      ORIGIN: "built in dev",
      EXECUTION_ID: "exec-2",
      TOPIC_ARN: topic,
    };
    const r = step(built, announce);
    expect(r.status).toBe(0);
    const [published] = fs
      .readFileSync(path.join(bucketRoot, "sns.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(published).toEqual([
      "--topic-arn",
      topic,
      "--subject",
      "Released api to dev",
      "--message",
      `api at commit ${COMMIT} passed dev: artifact ${digest} (built in dev). Pipeline execution exec-2.`,
    ]);
    const failing = step(built, { ...announce, FAKE_SNS_FAILS: "1" });
    expect(failing.status).toBe(0);
    expect(failing.digest).toBe(digest);
  });

  it("promotes the very files that passed: same digest, same bytes, scripts still executable", () => {
    const r = step(sourceDir(), { STEP: "promote", ENVIRONMENT: "qa", FROM: "staging,dev" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.digest).toBe(digest);
    expect(r.origin).toBe("passed dev");
    const out = path.join(r.cwd, ".release", "Build");
    expect(measure([{ name: "Build", dir: out }]).digest).toBe(digest);
    expect(fs.readFileSync(path.join(out, "app", "server.js"), "utf8")).toBe("x");
    expect(fs.statSync(path.join(out, "scripts", "start.sh")).mode & 0o111).not.toBe(0);
    // Nothing of the source goes into the artifact handed on.
    expect(fs.existsSync(path.join(out, "README.md"))).toBe(false);
  });

  it("lets a workload that is built again (pipeline.rebuild) build only a commit that passed, whatever its artifact there", () => {
    // Other inputs than dev's: a site that bakes its settings is built again, but only from a commit that passed.
    const passed = step(sourceDir(), { STEP: "verify", ENVIRONMENT: "prod", FROM: "staging,dev", INPUTS: "inputs-9" });
    expect(passed.stderr).toBe("");
    expect(passed.status).toBe(0);
    const refused = step(sourceDir(), { STEP: "verify", ENVIRONMENT: "prod", FROM: "staging,dev", COMMIT_ID: OTHER_COMMIT });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      `commit ${OTHER_COMMIT} of api has not passed staging or dev: prod builds only a commit that passed there`,
    );
  });

  it("refuses a commit that has not passed an environment it promotes from, naming the way there", () => {
    const r = step(sourceDir(), { STEP: "promote", ENVIRONMENT: "prod", FROM: "staging,hotfix", COMMIT_ID: OTHER_COMMIT });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`commit ${OTHER_COMMIT} of api has not passed staging or hotfix`);
    expect(r.stderr).toContain(`npm run promote -- ${OTHER_COMMIT} staging`);
    expect(r.digest).toBeUndefined();
  });

  it("refuses a release built with other inputs than this environment's build would take", () => {
    const r = step(sourceDir(), { STEP: "promote", ENVIRONMENT: "qa", FROM: "dev", INPUTS: "inputs-2" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("built with other inputs (inputs-1) than qa gives its build (inputs-2)");
  });

  it("takes, in order, the first environment whose release was built with this one's inputs", () => {
    // qa's record of the commit was made with other inputs; dev's matches: promoting from qa, then dev, takes dev's.
    fs.mkdirSync(path.dirname(object(`qa-releases/api/${COMMIT}.json`)), { recursive: true });
    fs.writeFileSync(object(`qa-releases/api/${COMMIT}.json`), JSON.stringify({ environment: "qa", digest, inputs: "inputs-2" }));
    try {
      const r = step(sourceDir(), { STEP: "promote", ENVIRONMENT: "staging", FROM: "qa,dev" });
      expect(r.stderr).toBe("");
      expect(r.origin).toBe("passed dev");
      expect(step(sourceDir(), { STEP: "promote", ENVIRONMENT: "staging", FROM: "qa" }).stderr).toContain(
        "passed qa built with other inputs",
      );
    } finally {
      fs.rmSync(object(`qa-releases/api/${COMMIT}.json`));
    }
  });

  it("refuses a stored release that no longer matches the digest that passed", () => {
    const archive = object(`releases/api/${COMMIT}/${digest.slice("sha256:".length)}/Build.tgz`);
    const saved = fs.readFileSync(archive);
    try {
      const tampered = folder("tampered", {
        "appspec.yml": "version: 0.0\n",
        "scripts/start.sh!": "#!/bin/sh\ncurl evil\n",
        "app/server.js": "x",
      });
      expect(spawnSync("tar", ["-czf", archive, "-C", tampered, "."]).status).toBe(0);
      const r = step(sourceDir(), { STEP: "promote", ENVIRONMENT: "qa", FROM: "dev" });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`not the ${digest} that passed dev: it changed after it was recorded`);
    } finally {
      fs.writeFileSync(archive, saved);
    }
  });

  it("carries a site's two artifacts, assets and pages, each measured", () => {
    const assets = folder("assets", { "app.3f2a.js": "js" });
    const pages = folder("pages", { "index.html": "<html>" });
    const site = { WORKLOAD: "storefront", ARTIFACTS: "Assets,Pages", CODEBUILD_SRC_DIR_Assets: assets };
    const sealed = step(pages, { ...site, STEP: "seal", ENVIRONMENT: "hotfix" });
    expect(sealed.status).toBe(0);
    const both = measure([
      { name: "Assets", dir: assets },
      { name: "Pages", dir: pages },
    ]).digest;
    expect(sealed.digest).toBe(both);
    // The pages alone measure otherwise: the digest covers both.
    expect(measure([{ name: "Pages", dir: pages }]).digest).not.toBe(both);
    expect(step(pages, { ...site, STEP: "record", ENVIRONMENT: "hotfix", DIGEST: both }).status).toBe(0);
    const promoted = step(sourceDir(), {
      WORKLOAD: "storefront",
      ARTIFACTS: "Assets,Pages",
      STEP: "promote",
      ENVIRONMENT: "prod",
      FROM: "staging,hotfix",
    });
    expect(promoted.status).toBe(0);
    expect(promoted.origin).toBe("passed hotfix");
    expect(fs.readFileSync(path.join(promoted.cwd, ".release", "Assets", "app.3f2a.js"), "utf8")).toBe("js");
    expect(fs.readFileSync(path.join(promoted.cwd, ".release", "Pages", "index.html"), "utf8")).toBe("<html>");
  });

  it("refuses an unknown step, a commit id that is not one, and an empty artifact", () => {
    expect(step(sourceDir(), { STEP: "deploy", ENVIRONMENT: "dev" }).stderr).toContain(
      'STEP "deploy" is not one of seal, record, promote, verify',
    );
    expect(step(built, { STEP: "seal", ENVIRONMENT: "dev", COMMIT_ID: "../../prod-releases" }).stderr).toContain("is not a commit id");
    const empty = path.join(scratch, "empty");
    fs.mkdirSync(empty);
    const r = step(empty, { STEP: "seal", ENVIRONMENT: "dev" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the artifact Build is empty");
  });
});

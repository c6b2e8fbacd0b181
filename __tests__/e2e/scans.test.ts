import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { codeBuild, type Build } from "../support/rehearsal";
import { resourceAt, shippedConfig, synthAll, type Json } from "../support/helpers";
import { SCAN_TOOLKIT_PREFIX, scanToolkitVersion } from "../../modules/constructs/scan-project";
import { deliveryStages, pipelineProblems } from "../../modules/lib/pipeline-stages";
import { SCAN_ACTIONS } from "../../modules/lib/scans";
import { DEPLOY_STAGE } from "../../modules/lib/validators";

// Rehearsal of the scans (docs/pipelines.md, "Scans"): the scan project's own buildspec, as
// synthesized, run the way CodeBuild runs it (phases in order, the first failure ends the build),
// with the toolkit served from the S3 objects the build stack uploads. The tools are the real
// ones, installed by the buildspec's `npm ci` from npm's registry. npm's advisory endpoint does not
// answer on this machine (405), so a local registry answers the audit with a recorded advisory:
// what is proven is npm audit's reading of the lockfile and the scan's threshold, not the
// advisory database's content.

const APP = path.join(__dirname, "..", "..", "examples", "sample-app");
const config = shippedConfig();
const build = synthAll(config).build;
const project: Json = resourceAt(build, "aws_codebuild_project", "scan_project");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "scans-"));
const toolkit = path.join(scratch, "toolkit");
/** Terraform's reference to the artifact bucket's name, as apply would resolve it. */
const resolveBucket = (text: string) =>
  text.replace(/\$\{aws_s3_bucket\.([a-z_]+)\.bucket\}/g, (_, id: string) => resourceAt(build, "aws_s3_bucket", id).bucket);
// The buildspec, with the toolkit's folder in this rehearsal's scratch space.
const buildspec: Json = JSON.parse(resolveBucket(project.source.buildspec).replaceAll("/tmp/scan-toolkit", toolkit));

/** A stand-in `aws` that copies an S3 prefix from the build stack's objects, as `aws s3 cp --recursive` does. */
function fakeS3Cli(dir: string): string {
  const objects = Object.values<Json>(build.resource.aws_s3_object).map((o) => ({
    bucket: resolveBucket(o.bucket),
    key: o.key,
    content: Buffer.from(o.content_base64, "base64").toString(),
  }));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "objects.json"), JSON.stringify(objects));
  fs.writeFileSync(
    path.join(dir, "aws"),
    `#!/usr/bin/env node
const fs = require("fs"), path = require("path");
const [service, verb, ...rest] = process.argv.slice(2);
const [from, to] = rest.filter((a) => !a.startsWith("--"));
if (service !== "s3" || verb !== "cp" || !rest.includes("--recursive") || !from.startsWith("s3://")) { console.error("unsupported: " + process.argv.slice(2).join(" ")); process.exit(252); }
const objects = JSON.parse(fs.readFileSync(${JSON.stringify(path.join(dir, "objects.json"))}, "utf8"));
const prefix = from.slice("s3://".length);
const found = objects.filter((o) => (o.bucket + "/" + o.key).startsWith(prefix));
if (!found.length) { console.error("no object under " + from); process.exit(1); }
for (const o of found) { const file = path.join(to, (o.bucket + "/" + o.key).slice(prefix.length)); fs.mkdirSync(path.dirname(file), { recursive: true }); fs.writeFileSync(file, o.content); }
`,
    { mode: 0o755 },
  );
  return dir;
}
const bin = fakeS3Cli(path.join(scratch, "bin"));

/** The recorded advisory the local registry answers for left-pad (the vulnerable project's one dependency). */
const ADVISORY = {
  "left-pad": [
    {
      id: 1,
      url: "https://github.com/advisories/GHSA-rehearsal",
      title: "Rehearsal advisory",
      severity: "high",
      vulnerable_versions: "<1.4.0",
      cwe: [],
      cvss: { score: 7.5, vectorString: null },
    },
  ],
};
const REGISTRY_SERVER = `const http = require("http"), zlib = require("zlib");
const advisories = ${JSON.stringify(ADVISORY)};
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    let body = Buffer.concat(chunks);
    if (req.headers["content-encoding"] === "gzip") body = zlib.gunzipSync(body);
    if (req.method === "POST" && req.url.endsWith("/-/npm/v1/security/advisories/bulk")) {
      const asked = JSON.parse(body.toString() || "{}");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(Object.fromEntries(Object.keys(asked).filter((n) => advisories[n]).map((n) => [n, advisories[n]]))));
    } else {
      res.writeHead(404, { "content-type": "application/json" });
      res.end("{}");
    }
  });
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

let registry: ChildProcess;
let registryUrl: string;
let install: { status: number | null; output: string };

beforeAll(async () => {
  // The install phase, once (npm ci takes ~15 s): each scan below runs the build phase against it.
  const r = spawnSync("bash", ["-e", "-c", buildspec.phases.install.commands.join("\n")], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    encoding: "utf8",
  });
  install = { status: r.status, output: `${r.stdout}${r.stderr}` };
  fs.writeFileSync(path.join(scratch, "registry.js"), REGISTRY_SERVER);
  registry = spawn(process.execPath, [path.join(scratch, "registry.js")], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve) => registry.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim())));
  registryUrl = `http://127.0.0.1:${port}/`;
}, 120_000);

afterAll(() => {
  registry?.kill();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** One scan action: the scan project's build and post-build phases on a copy of `appDir`, as the pipeline passes SCAN and FAIL_ON. */
function scan(scanKind: string, failOn: string, breakSource?: (dir: string) => void, appDir = APP): Build {
  const spec = { ...buildspec, phases: { build: buildspec.phases.build } };
  return codeBuild({
    appDir,
    buildspec: spec,
    scratch,
    env: {
      SCAN: scanKind,
      FAIL_ON: failOn,
      PATH: `${bin}:${process.env.PATH}`,
      npm_config_registry: registryUrl,
      npm_config_cache: path.join(scratch, "npm-cache"),
    },
    breakSource,
  });
}
const report = (b: Build, scanKind: string) =>
  fs.readFileSync(path.join(b.source, buildspec.reports.findings["base-directory"], `${scanKind}.xml`), "utf8");
const summary = (b: Build) => JSON.parse(fs.readFileSync(path.join(b.artifacts.primary, "summary.json"), "utf8"));

const AWS_KEY_LINE = 'const aws_secret_access_key = "Tf3qX9vLm2Kp8Rw4Zn6Yb1Hc5Jd7Ge0Sa3Uo8Ii2";\n';

describe("the scan project's buildspec, rehearsed", () => {
  it("installs the toolkit the build stack uploads, from its lockfile, without install scripts", () => {
    expect({ status: install.status, output: install.output }).toEqual({ status: 0, output: expect.not.stringMatching(/npm (error|ERR)/) });
    expect(buildspec.phases.install.commands[0]).toContain(`/${SCAN_TOOLKIT_PREFIX}/${scanToolkitVersion()}/`);
    expect(buildspec.phases.install.commands[1]).toContain("npm ci");
    expect(buildspec.phases.install.commands[1]).toContain("--ignore-scripts");
    for (const tool of ["secretlint", "eslint"]) expect(fs.existsSync(path.join(toolkit, "node_modules", ".bin", tool))).toBe(true);
  });

  it.each(["secrets", "dependencies", "code"])("passes the sample app's %s scan at production's threshold, with a JUnit report", (kind) => {
    const failOn = config.environments.find((e) => e.tier === "production")!.scans[kind as "secrets"];
    const b = scan(kind, failOn);
    expect(b.output).toContain(`${kind}: `);
    expect(b.ok).toBe(true);
    expect(report(b, kind)).toMatch(new RegExp(`<testsuite name="${kind}" tests="\\d+" failures="0"`));
    expect(summary(b)).toMatchObject({ scan: kind, failOn, blocking: 0 });
  });

  it("keeps the SBOM of what ships, as CycloneDX, in the dependency scan's artifact", () => {
    const b = scan("dependencies", "high");
    const sbom = JSON.parse(fs.readFileSync(path.join(b.artifacts.primary, "sbom.cdx.json"), "utf8"));
    expect(sbom).toMatchObject({ bomFormat: "CycloneDX", specVersion: "1.5" });
    expect(sbom.metadata.component.version).toBe(JSON.parse(fs.readFileSync(path.join(APP, "package.json"), "utf8")).version);
  });

  it("fails the build on a committed secret, so the release stops there; warn reports it and passes", () => {
    const plant = (dir: string) => fs.writeFileSync(path.join(dir, "src", "config.js"), AWS_KEY_LINE);
    const blocked = scan("secrets", "critical", plant);
    expect(blocked.ok).toBe(false);
    expect(blocked.failedPhase).toBe("build");
    expect(blocked.output).toMatch(/BLOCKS critical +@secretlint\/secretlint-rule-aws src\/config\.js:1/);
    // The secret itself is masked in the log and the report.
    expect(blocked.output).not.toContain("Tf3qX9vLm2Kp8Rw4Zn6Yb1Hc5Jd7Ge0Sa3Uo8Ii2");
    expect(report(blocked, "secrets")).toMatch(/<failure message="critical: found AWS Secret Access Key/);

    const warned = scan("secrets", "warn", plant);
    expect(warned.ok).toBe(true);
    expect(report(warned, "secrets")).toContain('<skipped message="critical, below the threshold (warn)"/>');
  });

  it("passes the code scan of a source without JavaScript (nothing to analyse is no finding)", () => {
    const b = scan("code", "high", (dir) => {
      for (const sub of ["src", "test", "tools", "scripts"]) fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
    });
    expect(b.output).toContain("code: 0 finding(s)");
    expect(b.ok).toBe(true);
  });

  it("fails the code scan on eval of an expression (high) at high, not at critical", () => {
    const plant = (dir: string) => fs.appendFileSync(path.join(dir, "src", "app.js"), "\nmodule.exports.run = (x) => eval(x);\n");
    const blocked = scan("code", "high", plant);
    expect(blocked.ok).toBe(false);
    expect(blocked.output).toMatch(/BLOCKS high +security\/detect-eval-with-expression src\/app\.js:\d+/);
    expect(scan("code", "critical", plant).ok).toBe(true);
  });

  describe("a dependency with a high advisory", () => {
    const vulnerable = path.join(scratch, "vulnerable");
    beforeAll(() => {
      fs.mkdirSync(vulnerable);
      fs.writeFileSync(
        path.join(vulnerable, "package.json"),
        JSON.stringify({ name: "vulnerable", version: "1.0.0", dependencies: { "left-pad": "1.3.0" } }),
      );
      fs.writeFileSync(
        path.join(vulnerable, "package-lock.json"),
        JSON.stringify({
          name: "vulnerable",
          version: "1.0.0",
          lockfileVersion: 3,
          requires: true,
          packages: {
            "": { name: "vulnerable", version: "1.0.0", dependencies: { "left-pad": "1.3.0" } },
            "node_modules/left-pad": {
              version: "1.3.0",
              resolved: "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
              integrity: "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQ9ZC6gBz4o2xBOAZNHlcLbgJUjxd2JRKHWIAETTYebh1vQHiQ==",
            },
          },
        }),
      );
    });

    it("fails the build at high, and passes at critical with the finding reported as skipped", () => {
      const blocked = scan("dependencies", "high", undefined, vulnerable);
      expect(blocked.ok).toBe(false);
      expect(blocked.output).toMatch(/BLOCKS high +left-pad left-pad@<1\.4\.0 Rehearsal advisory/);
      const passed = scan("dependencies", "critical", undefined, vulnerable);
      expect(passed.ok).toBe(true);
      expect(report(passed, "dependencies")).toContain('<skipped message="high, below the threshold (critical)"/>');
    });

    it("stops with what to do when the source has no package-lock.json", () => {
      const b = scan("dependencies", "high", (dir) => fs.rmSync(path.join(dir, "package-lock.json")), vulnerable);
      expect(b.ok).toBe(false);
      expect(b.output).toContain("the dependency scan reads package-lock.json, and the source has none: commit it");
    });
  });
});

describe("a failing scan stops the release", () => {
  // CodePipeline runs a stage's actions, fails the stage when one fails, and starts no later stage
  // (CodePipeline user guide, "How pipeline executions work": a failed stage stops the execution).
  // The scans are actions of the build stage, so a failed scan means no approval and no deploy.
  const stages = deliveryStages({
    environment: "prod",
    workload: "webapp",
    repository: "o/r",
    branch: "deploy/prod",
    connectionArn: "c",
    buildProjectName: "b",
    scans: { projectName: "webapp-scan", settings: { secrets: "critical", dependencies: "high", code: "high" } },
    approval: { topicArn: "t" },
    target: { kind: "service", codeDeployApplication: "a", codeDeployGroup: "g" },
  });

  it("runs every scan in the build stage, in parallel with the build, before the approval and the deploy", () => {
    const names = stages.map((s) => s.name);
    const buildStage = stages.find((s) => s.actions.some((a) => a.name === SCAN_ACTIONS.secrets))!;
    expect(buildStage.actions.map((a) => [a.name, a.runOrder ?? 1])).toEqual([
      ["Build", 1],
      [SCAN_ACTIONS.secrets, 1],
      [SCAN_ACTIONS.dependencies, 1],
      [SCAN_ACTIONS.code, 1],
    ]);
    expect(names.indexOf(buildStage.name)).toBeLessThan(names.indexOf("Approve"));
    expect(names.indexOf(buildStage.name)).toBeLessThan(names.indexOf(DEPLOY_STAGE));
    expect(pipelineProblems(stages, { requireApproval: true, requireScans: ["secrets", "dependencies", "code"] })).toEqual([]);
  });

  it("is refused by the pipeline model when a scan runs in the deploy stage or not at all", () => {
    const [source, buildStage, approve, deploy] = stages;
    const scanAction = buildStage.actions.find((a) => a.name === SCAN_ACTIONS.code)!;
    const moved = [
      source,
      { ...buildStage, actions: buildStage.actions.filter((a) => a !== scanAction) },
      approve,
      { ...deploy, actions: [...deploy.actions, scanAction] },
    ];
    expect(pipelineProblems(moved, { requireScans: ["code"] })).toEqual([
      `ScanCode is in stage "${DEPLOY_STAGE}": a scan must run before the first approval or deploy ("Approve")`,
    ]);
    expect(pipelineProblems([source, buildStage, approve, deploy], { requireScans: ["code"] })).toEqual([]);
    const without = [source, { ...buildStage, actions: buildStage.actions.filter((a) => a !== scanAction) }, approve, deploy];
    expect(pipelineProblems(without, { requireScans: ["code"] })).toEqual([
      "the environment scans code, but the pipeline has no ScanCode action",
    ]);
  });
});

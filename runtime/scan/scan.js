#!/usr/bin/env node
/**
 * One scan of an application's source, as a pipeline action runs it (the scan project of the build
 * stack, modules/constructs/scan-project.ts):
 *
 *   node scan.js <secrets|dependencies|code> --fail-on <warn|low|medium|high|critical>
 *                [--source DIR] [--reports DIR] [--output DIR]
 *
 * - secrets: secretlint's recommended rules on every file (a secret is always critical);
 * - dependencies: `npm audit` of package-lock.json (npm's advisory database), and the SBOM of what
 *   ships (`npm sbom`, CycloneDX 1.5, without dev dependencies) written to <output>/sbom.cdx.json;
 * - code: eslint-plugin-security's rules on the JavaScript (severities in SAST_SEVERITY).
 *
 * Every finding becomes a test case of a JUnit report (reports/<scan>.xml, a CodeBuild report):
 * failed at or above --fail-on, skipped below it. The scan exits 1 when one is at or above, so the
 * action, and the pipeline's execution, fail; `warn` reports and never fails. <output>/summary.json
 * counts the findings (the action's output artifact, with the SBOM). The tools come from
 * this folder's package-lock.json (npm ci: each package's version and checksum pinned).
 */
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const LEVELS = ["low", "medium", "high", "critical"];
const SCANS = ["secrets", "dependencies", "code"];
const TOOLKIT = __dirname;
/** @param {string} name */
const bin = (name) => path.join(TOOLKIT, "node_modules", ".bin", name);

/**
 * @typedef {"low" | "medium" | "high" | "critical"} Severity
 * @typedef {{ rule: string, severity: Severity, where: string, message: string }} Finding
 * @typedef {{ scan: string, failOn: string, source: string, reports: string, output: string }} Options
 */

/** eslint-plugin-security's rules by what a finding usually means (its README describes each). @type {Record<string, Severity>} */
const SAST_SEVERITY = {
  "security/detect-eval-with-expression": "high",
  "security/detect-child-process": "high",
  "security/detect-non-literal-require": "high",
  "security/detect-disable-mustache-escape": "high",
  "security/detect-no-csrf-before-method-override": "high",
  "security/detect-bidi-characters": "high",
  "security/detect-pseudoRandomBytes": "medium",
  "security/detect-unsafe-regex": "medium",
  "security/detect-non-literal-regexp": "medium",
  "security/detect-buffer-noassert": "medium",
  "security/detect-new-buffer": "medium",
  "security/detect-possible-timing-attacks": "medium",
  "security/detect-non-literal-fs-filename": "low",
  "security/detect-object-injection": "low",
};

/** npm audit's severities on the scan's scale. */
/** @type {Record<string, Severity>} */
const NPM_SEVERITY = { info: "low", low: "low", moderate: "medium", high: "high", critical: "critical" };

/** @param {string[]} argv @returns {Options} */
function parseArgs(argv) {
  const [scan, ...rest] = argv;
  /** @type {Options} */
  const options = { scan, failOn: "", source: process.cwd(), reports: path.resolve("reports"), output: path.resolve("output") };
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--fail-on") options.failOn = value;
    else if (flag === "--source") options.source = path.resolve(value);
    else if (flag === "--reports") options.reports = path.resolve(value);
    else if (flag === "--output") options.output = path.resolve(value);
    else throw new Error(`unknown option ${flag}`);
  }
  if (!SCANS.includes(scan)) throw new Error(`the scan must be one of ${SCANS.join(", ")} (got ${scan})`);
  if (options.failOn !== "warn" && !LEVELS.includes(options.failOn))
    throw new Error(`--fail-on must be warn or one of ${LEVELS.join(", ")} (got ${options.failOn})`);
  return options;
}

/** Runs a tool; its JSON output, or a clear error when it wrote none. @param {string} command @param {string[]} args @param {string} cwd @returns {any} */
function runJson(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw new Error(`${path.basename(command)} did not run: ${result.error.message}`);
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`${path.basename(command)} exited ${result.status} without a report:\n${result.stderr || result.stdout}`);
  }
}

/** @param {string} source @param {string} file */
const relative = (source, file) => path.relative(source, file) || file;

/** @param {string} source @returns {Finding[]} */
function secrets(source) {
  const results = runJson(
    bin("secretlint"),
    [
      "--format",
      "json",
      "--secretlintrc",
      path.join(TOOLKIT, ".secretlintrc.json"),
      "--secretlintignore",
      path.join(TOOLKIT, ".secretlintignore"),
      "**/*",
    ],
    source,
  );
  return results.flatMap((/** @type {any} */ file) =>
    file.messages.map((/** @type {any} */ m) => ({
      rule: m.ruleId,
      severity: "critical",
      where: `${relative(source, file.filePath)}:${m.loc.start.line}`,
      message: m.message,
    })),
  );
}

/** @param {string} source @returns {Finding[]} */
function code(source) {
  const results = runJson(
    bin("eslint"),
    ["--config", path.join(TOOLKIT, "eslint.config.mjs"), "--format", "json", "--no-warn-ignored", "--no-error-on-unmatched-pattern", "."],
    source,
  );
  return results.flatMap((/** @type {any} */ file) =>
    file.messages.map((/** @type {any} */ m) => ({
      // A file the parser could not read was not analysed: that is a finding too.
      rule: m.ruleId || "parse-error",
      severity: m.ruleId ? SAST_SEVERITY[m.ruleId] || "medium" : "medium",
      where: `${relative(source, file.filePath)}:${m.line || 0}`,
      message: m.message,
    })),
  );
}

/** @param {string} source @param {string} sbom @returns {Finding[]} */
function dependencies(source, sbom) {
  if (!fs.existsSync(path.join(source, "package-lock.json")))
    throw new Error(
      "the dependency scan reads package-lock.json, and the source has none: commit it (npm install writes it), " +
        "or set the environment's scans.dependencies to \"off\" and scan with your ecosystem's tool (docs/pipelines.md)",
    );
  const report = runJson("npm", ["audit", "--json", "--package-lock-only", "--omit", "dev"], source);
  if (report.error) throw new Error(`npm audit failed: ${report.error.summary || JSON.stringify(report.error)}`);
  const bom = spawnSync("npm", ["sbom", "--sbom-format", "cyclonedx", "--package-lock-only", "--omit", "dev"], {
    cwd: source,
    encoding: "utf8",
  });
  if (bom.status !== 0) throw new Error(`npm sbom failed:\n${bom.stderr}`);
  fs.writeFileSync(sbom, bom.stdout);
  return Object.values(report.vulnerabilities || {}).map((/** @type {any} */ v) => ({
    rule: v.name,
    severity: NPM_SEVERITY[v.severity] || "critical",
    // The vulnerable versions: npm's range when it could compute one, else each advisory's.
    where: `${v.name}@${
      v.range ||
      v.via
        .map((/** @type {any} */ via) => via.range)
        .filter(Boolean)
        .join(" ") ||
      "*"
    }`,
    message: v.via.map((/** @type {any} */ via) => (typeof via === "string" ? `through ${via}` : `${via.title} (${via.url})`)).join("; "),
  }));
}

/** @param {unknown} text @returns {string} */
const xml = (text) =>
  String(text).replace(
    /[<>&"]/g,
    (c) => /** @type {Record<string, string>} */ ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c],
  );

/** A finding blocks at or above the threshold; `warn` blocks nothing. */
/** @param {Severity} severity @param {string} failOn */
const blocks = (severity, failOn) => failOn !== "warn" && LEVELS.indexOf(severity) >= LEVELS.indexOf(failOn);

/** The JUnit report: a test case per finding (failed when it blocks, skipped below), or one that passed. */
/** @param {string} scan @param {Finding[]} findings @param {string} failOn */
function junit(scan, findings, failOn) {
  const cases = findings.length
    ? findings.map((f) => {
        const body = blocks(f.severity, failOn)
          ? `<failure message="${xml(`${f.severity}: ${f.message}`)}" type="${xml(f.severity)}"/>`
          : `<skipped message="${xml(`${f.severity}, below the threshold (${failOn})`)}"/>`;
        return `    <testcase classname="${xml(`${scan}.${f.rule}`)}" name="${xml(`${f.where} ${f.message}`)}">${body}</testcase>`;
      })
    : [`    <testcase classname="${scan}" name="no findings"/>`];
  const failures = findings.filter((f) => blocks(f.severity, failOn)).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${scan}" tests="${cases.length}" failures="${failures}">`,
    `  <testsuite name="${scan}" tests="${cases.length}" failures="${failures}" skipped="${findings.length - failures}">`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}

/** @param {string[]} argv @returns {number} */
function main(argv) {
  const options = parseArgs(argv);
  fs.mkdirSync(options.reports, { recursive: true });
  fs.mkdirSync(options.output, { recursive: true });
  const findings =
    options.scan === "secrets"
      ? secrets(options.source)
      : options.scan === "code"
        ? code(options.source)
        : dependencies(options.source, path.join(options.output, "sbom.cdx.json"));
  fs.writeFileSync(path.join(options.reports, `${options.scan}.xml`), junit(options.scan, findings, options.failOn));
  const blocking = findings.filter((f) => blocks(f.severity, options.failOn));
  const bySeverity = Object.fromEntries(LEVELS.map((level) => [level, findings.filter((f) => f.severity === level).length]));
  fs.writeFileSync(
    path.join(options.output, "summary.json"),
    `${JSON.stringify({ scan: options.scan, failOn: options.failOn, findings: bySeverity, blocking: blocking.length }, null, 2)}\n`,
  );
  for (const f of findings)
    console.log(`${blocks(f.severity, options.failOn) ? "BLOCKS" : "warns "} ${f.severity.padEnd(8)} ${f.rule} ${f.where} ${f.message}`);
  console.log(
    `${options.scan}: ${findings.length} finding(s), ${blocking.length} at or above ${options.failOn === "warn" ? "the threshold (none: warn only)" : options.failOn}`,
  );
  return blocking.length ? 1 : 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(`scan: ${/** @type {Error} */ (error).message}`);
    process.exitCode = 2;
  }
}

module.exports = { main, junit, blocks, parseArgs, SAST_SEVERITY };

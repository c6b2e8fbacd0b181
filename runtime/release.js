// @ts-check
"use strict";
/**
 * Build once, promote (docs/pipelines.md, "Build once, promote"). It runs in a workload's release
 * CodeBuild project, one step per pipeline action, and needs only node, tar and the AWS CLI
 * (CodeBuild's standard image has them):
 *
 *   seal     after the build: measures the artifact (the digest below), stores it in the artifact
 *            bucket under releases/<workload>/<commit>/<digest>/, one .tgz per artifact (tar keeps
 *            the files' modes: CodeDeploy's hook scripts stay executable)
 *   record   once the release has passed the environment (deployed, tested, baked: its stage is
 *            the pipeline's last): checks that what was deployed is what was sealed or promoted,
 *            and writes <environment>-releases/<workload>/<commit>.json, the proof that it passed
 *   verify   before the build of a workload that an environment which promotes builds again
 *            (pipeline.rebuild: a site that bakes its settings): the commit must have passed one of
 *            the environments it promotes from, whatever its artifact there
 *   promote  in place of the build, in an environment that promotes: finds the record of the
 *            commit in one of the environments it promotes from (in order), downloads the stored
 *            artifact, checks it against the recorded digest, and hands it on as this action's
 *            output artifact, so the deploy gets the very files that passed
 *
 * The digest is the SHA-256 of a manifest that lists every file of the artifacts, in order, with
 * the SHA-256 of its content and its type (x: executable, l: symbolic link, -: other): the files,
 * byte for byte, whatever the archive they travel in. Each step exports ARTIFACT_DIGEST
 * ("sha256:<hex>") and ARTIFACT_ORIGIN, which the approval request shows.
 *
 * Configuration, from the project's and the action's variables: STEP; BUCKET, the artifact bucket;
 * WORKLOAD; ENVIRONMENT; COMMIT_ID; INPUTS, the hash of the build's inputs (its variables, but for
 * ENVIRONMENT and COMMIT_ID: modules/lib/releases.ts); ARTIFACTS, the artifacts' names, comma
 * separated, the primary input last; for promote FROM, the environments, comma separated; for
 * record DIGEST and ORIGIN, what the build stage exported, EXECUTION_ID, and TOPIC_ARN where the
 * environment is told of each release that passed (pipeline.notifyOnSuccess): the record step
 * then publishes the commit, the digest and its origin there.
 */

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

/** A refusal or failure with a message for the person reading the build log. */
class ReleaseError extends Error {}

/** Where a step leaves its outputs, under the primary input's folder (the buildspec's base-directory). */
const OUT_DIR = ".release";
/** The file the buildspec sources to export the step's variables. */
const ENV_FILE = process.env.RELEASE_ENV_FILE || "/tmp/release.env";

/** @param {string} name */
function required(name) {
  const value = process.env[name];
  if (!value) throw new ReleaseError(`${name} is not set: the pipeline's action or the project sets it`);
  return value;
}

/** @param {Buffer | string} data */
function sha256(data) {
  return crypto.createHash("sha256").update(data).digest("hex");
}

/**
 * Every file under `dir`, as paths relative to it with "/" separators, sorted by their bytes.
 * @param {string} dir
 * @returns {string[]}
 */
function listFiles(dir) {
  /** @type {string[]} */
  const found = [];
  /** @param {string} rel */
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else found.push(child);
    }
  };
  walk("");
  return found.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * The manifest of the artifacts and its digest.
 * @param {{ name: string, dir: string }[]} artifacts
 */
function measure(artifacts) {
  const lines = [];
  for (const { name, dir } of artifacts) {
    const files = listFiles(dir);
    if (files.length === 0) throw new ReleaseError(`the artifact ${name} is empty (${dir}): the build produced no file`);
    for (const rel of files) {
      const file = path.join(dir, rel);
      const stat = fs.lstatSync(file);
      const [kind, hash] = stat.isSymbolicLink()
        ? ["l", sha256(fs.readlinkSync(file))]
        : [stat.mode & 0o111 ? "x" : "-", sha256(fs.readFileSync(file))];
      lines.push(`${hash} ${kind} ${name}/${rel}`);
    }
  }
  const manifest = `${lines.join("\n")}\n`;
  return { manifest, digest: `sha256:${sha256(manifest)}` };
}

/** The step's settings. */
function settings() {
  const commit = required("COMMIT_ID");
  // A commit id from the source action: hex only, so it can never climb out of its folder.
  if (!/^[0-9a-f]{7,64}$/.test(commit)) throw new ReleaseError(`COMMIT_ID "${commit}" is not a commit id`);
  const names = required("ARTIFACTS").split(",");
  return {
    bucket: required("BUCKET"),
    workload: required("WORKLOAD"),
    environment: required("ENVIRONMENT"),
    inputs: required("INPUTS"),
    commit,
    names,
    primary: names[names.length - 1],
  };
}

/**
 * The folder of an input artifact: the primary's is CODEBUILD_SRC_DIR, another's CODEBUILD_SRC_DIR_<name>.
 * @param {string} name
 * @param {string} primary
 */
function inputDir(name, primary) {
  return name === primary ? required("CODEBUILD_SRC_DIR") : required(`CODEBUILD_SRC_DIR_${name}`);
}

/** @param {string[]} args */
function aws(args) {
  try {
    return execFileSync("aws", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const e = /** @type {{ stderr?: string, code?: string }} */ (error);
    if (e.code === "ENOENT") throw new ReleaseError("the AWS CLI (aws) is not installed in the build image");
    throw new ReleaseError(`aws ${args.slice(0, 2).join(" ")} failed: ${String(e.stderr ?? "").trim()}`);
  }
}

/**
 * @param {string} file
 * @param {string} bucket
 * @param {string} key
 */
function upload(file, bucket, key) {
  aws(["s3", "cp", "--only-show-errors", file, `s3://${bucket}/${key}`]);
}

/**
 * Whether the object exists: a listing of its exact key (ListObjectsV2 with the key as prefix, which
 * the role may list), so that a missing object is told apart from a refusal or a fault.
 * @param {string} bucket
 * @param {string} key
 */
function exists(bucket, key) {
  const out = aws(["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", key, "--output", "json"]).trim();
  /** @type {{ Contents?: { Key: string }[] }} */
  const listing = out ? JSON.parse(out) : {};
  return (listing.Contents ?? []).some((o) => o.Key === key);
}

/**
 * The object's content as a file, or undefined when there is no such object.
 * @param {string} bucket
 * @param {string} key
 * @param {string} file
 */
function download(bucket, key, file) {
  if (!exists(bucket, key)) return undefined;
  aws(["s3", "cp", "--only-show-errors", `s3://${bucket}/${key}`, file]);
  return file;
}

/** @param {string} command @param {string[]} args */
function run(command, args) {
  execFileSync(command, args, { stdio: ["ignore", "inherit", "inherit"] });
}

/**
 * @param {string} workload
 * @param {string} commit
 * @param {string} digest
 */
function storePrefix(workload, commit, digest) {
  return `releases/${workload}/${commit}/${digest.replace(/^sha256:/, "")}`;
}

/**
 * @param {string} environment
 * @param {string} workload
 * @param {string} commit
 */
function recordKey(environment, workload, commit) {
  return `${environment}-releases/${workload}/${commit}.json`;
}

/**
 * Writes the variables the buildspec exports. Seal and record hand on no artifact; they leave a
 * note where the buildspec's artifacts section looks, so that section never finds an empty folder.
 * @param {Record<string, string>} variables
 * @param {string[]} notes the artifacts' names, for seal and record
 */
function finish(variables, notes) {
  const quote = (/** @type {string} */ v) => `'${v.replace(/'/g, "'\\''")}'`;
  fs.writeFileSync(
    ENV_FILE,
    Object.entries(variables)
      .map(([k, v]) => `export ${k}=${quote(v)}\n`)
      .join(""),
  );
  for (const name of notes) {
    fs.mkdirSync(path.join(OUT_DIR, name), { recursive: true });
    fs.writeFileSync(path.join(OUT_DIR, name, "RELEASE.txt"), `${JSON.stringify(variables)}\n`);
  }
  for (const [k, v] of Object.entries(variables)) console.log(`${k}: ${v}`);
}

function seal() {
  const s = settings();
  const artifacts = s.names.map((name) => ({ name, dir: inputDir(name, s.primary) }));
  const { manifest, digest } = measure(artifacts);
  const prefix = storePrefix(s.workload, s.commit, digest);
  const scratch = fs.mkdtempSync("/tmp/release-");
  for (const { name, dir } of artifacts) {
    const archive = path.join(scratch, `${name}.tgz`);
    run("tar", ["-czf", archive, "-C", dir, "."]);
    upload(archive, s.bucket, `${prefix}/${name}.tgz`);
  }
  fs.writeFileSync(path.join(scratch, "manifest.txt"), manifest);
  upload(path.join(scratch, "manifest.txt"), s.bucket, `${prefix}/manifest.txt`);
  console.log(`Stored ${s.workload} at ${s.commit} as ${digest} (s3://${s.bucket}/${prefix}/)`);
  finish({ ARTIFACT_DIGEST: digest, ARTIFACT_ORIGIN: `built in ${s.environment}` }, s.names);
}

function record() {
  const s = settings();
  const expected = required("DIGEST");
  const { digest } = measure(s.names.map((name) => ({ name, dir: inputDir(name, s.primary) })));
  if (digest !== expected) {
    throw new ReleaseError(
      `what ${s.environment} deployed (${digest}) is not what its build stage handed on (${expected}): nothing is recorded`,
    );
  }
  const entry = {
    workload: s.workload,
    commit: s.commit,
    digest,
    inputs: s.inputs,
    environment: s.environment,
    pipelineExecutionId: process.env.EXECUTION_ID || "",
    recordedAt: new Date().toISOString(),
  };
  const file = path.join(fs.mkdtempSync("/tmp/release-"), "record.json");
  fs.writeFileSync(file, `${JSON.stringify(entry, null, 2)}\n`);
  upload(file, s.bucket, recordKey(s.environment, s.workload, s.commit));
  console.log(`Recorded: ${s.workload} at ${s.commit} (${digest}) passed ${s.environment}`);
  const topic = process.env.TOPIC_ARN;
  if (topic) notify(topic, s, digest);
  finish({ ARTIFACT_DIGEST: digest, ARTIFACT_ORIGIN: `passed ${s.environment}` }, s.names);
}

/**
 * Tells the environment's topic that the release passed. The release has passed whatever happens
 * here: a notice that cannot be sent is reported in the log, and the step still succeeds.
 * @param {string} topic
 * @param {ReturnType<typeof settings>} s
 * @param {string} digest
 */
function notify(topic, s, digest) {
  const origin = process.env.ORIGIN ? ` (${process.env.ORIGIN})` : "";
  const execution = process.env.EXECUTION_ID ? ` Pipeline execution ${process.env.EXECUTION_ID}.` : "";
  const subject = `Released ${s.workload} to ${s.environment}`;
  const message = `${s.workload} at commit ${s.commit} passed ${s.environment}: artifact ${digest}${origin}.${execution}`;
  try {
    aws(["sns", "publish", "--topic-arn", topic, "--subject", subject, "--message", message]);
    console.log(`Notified ${topic}: ${message}`);
  } catch (error) {
    if (!(error instanceof ReleaseError)) throw error;
    console.log(`release: the release passed, but its notice could not be sent: ${error.message}`);
  }
}

function promote() {
  const s = settings();
  const from = required("FROM").split(",");
  const scratch = fs.mkdtempSync("/tmp/release-");
  /** @type {{ environment: string, digest: string, inputs: string }[]} */
  const found = [];
  for (const environment of from) {
    const file = download(s.bucket, recordKey(environment, s.workload, s.commit), path.join(scratch, `${environment}.json`));
    if (!file) continue;
    try {
      found.push(JSON.parse(fs.readFileSync(file, "utf8")));
    } catch {
      throw new ReleaseError(
        `the record ${recordKey(environment, s.workload, s.commit)} is not JSON: deploy the commit to ${environment} again`,
      );
    }
  }
  if (!found.length) {
    throw new ReleaseError(
      `commit ${s.commit} of ${s.workload} has not passed ${from.join(" or ")}: ${s.environment} deploys only what passed there. ` +
        `Deploy it there first (npm run promote -- ${s.commit} ${from[0]}), then promote it again.`,
    );
  }
  // The first environment, in order, whose release was built with this environment's inputs.
  const passed = found.find((r) => r.inputs === s.inputs);
  if (!passed) {
    const other = found[0];
    throw new ReleaseError(
      `${s.workload} at ${s.commit} passed ${other.environment} built with other inputs (${other.inputs}) than ${s.environment} gives its build (${s.inputs}): ` +
        `its artifact is not ${s.environment}'s. Deploy ${other.environment} again with the current configuration, or list ${s.workload} in pipeline.rebuild.`,
    );
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(String(passed.digest))) {
    throw new ReleaseError(
      `the record of ${passed.environment} names no digest ("${passed.digest}"): deploy the commit to ${passed.environment} again`,
    );
  }
  const prefix = storePrefix(s.workload, s.commit, passed.digest);
  const artifacts = s.names.map((name) => ({ name, dir: path.join(OUT_DIR, name) }));
  for (const { name, dir } of artifacts) {
    const archive = download(s.bucket, `${prefix}/${name}.tgz`, path.join(scratch, `${name}.tgz`));
    if (!archive)
      throw new ReleaseError(
        `the stored release s3://${s.bucket}/${prefix}/${name}.tgz is missing: deploy the commit to ${passed.environment} again`,
      );
    fs.mkdirSync(dir, { recursive: true });
    run("tar", ["-xzf", archive, "-C", dir]);
  }
  const { digest } = measure(artifacts);
  if (digest !== passed.digest) {
    throw new ReleaseError(
      `the stored release of ${s.workload} at ${s.commit} measures ${digest}, not the ${passed.digest} that passed ${passed.environment}: ` +
        `it changed after it was recorded. Nothing is deployed; deploy the commit to ${passed.environment} again.`,
    );
  }
  console.log(`Promoting ${s.workload} at ${s.commit} (${digest}), which passed ${passed.environment}`);
  finish({ ARTIFACT_DIGEST: digest, ARTIFACT_ORIGIN: `passed ${passed.environment}` }, []);
}

function verify() {
  const s = settings();
  const from = required("FROM").split(",");
  const scratch = fs.mkdtempSync("/tmp/release-");
  for (const environment of from) {
    const file = download(s.bucket, recordKey(environment, s.workload, s.commit), path.join(scratch, `${environment}.json`));
    if (!file) continue;
    console.log(`Commit ${s.commit} of ${s.workload} passed ${environment}; ${s.environment} builds it again (pipeline.rebuild)`);
    finish({ PASSED: environment }, s.names);
    return;
  }
  throw new ReleaseError(
    `commit ${s.commit} of ${s.workload} has not passed ${from.join(" or ")}: ${s.environment} builds only a commit that passed there. ` +
      `Deploy it there first (npm run promote -- ${s.commit} ${from[0]}), then promote it again.`,
  );
}

/** @type {Record<string, () => void>} */
const STEPS = { seal, record, promote, verify };

if (require.main === module) {
  try {
    const step = required("STEP");
    const fn = STEPS[step];
    if (!fn) throw new ReleaseError(`STEP "${step}" is not one of ${Object.keys(STEPS).join(", ")}`);
    fn();
  } catch (error) {
    if (!(error instanceof ReleaseError)) throw error;
    console.error(`release: ${error.message}`);
    process.exit(1);
  }
}

module.exports = { measure, listFiles, recordKey, storePrefix };

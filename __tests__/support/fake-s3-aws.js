#!/usr/bin/env node
"use strict";
// A stand-in for `aws s3 cp` between a file and s3://<bucket>/<key>, and `aws s3api
// list-objects-v2 --prefix` and `aws sns publish` (logged to FAKE_S3_ROOT/sns.log), keeping the objects as files under FAKE_S3_ROOT/<bucket>/<key>; a
// missing object answers as the CLI does (404, exit 1).
// Every call is logged to FAKE_S3_ROOT/calls.log.
const fs = require("fs");
const path = require("path");

const root = process.env.FAKE_S3_ROOT;
const args = process.argv.slice(2);
fs.appendFileSync(path.join(root, "calls.log"), `${args.join(" ")}\n`);
const [service, verb, ...rest] = args;
if (service === "sns" && verb === "publish") {
  if (process.env.FAKE_SNS_FAILS) {
    console.error("An error occurred (AuthorizationError) when calling the Publish operation: not authorized");
    process.exit(254);
  }
  fs.appendFileSync(path.join(root, "sns.log"), `${JSON.stringify(rest)}\n`);
  process.exit(0);
}
if (service === "s3api" && verb === "list-objects-v2") {
  const option = (name) => rest[rest.indexOf(name) + 1];
  const dir = path.join(root, option("--bucket"));
  const list = (d, rel = "") =>
    fs.existsSync(d)
      ? fs
          .readdirSync(d, { withFileTypes: true })
          .flatMap((e) => (e.isDirectory() ? list(path.join(d, e.name), `${rel}${e.name}/`) : [`${rel}${e.name}`]))
      : [];
  const keys = list(dir).filter((k) => k.startsWith(option("--prefix")));
  // As the CLI prints an empty listing: no Contents.
  console.log(JSON.stringify(keys.length ? { Contents: keys.map((Key) => ({ Key })), KeyCount: keys.length } : { RequestCharged: null }));
  process.exit(0);
}
const [from, to] = rest.filter((a) => !a.startsWith("--"));
if (service !== "s3" || verb !== "cp" || !from || !to) {
  console.error(`unsupported: ${args.join(" ")}`);
  process.exit(252);
}
const local = (url) => path.join(root, url.slice("s3://".length));
if (from.startsWith("s3://")) {
  if (!fs.existsSync(local(from))) {
    console.error(`fatal error: An error occurred (404) when calling the HeadObject operation: Key "${from}" does not exist`);
    process.exit(1);
  }
  fs.copyFileSync(local(from), to);
} else {
  fs.mkdirSync(path.dirname(local(to)), { recursive: true });
  fs.copyFileSync(from, local(to));
}

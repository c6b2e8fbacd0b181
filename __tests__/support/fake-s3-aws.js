#!/usr/bin/env node
"use strict";
// A stand-in for `aws s3 cp` between a file and s3://<bucket>/<key>, keeping the objects as files
// under FAKE_S3_ROOT/<bucket>/<key>; a missing object answers as the CLI does (404, exit 1).
// Every call is logged to FAKE_S3_ROOT/calls.log.
const fs = require("fs");
const path = require("path");

const root = process.env.FAKE_S3_ROOT;
const args = process.argv.slice(2);
fs.appendFileSync(path.join(root, "calls.log"), `${args.join(" ")}\n`);
const [service, verb, ...rest] = args;
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

import * as fs from "fs";
import { App } from "../lib/cdk";
import type { Config } from "../config";
import { createStacks, type ProjectStacks } from "./index";
import type { SynthOptions } from "./project-stack";

/**
 * Synthesizes every stack into `outdir`, all or nothing: the stacks are written to a sibling
 * folder first and copied over `outdir` only when every one of them passed its checks, so a stack
 * that fails the rule pack never leaves the others half-written. Files Terraform keeps beside a
 * stack's JSON (.terraform, a local state) stay where they are.
 * @throws ConfigError, PropsError, RuleViolationError (ProjectError): nothing is written.
 */
export function synthesizeAll(outdir: string, config: Config, options: SynthOptions = {}): ProjectStacks {
  const staging = `${outdir}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    const app = new App({ outdir: staging });
    const stacks = createStacks(app, config, options);
    app.synth();
    fs.cpSync(staging, outdir, { recursive: true, force: true });
    return stacks;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

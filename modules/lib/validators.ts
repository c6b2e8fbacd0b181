/**
 * Checks that both the configuration (environments/, with file and field in the message) and the
 * constructs (their props) apply: one definition each, so the two layers cannot drift apart.
 */

/** An S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, no "..". */
/** Names of variables that usually hold credentials (also the rule pack's CODEBUILD_NO_PLAINTEXT_SECRETS). */
export const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY)/i;
export const looksLikeSecretName = (name: string): boolean => SECRET_NAME.test(name);

/**
 * Values that are credentials whatever their name: AWS access keys, PEM private keys, GitHub
 * tokens, Slack tokens, and URLs with a password in them (`scheme://user:password@host`).
 */
export const SECRET_VALUE =
  /^(AKIA|ASIA)[A-Z0-9]{16}$|-----BEGIN [A-Z ]*PRIVATE KEY-----|^gh[pousr]_[A-Za-z0-9]{30,}$|^xox[abpr]-[A-Za-z0-9-]{10,}$|^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/;
export const looksLikeSecretValue = (value: string): boolean => SECRET_VALUE.test(value);

export const isS3BucketName = (v: string): boolean => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v) && !v.includes("..");

/**
 * A git branch name as `git check-ref-format --branch` accepts it (and CodePipeline's branch
 * filters match): letters, digits and . _ / -; no "..", "//", leading "-" or "/", trailing "/" or
 * ".", component starting with "." or ending with ".lock"; not "@" or HEAD.
 */
export function isGitBranchName(v: string): boolean {
  return (
    v.length >= 1 &&
    v.length <= 255 &&
    /^[A-Za-z0-9._/-]+$/.test(v) &&
    !v.includes("..") &&
    !v.includes("//") &&
    !v.startsWith("/") &&
    !v.startsWith("-") &&
    !v.endsWith("/") &&
    !v.endsWith(".") &&
    v !== "@" &&
    v !== "HEAD" &&
    v.split("/").every((part) => !part.startsWith(".") && !part.endsWith(".lock"))
  );
}

/**
 * A branch pattern of a pipeline trigger as a regular expression: `**` matches across folders,
 * `*` within one (CodePipeline user guide, "Filter triggers on code push or pull requests").
 */
export function branchPattern(pattern: string): RegExp {
  const source = pattern
    .split("**")
    .map((part) =>
      part
        .split("*")
        .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*"),
    )
    .join(".*");
  return new RegExp(`^${source}$`);
}

/**
 * What is wrong with an Auto Scaling group's capacities, by field; empty when nothing is.
 * @param prefix where the fields live, as the messages name them ("compute." in an environment file)
 */
export function capacityProblems(
  min: number,
  desired: number,
  max: number,
  prefix = "",
): { field: string; value: number; message: string }[] {
  const problems: { field: string; value: number; message: string }[] = [];
  if (min > max)
    problems.push({ field: `${prefix}minCapacity`, value: min, message: `must not be greater than ${prefix}maxCapacity (${max})` });
  if (desired < min || desired > max) {
    problems.push({
      field: `${prefix}desiredCapacity`,
      value: desired,
      message: `must lie between ${prefix}minCapacity (${min}) and ${prefix}maxCapacity (${max})`,
    });
  }
  return problems;
}

/** The delivery stage's name (modules/lib/pipeline-stages.ts). */
export const DEPLOY_STAGE = "Deploy";

/**
 * What a stage's actions do, for approvalPrecedesDeploy: their categories, and "Deploy" for every
 * action of the delivery stage, whatever its category (a blue/green deployment runs CodeBuild
 * actions there, and a site's release ends with one).
 */
export function stageKinds(name: string, categories: readonly string[]): string[] {
  return name === DEPLOY_STAGE ? [...categories, "Deploy"] : [...categories];
}

/**
 * Whether a manual approval comes before the first deploy, given each stage's action categories
 * (from the pipeline model or from the synthesized JSON).
 */
export function approvalPrecedesDeploy(stages: readonly (readonly string[])[]): boolean {
  const firstDeploy = stages.findIndex((categories) => categories.includes("Deploy"));
  const approval = stages.findIndex((categories) => categories.includes("Approval"));
  return approval !== -1 && (firstDeploy === -1 || approval < firstDeploy);
}

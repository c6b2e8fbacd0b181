/**
 * npm run promote -- <branch or commit> <environment> [--remote origin] [--no-notify]
 *
 * Promotes one commit to an environment the GitOps way: pushes exactly that commit to the
 * environment's branch (deploy/<env>), which starts its pipeline, and so its approval where the
 * environment has one. It refuses what would lose work (a commit that does not contain the
 * branch's current commit) and tells a hotfix apart: a branch that another environment's trigger
 * patterns take (hotfix/** in environments/hotfix.ts). For a hotfix it also publishes a notice on
 * the target environment's alert topic, where the approval request arrives, naming the commit and
 * the environment that verified it (docs/environments.md, "Hotfix").
 */
import { spawnSync } from "child_process";
import { environmentPrefix, patternTakes, type Config, type EnvironmentConfig } from "../modules/config";
import { ProjectError } from "../modules/lib/errors";
import { AlertTopic } from "../modules/constructs/alert-topic";
import { arn } from "../modules/lib/arn";
import { parseCli, runCli } from "./cli";
import { projectConfig } from "./plan/workspace";

const USAGE = `Usage: npm run promote -- <branch or commit> <environment> [--remote origin] [--no-notify]

  Pushes that commit to the environment's branch (deploy/<environment>), which starts its pipeline
  and, where the environment requires one, its approval.

  --remote     the git remote to push to (default: origin)
  --no-notify  do not publish the hotfix notice on the environment's alert topic`;

class PromoteError extends ProjectError {}

function git(args: readonly string[], cwd: string): { ok: boolean; out: string; err: string } {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (r.error) throw new PromoteError("git is not installed: install it (apt-get install git, or https://git-scm.com)");
  return { ok: r.status === 0, out: r.stdout.trim(), err: r.stderr.trim() };
}

export interface Promotion {
  readonly commit: string;
  readonly target: EnvironmentConfig;
  /** The environment whose trigger took the source branch (hotfix), when it is one. */
  readonly verifiedIn?: EnvironmentConfig;
  readonly sourceBranch?: string;
}

/** What promoting `source` to `environment` means, or why it must not happen. */
export function planPromotion(config: Config, source: string, environment: string, remote: string, cwd: string): Promotion {
  const target = config.environments.find((e) => e.name === environment);
  if (!target) {
    throw new PromoteError(
      `There is no environment "${environment}" (environments/${environment}.ts); the environments are: ${config.environments.map((e) => e.name).join(", ")}`,
    );
  }
  const fetched = git(["fetch", "--quiet", remote], cwd);
  if (!fetched.ok) throw new PromoteError(`git fetch ${remote} failed: ${fetched.err}`);
  const isBranch = git(["rev-parse", "--verify", "--quiet", `refs/remotes/${remote}/${source}`], cwd).ok;
  const resolved = git(["rev-parse", "--verify", "--quiet", `${isBranch ? `${remote}/${source}` : source}^{commit}`], cwd);
  if (!resolved.ok) throw new PromoteError(`"${source}" is neither a branch of ${remote} nor a commit of this repository`);
  const commit = resolved.out;
  const current = git(["rev-parse", "--verify", "--quiet", `refs/remotes/${remote}/${target.pipeline.branch}`], cwd);
  if (current.ok && !git(["merge-base", "--is-ancestor", current.out, commit], cwd).ok) {
    throw new PromoteError(
      `${commit.slice(0, 12)} does not contain ${target.pipeline.branch}'s current commit ${current.out.slice(0, 12)}: promoting it would undo what ${environment} runs. ` +
        `Rebase it on ${remote}/${target.pipeline.branch}, let it pass its checks again, then promote it.`,
    );
  }
  const verifiedIn = isBranch ? config.environments.find((e) => e !== target && patternTakes(e, source)) : undefined;
  return { commit, target, verifiedIn, sourceBranch: isBranch ? source : undefined };
}

/** The notice approvers read beside the approval request. */
export function hotfixNotice(config: Config, p: Promotion): { topicArn: string; subject: string; message: string } {
  const { appName } = config.project;
  const short = p.commit.slice(0, 12);
  return {
    // The target's topic is in the target's account (docs/accounts.md).
    topicArn: arn(
      { ...config.project, accountId: p.target.accountId },
      "sns",
      AlertTopic.topicName(environmentPrefix(appName, p.target.name)),
    ),
    subject: `Hotfix ${short} promoted to ${p.target.name}: approval follows`,
    message: [
      `A hotfix was promoted to ${p.target.name}: commit ${p.commit}, from ${p.sourceBranch}, verified in environment ${p.verifiedIn?.name}.`,
      `Its pipeline will ask for approval of commit ${p.commit}; approve that request only for this commit.`,
    ].join("\n"),
  };
}

/**
 * What the identity that runs `npm run promote` needs to publish the hotfix notice on production's
 * alert topic (docs/environments.md, "Hotfix"): sns:Publish on the topic, and, since the topic is
 * encrypted with the environment's key, kms:GenerateDataKey* and kms:Decrypt on that key (SNS
 * developer guide, "Key management": a publisher to an encrypted topic must be allowed both),
 * through SNS only. The key's policy delegates to IAM (EncryptionKey's AccountAdministersKeyThroughIam).
 */
export function promoterPolicy(topicArn: string, keyArn: string, region: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "PublishHotfixNotice", Effect: "Allow", Action: "sns:Publish", Resource: topicArn },
      {
        Sid: "EncryptHotfixNoticeForTheTopic",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Resource: keyArn,
        Condition: { StringEquals: { "kms:ViaService": `sns.${region}.amazonaws.com` } },
      },
    ],
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const cli = parseCli(argv, { remote: { type: "string" }, "no-notify": { type: "boolean" } }, USAGE);
  if (!cli.values) return cli.exitCode;
  const [source, environment, ...extra] = cli.positionals;
  if (!source || !environment || extra.length) {
    console.error(USAGE);
    return 1;
  }
  const remote = cli.values.remote ?? "origin";
  const config = projectConfig();
  const p = planPromotion(config, source, environment, remote, process.cwd());
  const pushed = git(["push", remote, `${p.commit}:refs/heads/${p.target.pipeline.branch}`], process.cwd());
  if (!pushed.ok) throw new PromoteError(`git push to ${remote} ${p.target.pipeline.branch} failed: ${pushed.err}`);
  const approval = p.target.pipeline.requireApproval ? ", and will ask for approval before it deploys" : "";
  console.log(`Pushed ${p.commit} to ${p.target.pipeline.branch}: ${p.target.name}'s pipelines start${approval}.`);
  if (!p.verifiedIn) return 0;
  const notice = hotfixNotice(config, p);
  if (cli.values["no-notify"]) {
    console.log(`Hotfix notice not published (--no-notify). Tell the approvers:\n${notice.message}`);
    return 0;
  }
  const published = spawnSync(
    "aws",
    [
      "sns",
      "publish",
      "--region",
      config.project.region,
      "--topic-arn",
      notice.topicArn,
      "--subject",
      notice.subject,
      "--message",
      notice.message,
    ],
    { encoding: "utf8" },
  );
  if (published.error || published.status !== 0) {
    // The push stands: the approval request names the commit. Only the notice is missing.
    console.error(
      `Could not publish the hotfix notice on ${notice.topicArn} (${published.error ? "the AWS CLI (aws) is not installed" : published.stderr.trim()}). Tell the approvers:\n${notice.message}`,
    );
    return 1;
  }
  console.log(`Published the hotfix notice on ${notice.topicArn}.`);
  return 0;
}

if (require.main === module) runCli(main);

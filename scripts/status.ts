/**
 * npm run status -- [--json]
 *
 * Where every environment and preview stands, read from AWS, read-only (docs/monitoring.md,
 * "Status"): for each workload's pipeline, the commit it last deployed and when, its last
 * execution and each stage's state, an approval waiting; the environment's alarms in ALARM (in its
 * region and in us-east-1, where a site's are); the live fleet in blue/green; its URLs, from the
 * outputs in its state. Every call is made at once. Without credentials it says so and exits 1.
 */
import {
  CodePipelineClient,
  GetPipelineStateCommand,
  paginateListPipelineExecutions,
  type PipelineExecutionSummary,
} from "@aws-sdk/client-codepipeline";
import { CloudWatchClient, paginateDescribeAlarms } from "@aws-sdk/client-cloudwatch";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import * as path from "path";
import {
  appStackName,
  environmentPrefix,
  liveSlotParameter,
  loadConfig,
  readRoleName,
  workloadPipelineName,
  type Config,
  type EnvironmentConfig,
} from "../modules/config";
import { EDGE_REGION } from "../modules/config/regions";
import { stateLocation } from "../modules/stacks/state";
import { parseCli, runCli } from "./cli";
import { hasAwsCredentials, ROOT } from "./plan/workspace";
import { S3Registry } from "./preview/registry";

const USAGE = `Usage: npm run status -- [--json]

Where every environment and preview stands, read from AWS (read-only): the commit each pipeline
deployed and when, its last execution per stage, approvals waiting, alarms in ALARM, the live
fleet in blue/green, and the URLs.
  --json   one JSON document, for scripts`;

/** What is read in the account an environment runs in: its alarms (the project's region and us-east-1) and its live slot. */
export interface AccountClients {
  readonly ssm: SSMClient;
  readonly alarms: readonly CloudWatchClient[];
}

/**
 * The AWS clients status reads through: the pipelines and state in the tooling account, and, by
 * account, the alarms and live slot of the environments there (`accounts`: an environment account
 * is read through its read role, `<appName>-read`, which the bootstrap made; docs/accounts.md).
 */
export interface Clients extends AccountClients {
  readonly pipeline: CodePipelineClient;
  readonly s3: S3Client;
  /** By environment account id; the tooling account's are the clients themselves. */
  readonly accounts?: Readonly<Record<string, AccountClients>>;
}

export function awsClients(config: Config): Clients {
  // The SDK warns on Node 20 about its releases after January 2027 (scripts/preview/registry.ts).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const region = config.project.region;
  const inAccount = (credentials?: ReturnType<typeof fromTemporaryCredentials>): AccountClients => ({
    ssm: new SSMClient({ region, credentials }),
    alarms: [...new Set([region, EDGE_REGION])].map((r) => new CloudWatchClient({ region: r, credentials })),
  });
  return {
    pipeline: new CodePipelineClient({ region }),
    s3: new S3Client({ region: config.project.stateBackend.region }),
    ...inAccount(),
    accounts: Object.fromEntries(
      Object.keys(config.project.accounts.environments).map((id) => [
        id,
        inAccount(
          fromTemporaryCredentials({
            params: {
              RoleArn: `arn:aws:iam::${id}:role/${readRoleName(config.project.appName)}`,
              RoleSessionName: `${config.project.appName}-status`,
            },
            clientConfig: { region },
          }),
        ),
      ]),
    ),
  };
}

/** The clients of the account `env` runs in. */
function clientsOf(config: Config, env: EnvironmentConfig, clients: Clients): AccountClients {
  return env.accountId === config.project.accountId ? clients : (clients.accounts?.[env.accountId] ?? clients);
}

export interface StageStatus {
  readonly name: string;
  /** InProgress, Succeeded, Failed, Stopped...; "-" when the stage has not run. */
  readonly status: string;
}

export interface PipelineStatus {
  readonly name: string;
  readonly workload: string;
  /** False when the pipeline does not exist (the environment is not deployed yet); undefined when it could not be read. */
  readonly exists?: boolean;
  /** The last execution that succeeded: the commit that is deployed, and when. */
  readonly deployed?: { readonly commit?: string; readonly at?: string };
  readonly lastExecution?: { readonly id: string; readonly status: string; readonly at?: string; readonly commit?: string };
  readonly stages: readonly StageStatus[];
  /** The Approve stage is waiting for someone: the execution it holds, and its commit. */
  readonly approvalWaiting?: { readonly executionId: string; readonly commit?: string };
  /** Executions in progress beyond the first: queued behind it (QUEUED mode). */
  readonly queued: number;
}

export interface EnvironmentStatus {
  readonly stack: string;
  readonly tier: string;
  readonly preview: boolean;
  /** `url` (the service's), and each site's, from the stack's state; empty when it has no state. */
  readonly urls: Readonly<Record<string, string>>;
  readonly pipelines: readonly PipelineStatus[];
  readonly alarmsInAlarm: readonly string[];
  /** Blue/green only: the fleet the live-slot parameter names. */
  readonly liveFleet?: string;
  /** Calls that failed other than for something not deployed yet (access denied, throttling). */
  readonly errors: readonly string[];
}

const nameOf = (error: unknown) => (error as { name?: string }).name ?? "";
const iso = (d?: Date) => (d ? d.toISOString() : undefined);

/** A call's outcome: its answer, "not found" (not deployed yet), or a failure recorded in `errors`. */
type Outcome<T> = { readonly value: T } | { readonly notFound: true } | { readonly failed: true };

async function attempt<T>(what: string, errors: string[], notFound: readonly string[], call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { value: await call() };
  } catch (error) {
    if (nameOf(error) === "CredentialsProviderError") throw error;
    if (notFound.includes(nameOf(error))) return { notFound: true };
    errors.push(`${what}: ${nameOf(error) || "Error"}: ${(error as Error).message}`);
    return { failed: true };
  }
}

const valueOf = <T>(o: Outcome<T>): T | undefined => ("value" in o ? o.value : undefined);

/**
 * The pipeline's executions, newest first: pages are read until one that succeeded is found (the
 * deployed commit), at most 5 pages of 20.
 */
async function executionsOf(clients: Clients, pipelineName: string): Promise<PipelineExecutionSummary[]> {
  const all: PipelineExecutionSummary[] = [];
  let pages = 0;
  for await (const page of paginateListPipelineExecutions({ client: clients.pipeline, pageSize: 20 }, { pipelineName })) {
    all.push(...(page.pipelineExecutionSummaries ?? []));
    if (++pages >= 5 || all.some((s) => s.status === "Succeeded")) break;
  }
  return all.sort((a, b) => (b.startTime?.getTime() ?? 0) - (a.startTime?.getTime() ?? 0));
}

async function pipelineStatus(clients: Clients, name: string, workload: string, errors: string[]): Promise<PipelineStatus> {
  const missing = ["PipelineNotFoundException"];
  const [stateOutcome, executionsOutcome] = await Promise.all([
    attempt(`GetPipelineState ${name}`, errors, missing, () => clients.pipeline.send(new GetPipelineStateCommand({ name }))),
    attempt(`ListPipelineExecutions ${name}`, errors, missing, () => executionsOf(clients, name)),
  ]);
  const state = valueOf(stateOutcome);
  const summaries = valueOf(executionsOutcome) ?? [];
  const commitOf = (s?: PipelineExecutionSummary) => s?.sourceRevisions?.[0]?.revisionId;
  const last = summaries[0];
  const succeeded = summaries.find((s) => s.status === "Succeeded");
  const stages = (state?.stageStates ?? []).map((s) => ({ name: s.stageName ?? "?", status: s.latestExecution?.status ?? "-" }));
  const approve = state?.stageStates?.find((s) => s.stageName === "Approve" && s.latestExecution?.status === "InProgress");
  const waiting = approve?.latestExecution?.pipelineExecutionId;
  const notFound = "notFound" in stateOutcome || "notFound" in executionsOutcome;
  return {
    name,
    workload,
    exists: state !== undefined || summaries.length > 0 ? true : notFound ? false : undefined,
    deployed: succeeded ? { commit: commitOf(succeeded), at: iso(succeeded.lastUpdateTime) } : undefined,
    lastExecution: last
      ? { id: last.pipelineExecutionId ?? "?", status: last.status ?? "?", at: iso(last.startTime), commit: commitOf(last) }
      : undefined,
    stages,
    approvalWaiting: waiting
      ? { executionId: waiting, commit: commitOf(summaries.find((s) => s.pipelineExecutionId === waiting)) }
      : undefined,
    // QUEUED mode (preproduction and production): executions behind the running one are InProgress too.
    queued: Math.max(0, summaries.filter((s) => s.status === "InProgress").length - 1),
  };
}

/** The stack's outputs from its state object (url, site_urls), or none when it has no state yet. */
async function urlsOf(config: Config, stack: string, clients: Clients, errors: string[]): Promise<Record<string, string>> {
  const { bucket, key } = stateLocation(config.project, stack);
  const object = valueOf(
    await attempt(`read s3://${bucket}/${key}`, errors, ["NoSuchKey"], () =>
      clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
    ),
  );
  if (!object?.Body) return {};
  const outputs = (JSON.parse(await object.Body.transformToString()).outputs ?? {}) as Record<string, { value: unknown }>;
  const sites = (outputs.site_urls?.value ?? {}) as Record<string, string>;
  return { ...(typeof outputs.url?.value === "string" ? { url: outputs.url.value } : {}), ...sites };
}

/**
 * Alarms in ALARM whose names are the environment's (`<appName>-<env>-...`), in every region read;
 * not another environment's whose name extends this one's (dev and dev-eu).
 */
async function alarmsInAlarm(clients: AccountClients, prefix: string, others: readonly string[], errors: string[]): Promise<string[]> {
  const pages = await Promise.all(
    clients.alarms.map(async (cw) =>
      valueOf(
        await attempt(`DescribeAlarms ${prefix}-*`, errors, [], async () => {
          const names: string[] = [];
          for await (const page of paginateDescribeAlarms(
            { client: cw, pageSize: 100 },
            { AlarmNamePrefix: `${prefix}-`, StateValue: "ALARM" },
          )) {
            names.push(...(page.MetricAlarms ?? []).map((a) => a.AlarmName ?? "?"));
          }
          return names;
        }),
      ),
    ),
  );
  const longer = others.filter((o) => o !== prefix && o.startsWith(`${prefix}-`));
  return pages
    .flatMap((names) => names ?? [])
    .filter((name) => !longer.some((o) => name.startsWith(`${o}-`)))
    .sort();
}

export async function environmentStatus(config: Config, env: EnvironmentConfig, clients: Clients): Promise<EnvironmentStatus> {
  const { appName } = config.project;
  const errors: string[] = [];
  const stack = appStackName(env.name);
  const pipelines = env.workloads.map((w) => ({ name: workloadPipelineName(appName, env.name, w), workload: w.name }));
  const blueGreen = env.deployment.style === "blue-green";
  const [urls, pipelineStates, alarms, live] = await Promise.all([
    urlsOf(config, stack, clients, errors),
    Promise.all(pipelines.map((p) => pipelineStatus(clients, p.name, p.workload, errors))),
    alarmsInAlarm(
      clientsOf(config, env, clients),
      environmentPrefix(appName, env.name),
      config.environments.map((e) => environmentPrefix(appName, e.name)),
      errors,
    ),
    blueGreen
      ? attempt(`GetParameter ${liveSlotParameter(appName, env.name)}`, errors, ["ParameterNotFound"], () =>
          clientsOf(config, env, clients).ssm.send(new GetParameterCommand({ Name: liveSlotParameter(appName, env.name) })),
        )
      : undefined,
  ]);
  return {
    stack,
    tier: env.tier,
    preview: env.preview !== undefined,
    urls,
    pipelines: pipelineStates,
    alarmsInAlarm: alarms,
    liveFleet: live ? valueOf(live)?.Parameter?.Value : undefined,
    errors,
  };
}

/** Every environment of `config` (previews included), each read at once. */
export function projectStatus(config: Config, clients: Clients): Promise<EnvironmentStatus[]> {
  return Promise.all(config.environments.map((env) => environmentStatus(config, env, clients)));
}

const short = (commit?: string) => (commit ? commit.slice(0, 12) : "?");
const when = (at?: string) => (at ? at.replace("T", " ").replace(/\.\d+Z$/, " UTC") : "?");

/** The table for people: an environment per block. */
export function formatStatus(statuses: readonly EnvironmentStatus[]): string {
  const lines: string[] = [];
  for (const s of statuses) {
    const live = s.liveFleet ? `, live fleet: ${s.liveFleet}` : "";
    lines.push(`${s.stack} (${s.preview ? "preview" : s.tier}${live})`);
    const urls = Object.entries(s.urls);
    const unread = s.errors.some((e) => e.startsWith("read s3://"));
    lines.push(
      `  ${urls.length ? urls.map(([k, v]) => `${k}: ${v}`).join("  ") : unread ? "state could not be read (below)" : "no state yet: not deployed"}`,
    );
    for (const p of s.pipelines) {
      if (p.exists !== true) {
        lines.push(`  ${p.name} (${p.workload}): ${p.exists === false ? "no such pipeline yet" : "could not be read (below)"}`);
        continue;
      }
      const deployed = p.deployed ? `deployed ${short(p.deployed.commit)} at ${when(p.deployed.at)}` : "nothing deployed yet";
      const last = p.lastExecution
        ? `last run ${p.lastExecution.status} (${short(p.lastExecution.commit)}, started ${when(p.lastExecution.at)})`
        : "never run";
      const approval = p.approvalWaiting ? `; APPROVAL WAITING for ${short(p.approvalWaiting.commit)}` : "";
      const queued = p.queued ? `; ${p.queued} queued` : "";
      lines.push(`  ${p.name} (${p.workload}): ${deployed}; ${last}${approval}${queued}`);
      lines.push(`    ${p.stages.map((st) => `${st.name} ${st.status}`).join(" | ")}`);
    }
    lines.push(`  alarms in ALARM: ${s.alarmsInAlarm.length ? s.alarmsInAlarm.join(", ") : "none"}`);
    for (const e of s.errors) lines.push(`  could not read: ${e}`);
  }
  return lines.join("\n");
}

const NO_CREDENTIALS = (account: string) =>
  `No AWS credentials: npm run status reads the pipelines, alarms, parameters and state of account ${account} (read-only). ` +
  "Configure credentials that may read them (aws configure, AWS_PROFILE, or OIDC in CI: the plan role can), then run it again.";

export async function main(argv: readonly string[], clients?: Clients): Promise<number> {
  const cli = parseCli(argv, { json: { type: "boolean" } }, USAGE);
  if (!cli.values) return cli.exitCode;
  const base = loadConfig(path.join(ROOT, "environments"));
  if (!clients && !hasAwsCredentials()) {
    console.error(NO_CREDENTIALS(base.project.accountId));
    return 1;
  }
  try {
    const entries = base.previews ? await new S3Registry(base.project).list() : [];
    const config = entries.length ? loadConfig(path.join(ROOT, "environments"), { entries, registry: "the state bucket" }) : base;
    const statuses = await projectStatus(config, clients ?? awsClients(config));
    process.stdout.write(cli.values.json ? JSON.stringify({ environments: statuses }, null, 2) + "\n" : formatStatus(statuses) + "\n");
    return statuses.some((s) => s.errors.length) ? 2 : 0;
  } catch (error) {
    if (nameOf(error) !== "CredentialsProviderError") throw error;
    console.error(NO_CREDENTIALS(base.project.accountId));
    return 1;
  }
}

if (require.main === module) runCli(main);

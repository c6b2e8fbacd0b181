import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { mockClient } from "aws-sdk-client-mock";
import { CodePipelineClient, GetPipelineStateCommand, ListPipelineExecutionsCommand } from "@aws-sdk/client-codepipeline";
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { awsClients, formatStatus, main, projectStatus, type EnvironmentStatus } from "../../scripts/status";
import { shippedConfig, type Json } from "../support/helpers";
import { liveSlotParameter } from "../../modules/config";

// npm run status against AWS's answers (__tests__/fixtures/status/answers.json), through the SDK's
// own clients with aws-sdk-client-mock standing in for the network: what it reads, how it reads
// it (every call at once), what it prints, and what it says without credentials.
const ISO = /^\d{4}-\d{2}-\d{2}T/;
/** The SDK hands timestamps over as Dates. */
const answers: Json = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "status", "answers.json"), "utf8"), (k, v) =>
  typeof v === "string" && ISO.test(v) && k !== "//" ? new Date(v) : v,
);
const error = (name: string, message = name) => Object.assign(new Error(message), { name });

const config = shippedConfig();
/** The clients status reads through: the tooling account's, and each environment account's (through its read role). */
const clients = awsClients(config);
/** The account a client reads: an environment account's, or the tooling account's. */
const accountOf = (client: SSMClient | CloudWatchClient) =>
  Object.entries(clients.accounts ?? {}).find(([, a]) => a.ssm === client || a.alarms.includes(client as CloudWatchClient))?.[0] ??
  config.project.accountId;
const pipelines = mockClient(CodePipelineClient);
const cloudwatch = mockClient(CloudWatchClient);
const ssm = mockClient(SSMClient);
const s3 = mockClient(S3Client);
/** The most calls waiting on AWS at one time, and the calls made. */
let inFlight = 0;
let mostInFlight = 0;
const slow = async <T>(answer: () => T): Promise<T> => {
  inFlight++;
  mostInFlight = Math.max(mostInFlight, inFlight);
  await new Promise((r) => setTimeout(r, 5));
  inFlight--;
  return answer();
};

function answerAsRecorded(): void {
  pipelines.reset();
  cloudwatch.reset();
  ssm.reset();
  s3.reset();
  inFlight = mostInFlight = 0;
  const pipeline = (name?: string) => {
    const found = answers.pipelines[name ?? ""];
    if (!found) throw error("PipelineNotFoundException", `Account '123456789012' does not have a pipeline with name '${name}'`);
    return found;
  };
  pipelines.on(GetPipelineStateCommand).callsFake((input) => slow(() => pipeline(input.name).state));
  pipelines.on(ListPipelineExecutionsCommand).callsFake((input) => slow(() => pipeline(input.pipelineName).executions));
  cloudwatch.on(DescribeAlarmsCommand).callsFake(async (input, getClient) => {
    // Each client is bound to its region (the project's, or us-east-1 for a site's alarms) and its
    // account: an environment's alarms are answered only in the account it runs in.
    const client = getClient() as CloudWatchClient;
    const region = await client.config.region();
    const inAccount = accountOf(client);
    return slow(() => ({
      MetricAlarms: answers.alarms[region].filter(
        (a: Json) =>
          a.AlarmName.startsWith(input.AlarmNamePrefix) &&
          a.StateValue === input.StateValue &&
          config.environments.some((e) => e.accountId === inAccount && a.AlarmName.startsWith(`webapp-${e.name}-`)),
      ),
    }));
  });
  ssm.on(GetParameterCommand).callsFake((input, getClient) =>
    slow(() => {
      const p = answers.parameters[input.Name];
      // A live slot is answered only in its environment's account.
      const env = config.environments.find((e) => input.Name === liveSlotParameter("webapp", e.name));
      if (!p || env?.accountId !== accountOf(getClient() as SSMClient)) throw error("ParameterNotFound");
      return { Parameter: p };
    }),
  );
  s3.on(GetObjectCommand).callsFake((input) =>
    slow(() => {
      const state = answers.states[input.Key];
      if (!state) throw error("NoSuchKey", "The specified key does not exist.");
      return { Body: { transformToString: async () => JSON.stringify(state) } };
    }),
  );
  s3.on(ListObjectsV2Command).resolves({ Contents: [] });
}

let statuses: EnvironmentStatus[];
beforeAll(async () => {
  answerAsRecorded();
  statuses = await projectStatus(config, clients);
});
const of = (stack: string) => statuses.find((s) => s.stack === stack)!;

describe("npm run status, against AWS's answers", () => {
  it("reads each environment account through its read role, and the tooling account as itself", () => {
    expect(Object.keys(clients.accounts ?? {})).toEqual(["210987654321"]);
    // prod's alarms and live slot are answered only in prod's account (answerAsRecorded): below, they are read.
    expect(of("app-prod").errors).toEqual([]);
  });

  it("covers every environment, in the order of the files", () => {
    expect(statuses.map((s) => s.stack)).toEqual(config.environments.map((e) => `app-${e.name}`));
  });

  it("reads production as it stands: the commit deployed and when, the run waiting for approval, the live fleet, the URLs", () => {
    const prod = of("app-prod");
    expect(prod.liveFleet).toBe("green");
    expect(prod.urls).toEqual({
      url: "https://webapp-prod-1234567890.eu-west-1.elb.amazonaws.com",
      storefront: "https://d111111abcdef8.cloudfront.net",
    });
    const api = prod.pipelines.find((p) => p.workload === "api")!;
    // Deployed: the last execution that succeeded, not the one still running.
    expect(api.deployed).toEqual({ commit: "694d745d56de2f9cf65c2debe66ec012ef3d88d2", at: "2026-11-30T14:41:00.000Z" });
    // The newest execution (queued behind the approval), whatever order the answer lists them in.
    expect(api.lastExecution).toEqual({
      id: "5b0c2d1e-0004",
      status: "InProgress",
      at: "2026-12-01T09:30:00.000Z",
      commit: "c0ffee0000111122223333444455556666777788",
    });
    expect(api.stages.map((s) => `${s.name} ${s.status}`)).toEqual([
      "Source Succeeded",
      "Build Succeeded",
      "Approve InProgress",
      "Deploy Succeeded",
    ]);
    // The approval waits for the execution the Approve stage holds, not for the newest one.
    expect(api.approvalWaiting).toEqual({ executionId: "5b0c2d1e-0003", commit: "9f1c2e3d4b5a69788796a5b4c3d2e1f001122334" });
    expect(api.queued).toBe(1);
    const site = prod.pipelines.find((p) => p.workload === "storefront")!;
    expect([site.deployed, site.lastExecution?.status, site.approvalWaiting]).toEqual([undefined, "Failed", undefined]);
    expect(site.stages.map((s) => s.status)).toEqual(["Succeeded", "Failed", "-", "-"]);
    expect(prod.errors).toEqual([]);
  });

  it("lists each environment's alarms in ALARM from its region and from us-east-1 (a site's), and no other environment's", () => {
    expect(of("app-prod").alarmsInAlarm).toEqual(["webapp-prod-green-latency-p99", "webapp-prod-storefront-5xx-rate"]);
    expect(of("app-qa").alarmsInAlarm).toEqual(["webapp-qa-cpu-high"]);
    expect(of("app-dev").alarmsInAlarm).toEqual([]);
  });

  it("reports an environment that is not deployed yet as such, not as an error", () => {
    const dev = of("app-dev");
    expect(dev.urls).toEqual({});
    expect(dev.pipelines.map((p) => [p.name, p.exists])).toEqual([
      ["dev-webapp", false],
      ["dev-storefront-webapp", false],
    ]);
    expect(dev.errors).toEqual([]);
    expect(dev.liveFleet).toBeUndefined();
  });

  it("makes every call at once, not one after another", () => {
    const calls = pipelines.calls().length + cloudwatch.calls().length + ssm.calls().length + s3.calls().length;
    // Per environment: its state, two calls per pipeline, alarms in two regions, and in blue/green its live slot.
    const blueGreen = config.environments.filter((e) => e.deployment.style === "blue-green").length;
    expect(blueGreen).toBe(1);
    expect(calls).toBe(config.environments.reduce((n, e) => n + 1 + 2 * e.workloads.length + 2, 0) + blueGreen);
    expect(mostInFlight).toBe(calls);
  });

  it("prints a block per environment for people", () => {
    const text = formatStatus(statuses);
    expect(text).toContain("app-prod (production, live fleet: green)");
    expect(text).toContain(
      "  prod-webapp (api): deployed 694d745d56de at 2026-11-30 14:41:00 UTC; last run InProgress (c0ffee000011, started 2026-12-01 09:30:00 UTC); APPROVAL WAITING for 9f1c2e3d4b5a; 1 queued",
    );
    expect(text).toContain("    Source Succeeded | Build Succeeded | Approve InProgress | Deploy Succeeded");
    expect(text).toContain("  alarms in ALARM: webapp-prod-green-latency-p99, webapp-prod-storefront-5xx-rate");
    expect(text).toContain("app-dev (development)\n  no state yet: not deployed\n  dev-webapp (api): no such pipeline yet");
  });
});

describe("npm run status, the command", () => {
  let out = "";
  let err = "";
  beforeEach(() => {
    out = err = "";
    jest.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
    jest.spyOn(console, "error").mockImplementation((...a) => void (err += a.join(" ") + "\n"));
    answerAsRecorded();
  });
  afterEach(() => jest.restoreAllMocks());

  it("prints one JSON document with --json, previews from the state bucket included", async () => {
    const entry = { name: "pv-75a7b1-feature", branch: "feature/online", createdAt: "2026-12-01T00:00:00.000Z", expiresOn: "2026-12-08" };
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `webapp/previews/${entry.name}.json` }] });
    s3.on(GetObjectCommand, { Key: `webapp/previews/${entry.name}.json` }).resolves({
      Body: { transformToString: async () => JSON.stringify(entry) } as never,
    });
    expect(await main(["--json"], clients)).toBe(0);
    const doc = JSON.parse(out);
    expect(doc.environments.map((e: Json) => e.stack)).toContain(`app-${entry.name}`);
    expect(doc.environments.find((e: Json) => e.stack === `app-${entry.name}`)).toMatchObject({ preview: true, urls: {} });
    expect(doc.environments.find((e: Json) => e.stack === "app-prod").liveFleet).toBe("green");
  });

  it("does not take a pipeline it may not read for one that does not exist", async () => {
    pipelines
      .on(GetPipelineStateCommand, { name: "prod-webapp" })
      .rejects(error("AccessDeniedException", "not authorized to perform: codepipeline:GetPipelineState"));
    pipelines.on(ListPipelineExecutionsCommand, { pipelineName: "prod-webapp" }).rejects(error("AccessDeniedException", "not authorized"));
    expect(await main([], clients)).toBe(2);
    expect(out).toContain("  prod-webapp (api): could not be read (below)");
    expect(out).toContain(
      "could not read: GetPipelineState prod-webapp: AccessDeniedException: not authorized to perform: codepipeline:GetPipelineState",
    );
    expect(out).not.toContain("prod-webapp (api): no such pipeline yet");
  });

  it("shows what it could not read, and exits 2, while reading the rest", async () => {
    cloudwatch
      .on(DescribeAlarmsCommand, { AlarmNamePrefix: "webapp-qa-" })
      .rejects(error("AccessDenied", "User is not authorized to perform: cloudwatch:DescribeAlarms"));
    expect(await main([], clients)).toBe(2);
    expect(out).toContain(
      "could not read: DescribeAlarms webapp-qa-*: AccessDenied: User is not authorized to perform: cloudwatch:DescribeAlarms",
    );
    expect(out).toContain("app-prod (production, live fleet: green)");
  });

  it("says what to do without credentials, and exits 1 before calling AWS", async () => {
    const saved = { ...process.env };
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "status-home-"));
    try {
      for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
      process.env.HOME = home;
      expect(await main([])).toBe(1);
    } finally {
      process.env = saved;
      fs.rmSync(home, { recursive: true, force: true });
    }
    expect(err).toContain(
      "No AWS credentials: npm run status reads the pipelines, alarms, parameters and state of account 123456789012 (read-only).",
    );
    expect(err).toContain("aws configure, AWS_PROFILE, or OIDC in CI");
    expect(pipelines.calls()).toHaveLength(0);
  });

  it("says the same when the SDK finds no credentials after all (an expired profile, say)", async () => {
    pipelines.on(GetPipelineStateCommand).rejects(error("CredentialsProviderError", "Could not load credentials from any providers"));
    expect(await main([], clients)).toBe(1);
    expect(err).toContain("No AWS credentials: npm run status reads");
    expect(out).toBe("");
  });
});

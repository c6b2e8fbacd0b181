import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Testing } from "../../modules/lib/cdk";
import { ConfigError, loadConfig, validateConfig, type Config, type EnvironmentInput, type ProjectInput } from "../../modules/config";
import { createStacks, stackList } from "../../modules/stacks";

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = Record<string, any>;

export const ENVIRONMENTS_DIR = path.join(__dirname, "..", "..", "environments");

export const PROJECT: ProjectInput = {
  appName: "shop",
  accountId: "111122223333",
  region: "us-east-2",
  workloads: { shop: { kind: "service", repository: "acme/shop" } },
  stateBackend: { bucket: "acme-tfstate" },
};

export const NETWORK: EnvironmentInput["network"] = {
  vpcId: "vpc-0123456789abcdef0",
  publicSubnetIds: ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
  privateSubnetIds: ["subnet-0123456789abcdef3", "subnet-0123456789abcdef4"],
};

/**
 * A project with a container beside the service (docs/workloads.md, "Containers"): development
 * deploys it rolling in the tooling account; production, in an account of its own, blue/green
 * through CodeDeploy. Each has settings and a secret, which the container receives as `secrets`.
 */
export const CONTAINER_PROJECT: ProjectInput = {
  ...PROJECT,
  accounts: { deployers: ["arn:aws:iam::111122223333:role/shop-deployer"], environments: { "210987654321": {} } },
  workloads: {
    shop: { kind: "service", repository: "acme/shop" },
    api: { kind: "container", repository: "acme/api", paths: ["/api/*"], port: 8080, buildVariables: { NODE_ENV: "production" } },
  },
};
export const CONTAINER_ENVIRONMENTS: Record<string, EnvironmentInput> = {
  dev: { tier: "development", network: NETWORK, settings: { LOG_LEVEL: "debug" }, secrets: ["DB_PASSWORD"] },
  prod: {
    tier: "production",
    accountId: "210987654321",
    network: NETWORK,
    certificateArn: "arn:aws:acm:us-east-2:210987654321:certificate/66666666-7777-8888-9999-000000000000",
    hostName: "shop.example.com",
    pipeline: { promoteFrom: ["dev"] },
    settings: { LOG_LEVEL: "info" },
    secrets: ["DB_PASSWORD"],
  },
};

/** Validates in-memory inputs exactly as environment files are validated. */
export function makeConfig(envs: Record<string, unknown>, project: unknown = PROJECT): Config {
  return validateConfig(
    { file: "environments/_project.ts", input: project },
    Object.entries(envs).map(([name, input]) => ({ name, file: `environments/${name}.ts`, input })),
  );
}

export function shippedConfig(): Config {
  return loadConfig(ENVIRONMENTS_DIR);
}

/**
 * The shipped project with more workloads (a container beside the service, say), validated as the
 * files are: its environments' files as they are, the project's with `workloads` added.
 */
export function shippedConfigWith(workloads: Record<string, unknown>): Config {
  const shipped = shippedConfig();
  /* eslint-disable-next-line @typescript-eslint/no-require-imports */
  const input = (file: string) => require(path.join(ENVIRONMENTS_DIR, file)).default;
  const project = input("_project.ts");
  const config = validateConfig(
    { file: "environments/_project.ts", input: { ...project, workloads: { ...project.workloads, ...workloads } } },
    shipped.environments.map((e) => ({ name: e.name, file: e.file, input: input(`${e.name}.ts`) })),
  );
  return { ...config, previews: shipped.previews };
}

/** A container beside the shipped service (shippedConfigWith): the IAM simulation's. */
export const SHIPPED_CONTAINER = { orders: { kind: "container", repository: "example-org/orders", paths: ["/orders/*"], port: 8080 } };

/** Synthesizes every stack of a configuration; returns each stack's Terraform JSON by name. */
/** Every problem the configuration checks report, as "file field: message" (empty when accepted). */
export function configProblems(envs: Record<string, unknown>, project: unknown = PROJECT): string[] {
  try {
    makeConfig(envs, project);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.file} ${p.field}: ${p.message}`);
    throw error;
  }
  return [];
}

export function synthAll(config: Config): Record<string, Json> {
  const app = Testing.app();
  const stacks = createStacks(app, config);
  const out: Record<string, Json> = {};
  for (const stack of stackList(stacks)) out[stack.stackName] = JSON.parse(Testing.synth(stack));
  return out;
}

export function synthApp(envName: string, input: EnvironmentInput, project: ProjectInput = PROJECT): Json {
  return synthAll(makeConfig({ [envName]: input }, project))[`app-${envName}`];
}

export function resourcesOf(stack: Json, type: string): Json[] {
  return Object.values(stack.resource?.[type] ?? {});
}

export function onlyResource(stack: Json, type: string): Json {
  const all = resourcesOf(stack, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource?: string | string[];
  Principal?: Json;
  Condition?: Json;
}

export function statementsOf(policy: string): Statement[] {
  return (JSON.parse(policy) as { Statement: Statement[] }).Statement;
}

export const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The inline policy statements of the role whose name ends with `suffix`. */
export function roleStatements(stack: Json, roleNameSuffix: string): Statement[] {
  const policies = resourcesOf(stack, "aws_iam_role_policy").filter((p) => String(p.name).endsWith(`${roleNameSuffix}-policy`));
  if (policies.length !== 1) throw new Error(`expected one policy for *${roleNameSuffix}, found ${policies.length}`);
  return statementsOf(policies[0].policy);
}

/** The Terraform reference to an attribute of the only resource of a type: `${type.id.attr}`. */
export function refTo(stack: Json, type: string, attribute: string): string {
  const ids = Object.keys(stack.resource?.[type] ?? {});
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return `\${${type}.${ids[0]}.${attribute}}`;
}

/** The resource of `type` whose Terraform address is `<type>.<id>` (ids follow construct paths: "artifacts_bucket"). */
export function resourceAt(stack: Json, type: string, id: string): Json {
  const r = stack.resource?.[type]?.[id];
  if (!r) throw new Error(`no ${type}.${id}; there are: ${Object.keys(stack.resource?.[type] ?? {}).join(", ")}`);
  return r;
}

/** The Terraform reference to an attribute of the one resource of a type that matches `where`. */
export function refWhere(stack: Json, type: string, where: (r: Json) => boolean, attribute: string): string {
  const ids = Object.entries(stack.resource?.[type] ?? {})
    .filter(([, r]) => where(r as Json))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one matching ${type}, found ${ids.length}`);
  return `\${${type}.${ids[0]}.${attribute}}`;
}

export const ROOT = path.join(__dirname, "..", "..");

/** A throw-away copy of the project (sources, environments, scripts; node_modules linked). */
export function projectCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-project-"));
  for (const entry of ["main.ts", "modules", "runtime", "environments", "scripts", "package.json", "tsconfig.json", "cdktf.json"]) {
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

/**
 * Writes a local (offline) state for `stack` in which its application log group already exists,
 * as if the stack had been deployed.
 */
export function seedLogGroupState(projectDir: string, stack: string, env: string): void {
  const name = `/webapp/${env}/application`;
  const state = {
    version: 4,
    terraform_version: "1.11.4",
    serial: 1,
    lineage: "8d6c1f0e-0000-4000-8000-000000000001",
    outputs: {},
    resources: [
      {
        mode: "managed",
        type: "aws_cloudwatch_log_group",
        name: "logs",
        provider: 'provider["registry.terraform.io/hashicorp/aws"]',
        instances: [
          {
            schema_version: 0,
            attributes: {
              id: name,
              arn: `arn:aws:logs:eu-west-1:123456789012:log-group:${name}`,
              name,
              name_prefix: "",
              retention_in_days: 30,
              kms_key_id: "",
              log_group_class: "STANDARD",
              skip_destroy: false,
              tags: {},
              tags_all: {},
            },
          },
        ],
      },
    ],
  };
  const dir = path.join(projectDir, "cdktf.out", "stacks", stack);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "terraform.tfstate"), JSON.stringify(state));
}

/**
 * A stand-in for the Infracost CLI (no pricing API here), in a new folder to put first on PATH:
 * it prices a plan at 1.50 USD a month per resource the plan creates, so that a summary shows
 * that each stack's own plan was priced.
 */
export function fakeInfracost(parent: string): string {
  const bin = fs.mkdtempSync(path.join(parent, "bin-"));
  fs.writeFileSync(
    path.join(bin, "infracost"),
    `#!${process.execPath}
const fs = require("fs");
const args = process.argv.slice(2);
if (args[0] === "--version") { console.log("Infracost v0.10.41"); process.exit(0); }
const plan = JSON.parse(fs.readFileSync(args[args.indexOf("--path") + 1], "utf8"));
const creates = plan.resource_changes.filter((r) => r.change.actions.join() === "create").length;
const cost = (creates * 1.5).toFixed(2);
fs.writeFileSync(args[args.indexOf("--out-file") + 1], JSON.stringify({ currency: "USD", totalMonthlyCost: cost, diffTotalMonthlyCost: cost }));
`,
    { mode: 0o755 },
  );
  return bin;
}

/** What the fake Infracost charges for a plan. */
export const fakeMonthlyCost = (plan: Json): string =>
  `${(plan.resource_changes.filter((r: Json) => r.change.actions.join() === "create").length * 1.5).toFixed(2)} USD`;

/** Every [path, string] in a JSON value, for scanning whole stacks. */
export function stringsIn(value: unknown, at = ""): [string, string][] {
  if (typeof value === "string") return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, `${at}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => stringsIn(v, at ? `${at}.${k}` : k));
  return [];
}

/**
 * Offline plans of every selected stack in one Terraform process (README, "Set up").
 *
 * An offline plan is never applied, so it does not have to be planned the way an online one is:
 * instead of one init, plan and show per stack (each loading the AWS provider's schema, about two
 * seconds apiece), one configuration calls each stack as a module and Terraform plans them all at
 * once with a single provider. The result is split back into one plan folder per stack, as an
 * online plan writes it.
 *
 * What differs from planning the stacks one by one: a stack's default tags are written into each
 * taggable resource's `tags` (one provider serves every stack), and the plan's text names outputs
 * and resources as the stack's own.
 */
import * as fs from "fs";
import * as path from "path";
import { TerraformResource } from "../../modules/lib/cdk";
import type { ProjectStack } from "../../modules/stacks/project-stack";
import { ProjectError } from "../../modules/lib/errors";
import type { StackPlan } from "./analyze";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = Record<string, any>;

/** The module that holds `stack` in the combined configuration (a valid Terraform name). */
export const moduleOf = (stack: string): string => stack.replace(/-/g, "_");

/** Separates a stack's module from its output's name in the combined configuration's outputs. */
const OUTPUT_SEPARATOR = "__";

/** The addresses (`type.id`) of the stack's resources that take tags. */
export function taggableAddresses(stack: ProjectStack): Set<string> {
  return new Set(
    stack.node
      .findAll()
      .filter((c): c is TerraformResource => c instanceof TerraformResource && "tagsInput" in c)
      .map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`),
  );
}

export interface OfflineStack {
  readonly name: string;
  /** The stack's synthesized JSON (cdk.tf.json). */
  readonly json: Json;
  /** Resources whose `tags` receive the stack's default tags. */
  readonly taggable: ReadonlySet<string>;
  /** The stack's own offline state, when it has one (as a state file would hold it). */
  readonly state?: Json;
}

function withoutDefaultTags(provider: Json): Json {
  const { default_tags: _, ...rest } = provider;
  return rest;
}

/** The stack as a module: no backend, no provider block, its default tags on each taggable resource. */
function asModule(s: OfflineStack): Json {
  const { provider, terraform, ...rest } = s.json;
  const defaults: Record<string, string> = provider?.aws?.[0]?.default_tags?.[0]?.tags ?? {};
  const resource: Json = {};
  for (const [type, byId] of Object.entries<Json>(rest.resource ?? {})) {
    resource[type] = {};
    for (const [id, attrs] of Object.entries<Json>(byId)) {
      if (!s.taggable.has(`${type}.${id}`)) {
        resource[type][id] = attrs;
        continue;
      }
      if (typeof attrs.tags === "string")
        throw new ProjectError(
          `${s.name}: ${type}.${id} has tags from an expression; an offline plan cannot merge its default tags into them.`,
        );
      resource[type][id] = { ...attrs, tags: { ...defaults, ...(attrs.tags ?? {}) } };
    }
  }
  const aliases = aliasesOf(s);
  const requiredProviders = aliases.length
    ? {
        ...terraform.required_providers,
        aws: { ...terraform.required_providers.aws, configuration_aliases: aliases.map((a) => `aws.${a}`) },
      }
    : terraform.required_providers;
  return { ...rest, terraform: { required_providers: requiredProviders }, ...(rest.resource ? { resource } : {}) };
}

/** The aliases of the stack's extra AWS providers (e.g. us-east-1 for CloudFront's metrics and logs). */
/** The provider aliases a stack configures (us-east-1 for CloudFront's logs and alarms). */
export function aliasesOf(s: Pick<OfflineStack, "json">): string[] {
  return (s.json.provider?.aws ?? []).flatMap((p: Json) => (p.alias ? [String(p.alias)] : []));
}

/**
 * The root's AWS provider configurations, and what each stack's module receives. Stacks that
 * configure a provider (default or alias) alike share one; a stack whose configuration differs (an
 * environment in another account) gets its own, under an alias named after its module. A provider
 * setting read from the stack's own data (the deploy role an environment account's bootstrap
 * names) cannot be read in the root: it is left out, which no offline plan has (it makes no STS
 * call), and which validate and a mocked apply never use.
 */
export function rootProviders(stacks: readonly Pick<OfflineStack, "name" | "json">[]): {
  providers: Json[];
  passing: Map<string, Record<string, string>>;
} {
  const byConfig = new Map<string, string>();
  const providers: Json[] = [];
  const passing = new Map<string, Record<string, string>>();
  for (const s of stacks) {
    const passed: Record<string, string> = {};
    let own = false;
    for (const p of s.json.provider?.aws ?? [{}]) {
      const key = p.alias ? String(p.alias) : "";
      const { alias: _alias, ...settings } = withoutDefaultTags(p);
      void _alias;
      const resolvable = Object.fromEntries(Object.entries(settings).filter(([, v]) => !JSON.stringify(v).includes("${")));
      const config = JSON.stringify(resolvable);
      let name = byConfig.get(`${key}|${config}`);
      if (name === undefined) {
        const taken = providers.some((q) => String(q.alias ?? "") === key);
        name = taken ? `${moduleOf(s.name)}${key ? `_${key}` : ""}` : key;
        byConfig.set(`${key}|${config}`, name);
        providers.push({ ...resolvable, ...(name ? { alias: name } : {}) });
      }
      passed[key ? `aws.${key}` : "aws"] = name ? `aws.${name}` : "aws";
      own ||= name !== key || key !== "";
    }
    if (own) passing.set(s.name, passed);
  }
  return { providers, passing };
}

/**
 * Writes the combined configuration into `root`: the root module (one provider, each stack as a
 * module, each stack's outputs re-exported as `<module>__<output>`), one folder per stack, and a
 * state assembled from the stacks' own offline states (absent when none has one).
 * @returns the root module's JSON
 */
export function writeOfflineRoot(root: string, stacks: readonly OfflineStack[]): Json {
  const { providers, passing } = rootProviders(stacks);
  // The folder keeps .terraform (its init) between runs; the modules and state are written anew.
  fs.mkdirSync(root, { recursive: true });
  for (const entry of fs.readdirSync(root)) if (!entry.startsWith(".")) fs.rmSync(path.join(root, entry), { recursive: true, force: true });
  const output: Json = {};
  for (const s of stacks) {
    fs.mkdirSync(path.join(root, moduleOf(s.name)));
    fs.writeFileSync(path.join(root, moduleOf(s.name), "main.tf.json"), JSON.stringify(asModule(s), null, 2));
    for (const [name, o] of Object.entries<Json>(s.json.output ?? {})) {
      output[`${moduleOf(s.name)}${OUTPUT_SEPARATOR}${name}`] = {
        value: `\${module.${moduleOf(s.name)}.${name}}`,
        ...(o.sensitive ? { sensitive: true } : {}),
        ...(o.description ? { description: o.description } : {}),
      };
    }
  }
  const json: Json = {
    terraform: { required_providers: stacks[0].json.terraform.required_providers },
    provider: { aws: providers },
    module: Object.fromEntries(
      stacks.map((s) => {
        const passed = passing.get(s.name);
        return [moduleOf(s.name), { source: `./${moduleOf(s.name)}`, ...(passed ? { providers: passed } : {}) }];
      }),
    ),
    output,
  };
  fs.writeFileSync(path.join(root, "cdk.tf.json"), JSON.stringify(json, null, 2));

  const resources = stacks.flatMap((s) => (s.state?.resources ?? []).map((r: Json) => ({ ...r, module: `module.${moduleOf(s.name)}` })));
  if (resources.length) {
    const state = {
      version: 4,
      terraform_version: stacks.find((s) => s.state)?.state?.terraform_version ?? "1.11.0",
      serial: 1,
      lineage: "00000000-0000-4000-8000-0000000cd7f0",
      outputs: {},
      resources,
    };
    fs.writeFileSync(path.join(root, "terraform.tfstate"), JSON.stringify(state, null, 2));
  }
  return json;
}

/** Takes the `module.<m>.` prefix off an address that has it. */
const unprefixed = (address: string, m: string) => (address.startsWith(`module.${m}.`) ? address.slice(`module.${m}.`.length) : address);

/** The combined plan's JSON (terraform show -json), cut to what the stack's own plan would say. */
export function stackPlanJson(combined: Json, stack: string): Json {
  const m = moduleOf(stack);
  const prefix = `${m}${OUTPUT_SEPARATOR}`;
  const ownOutputs = (outputs: Json | undefined) =>
    Object.fromEntries(
      Object.entries(outputs ?? {})
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), v]),
    );
  const moduleConfig = combined.configuration?.root_module?.module_calls?.[m]?.module ?? {};
  return {
    format_version: combined.format_version,
    terraform_version: combined.terraform_version,
    offline_combined_plan: true,
    resource_changes: (combined.resource_changes ?? [])
      .filter((rc: Json) => rc.module_address === `module.${m}`)
      .map(({ module_address: _, ...rc }: Json) => ({ ...rc, address: unprefixed(rc.address, m) })),
    output_changes: ownOutputs(combined.output_changes),
    planned_values: { outputs: ownOutputs(combined.planned_values?.outputs) },
    configuration: { root_module: { outputs: moduleConfig.outputs ?? {}, resources: moduleConfig.resources ?? [] } },
  };
}

/** Cuts the combined plan's text into each stack's: its resources, its counts, its outputs. */
export function stackPlanText(text: string, stack: string, plan: StackPlan): string {
  const m = moduleOf(stack);
  const lines = text.split("\n");
  const firstBlock = lines.findIndex((l) => l.startsWith("  # "));
  const planLine = lines.findIndex((l) => /^Plan: /.test(l));
  const header = (firstBlock >= 0 ? lines.slice(0, firstBlock) : []).join("\n").trim();
  const blocks: string[] = [];
  if (firstBlock >= 0) {
    let current: string[] = [];
    const flush = () => {
      if (current.length && current[0].startsWith(`  # module.${m}.`))
        blocks.push(current.join("\n").replace(`  # module.${m}.`, "  # ").replace(/\n+$/, ""));
      current = [];
    };
    for (const line of lines.slice(firstBlock, planLine >= 0 ? planLine : lines.length)) {
      if (line.startsWith("  # ")) flush();
      current.push(line);
    }
    flush();
  }
  const outputs: string[] = [];
  const outputsAt = lines.findIndex((l) => l === "Changes to Outputs:");
  if (outputsAt >= 0) {
    let keep = false;
    for (const line of lines.slice(outputsAt + 1)) {
      const entry = line.match(/^ {2}([+~-]) (\S+?)(\s*)= (.*)$/);
      if (entry) {
        keep = entry[2].startsWith(`${m}${OUTPUT_SEPARATOR}`);
        if (keep) outputs.push(`  ${entry[1]} ${entry[2].slice(m.length + OUTPUT_SEPARATOR.length)} = ${entry[4]}`);
      } else if (keep && /^ {4,}\S/.test(line)) outputs.push(line);
      else if (!line.trim()) keep = false;
      else break;
    }
  }
  const c = plan.counts;
  const summary = blocks.length
    ? `Plan: ${c.create + c.replace} to add, ${c.update} to change, ${c.delete + c.replace} to destroy.`
    : `No changes to ${stack}'s resources.`;
  return [
    `Offline plan of ${stack} (planned with the other stacks in one Terraform run; it cannot be applied).`,
    header,
    ...blocks,
    summary,
    ...(outputs.length ? ["Changes to Outputs:\n" + outputs.join("\n")] : []),
  ]
    .filter((part) => part !== "")
    .join("\n\n")
    .concat("\n");
}

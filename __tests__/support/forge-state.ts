import type { Json } from "./helpers";

// A Terraform state that reproduces an applied stack, built without AWS: from an offline plan's
// JSON (terraform show -json), each resource's planned values, with every value only AWS would
// know (ids, ARNs, computed attributes) filled with a stand-in of the right type from the
// provider's schema. Planning against it, dependents see those stand-ins through their references
// and plan updates; `refineState` takes those updates in, until the plan is a no-op: the state of
// a stack that was just applied. A test then edits what a deployment changes, and plans again.

type SchemaBlock = {
  attributes?: Record<string, { type: unknown; optional?: boolean; computed?: boolean }>;
  block_types?: Record<string, { block: SchemaBlock; nesting_mode: string }>;
};
export type ProviderSchemas = Record<string, { version: number; block: SchemaBlock }>;

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";

/** A stand-in for an unknown value of a Terraform type. */
function standIn(type: unknown, label: string): unknown {
  if (type === "string") return label;
  if (type === "number") return 1;
  if (type === "bool") return false;
  if (Array.isArray(type)) {
    if (type[0] === "map" || type[0] === "object") return {};
    return [];
  }
  return null;
}

/** The id prefixes AWS gives (and the provider checks in references). */
const ID_PREFIXES: Record<string, string> = { aws_launch_template: "lt-", aws_security_group: "sg-", aws_lb: "", aws_lb_target_group: "" };

function labelFor(resourceType: string, name: string, key: string): string {
  const service = resourceType.replace(/^aws_/, "").split("_")[0];
  if (key === "id" && ID_PREFIXES[resourceType]) {
    const hex = [...name]
      .reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7)
      .toString(16)
      .padStart(8, "0");
    return `${ID_PREFIXES[resourceType]}${hex}${"0".repeat(9)}`;
  }
  if (key === "arn" || key.endsWith("_arn")) return `arn:aws:${service}:${REGION}:${ACCOUNT}:${resourceType}/${name}`;
  if (key === "arn_suffix") return `app/${name}/0123456789abcdef`;
  return `${resourceType}-${name}-${key}`.replace(/_/g, "-");
}

/** `values` with every unknown (per `unknown`, the plan's after_unknown) filled from `schema`. */
function fill(values: Json, unknown: Json, block: SchemaBlock, resourceType: string, name: string): Json {
  const out: Json = { ...(values ?? {}) };
  for (const [key, mark] of Object.entries(unknown ?? {})) {
    const attribute = block.attributes?.[key];
    const nested = block.block_types?.[key];
    if (mark === true) {
      // An optional attribute the configuration leaves to AWS: null, as an import would leave a
      // value the provider does not check; a computed-only one (ids, ARNs): a stand-in.
      // (`id` is optional in the provider's schemas, but a resource without one does not exist.)
      // Collections the configuration leaves out come back empty (no inline rules, no classic load
      // balancers): AWS reports them so.
      if (attribute?.optional && key !== "id") out[key] = Array.isArray(attribute.type) ? standIn(attribute.type, "") : null;
      else out[key] = attribute ? standIn(attribute.type, labelFor(resourceType, name, key)) : nested?.nesting_mode === "single" ? {} : [];
    } else if (nested && Array.isArray(mark)) {
      out[key] = mark.map((m, i) =>
        typeof m === "object" && m !== null
          ? fill((values?.[key] ?? [])[i], m, nested.block, resourceType, name)
          : (values?.[key] ?? [])[i],
      );
    }
  }
  return out;
}

/** The provider address a state entry names, from the resource's provider configuration key. */
function providerOf(configKey: string | undefined): string {
  const alias = configKey?.split(":").pop()?.split(".")[1];
  return `provider["registry.terraform.io/hashicorp/aws"]${alias ? `.${alias}` : ""}`;
}

/** The configuration's provider key of each resource address within `module`. */
function providerKeys(plan: Json, module: string): Record<string, string> {
  const resources: Json[] = plan.configuration?.root_module?.module_calls?.[module]?.module?.resources ?? [];
  return Object.fromEntries(resources.map((r) => [r.address, r.provider_config_key]));
}

/**
 * State resources for `module`'s managed resources from a plan: created ones from their planned
 * values, updated ones from their values after the update, unchanged ones kept from `previous`.
 * Throws on a resource the plan would replace or delete: the forged state would not be an applied one.
 */
export function stateFromPlan(plan: Json, module: string, schemas: ProviderSchemas, previous: Json[] = []): Json[] {
  const keys = providerKeys(plan, module);
  const byAddress = new Map(previous.map((r) => [`${r.type}.${r.name}`, r]));
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode !== "managed" || rc.module_address !== `module.${module}`) continue;
    const actions: string[] = rc.change.actions;
    const local = `${rc.type}.${rc.name}`;
    // A replacement comes from a stand-in that a dependent's configuration now reads through its
    // reference (a forced-new attribute): its values after are the ones to keep.
    if (actions.length === 1 && actions[0] === "delete")
      throw new Error(`${local} would be deleted: the forged state does not match the configuration`);
    if (actions[0] === "no-op") continue;
    const schema = schemas[rc.type];
    if (!schema) throw new Error(`no provider schema for ${rc.type}`);
    const prior = byAddress.get(local)?.instances[0].attributes ?? {};
    const after = fill(rc.change.after, rc.change.after_unknown, schema.block, rc.type, rc.name);
    // An update's (or replacement's) unknowns keep what the resource had, so that its dependents
    // keep reading the same values.
    for (const [key, mark] of Object.entries<unknown>(rc.change.after_unknown ?? {}))
      if (mark === true && key in prior) after[key] = prior[key];
    byAddress.set(local, {
      mode: "managed",
      type: rc.type,
      name: rc.name,
      provider: providerOf(keys[local]),
      // Sensitive attributes are recorded in state too; without them Terraform plans an update to mark them.
      instances: [
        {
          schema_version: schema.version,
          attributes: after,
          sensitive_attributes: Object.entries<unknown>(rc.change.after_sensitive ?? {})
            .filter(([, mark]) => mark === true)
            .map(([key]) => [{ type: "get_attr", value: key }]),
        },
      ],
    });
  }
  return [...byAddress.values()];
}

/** The changes a plan makes in `module`, as "<action> <type.name>" (no-ops left out). */
export function changesOf(plan: Json, module: string): string[] {
  return (plan.resource_changes ?? [])
    .filter((rc: Json) => rc.mode === "managed" && rc.module_address === `module.${module}` && rc.change.actions[0] !== "no-op")
    .map(
      (rc: Json) =>
        `${rc.change.actions.join("/")} ${rc.type}.${rc.name}${rc.change.replace_paths ? ` (${JSON.stringify(rc.change.replace_paths)})` : ""}`,
    )
    .sort();
}

/** The state resource at `type.name`. */
export function stateResource(resources: Json[], address: string): Json {
  const found = resources.find((r) => `${r.type}.${r.name}` === address);
  if (!found) throw new Error(`no ${address} in the forged state`);
  return found.instances[0].attributes;
}

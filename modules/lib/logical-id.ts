import { ProjectError } from "./errors";

/**
 * The one naming rule for Terraform addresses (docs/architecture.md, "Addresses"): the construct path below the
 * stack, each id lower-cased with every run of other characters turned into "_", joined with "_";
 * an id that only repeats the end of the name so far is dropped (`fleet/role/role` is
 * `fleet_role`, `artifact-key/key` is `artifact_key`). So the address
 * `aws_iam_role.fleet_role` reads like the architecture, and it changes only when a construct id
 * does: renaming one replaces the resource, unless a `moved` block says where it went.
 */
export function logicalIdOf(path: readonly string[]): string {
  const parts: string[] = [];
  for (const id of path) {
    const part = id
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "");
    const sofar = parts.join("_");
    if (part && sofar !== part && !sofar.endsWith(`_${part}`)) parts.push(part);
  }
  const id = parts.join("_");
  // Terraform names start with a letter or an underscore.
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

/** Two constructs of one stack that the naming rule gives the same address. */
export class LogicalIdCollisionError extends ProjectError {
  constructor(stack: string, address: string, first: string, second: string) {
    super(
      `${stack}: ${first} and ${second} would both be ${address}; nothing was synthesized. ` +
        "Give one of the constructs another id (modules/lib/logical-id.ts explains the naming rule).",
    );
  }
}

const neutral = new WeakSet<object>();

/**
 * Leaves `scope`'s own id out of the addresses of everything below it (logicalIdOf gets the path
 * without it). For a construct that groups what used to sit directly in the stack, such as a
 * workload (modules/workloads/workload.ts): its children keep their addresses.
 */
export function markAddressNeutral(scope: object): void {
  neutral.add(scope);
}

export function isAddressNeutral(scope: object): boolean {
  return neutral.has(scope);
}

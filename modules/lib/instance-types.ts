/**
 * EC2 instance types the environments may use: a curated list, checked offline at synth.
 *
 * Extend `INSTANCE_FAMILIES` to allow another family. The CPU architecture is derived from the
 * family (Graviton families end in `g`), so the AMI always matches the instance type.
 */
const BURSTABLE = ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"] as const;
const GRAVITON = ["medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"] as const;
const GENERAL = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"] as const;

export type CpuArchitecture = "x86_64" | "arm64";

interface Family {
  readonly sizes: readonly string[];
  readonly architecture: CpuArchitecture;
}

const x86 = (sizes: readonly string[]): Family => ({ sizes, architecture: "x86_64" });
const arm = (sizes: readonly string[]): Family => ({ sizes, architecture: "arm64" });

export const INSTANCE_FAMILIES: Readonly<Record<string, Family>> = {
  t3: x86(BURSTABLE),
  t3a: x86(BURSTABLE),
  t4g: arm(BURSTABLE),
  m5: x86(GENERAL),
  m6i: x86(GENERAL),
  m7i: x86(GENERAL),
  m6g: arm(GRAVITON),
  m7g: arm(GRAVITON),
  c5: x86(GENERAL),
  c6i: x86(GENERAL),
  c7i: x86(GENERAL),
  c6g: arm(GRAVITON),
  c7g: arm(GRAVITON),
  r5: x86(GENERAL),
  r6i: x86(GENERAL),
  r7i: x86(GENERAL),
  r6g: arm(GRAVITON),
  r7g: arm(GRAVITON),
};

function family(instanceType: string): Family | undefined {
  const [name, size] = instanceType.split(".");
  const found = INSTANCE_FAMILIES[name];
  return found && found.sizes.includes(size) ? found : undefined;
}

/**
 * Families that can stand in for one another on Spot: same architecture and the same vCPU and
 * memory at each size (burstable, general purpose, compute and memory optimised).
 */
const SPOT_CLASSES: readonly (readonly string[])[] = [
  ["t3", "t3a"],
  ["t4g"],
  ["m5", "m6i", "m7i"],
  ["m6g", "m7g"],
  ["c5", "c6i", "c7i"],
  ["c6g", "c7g"],
  ["r5", "r6i", "r7i"],
  ["r6g", "r7g"],
];

/**
 * The instance type and its stand-ins of the same size in sibling families (Spot pools to choose
 * from): `t3.micro` gives `t3.micro, t3a.micro`. Unknown types give themselves only.
 */
export function spotAlternatives(instanceType: string): string[] {
  const [name, size] = instanceType.split(".");
  const siblings = SPOT_CLASSES.find((c) => c.includes(name)) ?? [name];
  return [
    instanceType,
    ...siblings
      .filter((f) => f !== name)
      .map((f) => `${f}.${size}`)
      .filter(isKnownInstanceType),
  ];
}

export function isKnownInstanceType(instanceType: string): boolean {
  return family(instanceType) !== undefined;
}

/** The CPU architecture of a known instance type; throws for an unknown one. */
export function architectureOf(instanceType: string): CpuArchitecture {
  const found = family(instanceType);
  if (!found) throw new Error(`unknown instance type ${JSON.stringify(instanceType)}`);
  return found.architecture;
}

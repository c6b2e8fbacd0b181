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

export function isKnownInstanceType(instanceType: string): boolean {
  return family(instanceType) !== undefined;
}

/** The CPU architecture of a known instance type; throws for an unknown one. */
export function architectureOf(instanceType: string): CpuArchitecture {
  const found = family(instanceType);
  if (!found) throw new Error(`unknown instance type ${JSON.stringify(instanceType)}`);
  return found.architecture;
}

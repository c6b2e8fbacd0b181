import { PROTECTED_RESOURCES } from "../../scripts/plan/analyze";
import { looksLikeSecretValue } from "../../modules/lib/validators";
import { NETWORK, makeConfig, shippedConfig, stringsIn, synthAll, type Json } from "../support/helpers";

// Nothing lost by mistake, proven from the synthesized JSON.
const config = shippedConfig();
const stacks = synthAll(config);
const STATEFUL = ["aws_s3_bucket", "aws_kms_key", "aws_cloudwatch_log_group", "aws_secretsmanager_secret"];
const stateful = (stack: Json): [string, Json][] =>
  STATEFUL.flatMap((type) =>
    Object.entries((stack.resource?.[type] ?? {}) as Record<string, Json>).map(([id, r]) => [`${type}.${id}`, r] as [string, Json]),
  );

describe("stateful resources", () => {
  it("in build (artifact and access-log buckets, key, build and scan logs) can never be destroyed by Terraform", () => {
    const found = stateful(stacks.build);
    expect(found.map(([a]) => a).sort()).toEqual([
      "aws_cloudwatch_log_group.build_logs",
      "aws_cloudwatch_log_group.scan_logs",
      "aws_kms_key.artifact_key",
      "aws_s3_bucket.access_logs_bucket",
      "aws_s3_bucket.artifacts_bucket",
    ]);
    for (const [, r] of found) expect(r.lifecycle).toEqual({ prevent_destroy: true });
  });

  it.each(config.environments.map((e) => [e.name, e.tier] as const))(
    "in %s (%s) are retained exactly when it is production",
    (name, tier) => {
      const found = stateful(stacks[`app-${name}`]);
      expect(found.length).toBeGreaterThanOrEqual(2);
      for (const [, r] of found) expect(r.lifecycle?.prevent_destroy === true).toBe(tier === "production");
    },
  );

  it("are replaced in no environment without `npm run plan` stopping (every stateful type is protected there)", () => {
    const protectedTypes = PROTECTED_RESOURCES.map((p) => p.type);
    const present = new Set(Object.values(stacks).flatMap((s) => stateful(s).map(([a]) => a.split(".")[0])));
    expect([...present].filter((t) => !protectedTypes.includes(t))).toEqual([]);
  });

  it("have literal names, so only a deliberate configuration change can replace them", () => {
    for (const s of Object.values(stacks)) {
      for (const [address, r] of stateful(s)) {
        const name = r.bucket ?? r.name ?? r.description;
        expect([address, String(name).includes("${")]).toEqual([address, false]);
      }
      for (const alias of Object.values((s.resource?.aws_kms_alias ?? {}) as Record<string, Json>)) expect(alias.name).not.toContain("${");
    }
  });
});

describe("secret values", () => {
  it("appear in no synthesized stack: no secret version, no secret_string, no string that looks like a credential", () => {
    for (const [name, stack] of Object.entries(stacks)) {
      expect([name, Object.keys(stack.resource ?? {}).filter((t) => t === "aws_secretsmanager_secret_version")]).toEqual([name, []]);
      const found = stringsIn(stack).filter(([at, v]) => /secret_(string|binary)/.test(at) || looksLikeSecretValue(v));
      expect([name, found]).toEqual([name, []]);
    }
  });

  it("each parameter Terraform writes holds a declared setting's value, or only the name of a secret", () => {
    for (const env of config.environments) {
      const values = Object.values((stacks[`app-${env.name}`].resource?.aws_ssm_parameter ?? {}) as Record<string, Json>).map(
        (p) => p.value,
      );
      const allowed = [
        ...Object.values(env.runtime.settings),
        ...env.runtime.secrets.map((s) => `\${aws_secretsmanager_secret.runtime_secret_${s.toLowerCase()}.name}`),
        // A blue/green environment's record of its serving fleet, which starts on blue.
        ...(env.deployment.style === "blue-green" ? ["blue"] : []),
      ];
      expect(values.sort()).toEqual(allowed.sort());
    }
  });

  it("a credential in an environment's settings never reaches a stack: the configuration refuses it", () => {
    expect(() => makeConfig({ dev: { tier: "development", network: NETWORK, settings: { GITHUB: `ghp_${"a".repeat(36)}` } } })).toThrow(
      "settings.GITHUB: looks like a credential",
    );
  });
});

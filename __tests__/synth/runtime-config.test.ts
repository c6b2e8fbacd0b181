import { liveSlotParameter } from "../../modules/config";
import { platformFile } from "../../modules/lib/user-data";
import {
  NETWORK,
  PROJECT,
  configProblems,
  onlyResource,
  refTo,
  resourcesOf,
  roleStatements,
  shippedConfig,
  synthAll,
  synthApp,
  type Json,
} from "../support/helpers";

// Settings and secrets per environment (modules/constructs/runtime-config.ts): where they live,
// who may read them, what the builds get, and what the configuration refuses.
const config = shippedConfig();
const stacks = synthAll(config);
const { appName } = config.project;
const byName = (stack: Json, type: string): Record<string, Json> => Object.fromEntries(resourcesOf(stack, type).map((r) => [r.name, r]));

const problems = configProblems;

describe.each(config.environments.map((e) => [e.name, e] as const))("runtime configuration of %s", (name, env) => {
  const stack = stacks[`app-${name}`];
  const key = refTo(stack, "aws_kms_key", "arn");

  it("keeps each setting as a SecureString parameter /<app>/<env>/settings/<NAME>, encrypted with the environment's key", () => {
    const parameters = byName(stack, "aws_ssm_parameter");
    expect(Object.keys(env.runtime.settings).length).toBeGreaterThan(0);
    for (const [setting, value] of Object.entries(env.runtime.settings)) {
      expect(parameters[`/${appName}/${name}/settings/${setting}`]).toMatchObject({ type: "SecureString", key_id: key, value });
    }
  });

  it("creates each secret in Secrets Manager as <app>/<env>/<NAME>, with the environment's key and no value", () => {
    const secrets = byName(stack, "aws_secretsmanager_secret");
    expect(Object.keys(secrets).sort()).toEqual(env.runtime.secrets.map((s) => `${appName}/${name}/${s}`).sort());
    for (const secret of Object.values(secrets)) {
      expect(secret.kms_key_id).toBe(key);
      expect(secret.recovery_window_in_days).toBe({ development: 0, preproduction: 7, production: 30 }[env.tier]);
      expect(Object.keys(secret).filter((k) => /secret_(string|binary)/.test(k))).toEqual([]);
    }
    expect(stack.resource.aws_secretsmanager_secret_version).toBeUndefined();
  });

  it("names each secret in a parameter under /<app>/<env>/secrets, so that one read of the path finds settings and secrets", () => {
    const parameters = byName(stack, "aws_ssm_parameter");
    for (const secret of env.runtime.secrets) {
      const reference = parameters[`/${appName}/${name}/secrets/${secret}`];
      expect(reference.value).toBe(`\${aws_secretsmanager_secret.runtime_secret_${secret.toLowerCase()}.name}`);
      expect(reference).toMatchObject({ type: "SecureString", key_id: key });
    }
    // The one parameter outside the path is a blue/green environment's live-slot record, beside the
    // path so that the instances' read of it never renders it into the runtime file.
    const outside = Object.keys(parameters).filter((p) => !p.startsWith(`/${appName}/${name}/`));
    expect(outside).toEqual(env.deployment.style === "blue-green" ? [liveSlotParameter(appName, name)] : []);
    expect(outside.every((p) => !p.startsWith(`/${appName}/${name}/`))).toBe(true);
  });

  it("lets the instances read their own path and secrets, and decrypt with the key through SSM and Secrets Manager only", () => {
    const statements = roleStatements(stack, `${appName}-${name}-instance`);
    const arn = (service: string, resource: string) => `arn:aws:${service}:${config.project.region}:${env.accountId}:${resource}`;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: "ssm:GetParametersByPath",
          Resource: [arn("ssm", `parameter/${appName}/${name}`), arn("ssm", `parameter/${appName}/${name}/*`)],
        }),
        expect.objectContaining({
          Action: "secretsmanager:GetSecretValue",
          Resource: arn("secretsmanager", `secret:${appName}/${name}/*`),
        }),
        expect.objectContaining({
          Action: "kms:Decrypt",
          Resource: key,
          Condition: {
            StringEquals: {
              "kms:ViaService": [`ssm.${config.project.region}.amazonaws.com`, `secretsmanager.${config.project.region}.amazonaws.com`],
            },
          },
        }),
      ]),
    );
  });

  it("tells the instances which environment they serve, in the platform file the deployment hooks read", () => {
    const script = Buffer.from(onlyResource(stack, "aws_launch_template").user_data, "base64").toString("utf8");
    expect(script).toContain(
      `cat > ${platformFile(appName)} <<'ENV'\nAWS_REGION=${config.project.region}\nENVIRONMENT=${name}\nPARAMETER_PATH=/${appName}/${name}\nENV\n`,
    );
  });

  it("gives each static site's build the environment's own build settings as plain text, the service's none, and no build a secret nor another environment's value", () => {
    const others = config.environments.filter((e) => e.name !== name).flatMap((e) => Object.values(e.runtime.settings));
    const pipelines = resourcesOf(stack, "aws_codepipeline");
    expect(pipelines.length).toBe(1 + env.staticSites.length);
    for (const pipeline of pipelines) {
      // The build, or in its place the promotion of what passed.
      const build = pipeline.stage.find((s: Json) => s.name === "Build").action[0];
      const variables: Json[] = JSON.parse(build.configuration.EnvironmentVariables);
      const isSite = pipeline.name !== `${name}-${config.project.appName}`;
      for (const setting of env.runtime.buildSettings) {
        const given = { name: setting, value: env.runtime.settings[setting], type: "PLAINTEXT" };
        if (isSite && build.name === "Build") expect(variables).toContainEqual(given);
        else expect(variables).not.toContainEqual(given);
      }
      expect(variables.filter((v) => env.runtime.secrets.includes(v.name))).toEqual([]);
      expect(variables.filter((v) => others.includes(v.value) && !Object.values(env.runtime.settings).includes(v.value))).toEqual([]);
    }
  });
});

describe("runtime configuration", () => {
  it("an environment without settings or secrets creates none, and its instances may still read their (empty) path", () => {
    const stack = synthApp("sandbox", { tier: "development", network: NETWORK });
    expect(resourcesOf(stack, "aws_ssm_parameter")).toEqual([]);
    expect(resourcesOf(stack, "aws_secretsmanager_secret")).toEqual([]);
    expect(JSON.stringify(roleStatements(stack, "shop-sandbox-instance"))).toContain("parameter/shop/sandbox/*");
  });

  it("rejects every bad setting, secret and build setting at once, naming file and field", () => {
    const found = problems(
      {
        dev: {
          tier: "development",
          network: NETWORK,
          settings: {
            "feature-flag": "on",
            EMPTY: "",
            DB_PASSWORD: "hunter2",
            UPSTREAM: "https://svc:hunter2@upstream.internal/api",
            AWS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
            Region: "eu",
            REGION: "us",
            STRIPE_URL: "https://api.stripe.com",
          },
          secrets: ["STRIPE_KEY", "STRIPE_KEY", "region", "stripe_url", "9LIVES"],
          buildSettings: ["STRIPE_KEY", "MISSING", "STRIPE_URL", "STRIPE_URL"],
        },
      },
      { ...PROJECT, workloads: { shop: { kind: "service", repository: "acme/shop", buildVariables: { STRIPE_URL: "x" } } } },
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^environments\/dev\.ts settings(\.feature-flag)?: must be 1-128 letters, digits and _/),
        "environments/dev.ts settings.EMPTY: must not be empty (Parameter Store refuses an empty value)",
        "environments/dev.ts settings.DB_PASSWORD: looks like a secret's name: settings are plain text in git and in Terraform state; declare it under secrets instead",
        expect.stringMatching(/^environments\/dev\.ts settings\.UPSTREAM: looks like a credential/),
        expect.stringMatching(/^environments\/dev\.ts settings\.AWS_KEY_ID: looks like a credential/),
        expect.stringMatching(/^environments\/dev\.ts secrets\.4: must be 1-128 letters/),
      ]),
    );
    // The rules between fields run on what is left of the file, and are reported in the same error.
    expect(found).toEqual(
      expect.arrayContaining([
        "environments/dev.ts settings.REGION: differs from another setting only in case: give each setting its own name",
      ]),
    );
  });

  it("rejects secrets given twice or also as settings, and build settings that are secrets, undeclared, or taken", () => {
    const found = problems(
      {
        dev: {
          tier: "development",
          network: NETWORK,
          settings: { REGION: "eu", STRIPE_URL: "https://api.stripe.com", ENVIRONMENT: "x" },
          secrets: ["STRIPE_KEY", "STRIPE_KEY", "region"],
          buildSettings: ["STRIPE_KEY", "MISSING", "STRIPE_URL", "STRIPE_URL", "ENVIRONMENT"],
        },
      },
      { ...PROJECT, workloads: { shop: { kind: "service", repository: "acme/shop", buildVariables: { STRIPE_URL: "x" } } } },
    );
    expect(found).toEqual([
      "environments/dev.ts secrets: is listed twice (names are compared ignoring case)",
      "environments/dev.ts secrets: is also a setting: a name is either a plain setting or a secret; remove it from one of them",
      "environments/dev.ts buildSettings: is listed twice",
      "environments/dev.ts buildSettings: is a secret: secrets never reach the shared build project, whose role every environment's build uses; read it at run time instead",
      "environments/dev.ts buildSettings: is not one of this environment's settings (REGION, STRIPE_URL, ENVIRONMENT): declare it under settings",
      "environments/dev.ts buildSettings: is also a build variable of workload shop (environments/_project.ts): give one of them another name",
      "environments/dev.ts buildSettings: is also a build variable of workload shop (environments/_project.ts): give one of them another name",
      "environments/dev.ts buildSettings: is a variable CodeBuild or the pipeline sets itself (CODEBUILD_*, ENVIRONMENT, COMMIT_ID, WORKLOAD)",
    ]);
  });

  it("rejects an appName that Parameter Store would refuse as the first level of a name, once there are settings", () => {
    const env = { tier: "development", network: NETWORK, settings: { REGION: "eu" } };
    expect(problems({ dev: env }, { ...PROJECT, appName: "ssmapp" })).toEqual([
      "environments/dev.ts settings: needs parameters under /<appName>/, and Parameter Store refuses names that start with aws or ssm: rename appName",
    ]);
    expect(problems({ dev: { tier: "development", network: NETWORK } }, { ...PROJECT, appName: "ssmapp" })).toEqual([]);
  });

  it("counts the build settings in the 1000 characters CodePipeline allows for the build's variables", () => {
    const env = { tier: "development", network: NETWORK, settings: { BIG: "x".repeat(900) }, buildSettings: ["BIG"] };
    const withSite = { ...PROJECT, workloads: { ...PROJECT.workloads, web: { kind: "static-site" as const, repository: "acme/web" } } };
    // Only a static site's build takes them: the service's variables stay short.
    expect(problems({ dev: env }, withSite)).toEqual([
      expect.stringContaining(
        "environments/dev.ts buildSettings: make the build's variables of web 1133 characters long in environment dev; CodePipeline accepts at most 1000",
      ),
    ]);
    expect(problems({ dev: env })).toEqual([]);
    expect(problems({ dev: { ...env, buildSettings: [] } }, withSite)).toEqual([]);
  });
});

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { fakeInfracost, projectCopy, shippedConfig, type Json } from "../support/helpers";

// The seeds' larger system (E-Com67): a container API (ECS on Fargate, instead of the EC2 service)
// and two single-page frontends, each with its own repository and its own pipeline in every
// environment. `npm run plan` plans it offline with the
// real provider, as a newcomer's project. A plan validates its configuration before it plans
// (Terraform's local backend runs the validate walk first), so a separate `terraform validate` of
// the same configuration would only repeat that work (docs/tests.md, "Where the time goes").
// ci, build, production's account bootstrap, then the environments (npm run plan's order offline).
const STACKS = [
  "ci",
  "build",
  ...Object.keys(shippedConfig().project.accounts.environments).map((id) => `bootstrap-${id}`),
  ...shippedConfig().environments.map((e) => `app-${e.name}`),
];
// Production runs in its own account (environments/prod.ts): its certificates are of that account.
const CERT = "arn:aws:acm:us-east-1:210987654321:certificate/11111111-2222-3333-4444-555555555555";
const dir = projectCopy();

const replaceIn = (file: string, from: RegExp, to: string) => {
  const text = fs.readFileSync(path.join(dir, file), "utf8");
  if (!from.test(text)) throw new Error(`${file} does not match ${from}`);
  fs.writeFileSync(path.join(dir, file), text.replace(from, to));
};
replaceIn(
  "environments/_project.ts",
  /workloads: \{\n(?: {4}.*\n)+ {2}\},/,
  `workloads: {
    api: { kind: "container", repository: "example-org/e-com67-api" },
    admin: { kind: "static-site", repository: "example-org/e-com67-admin", buildVariables: { API_URL: "https://api.example.com" } },
    customer: { kind: "static-site", repository: "example-org/e-com67-customer" },
  },`,
);
// A production site needs a domain of its own (CLOUDFRONT_OWN_DOMAIN_IN_PRODUCTION): both get one.
replaceIn(
  "environments/prod.ts",
  / {2}workloads: \{[\s\S]*?\n {2}\},\n/,
  `  workloads: {
    admin: { aliases: ["admin.example.com"], certificateArn: "${CERT}" },
    customer: { aliases: ["shop.example.com"], certificateArn: "${CERT}" },
  },\n`,
);
// Both sites bake API_BASE_URL, which differs per environment: where an environment promotes, they build again.
for (const env of ["qa", "staging", "prod", "demo"])
  replaceIn(`environments/${env}.ts`, /rebuild: \["storefront"\]/, 'rebuild: ["admin", "customer"]');
replaceIn("environments/dev.ts", /\n\}\);\n$/, `\n  workloads: { admin: { priceClass: "PriceClass_200" } },\n});\n`);

// Infracost is there and has its key, but an offline plan is not priced (scripts/plan.ts).
const fakeBin = fakeInfracost(dir);
const noAws: NodeJS.ProcessEnv = { ...process.env, HOME: dir, PATH: `${fakeBin}:${process.env.PATH}`, INFRACOST_API_KEY: "ico-test" };
for (const k of Object.keys(noAws)) if (k.startsWith("AWS_")) delete noAws[k];

let plan: { code: number | null; stdout: string; stderr: string };
const planOf = (stack: string): Json => JSON.parse(fs.readFileSync(path.join(dir, "plans", stack, "plan.json"), "utf8"));
const created = (stack: string, type: string): Json[] =>
  planOf(stack)
    .resource_changes.filter((r: Json) => r.type === type && r.change.actions.join() === "create")
    .map((r: Json) => r.change.after);

beforeAll(() => {
  const r = spawnSync(path.join(dir, "node_modules", ".bin", "tsx"), ["scripts/plan.ts"], { cwd: dir, encoding: "utf8", env: noAws });
  plan = { code: r.status, stdout: r.stdout, stderr: r.stderr };
}, 180_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("a project with one container API and two static sites (E-Com67)", () => {
  it("plans offline, every stack, in one Terraform run, which validates them with hashicorp/aws 5.100.0 first", () => {
    expect(plan.stderr).toBe("");
    expect(plan.code).toBe(0);
    expect(plan.stdout.match(new RegExp(`planning with ${STACKS.length - 1} other stack\\(s\\) in one Terraform run`, "g"))).toHaveLength(
      STACKS.length,
    );
  });

  it("is not priced offline, even with Infracost and its key at hand: the plan has no state or region to price", () => {
    const summary = fs.readFileSync(path.join(dir, "plans", "SUMMARY.md"), "utf8");
    expect(summary).toContain("## Monthly cost\n\nNot estimated: offline plans are not priced");
    expect(STACKS.some((s) => fs.existsSync(path.join(dir, "plans", s, "cost.json")))).toBe(false);
  });

  it.each(STACKS.filter((s) => s.startsWith("app-")))(
    "%s gets one pipeline per workload, each from its own repository, on the shared build project",
    (stack) => {
      const env = stack.replace(/^app-/, "");
      const pipelines = created(stack, "aws_codepipeline");
      expect(pipelines.map((p) => p.name).sort()).toEqual([`${env}-admin-webapp`, `${env}-api-webapp`, `${env}-customer-webapp`]);
      const sourceOf = (p: Json) => p.stage[0].action[0].configuration;
      expect(pipelines.map((p) => sourceOf(p).FullRepositoryId).sort()).toEqual([
        "example-org/e-com67-admin",
        "example-org/e-com67-api",
        "example-org/e-com67-customer",
      ]);
      const promotes = ["qa", "staging", "prod", "demo"].includes(env);
      for (const p of pipelines) {
        expect(sourceOf(p).BranchName).toBe(`deploy/${env}`);
        const names = p.stage[1].action.map((a: Json) => a.name);
        const build = p.stage[1].action.find((a: Json) => a.name === "Build");
        // The API's image is promoted by digest where the environment promotes, and gated on its
        // scan there too; the sites build again (pipeline.rebuild), once their commit has passed.
        if (p.name === `${env}-api-webapp`) {
          expect(names[0]).toBe(promotes ? "Promote" : "Build");
          if (!promotes) expect(build.configuration.ProjectName).toBe("webapp-image");
          expect(names).toContain("ScanImage");
        } else {
          expect(names[0]).toBe(promotes ? "VerifyCommitPassed" : "Build");
          expect(build.configuration.ProjectName).toBe("webapp-offline-placeholder-build");
        }
      }
      expect(
        created(stack, "aws_cloudfront_distribution")
          .map((d) => d.comment)
          .sort(),
      ).toEqual([`webapp-${env}-admin`, `webapp-${env}-customer`]);
      // No EC2 fleet: the API runs on Fargate, rolling, or in production blue/green through
      // CodeDeploy's ECS deployment (one group, two target groups).
      expect(created(stack, "aws_autoscaling_group")).toEqual([]);
      expect(created(stack, "aws_ecs_service").map((s) => s.name)).toEqual(["api"]);
      expect(created(stack, "aws_codedeploy_deployment_group").map((g) => g.deployment_group_name)).toEqual(
        env === "prod" ? ["webapp-prod-api"] : [],
      );
      expect(created(stack, "aws_lb_target_group").map((t) => t.target_type)).toEqual(env === "prod" ? ["ip", "ip"] : ["ip"]);
      expect(created(stack, "aws_lb_listener_rule")[0].condition[0].path_pattern[0].values).toEqual(["/*"]);
    },
  );

  it("the shared build stack keeps one build project and one scan project for all of them, and builds the API's image", () => {
    expect(
      created("build", "aws_codebuild_project")
        .map((p) => p.name)
        .sort(),
    ).toEqual(["webapp-build", "webapp-image", "webapp-scan"]);
    expect(created("build", "aws_ecr_repository").map((r) => [r.name, r.image_tag_mutability])).toEqual([["webapp/api", "IMMUTABLE"]]);
    expect(created("build", "aws_cloudfront_distribution")).toHaveLength(0);
  });

  it("applies each environment's site settings: prod's custom domain with TLS 1.2+, dev's price class", () => {
    const customer = created("app-prod", "aws_cloudfront_distribution").find((d) => d.comment === "webapp-prod-customer")!;
    expect(customer.aliases).toEqual(["shop.example.com"]);
    expect(customer.viewer_certificate[0]).toMatchObject({
      acm_certificate_arn: CERT,
      minimum_protocol_version: "TLSv1.2_2021",
      ssl_support_method: "sni-only",
    });
    const admin = created("app-dev", "aws_cloudfront_distribution").find((d) => d.comment === "webapp-dev-admin")!;
    expect(admin.price_class).toBe("PriceClass_200");
    const build = created("app-dev", "aws_codepipeline").find((p) => p.name === "dev-admin-webapp")!.stage[1].action[0];
    expect(JSON.parse(build.configuration.EnvironmentVariables)).toContainEqual({
      name: "API_URL",
      value: "https://api.example.com",
      type: "PLAINTEXT",
    });
  });
});

import { Testing } from "../../modules/lib/cdk";
import {
  loadConfig,
  previewName,
  previewSource,
  validateConfig,
  type Config,
  type PreviewEntry,
  type PreviewsConfig,
  type ProjectInput,
} from "../../modules/config";
import { createStacks } from "../../modules/stacks";
import * as fs from "fs";
import * as path from "path";
import { ENVIRONMENTS_DIR, NETWORK, PROJECT, ROOT, onlyResource, type Json } from "../support/helpers";

// Preview stacks from hostile branch names: every name they give AWS fits that name's limits.

const entry = (appName: string, branch: string): PreviewEntry => ({
  name: previewName(appName, branch),
  branch,
  createdAt: "2026-11-23T10:00:00.000Z",
  expiresOn: "2026-11-30",
});

const HOSTILE = ["a".repeat(255), "Feature/UPPER.case/with.dots_and_underscores", "x", "users/jane.doe/deep/folder/branch-name-v2.1"];

/** The preview stacks of a configuration, synthesized. */
function previewStacks(config: Config): Record<string, Json> {
  const { apps } = createStacks(Testing.app(), config);
  return Object.fromEntries(apps.filter((a) => a.stackName.startsWith("app-pv-")).map((a) => [a.stackName, JSON.parse(Testing.synth(a))]));
}

/**
 * Each name AWS takes from a preview, with its service's limit: length and characters (each
 * service's API reference for the action that creates it). A name attribute missing here fails
 * the test, so a new resource's name is checked once its limit is written down.
 */
const LIMITS: Record<string, { max: number; chars: RegExp }> = {
  "aws_autoscaling_group.name": { max: 255, chars: /^[^\n]+$/ },
  "aws_autoscaling_policy.name": { max: 255, chars: /^[^\n]+$/ },
  "aws_autoscaling_schedule.scheduled_action_name": { max: 255, chars: /^[^\n]+$/ },
  "aws_cloudwatch_event_rule.name": { max: 64, chars: /^[.\-_A-Za-z0-9]+$/ },
  "aws_cloudwatch_log_group.name": { max: 512, chars: /^[.\-_/#A-Za-z0-9]+$/ },
  "aws_cloudwatch_metric_alarm.alarm_name": { max: 255, chars: /^[^\n]+$/ },
  // CloudWatch PutDashboard: DashboardName, up to 255 of A-Z, a-z, 0-9, - and _.
  "aws_cloudwatch_dashboard.dashboard_name": { max: 255, chars: /^[A-Za-z0-9_-]+$/ },
  // CloudWatch Logs PutMetricFilter: filterName, up to 512 characters, no ':' or '*'.
  "aws_cloudwatch_log_metric_filter.name": { max: 512, chars: /^[^:*]+$/ },
  "aws_codebuild_project.name": { max: 255, chars: /^[A-Za-z0-9][A-Za-z0-9\-_]{1,254}$/ },
  "aws_codedeploy_app.name": { max: 100, chars: /^[^\n]+$/ },
  "aws_codedeploy_deployment_group.deployment_group_name": { max: 100, chars: /^[^\n]+$/ },
  "aws_codepipeline.name": { max: 100, chars: /^[A-Za-z0-9.@\-_]+$/ },
  "aws_iam_instance_profile.name": { max: 128, chars: /^[\w+=,.@-]+$/ },
  "aws_iam_role.name": { max: 64, chars: /^[\w+=,.@-]+$/ },
  "aws_iam_role_policy.name": { max: 128, chars: /^[\w+=,.@-]+$/ },
  "aws_kms_alias.name": { max: 256, chars: /^alias\/[a-zA-Z0-9/_-]+$/ },
  "aws_launch_template.name": { max: 128, chars: /^[a-zA-Z0-9().\-/_]+$/ },
  // Elastic Load Balancing: alphanumerics and hyphens, not starting or ending with a hyphen.
  "aws_lb.name": { max: 32, chars: /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/ },
  "aws_lb_target_group.name": { max: 32, chars: /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/ },
  "aws_security_group.name": { max: 255, chars: /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]+$/ },
  "aws_sns_topic.name": { max: 256, chars: /^[A-Za-z0-9_-]+$/ },
  "aws_ssm_parameter.name": { max: 2048, chars: /^[a-zA-Z0-9_.\-/]+$/ },
  "aws_secretsmanager_secret.name": { max: 512, chars: /^[A-Za-z0-9/_+=.@-]+$/ },
  "aws_s3_bucket.bucket": { max: 63, chars: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/ },
  "aws_cloudfront_origin_access_control.name": { max: 64, chars: /^[^\n]+$/ },
  "aws_cloudfront_response_headers_policy.name": { max: 128, chars: /^[A-Za-z0-9_-]+$/ },
  "aws_cloudfront_function.name": { max: 64, chars: /^[a-zA-Z0-9-_]+$/ },
  "aws_cloudwatch_log_delivery_source.name": { max: 60, chars: /^[\w-]+$/ },
  "aws_cloudwatch_log_delivery_destination.name": { max: 60, chars: /^[\w-]+$/ },
  "aws_vpc_endpoint.vpc_endpoint_type": { max: 20, chars: /^[A-Za-z]+$/ },
};

/** Name-like attributes whose values are not names AWS limits (types, references to other names). */
const NOT_A_NAME = /^(metric_name|deployment_config_name|app_name|autoscaling_group_name|role|bucket_name|service_name)$/;

function namesIn(stack: Json): [string, string][] {
  const found: [string, string][] = [];
  for (const [type, byId] of Object.entries<Json>(stack.resource ?? {})) {
    for (const r of Object.values<Json>(byId)) {
      for (const [attr, value] of Object.entries(r)) {
        if (typeof value !== "string" || value.includes("${") || NOT_A_NAME.test(attr)) continue;
        if (/(^|_)name$|^bucket$/.test(attr)) found.push([`${type}.${attr}`, value]);
      }
    }
  }
  return found;
}

function expectNamesWithinLimits(stacks: Record<string, Json>) {
  const problems: string[] = [];
  let checked = 0;
  for (const [stack, json] of Object.entries(stacks)) {
    for (const [key, value] of namesIn(json)) {
      const limit = LIMITS[key];
      if (!limit) problems.push(`${stack}: ${key} = ${value}: no limit recorded in this test`);
      else if (value.length > limit.max || !limit.chars.test(value))
        problems.push(`${stack}: ${key} = ${value} breaks ${limit.max} / ${limit.chars}`);
      checked++;
    }
    // Tag values: 256 characters of letters, digits, spaces and _ . : / = + - @.
    for (const [k, v] of Object.entries<string>(json.provider.aws[0].default_tags[0].tags)) {
      if (v.length > 256 || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(v)) problems.push(`${stack}: tag ${k} = ${v}`);
    }
  }
  expect(problems).toEqual([]);
  return checked;
}

describe("preview stacks from the shipped template", () => {
  const entries = HOSTILE.map((b) => entry("webapp", b));
  const config = loadConfig(ENVIRONMENTS_DIR, { entries, registry: ".previews/" });
  const stacks = previewStacks(config);

  it("are one stack per branch, named from it", () => {
    expect(Object.keys(stacks).sort()).toEqual(entries.map((e) => `app-${e.name}`).sort());
  });

  it("give AWS only names within each name's limits", () => {
    expect(expectNamesWithinLimits(stacks)).toBeGreaterThan(4 * 15);
  });

  it("deploy their own branch, start on pushes to it only, with no approval", () => {
    for (const e of entries) {
      const pipeline = onlyResource(stacks[`app-${e.name}`], "aws_codepipeline");
      const source = pipeline.stage[0].action[0];
      expect(source.configuration.BranchName).toBe(e.branch);
      expect(pipeline.trigger[0].git_configuration.push[0].branches.includes).toEqual([e.branch]);
      expect(pipeline.stage.map((s: Json) => s.name)).not.toContain("Approval");
    }
  });

  it("schedule their key's deletion after the window the previews page states", () => {
    const page = fs.readFileSync(path.join(ROOT, "docs", "previews.md"), "utf8").replace(/\s+/g, " ");
    const days = Number(/its KMS key is scheduled for deletion after (\d+) days/.exec(page)?.[1]);
    for (const e of entries) expect(onlyResource(stacks[`app-${e.name}`], "aws_kms_key").deletion_window_in_days).toBe(days);
  });

  it("tag every resource with the preview's name and expiry, and keep state under the preview's own key", () => {
    for (const e of entries) {
      const stack = stacks[`app-${e.name}`];
      expect(stack.provider.aws[0].default_tags[0].tags).toMatchObject({ Preview: e.name, ExpiresOn: "2026-11-30", Tier: "development" });
      expect(stack.terraform.backend.s3.key).toBe(`webapp/app-${e.name}.tfstate`);
    }
  });
});

describe("preview stacks from a template with a static site and a secret, for a long appName", () => {
  const project: ProjectInput = {
    ...PROJECT,
    appName: "shop-with-a-long-nam", // 20 characters: room for 11 in the preview's name
    workloads: { ...PROJECT.workloads, "marketing-site": { kind: "static-site", repository: "acme/marketing" } },
  };
  const template: PreviewsConfig = {
    file: "environments/_previews.ts",
    maxPreviews: 5,
    ttlDays: 7,
    staticSites: true,
    environment: { tier: "development", network: NETWORK, secrets: ["DATABASE_PASSWORD"] },
  };
  const entries = HOSTILE.map((b) => entry(project.appName, b));
  const config = validateConfig(
    { file: "environments/_project.ts", input: project },
    entries.map((e) => previewSource(template, e, ["marketing-site"])),
  );
  const stacks = previewStacks(config);

  it("give AWS only names within each name's limits, buckets, sites and secrets included", () => {
    const all = Object.values(stacks)
      .flatMap(namesIn)
      .map(([k]) => k);
    expect(all).toEqual(expect.arrayContaining(["aws_s3_bucket.bucket", "aws_secretsmanager_secret.name", "aws_codebuild_project.name"]));
    expectNamesWithinLimits(stacks);
  });
});

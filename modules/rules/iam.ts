/** Identity: IAM policies and trust. */
import type { Rule } from "./engine";
import { list, statements, allows } from "./policy-reader";

/** Actions that do not support resource-level permissions: "*" is their only resource. */
const RESOURCELESS_ACTIONS = new Set([
  "codedeploy-commands-secure:GetDeploymentSpecification",
  "codedeploy-commands-secure:PollHostCommand",
  "codedeploy-commands-secure:PutHostCommandAcknowledgement",
  "codedeploy-commands-secure:PutHostCommandComplete",
  "cloudwatch:PutMetricData",
  "cloudwatch:DescribeAlarms",
  "ec2:DescribeInstances",
  "ec2:DescribeTags",
  "ec2:DescribeVolumes",
  "logs:DescribeLogGroups",
  "sts:GetCallerIdentity",
  // Service Authorization Reference: no resource types for these (the traffic switch reads them).
  "elasticloadbalancing:DescribeListeners",
  "elasticloadbalancing:DescribeTargetHealth",
  "autoscaling:DescribeAutoScalingGroups",
  // ... and these, which a people role reads with (modules/stacks/ci-stack.ts).
  "codepipeline:ListPipelines",
  "logs:DescribeQueries",
  "logs:StopQuery",
  "cloudwatch:GetMetricStatistics",
  // ... and these, which CodeBuild calls to run a build in a VPC (acceptance tests in the VPC).
  "ec2:DescribeDhcpOptions",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSubnets",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeVpcs",
  // ... and these, which a container's image build, tasks and deploy step call (ECR's sign-in;
  // task definitions are registered and described by family, with no resource type).
  "ecr:GetAuthorizationToken",
  "ecs:DescribeTaskDefinition",
  "ecs:RegisterTaskDefinition",
  "codedeploy:ContinueDeployment",
]);
const IAM_POLICY_TYPES = ["aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"];

/** Services that send aws:SourceArn when they assume a role (confused-deputy protection). */
const SENDS_SOURCE_ARN = ["codebuild.amazonaws.com", "codepipeline.amazonaws.com", "codedeploy.amazonaws.com", "events.amazonaws.com"];
/** Services that send neither aws:SourceAccount nor aws:SourceArn when they assume a role. */
const SENDS_NO_SOURCE = ["ec2.amazonaws.com"];

export const IAM: Rule[] = [
  {
    id: "IAM_NO_WILDCARD_ACTIONS",
    controls: ["CKV_AWS_62", "CKV_AWS_63"],
    description: 'IAM policies allow no "*", "*:*" or whole-service actions',
    fix: "list the actions the role needs",
    types: IAM_POLICY_TYPES,
    check: (r) => {
      const wild = allows(r.attrs.policy)
        .flatMap((s) => list(s.Action))
        .filter((a) => a === "*" || /^[\w-]+:\*$/.test(a) || a === "*:*");
      return wild.length ? `allows ${[...new Set(wild)].join(", ")}` : undefined;
    },
  },
  {
    id: "IAM_NO_WILDCARD_RESOURCES",
    controls: ["CKV_AWS_355"],
    description: 'IAM policies do not allow actions that take a resource on "*"',
    fix: "name the resources (ARNs) the actions apply to",
    types: IAM_POLICY_TYPES,
    check: (r) => {
      const bad = allows(r.attrs.policy)
        .filter((s) => list(s.Resource).includes("*"))
        .flatMap((s) => list(s.Action))
        .filter((a) => !RESOURCELESS_ACTIONS.has(a));
      return bad.length ? `allows ${bad.join(", ")} on every resource` : undefined;
    },
  },
  {
    id: "IAM_TRUST_BOUND_TO_ACCOUNT",
    controls: ["AWS IAM: cross-service confused deputy prevention"],
    description:
      "Service roles trust the service only on this account's behalf (aws:SourceAccount, and aws:SourceArn where the service sends it)",
    fix: "add StringEquals aws:SourceAccount (and ArnLike aws:SourceArn) to the trust policy",
    types: ["aws_iam_role"],
    check: (r) => {
      for (const s of statements(r.attrs.assume_role_policy).filter((st) => st.Effect === "Allow")) {
        for (const service of list(s.Principal?.Service) as string[]) {
          if (SENDS_NO_SOURCE.includes(service)) continue;
          const keys = Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c));
          if (!keys.includes("aws:SourceAccount")) return `${service} may assume it without an aws:SourceAccount condition`;
          if (SENDS_SOURCE_ARN.includes(service) && !keys.includes("aws:SourceArn"))
            return `${service} may assume it without an aws:SourceArn condition`;
        }
      }
      return undefined;
    },
  },
];

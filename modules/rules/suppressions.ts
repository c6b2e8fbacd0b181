import type { Suppression } from "./engine";

/**
 * Every rule suppression of the shipped stacks, in one place. Each names the rule, one resource
 * (its construct path within the stack) and why the rule does not apply to it.
 */
export const SUPPRESSIONS: readonly Suppression[] = [
  {
    rule: "CODEBUILD_NOT_PRIVILEGED",
    path: "image/project",
    reason:
      "the image build project drives a Docker daemon, which CodeBuild runs only in privileged mode (CodeBuild API reference, ProjectEnvironment \"privilegedMode\": \"to build Docker images\"); it runs the platform's own buildspec (runtime/image-build.sh), never the application's, and its role may only push to the container workloads' repositories and write the pipeline's artifacts (modules/constructs/image-build-project.ts)",
  },
  {
    rule: "SG_NO_OPEN_HTTP",
    path: "web/ingress-80-0-0-0-0-0",
    reason:
      "the environment's public ALB accepts HTTP from anywhere: with a certificate its port 80 only redirects to HTTPS (ALB_HTTP_REDIRECTS); without one the environment is HTTP-only by choice (no certificateArn)",
  },
  {
    rule: "S3_ENCRYPTED_WITH_CMK",
    path: "access-logs/bucket",
    reason:
      "the access-log bucket is encrypted with SSE-S3: ALB log delivery supports no other default encryption, and S3 server access logs cannot be delivered to a bucket with SSE-KMS default encryption",
  },
  {
    rule: "S3_ACCESS_LOGGED",
    path: "access-logs/bucket",
    reason: "the access-log bucket is where every other bucket logs; logging it into itself would log each log delivery, without end",
  },
  {
    rule: "SSM_PARAMETER_ENCRYPTED_WITH_CMK",
    path: "traffic/live-slot",
    reason:
      'a blue/green environment\'s record of its serving fleet holds "blue" or "green", nothing confidential; as a String its only reader and writer, the traffic switch, needs no grant on the environment\'s key',
  },
  {
    rule: "IAM_NO_WILDCARD_RESOURCES",
    path: "read-metrics",
    reason:
      'a people role\'s metric reads: cloudwatch:GetMetricData and ListMetrics name only a PromQL/OTLP dataset as a resource; the metrics of dashboards and alarms take "*" (Service Authorization Reference, Amazon CloudWatch)',
  },
  ...(["IAM_NO_WILDCARD_ACTIONS", "IAM_NO_WILDCARD_RESOURCES"] as const).flatMap((rule) => [
    {
      rule,
      path: "deploy-policy",
      reason:
        "an account bootstrap's deploy role creates whatever the app stacks declare, in the services they use (ENVIRONMENT_SERVICES), as CDK's deploy role does; it is bounded instead: IAM only on the app's own roles and only with the permission boundary, never itself (docs/accounts.md, \"What the deploy role may do\")",
    },
    {
      rule,
      path: "ci-apply-policy",
      reason:
        "a CI apply role deploys what its stacks declare in the tooling account, in the services they use (TOOLING_SERVICES), as the deploy role does in an environment account; it is bounded instead: IAM only on the app's own roles, never a CI role or the OIDC provider, never another stack's state (docs/accounts.md, \"CI and people\")",
    },
    {
      rule,
      path: "ci-boundary",
      reason:
        "a permission boundary is the ceiling of the roles a GitHub environment's stacks create in the tooling account, not a grant: each role's own policy names its resources; the boundary keeps them to the tooling services, out of IAM, and within the apply role's fences (docs/accounts.md, \"CI and people\")",
    },
    {
      rule,
      path: "boundary",
      reason:
        "a permission boundary is the ceiling of the app stacks' roles, not a grant: each role's own policy names its resources; the boundary keeps every one of them to the environment services and out of IAM (docs/accounts.md)",
    },
  ]),
];

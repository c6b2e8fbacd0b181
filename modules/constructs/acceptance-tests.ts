import { Construct } from "constructs";
import type { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import type { ServiceRole } from "./service-role";
import { validateProps } from "../lib/props";
import type { PolicyStatement } from "../lib/policy";
import { pipelineStepProject, type PipelineStepResources } from "./pipeline-step-project";
import { projectNameCheck } from "./shared-build-project";
import { arn } from "../lib/arn";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";

/** With the pipeline's artifacts, which hold the source the tests come from (PipelineStepResources). */
export interface AcceptanceTestsProps extends PipelineStepResources {
  /** The project's name (the workload's prefix and "-acceptance"). */
  readonly projectName: string;
  /** The buildspec of the application repository that runs the tests (acceptanceTests.buildspec). */
  readonly buildspec: string;
  /**
   * Run inside the VPC, in these (private) subnets, to reach private endpoints
   * (acceptanceTests.inVpc). @default - outside any VPC
   */
  readonly vpc?: { readonly vpcId: string; readonly subnetIds: readonly string[] };
}

/**
 * The application's acceptance tests, run by its pipeline after each deploy against the workload's
 * URL (APP_URL, with ENVIRONMENT and COMMIT_ID, set by the action): docs/pipelines.md, "Acceptance
 * tests". The tests and their buildspec come from the application repository at the commit being
 * released (the pipeline's source artifact), so the application owns them.
 *
 * A CodeBuild project of its own per workload and environment, in the environment's account, with
 * a role that may read the pipeline's artifacts and write its logs and test reports, and nothing
 * else: the tests reach the application over HTTP(S), as its users do, and hold no AWS permission.
 */
export class AcceptanceTests extends Construct {
  readonly project: CodebuildProject;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, props: AcceptanceTestsProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/acceptance-tests.ts", [
      projectNameCheck(props.projectName),
      {
        field: "buildspec",
        value: props.buildspec,
        ok: /^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]+\.ya?ml$/.test(props.buildspec),
        message: "must be a .yml or .yaml path inside the repository (no leading / and no ..)",
      },
    ]);
    const { vpc, ...step } = props;
    const network = vpc ? this.network(props, vpc) : undefined;
    ({ project: this.project, role: this.role } = pipelineStepProject(this, {
      ...step,
      description: `Runs the application's acceptance tests (${props.buildspec}) after each deploy`,
      statements: [
        {
          // Its reports (buildspec-test.yml's report groups, <project>-<name>; CodeBuild user guide,
          // "Create a report group (buildspec)").
          sid: "PublishTestReports",
          actions: ["codebuild:CreateReportGroup", "codebuild:CreateReport", "codebuild:UpdateReport", "codebuild:BatchPutTestCases"],
          resources: [arn(props, "codebuild", `report-group/${props.projectName}-*`)],
        },
        ...(network?.statements ?? []),
      ],
      program: { buildspecFile: props.buildspec },
      variables: {},
      buildTimeout: 30,
      ...(vpc && network ? { vpc: { ...vpc, securityGroupIds: [network.securityGroup.id] } } : {}),
    }));
  }

  /**
   * In the VPC: a security group that may only reach HTTP(S) (the application, and the internet
   * through the subnets' NAT), and what CodeBuild needs to put the build's network interface in
   * those subnets (CodeBuild user guide, "Allow CodeBuild access to AWS services required to create
   * a VPC network interface"; the Describe calls take no resource).
   */
  private network(props: AcceptanceTestsProps, vpc: { vpcId: string; subnetIds: readonly string[] }) {
    const securityGroup = new SecurityGroup(this, "sg", {
      name: props.projectName,
      description: `Acceptance tests of ${props.projectName.replace(/-acceptance$/, "")}: HTTP(S) out only`,
      vpcId: vpc.vpcId,
    });
    for (const port of [80, 443]) {
      new VpcSecurityGroupEgressRule(this, `egress-${port}`, {
        securityGroupId: securityGroup.id,
        description: port === 443 ? "HTTPS: the application and package registries" : "HTTP: the application",
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: "0.0.0.0/0",
      });
    }
    const subnetArns = vpc.subnetIds.map((id) => arn(props, "ec2", `subnet/${id}`));
    const statements: PolicyStatement[] = [
      {
        sid: "DescribeTheNetwork",
        actions: [
          "ec2:DescribeDhcpOptions",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSubnets",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeVpcs",
        ],
        resources: ["*"],
      },
      {
        sid: "ManageItsNetworkInterfaces",
        actions: ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
        resources: [arn(props, "ec2", "network-interface/*"), ...subnetArns, arn(props, "ec2", `security-group/${securityGroup.id}`)],
      },
      {
        sid: "LetCodeBuildUseThemInItsSubnets",
        actions: ["ec2:CreateNetworkInterfacePermission"],
        resources: [arn(props, "ec2", "network-interface/*")],
        conditions: { StringEquals: { "ec2:Subnet": subnetArns, "ec2:AuthorizedService": "codebuild.amazonaws.com" } },
      },
    ];
    return { securityGroup, statements };
  }

  /** Running the project from the workload's pipeline. */
  grantRun(): PolicyStatement {
    return { sid: "RunOwnAcceptanceTests", actions: ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], resources: [this.project.arn] };
  }
}

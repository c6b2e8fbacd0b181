import { Construct } from "constructs";
import { Token } from "cdktf";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { architectureOf, isKnownInstanceType } from "./config";
import { inRange, validateProps } from "./props";
import { ServiceRole } from "./iam";
import { managedPolicyArn } from "./arn";

export interface AppFleetProps {
  /** Prefix of the fleet's resource names. */
  readonly name: string;
  readonly accountId: string;
  readonly region: string;
  readonly instanceType: string;
  readonly minCapacity: number;
  readonly desiredCapacity: number;
  readonly maxCapacity: number;
  readonly privateSubnetIds: readonly string[];
  readonly securityGroupId: string;
  readonly targetGroupArn: string;
  /** Revisions are read from here: `<bucket ARN>/<prefix>/*`. */
  readonly artifactBucketArn: string;
  readonly artifactPrefix: string;
  readonly artifactKeyArn: string;
  /**
   * Log group the CloudWatch agent ships the application and agent logs to. A literal name, not a
   * token: it is written into the user data, which is encoded at synth.
   */
  readonly logGroupName: string;
  readonly logGroupArn: string;
  /**
   * The system user the application service runs as, created at boot; the application's systemd
   * unit is `<serviceUser>.service` (as examples/sample-app installs it).
   */
  readonly serviceUser: string;
  /** Port and path of the target group's health check, answered before the first revision. */
  readonly appPort: number;
  readonly healthCheckPath: string;
  /** @default 20 */
  readonly rootVolumeGiB?: number;
}

/** The SSM parameter of the latest Amazon Linux 2023 AMI for the instance type's architecture. */
export function amiParameter(instanceType: string): string {
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architectureOf(instanceType)}`;
}

/** Directory the application writes its logs to; the CloudWatch agent ships *.log from it. */
export function appLogDirectory(serviceUser: string): string {
  return `/var/log/${serviceUser}`;
}

/**
 * Answers the target group's health check before the first revision is deployed (200 on the health
 * path, 404 on anything else: no 5xx, so it never trips the deployment's 5xx alarm). Without it,
 * every target fails the ELB health check until a revision exists, and Auto Scaling replaces the
 * instances in a loop, even during the first deployment. Python 3 ships with Amazon Linux 2023.
 */
export const BOOTSTRAP_RESPONDER = [
  "import http.server, sys",
  "port, health = int(sys.argv[1]), sys.argv[2]",
  "class Handler(http.server.BaseHTTPRequestHandler):",
  "    def do_GET(self):",
  "        ok = self.path.split('?')[0] == health",
  "        body = b'no revision deployed yet\\n'",
  "        self.send_response(200 if ok else 404)",
  "        self.send_header('Content-Type', 'text/plain')",
  "        self.send_header('Content-Length', str(len(body)))",
  "        self.end_headers()",
  "        self.wfile.write(body)",
  "    def log_message(self, *args):",
  "        pass",
  "http.server.ThreadingHTTPServer(('', port), Handler).serve_forever()",
  "",
].join("\n");

/** The systemd unit of the responder: it gives way to the application's unit, for good. */
export function bootstrapUnit(props: Pick<AppFleetProps, "serviceUser" | "appPort" | "healthCheckPath">): string {
  const app = `${props.serviceUser}.service`;
  return [
    "[Unit]",
    "Description=Health answer until the first revision is deployed",
    // Starting the application stops this unit first (systemd.unit: Conflicts=), and once the
    // application's unit exists this one never starts again, not even after a reboot.
    `Conflicts=${app}`,
    // Conflicts= implies no order: the responder's stop must finish before the application starts.
    `Before=${app}`,
    `ConditionPathExists=!/etc/systemd/system/${app}`,
    "[Service]",
    `User=${props.serviceUser}`,
    `ExecStart=/usr/bin/python3 /usr/local/libexec/${props.serviceUser}-bootstrap.py ${props.appPort} ${props.healthCheckPath}`,
    "Restart=on-failure",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

export function userData(props: Pick<AppFleetProps, "region" | "logGroupName" | "serviceUser" | "appPort" | "healthCheckPath">): string {
  const { region, logGroupName, serviceUser } = props;
  if (Token.isUnresolved(logGroupName) || Token.isUnresolved(region)) {
    throw new Error("userData needs literal values: the script is base64-encoded at synth, where tokens cannot resolve");
  }
  const agentConfig = JSON.stringify({
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            { file_path: `${appLogDirectory(serviceUser)}/*.log`, log_group_name: logGroupName, log_stream_name: "{instance_id}/app" },
            {
              file_path: "/var/log/aws/codedeploy-agent/codedeploy-agent.log",
              log_group_name: logGroupName,
              log_stream_name: "{instance_id}/codedeploy-agent",
            },
          ],
        },
      },
    },
  });
  return [
    "#!/bin/bash",
    "set -euo pipefail",
    // A failed bootstrap is reported where a person sees it: the instance's console output (EC2
    // console, "Get system log") and, since the health responder below never starts, the target
    // group's health check, whose unhealthy-hosts alarm notifies the environment's topic.
    `trap 'echo "BOOTSTRAP FAILED (line $LINENO: $BASH_COMMAND): the instance needs a route to S3, CodeDeploy, SSM and CloudWatch Logs (NAT or network.vpcEndpoints)" | tee /dev/console >&2' ERR`,
    "dnf install -y ruby amazon-cloudwatch-agent",
    `id -u ${serviceUser} >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin ${serviceUser}`,
    `install -d -o ${serviceUser} -g ${serviceUser} -m 0750 ${appLogDirectory(serviceUser)}`,
    "# CodeDeploy agent, from the regional bucket AWS documents",
    `curl -fsSL -o /tmp/codedeploy-install https://aws-codedeploy-${region}.s3.${region}.amazonaws.com/latest/install`,
    // One command per line: under set -e a failure inside an && list neither exits nor trips the trap.
    "chmod +x /tmp/codedeploy-install",
    "/tmp/codedeploy-install auto",
    "rm -f /tmp/codedeploy-install",
    "# The agent authenticates through codedeploy-commands-secure, which also works through a VPC",
    "# endpoint (CodeDeploy user guide, \"Use CodeDeploy with Amazon VPC\")",
    "grep -q '^:enable_auth_policy:' /etc/codedeploy-agent/conf/codedeployagent.yml || echo ':enable_auth_policy: true' >> /etc/codedeploy-agent/conf/codedeployagent.yml",
    "systemctl enable codedeploy-agent",
    "systemctl restart codedeploy-agent",
    "# CloudWatch agent: application and CodeDeploy agent logs to the environment's log group",
    "cat > /opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json <<'JSON'",
    agentConfig,
    "JSON",
    "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json",
    "# Health answer until the first revision (see BOOTSTRAP_RESPONDER): started last, so a failed",
    "# bootstrap leaves the target unhealthy",
    "install -d /usr/local/libexec",
    `cat > /usr/local/libexec/${serviceUser}-bootstrap.py <<'PY'`,
    BOOTSTRAP_RESPONDER.trimEnd(),
    "PY",
    `cat > /etc/systemd/system/${serviceUser}-bootstrap.service <<'UNIT'`,
    bootstrapUnit(props).trimEnd(),
    "UNIT",
    "systemctl daemon-reload",
    `systemctl enable --now ${serviceUser}-bootstrap.service`,
    "",
  ].join("\n");
}

/**
 * The environment's instances: a launch template (IMDSv2 only, encrypted root volume, no public
 * IP, latest Amazon Linux 2023 through `resolve:ssm:`) and an Auto Scaling group in the private
 * subnets, registered with the ALB's target group and health-checked through it.
 */
export class AppFleet extends Construct {
  /** The instance role's name for a fleet name (known at synth, for policies that pass it). */
  static instanceRoleName(name: string): string {
    return `${name}-instance`;
  }

  readonly role: ServiceRole;
  readonly launchTemplate: LaunchTemplate;
  readonly group: AutoscalingGroup;

  constructor(scope: Construct, id: string, props: AppFleetProps) {
    super(scope, id);
    validateProps(this, "modules/compute.ts", [
      { field: "instanceType", value: props.instanceType, ok: isKnownInstanceType(props.instanceType), message: "is not a known instance type" },
      { field: "minCapacity", value: props.minCapacity, ok: inRange(props.minCapacity, 0, 1000) && props.minCapacity <= props.maxCapacity, message: `must be 0-1000 and not above maxCapacity (${props.maxCapacity})` },
      { field: "desiredCapacity", value: props.desiredCapacity, ok: props.desiredCapacity >= props.minCapacity && props.desiredCapacity <= props.maxCapacity, message: `must lie between minCapacity (${props.minCapacity}) and maxCapacity (${props.maxCapacity})` },
      { field: "privateSubnetIds", value: props.privateSubnetIds, ok: props.privateSubnetIds.length >= 1, message: "needs at least one subnet" },
      { field: "rootVolumeGiB", value: props.rootVolumeGiB, ok: inRange(props.rootVolumeGiB, 8, 16384), message: "must be 8-16384 GiB (Amazon Linux 2023 needs 8)" },
      { field: "serviceUser", value: props.serviceUser, ok: /^[a-z_][a-z0-9_-]{0,31}$/.test(props.serviceUser), message: "must be a Linux user name (lowercase, up to 32 characters)" },
    ]);
    this.role = new ServiceRole(this, "role", {
      roleName: AppFleet.instanceRoleName(props.name),
      service: "ec2.amazonaws.com",
      accountId: props.accountId,
      managedPolicyArns: [managedPolicyArn("AmazonSSMManagedInstanceCore")],
      statements: [
        {
          sid: "ReadOwnEnvironmentRevisions",
          actions: ["s3:GetObject", "s3:GetObjectVersion"],
          resources: [`${props.artifactBucketArn}/${props.artifactPrefix}/*`],
        },
        {
          sid: "DecryptRevisionsThroughS3",
          actions: ["kms:Decrypt"],
          resources: [props.artifactKeyArn],
          conditions: { StringEquals: { "kms:ViaService": `s3.${props.region}.amazonaws.com` } },
        },
        {
          // The CodeDeploy agent's authenticated command channel; these actions take no resource
          // (Service Authorization Reference, "AWS CodeDeploy secure host commands service").
          sid: "CodeDeployAgentCommands",
          actions: [
            "codedeploy-commands-secure:GetDeploymentSpecification",
            "codedeploy-commands-secure:PollHostCommand",
            "codedeploy-commands-secure:PutHostCommandAcknowledgement",
            "codedeploy-commands-secure:PutHostCommandComplete",
          ],
          resources: ["*"],
        },
        {
          sid: "ShipLogs",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          resources: [props.logGroupArn, `${props.logGroupArn}:*`],
        },
      ],
    });
    const profile = new IamInstanceProfile(this, "profile", { name: `${props.name}-instance`, role: this.role.name });

    this.launchTemplate = new LaunchTemplate(this, "template", {
      name: props.name,
      description: `Instances of ${props.name}`,
      updateDefaultVersion: true,
      imageId: `resolve:ssm:${amiParameter(props.instanceType)}`,
      instanceType: props.instanceType,
      iamInstanceProfile: { arn: profile.arn },
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "disabled",
      },
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          ebs: {
            volumeSize: props.rootVolumeGiB ?? 20,
            volumeType: "gp3",
            encrypted: "true",
            deleteOnTermination: "true",
          },
        },
      ],
      networkInterfaces: [
        { associatePublicIpAddress: "false", deleteOnTermination: "true", securityGroups: [props.securityGroupId] },
      ],
      monitoring: { enabled: true },
      userData: Buffer.from(userData(props)).toString("base64"),
      tagSpecifications: [
        { resourceType: "instance", tags: { Name: props.name } },
        { resourceType: "volume", tags: { Name: props.name } },
      ],
    });

    this.group = new AutoscalingGroup(this, "group", {
      name: props.name,
      minSize: props.minCapacity,
      desiredCapacity: props.desiredCapacity,
      maxSize: props.maxCapacity,
      vpcZoneIdentifier: [...props.privateSubnetIds],
      targetGroupArns: [props.targetGroupArn],
      healthCheckType: "ELB",
      healthCheckGracePeriod: 300,
      launchTemplate: { id: this.launchTemplate.id, version: "$Latest" },
      instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 50 } },
      tag: [{ key: "Name", value: props.name, propagateAtLaunch: true }],
    });
  }
}

import { Token } from "cdktf";
import { architectureOf } from "./instance-types";

/** What an instance needs to know at boot (written into its user data, encoded at synth). */
export interface UserDataProps {
  readonly region: string;
  /**
   * Log group the CloudWatch agent ships the application and agent logs to. A literal name, not a
   * token: it is written into the user data, which is encoded at synth.
   */
  readonly logGroupName: string;
  /**
   * The system user the application service runs as, created at boot; the application's systemd
   * unit is `<serviceUser>.service` (as examples/sample-app installs it).
   */
  readonly serviceUser: string;
  /** Port and path of the target group's health check, answered before the first revision. */
  readonly appPort: number;
  readonly healthCheckPath: string;
  /** The environment's name, and its Parameter Store path (RuntimeConfig), for the deployment hooks. */
  readonly environment: string;
  readonly parameterPath: string;
}

/**
 * Where the instance tells the deployment hooks which environment it belongs to: a file of
 * `NAME=value` lines (AWS_REGION, ENVIRONMENT, PARAMETER_PATH) that examples/sample-app's
 * scripts read to render the runtime configuration.
 */
export function platformFile(serviceUser: string): string {
  return `/etc/${serviceUser}/platform.env`;
}

export function platformSettings(props: Pick<UserDataProps, "region" | "environment" | "parameterPath">): string {
  return [`AWS_REGION=${props.region}`, `ENVIRONMENT=${props.environment}`, `PARAMETER_PATH=${props.parameterPath}`, ""].join("\n");
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
export function bootstrapUnit(props: Pick<UserDataProps, "serviceUser" | "appPort" | "healthCheckPath">): string {
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

export function userData(props: UserDataProps): string {
  const { region, logGroupName, serviceUser } = props;
  if ([logGroupName, region, props.environment, props.parameterPath].some((v) => Token.isUnresolved(v))) {
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
    "# Which environment this instance serves: the deployment hooks read their settings from it",
    `install -d -m 0755 /etc/${serviceUser}`,
    `cat > ${platformFile(serviceUser)} <<'ENV'`,
    platformSettings(props).trimEnd(),
    "ENV",
    "# CodeDeploy agent, from the regional bucket AWS documents",
    `curl -fsSL -o /tmp/codedeploy-install https://aws-codedeploy-${region}.s3.${region}.amazonaws.com/latest/install`,
    // One command per line: under set -e a failure inside an && list neither exits nor trips the trap.
    "chmod +x /tmp/codedeploy-install",
    "/tmp/codedeploy-install auto",
    "rm -f /tmp/codedeploy-install",
    "# The agent authenticates through codedeploy-commands-secure, which also works through a VPC",
    '# endpoint (CodeDeploy user guide, "Use CodeDeploy with Amazon VPC")',
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

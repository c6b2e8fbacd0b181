import { Token } from "./cdk";
import { architectureOf } from "./instance-types";
import { fillTemplate, runtimeFile } from "./runtime-files";

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
 * runtime/bootstrap-responder.py: answers the target group's health check before the first revision is deployed (200 on the health
 * path, 404 on anything else: no 5xx, so it never trips the deployment's 5xx alarm). Without it,
 * every target fails the ELB health check until a revision exists, and Auto Scaling replaces the
 * instances in a loop, even during the first deployment. Python 3 ships with Amazon Linux 2023.
 */
export const BOOTSTRAP_RESPONDER = runtimeFile("bootstrap-responder.py");

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

/** The instance's boot script (runtime/instance-bootstrap.sh), its fields filled. */
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
  return fillTemplate("instance-bootstrap.sh", {
    SERVICE_USER: serviceUser,
    REGION: region,
    LOG_DIRECTORY: appLogDirectory(serviceUser),
    PLATFORM_FILE: platformFile(serviceUser),
    PLATFORM_SETTINGS: platformSettings(props).trimEnd(),
    AGENT_CONFIG: agentConfig,
    BOOTSTRAP_RESPONDER: BOOTSTRAP_RESPONDER.trimEnd(),
    BOOTSTRAP_UNIT: bootstrapUnit(props).trimEnd(),
  });
}

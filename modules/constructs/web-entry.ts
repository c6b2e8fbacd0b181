import { Construct } from "constructs";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { inRange, isName, validateProps } from "../lib/props";
import { SLOT_SUFFIX_LENGTH, slotSuffix, type Slot } from "../config/names";

/** TLS 1.3 and 1.2 only, forward secrecy (the ALB's recommended policy). */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/**
 * Blue/green's test listener: the port on which the idle fleet answers before any traffic moves
 * to it (the acceptance tests' URL; docs/pipelines.md, "Acceptance tests"). HTTPS where the main
 * listener is.
 */
export const TEST_LISTENER_PORTS = { https: 8443, http: 8080 } as const;

/**
 * A target group's health check: the application's path answering 200, every 15 seconds; two
 * passes make a target healthy (30 s), three failures unhealthy.
 */
export function targetHealthCheck(path: string) {
  return { enabled: true, path, matcher: "200", interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 };
}

export interface WebEntryProps {
  /** Name of the ALB and target group (32 characters at most). */
  readonly name: string;
  readonly vpcId: string;
  readonly publicSubnetIds: readonly string[];
  /** Who may reach the ALB; IPv4 or IPv6 blocks. */
  readonly allowedIngressCidrs: readonly string[];
  /** @default - no certificate: the ALB serves plain HTTP on port 80 */
  readonly certificateArn?: string;
  readonly appPort: number;
  readonly healthCheckPath: string;
  /** @default false */
  readonly deletionProtection?: boolean;
  /** Where the ALB writes its logs: the access-log bucket, under the environment's own prefixes. */
  readonly logs: AlbLogTarget;
  /**
   * Blue/green: a target group per fleet (blue's is the in-place one, green's `<name>-green`), and a listener that forwards to both by
   * weight, all of it to the first slot at creation. Deployments move the weights from then on
   * (runtime/traffic-switch.js), so Terraform ignores the listener's default action after it
   * creates it: an apply never moves traffic back.
   * @default - one target group named `name`, all traffic to it
   */
  readonly slots?: readonly Slot[];
  /**
   * Whether the environment runs the EC2 service, whose target group(s) take the listeners'
   * default route. Without it, containers are reached by their own listener rules only and the
   * default route answers 404. @default true
   */
  readonly serviceTargets?: boolean;
}

export interface AlbLogTarget {
  readonly bucketName: string;
  /** e.g. "alb-access/<env>" (modules/config/names.ts, accessLogPrefix) */
  readonly accessPrefix: string;
  /** e.g. "alb-connection/<env>" */
  readonly connectionPrefix: string;
}

/** ELB user guide, "Enable access logs": the prefix must not start with / nor contain AWSLogs. */
const isLogPrefix = (p: string) => /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/.test(p) && !p.includes("AWSLogs");

const ruleId = (port: number, cidr: string) => `ingress-${port}-${cidr.replace(/[^0-9a-zA-Z]+/g, "-")}`;

/**
 * The environment's front door: a public ALB and the two security groups. The ALB is reachable
 * only from the allowed CIDRs on 80/443 and talks only to the instances on the application port;
 * the instances accept traffic only from the ALB (no SSH: use SSM Session Manager). It writes
 * access and connection logs into the account's access-log bucket.
 */
export class WebEntry extends Construct {
  readonly albSecurityGroup: SecurityGroup;
  readonly instanceSecurityGroup: SecurityGroup;
  readonly alb: Lb;
  /** The target group of the only fleet, or of the first slot (none without the service). */
  readonly targetGroup?: LbTargetGroup;
  /** Each slot's target group (blue/green), in the order of `slots`. */
  readonly slotTargetGroups: Partial<Record<Slot, LbTargetGroup>> = {};
  readonly listeners: LbListener[] = [];
  /** Blue/green only: the listener that forwards to the idle fleet (the traffic switch points it there). */
  readonly testListener?: LbListener;

  /** The listeners that forward to the fleet(s): the ones whose weights a blue/green deployment moves. */
  readonly forwardingListeners: LbListener[] = [];

  constructor(scope: Construct, id: string, props: WebEntryProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/web-entry.ts", [
      {
        field: "name",
        value: props.name,
        ok: isName(props.name, /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/, 32),
        message: "must be 1-32 letters, digits and hyphens (the ALB and target group name limit), not starting or ending with -",
      },
      {
        field: "slots",
        value: props.slots,
        ok: !props.slots || (props.slots.length === 2 && new Set(props.slots).size === 2 && props.name.length + SLOT_SUFFIX_LENGTH <= 32),
        message: "must be two distinct slots whose target group names (<name>-green) fit in 32 characters",
      },
      {
        field: "publicSubnetIds",
        value: props.publicSubnetIds,
        ok: props.publicSubnetIds.length >= 2,
        message: "needs at least two subnets",
      },
      {
        field: "allowedIngressCidrs",
        value: props.allowedIngressCidrs,
        ok: props.allowedIngressCidrs.length >= 1,
        message: "needs at least one CIDR block",
      },
      { field: "appPort", value: props.appPort, ok: inRange(props.appPort, 1, 65535), message: "must be a port 1-65535" },
      { field: "healthCheckPath", value: props.healthCheckPath, ok: props.healthCheckPath.startsWith("/"), message: "must start with /" },
      ...(["accessPrefix", "connectionPrefix"] as const).map((field) => ({
        field: `logs.${field}`,
        value: props.logs[field],
        ok: isLogPrefix(props.logs[field]),
        message: "must be a key prefix without a leading or trailing / and without AWSLogs (ELB adds AWSLogs/<account>/ itself)",
      })),
    ]);
    const { vpcId, appPort } = props;
    this.albSecurityGroup = new SecurityGroup(this, "alb-sg", {
      name: `${props.name}-alb`,
      description: `ALB of ${props.name}: HTTP(S) from allowed CIDRs`,
      vpcId,
    });
    this.instanceSecurityGroup = new SecurityGroup(this, "instance-sg", {
      name: `${props.name}-instances`,
      description: `Instances of ${props.name}: application port from the ALB only`,
      vpcId,
    });

    const testPort = props.certificateArn ? TEST_LISTENER_PORTS.https : TEST_LISTENER_PORTS.http;
    // The test port answers the same clients as the main one (a release candidate is no secret
    // from whoever may use the release).
    const ports = [...(props.certificateArn ? [80, 443] : [80]), ...(props.slots?.length ? [testPort] : [])];
    for (const port of ports) {
      for (const cidr of props.allowedIngressCidrs) {
        new VpcSecurityGroupIngressRule(this, ruleId(port, cidr), {
          securityGroupId: this.albSecurityGroup.id,
          description:
            port === testPort
              ? "Test listener: the idle fleet, before traffic moves (blue/green)"
              : port === 443
                ? "HTTPS"
                : props.certificateArn
                  ? "HTTP, redirected to HTTPS"
                  : "HTTP",
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          ...(cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr }),
        });
      }
    }
    new VpcSecurityGroupEgressRule(this, "alb-to-instances", {
      securityGroupId: this.albSecurityGroup.id,
      description: "Application port on the instances",
      ipProtocol: "tcp",
      fromPort: appPort,
      toPort: appPort,
      referencedSecurityGroupId: this.instanceSecurityGroup.id,
    });
    new VpcSecurityGroupIngressRule(this, "instances-from-alb", {
      securityGroupId: this.instanceSecurityGroup.id,
      description: "Application port from the ALB",
      ipProtocol: "tcp",
      fromPort: appPort,
      toPort: appPort,
      referencedSecurityGroupId: this.albSecurityGroup.id,
    });
    new VpcSecurityGroupEgressRule(this, "instances-https-out", {
      securityGroupId: this.instanceSecurityGroup.id,
      description: "HTTPS to AWS APIs (SSM, CodeDeploy, S3, CloudWatch) and package repositories",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });

    this.alb = new Lb(this, "alb", {
      name: props.name,
      internal: false,
      loadBalancerType: "application",
      securityGroups: [this.albSecurityGroup.id],
      subnets: [...props.publicSubnetIds],
      dropInvalidHeaderFields: true,
      desyncMitigationMode: "defensive",
      enableDeletionProtection: props.deletionProtection ?? false,
      // Delivery into a bucket whose policy lets this region's ELB log delivery write (AccessLogBucket).
      accessLogs: { enabled: true, bucket: props.logs.bucketName, prefix: props.logs.accessPrefix },
      // One line per connection: client, TLS protocol, cipher and handshake failures ("-" without
      // TLS), and the conn_trace_id that links it to its requests in the access logs.
      connectionLogs: { enabled: true, bucket: props.logs.bucketName, prefix: props.logs.connectionPrefix },
    });

    const targetGroup = (id: string, name: string) =>
      new LbTargetGroup(this, id, {
        name,
        vpcId,
        port: appPort,
        protocol: "HTTP",
        targetType: "instance",
        deregistrationDelay: "30",
        healthCheck: targetHealthCheck(props.healthCheckPath),
      });
    const service = props.serviceTargets ?? true;
    const slots = service ? (props.slots ?? []) : [];
    // Blue keeps the in-place id and name (modules/config/names.ts, slotSuffix).
    for (const slot of slots) this.slotTargetGroups[slot] = targetGroup(`targets${slotSuffix(slot)}`, `${props.name}${slotSuffix(slot)}`);
    this.targetGroup = !service ? undefined : slots.length ? this.slotTargetGroups[slots[0]] : targetGroup("targets", props.name);
    // Without the service, what no container's rule takes is answered here.
    const notFound = [
      { type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not found" } },
    ];

    // Blue/green: weighted forwarding to both slots, all to the first (ELB user guide, "Listeners
    // for your Application Load Balancers", weighted target groups); without stickiness, so a
    // client follows each step of a shift.
    const weighted = (first: number) => [
      {
        type: "forward",
        forward: {
          targetGroup: slots.map((slot, i) => ({
            arn: (this.slotTargetGroups[slot] as LbTargetGroup).arn,
            weight: i === 0 ? first : 100 - first,
          })),
          stickiness: { enabled: false, duration: 1 },
        },
      },
    ];
    const forwarding = slots.length
      ? {
          defaultAction: weighted(100),
          // The weights belong to deployments once the listener exists (see `slots`).
          lifecycle: { ignoreChanges: ["default_action"] },
        }
      : this.targetGroup
        ? { defaultAction: [{ type: "forward", targetGroupArn: this.targetGroup.arn }] }
        : { defaultAction: notFound };
    if (props.slots?.length) {
      // Forwards to the second slot (idle while the first serves); its target belongs to the
      // traffic switch, which points it at the idle fleet before each release (ignore_changes).
      this.testListener = new LbListener(this, "test", {
        loadBalancerArn: this.alb.arn,
        port: testPort,
        ...(props.certificateArn
          ? { protocol: "HTTPS", sslPolicy: TLS_POLICY, certificateArn: props.certificateArn }
          : { protocol: "HTTP" }),
        ...(slots.length
          ? {
              defaultAction: weighted(0),
              lifecycle: { ignoreChanges: ["default_action"] },
            }
          : // Containers only: their test rules take their paths (CodeDeploy points them at the replacement tasks).
            { defaultAction: notFound }),
      });
    }
    if (props.certificateArn) {
      const https = new LbListener(this, "https", {
        loadBalancerArn: this.alb.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: TLS_POLICY,
        certificateArn: props.certificateArn,
        ...forwarding,
      });
      this.forwardingListeners.push(https);
      this.listeners.push(
        https,
        new LbListener(this, "http-redirect", {
          loadBalancerArn: this.alb.arn,
          port: 80,
          protocol: "HTTP",
          defaultAction: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }],
        }),
      );
    } else {
      const http = new LbListener(this, "http", { loadBalancerArn: this.alb.arn, port: 80, protocol: "HTTP", ...forwarding });
      this.forwardingListeners.push(http);
      this.listeners.push(http);
    }
  }
}

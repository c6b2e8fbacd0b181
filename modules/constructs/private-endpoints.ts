import { Construct } from "constructs";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { validateProps } from "../lib/props";

/**
 * The AWS services an instance reaches at boot and during deployments, as interface endpoints:
 * Systems Manager (ssm, ssmmessages, ec2messages: Systems Manager user guide, "Create VPC
 * endpoints"), CodeDeploy and its agent's command channel (codedeploy, codedeploy-commands-secure:
 * CodeDeploy user guide, "Use CodeDeploy with Amazon VPC"), CloudWatch Logs (logs), and Secrets
 * Manager (secretsmanager), from which the deployment hooks read the environment's secrets
 * (Parameter Store is the ssm endpoint; KMS is called by the two services, not by the instance).
 */
export const INTERFACE_ENDPOINT_SERVICES = [
  "ssm",
  "ssmmessages",
  "ec2messages",
  "codedeploy",
  "codedeploy-commands-secure",
  "logs",
  "secretsmanager",
] as const;

export interface PrivateEndpointsProps {
  /** Prefix of the security group's name. */
  readonly name: string;
  readonly region: string;
  readonly vpcId: string;
  /** The instances' subnets (one per Availability Zone: an interface endpoint takes one subnet per zone). */
  readonly subnetIds: readonly string[];
  /** Route tables of those subnets, for the S3 gateway endpoint. */
  readonly routeTableIds: readonly string[];
  /** The instances' security group, the only one that may reach the endpoints. */
  readonly instanceSecurityGroupId: string;
}

/**
 * VPC endpoints that let instances in private subnets without a NAT gateway bootstrap and deploy:
 * the interface endpoints above with private DNS, and an S3 gateway endpoint for revisions, the
 * CodeDeploy agent installer (bucket aws-codedeploy-<region>) and Amazon Linux 2023's package
 * repositories, which are served from S3 under a dual-stack name that only a gateway endpoint covers.
 */
export class PrivateEndpoints extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly endpoints: VpcEndpoint[] = [];

  constructor(scope: Construct, id: string, props: PrivateEndpointsProps) {
    super(scope, id);
    validateProps(this, "modules/constructs/private-endpoints.ts", [
      { field: "subnetIds", value: props.subnetIds, ok: props.subnetIds.length >= 1, message: "needs at least one subnet" },
      {
        field: "routeTableIds",
        value: props.routeTableIds,
        ok: props.routeTableIds.length >= 1,
        message: "needs at least one route table",
      },
    ]);
    this.securityGroup = new SecurityGroup(this, "sg", {
      name: `${props.name}-endpoints`,
      description: `VPC endpoints of ${props.name}: HTTPS from its instances only`,
      vpcId: props.vpcId,
    });
    new VpcSecurityGroupIngressRule(this, "https-from-instances", {
      securityGroupId: this.securityGroup.id,
      description: "HTTPS from the environment's instances",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: props.instanceSecurityGroupId,
    });
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      this.endpoints.push(
        new VpcEndpoint(this, service, {
          vpcId: props.vpcId,
          serviceName: `com.amazonaws.${props.region}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: [...props.subnetIds],
          securityGroupIds: [this.securityGroup.id],
          tags: { Name: `${props.name}-${service}` },
        }),
      );
    }
    this.endpoints.push(
      new VpcEndpoint(this, "s3", {
        vpcId: props.vpcId,
        serviceName: `com.amazonaws.${props.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: [...props.routeTableIds],
        tags: { Name: `${props.name}-s3` },
      }),
    );
  }
}

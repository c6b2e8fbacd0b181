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
  /** The instances' security group, which may reach the endpoints (and so may the groups admit() adds). */
  readonly instanceSecurityGroupId: string;
  /**
   * The environment runs containers: ECR's endpoints too (ecr.api for the sign-in and the image
   * manifest, ecr.dkr for the layers, which come from S3 through the gateway endpoint: ECR user
   * guide, "Amazon ECR interface VPC endpoints"). @default false
   */
  readonly containers?: boolean;
}

/** ECR's interface endpoints, for tasks that pull their image from private subnets. */
export const CONTAINER_ENDPOINT_SERVICES = ["ecr.api", "ecr.dkr"] as const;

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
    for (const service of [...INTERFACE_ENDPOINT_SERVICES, ...(props.containers ? CONTAINER_ENDPOINT_SERVICES : [])]) {
      this.endpoints.push(
        new VpcEndpoint(this, service.replace(".", "-"), {
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

  /** Lets another security group of the environment (a container's tasks) reach the endpoints on 443. */
  admit(id: string, securityGroupId: string, description: string): void {
    new VpcSecurityGroupIngressRule(this, `https-from-${id}`, {
      securityGroupId: this.securityGroup.id,
      description,
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: securityGroupId,
    });
  }
}

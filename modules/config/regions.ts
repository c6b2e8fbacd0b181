import { accountRootArn } from "../lib/arn";

/**
 * The AWS commercial regions (partition "aws") the project accepts. Every ARN the project builds
 * uses that partition (modules/lib/arn.ts), so GovCloud (aws-us-gov) and China (aws-cn) regions are
 * refused rather than deployed with ARNs that cannot work. Source: AWS General Reference,
 * "AWS Regions" (the Regions and endpoints table). Add a region here when AWS opens one.
 */
export const COMMERCIAL_REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-south-1",
  "ap-south-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
  "sa-east-1",
] as const;

export type Region = (typeof COMMERCIAL_REGIONS)[number];

export function isCommercialRegion(region: string): region is Region {
  return (COMMERCIAL_REGIONS as readonly string[]).includes(region);
}

/** The parts of an ARN: arn:<partition>:<service>:<region>:<account>:<resource>. */
export function arnParts(arn: string): { partition: string; service: string; region: string; account: string } | undefined {
  const m = /^arn:([a-z-]+):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):/.exec(arn);
  return m ? { partition: m[1], service: m[2], region: m[3], account: m[4] } : undefined;
}

/**
 * Who writes an ALB's access and connection logs into S3, per region. Regions opened since August
 * 2022 deliver only as the service principal logdelivery.elasticloadbalancing.amazonaws.com. Older
 * regions had a regional Elastic Load Balancing account, which the ELB guides now call the legacy
 * form (still supported, to be replaced by the service principal). Source: Elastic Load Balancing
 * user guide, "Enable access logs for your Application Load Balancer" and "Enable connection
 * logs", the bucket policy step (the account list matches the provider's aws_elb_service_account
 * data source). A Record over every accepted region: adding a region to COMMERCIAL_REGIONS does
 * not compile until its log delivery is decided here.
 */
export type ElbLogDelivery = { readonly account: string } | "service-principal";

export const ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com";

export const ELB_LOG_DELIVERY: Readonly<Record<Region, ElbLogDelivery>> = {
  "us-east-1": { account: "127311923021" },
  "us-east-2": { account: "033677994240" },
  "us-west-1": { account: "027434742980" },
  "us-west-2": { account: "797873946194" },
  "af-south-1": { account: "098369216593" },
  "ap-east-1": { account: "754344448648" },
  "ap-south-1": { account: "718504428378" },
  "ap-northeast-1": { account: "582318560864" },
  "ap-northeast-2": { account: "600734575887" },
  "ap-northeast-3": { account: "383597477331" },
  "ap-southeast-1": { account: "114774131450" },
  "ap-southeast-2": { account: "783225319266" },
  "ap-southeast-3": { account: "589379963580" },
  "ca-central-1": { account: "985666609251" },
  "eu-central-1": { account: "054676820928" },
  "eu-north-1": { account: "897822967062" },
  "eu-south-1": { account: "635631232127" },
  "eu-west-1": { account: "156460612806" },
  "eu-west-2": { account: "652711504416" },
  "eu-west-3": { account: "009996457667" },
  "me-south-1": { account: "076674570225" },
  "sa-east-1": { account: "507241528517" },
  // Opened in or after August 2022.
  "ap-east-2": "service-principal",
  "ap-south-2": "service-principal",
  "ap-southeast-4": "service-principal",
  "ap-southeast-5": "service-principal",
  "ap-southeast-7": "service-principal",
  "ca-west-1": "service-principal",
  "eu-central-2": "service-principal",
  "eu-south-2": "service-principal",
  "il-central-1": "service-principal",
  "me-central-1": "service-principal",
  "mx-central-1": "service-principal",
};

/**
 * The principal of a bucket policy statement that lets ALB log delivery of `region` write: the
 * service principal everywhere, and in an older region also its ELB account, so that delivery works
 * whichever of the two documented forms the region uses.
 */
export function elbLogDeliveryPrincipal(region: Region): { AWS?: string; Service: string } {
  const delivery = ELB_LOG_DELIVERY[region];
  return delivery === "service-principal"
    ? { Service: ELB_LOG_DELIVERY_SERVICE }
    : { AWS: accountRootArn(delivery.account), Service: ELB_LOG_DELIVERY_SERVICE };
}

/** CloudFront's region: the certificates it uses, its metrics and its log delivery live there. */
export const EDGE_REGION = "us-east-1";

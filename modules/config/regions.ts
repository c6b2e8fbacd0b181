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

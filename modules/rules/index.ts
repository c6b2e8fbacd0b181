import type { Rule } from "./engine";
import { S3 } from "./s3";
import { KMS } from "./kms";
import { CODEBUILD, CODEDEPLOY, PIPELINE, PIPELINE_SCANS } from "./delivery";
import { COMPUTE } from "./compute";
import { LOAD_BALANCER, NETWORK } from "./network";
import { IAM } from "./iam";
import { LOGS_AND_TOPICS } from "./monitoring";
import { CLOUDFRONT } from "./cloudfront";
import { SECRETS } from "./secrets";
import { FIREWALL } from "./firewall";
import { METRICS } from "./metrics";
import { ACCOUNTS } from "./accounts";
import { CONTAINERS } from "./containers";

/** Every rule the project enforces at synth, by area (one file per area in this folder). */
export const RULES: readonly Rule[] = [
  ...S3,
  ...KMS,
  ...CODEBUILD,
  ...PIPELINE,
  ...PIPELINE_SCANS,
  ...CODEDEPLOY,
  ...COMPUTE,
  ...CONTAINERS,
  ...LOAD_BALANCER,
  ...NETWORK,
  ...IAM,
  ...ACCOUNTS,
  ...LOGS_AND_TOPICS,
  ...METRICS,
  ...CLOUDFRONT,
  ...FIREWALL,
  ...SECRETS,
];

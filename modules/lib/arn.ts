/** The account and region a resource lives in. */
export interface AccountScope {
  readonly accountId: string;
  readonly region: string;
}

/** The partition of every ARN this project builds (commercial regions). */
export const PARTITION = "aws";

/** ARN of a resource of `service` in this account and region, e.g. ("codebuild", "project/x"). */
export function arn(scope: AccountScope, service: string, resource: string): string {
  return `arn:${PARTITION}:${service}:${scope.region}:${scope.accountId}:${resource}`;
}

/** The account's root principal, through which IAM policies are delegated access to a resource. */
export function accountRootArn(accountId: string): string {
  return `arn:${PARTITION}:iam::${accountId}:root`;
}

/** ARN of an IAM role of the account (IAM is global: no region). */
export function roleArn(accountId: string, roleName: string): string {
  return `arn:${PARTITION}:iam::${accountId}:role/${roleName}`;
}

/** ARN of an AWS managed IAM policy, e.g. "service-role/AWSCodeDeployRole". */
export function managedPolicyArn(name: string): string {
  return `arn:${PARTITION}:iam::aws:policy/${name}`;
}

import { S3Backend, type TerraformStack } from "../lib/cdk";
import type { ProjectConfig } from "../config";

export interface StateLocation {
  readonly bucket: string;
  readonly key: string;
  readonly region: string;
}

/**
 * Where state is stored when it is not AWS S3: an S3-compatible endpoint for testing (s3rver,
 * MinIO, LocalStack), given as a URL. Path-style addressing, and none of the AWS account checks
 * that such an endpoint cannot answer.
 */
export function testStateEndpointSettings(endpoint: string) {
  return {
    endpoints: { s3: endpoint },
    usePathStyle: true,
    skipCredentialsValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: true,
    skipRegionValidation: true,
  } as const;
}

/** Where a stack keeps its state: one key per stack in the project's state bucket. */
export function stateLocation(project: ProjectConfig, stackName: string): StateLocation {
  return {
    bucket: project.stateBackend.bucket,
    key: `${project.stateBackend.keyPrefix}/${stackName}.tfstate`,
    region: project.stateBackend.region,
  };
}

/**
 * Stores the stack's state in S3: encrypted, with S3-native locking (`use_lockfile`, Terraform
 * >= 1.10; CDKTF 0.21's S3BackendConfig has no field for it, hence the override).
 */
export function useS3Backend(stack: TerraformStack, project: ProjectConfig, stackName: string, testEndpoint?: string): void {
  new S3Backend(stack, {
    ...stateLocation(project, stackName),
    encrypt: true,
    ...(testEndpoint ? testStateEndpointSettings(testEndpoint) : {}),
  });
  stack.addOverride("terraform.backend.s3.use_lockfile", true);
}

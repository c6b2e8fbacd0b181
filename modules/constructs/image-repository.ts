import { Construct } from "constructs";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepositoryPolicy } from "@cdktf/provider-aws/lib/ecr-repository-policy";
import { accountRootArn, roleArn } from "../lib/arn";
import { policyDocument } from "../lib/policy";
import { validateProps } from "../lib/props";

export interface ImageRepositoryProps {
  /** `<appName>/<workload>` (ECR: 2-256 lowercase letters, digits and ._-/ ). */
  readonly name: string;
  /** The customer-managed key that encrypts its images (the build stack's artifact key). */
  readonly kmsKeyArn: string;
  /**
   * The environments in accounts other than its own that run the workload: their roles (those whose
   * names start with the environment's prefix, `<appName>-<env>-`) may pull, and nothing else.
   */
  readonly pullers: readonly { readonly accountId: string; readonly rolePrefix: string }[];
  /** @default 200 - images kept (the newest); older ones expire */
  readonly keepImages?: number;
}

/** What pulling an image takes (ECR user guide, "Private repository policy examples": pull only). */
export const PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"] as const;

/**
 * A container workload's image repository: one for all its environments, in the tooling account,
 * since an image is built once and promoted by digest (docs/workloads.md, "Containers").
 *
 * - Tags are immutable: a commit's tag names one image for good.
 * - Every push is scanned (basic scanning: free, the OS packages' CVEs; enhanced scanning is Amazon
 *   Inspector's, priced per image scanned and rescanned: ECR user guide, "Scan images for software
 *   vulnerabilities").
 * - Images are encrypted with the customer-managed key. ECR creates its own grant on the key when
 *   it creates the repository and uses it on push and pull, so the pullers need no right on the key
 *   (ECR user guide, "Encryption at rest"); the creator needs kms:CreateGrant and DescribeKey.
 * - The newest `keepImages` images are kept; older ones expire (a release older than that cannot
 *   be rolled back to by the pipeline).
 * - Only the environments' accounts may pull, through the repository's policy; within the tooling
 *   account IAM decides (the image project pushes, the scan gate reads the findings).
 */
export class ImageRepository extends Construct {
  readonly repository: EcrRepository;

  constructor(scope: Construct, id: string, props: ImageRepositoryProps) {
    super(scope, id);
    const keep = props.keepImages ?? 200;
    validateProps(this, "modules/constructs/image-repository.ts", [
      {
        field: "name",
        value: props.name,
        ok: /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(props.name) && props.name.length <= 256,
        message: "must be an ECR repository name: lowercase letters and digits, separated by . _ - or /, 256 characters at most",
      },
      {
        field: "pullers",
        value: props.pullers,
        ok: props.pullers.every((p) => /^\d{12}$/.test(p.accountId) && p.rolePrefix.length > 0),
        message: "must name 12-digit account ids and role name prefixes",
      },
      { field: "keepImages", value: keep, ok: Number.isInteger(keep) && keep >= 10, message: "must keep at least 10 images" },
    ]);
    this.repository = new EcrRepository(this, "repository", {
      name: props.name,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: "KMS", kmsKey: props.kmsKeyArn }],
      // Never deleted with its images by a destroy: environments may still run them.
      forceDelete: false,
      lifecycle: { preventDestroy: true },
    });
    new EcrLifecyclePolicy(this, "lifecycle", {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: "Layers a failed push left untagged expire after a week",
            selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
            action: { type: "expire" },
          },
          {
            rulePriority: 2,
            description: `The newest ${keep} images are kept`,
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
            action: { type: "expire" },
          },
        ],
      }),
    });
    if (props.pullers.length) {
      new EcrRepositoryPolicy(this, "policy", {
        repository: this.repository.name,
        policy: policyDocument(
          props.pullers.map((p, i) => ({
            sid: `EnvironmentPulls${i}`,
            principals: { AWS: accountRootArn(p.accountId) },
            // A repository policy names no resource: it is the repository's own.
            actions: [...PULL_ACTIONS],
            conditions: { ArnLike: { "aws:PrincipalArn": roleArn(p.accountId, `${p.rolePrefix}*`) } },
          })),
        ),
      });
    }
  }
}

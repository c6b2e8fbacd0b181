#!/usr/bin/env bash
# Creates (or brings up to standard) the S3 bucket that holds every stack's Terraform state.
# Run it once per account, before the first `cdktf deploy`, with credentials that may create
# buckets. The bucket and region come from environments/_project.ts (stateBackend), the one place
# they are configured. The stacks never manage this bucket: their state lives in it.
#
#   npm run state-bucket            # or: bash scripts/create-state-bucket.sh
#
# Safe to run again: every setting is applied idempotently and nothing is deleted.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v aws >/dev/null 2>&1 || {
  echo "error: the AWS CLI (aws) is not installed: see https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html" >&2
  exit 1
}

[ -x node_modules/.bin/tsx ] || { echo "error: dependencies are not installed: run npm ci first" >&2; exit 1; }
settings=$(node_modules/.bin/tsx scripts/state-settings.ts) || exit 1
read -r bucket region <<<"$settings"
echo "State bucket: s3://${bucket} (${region})"

if aws s3api head-bucket --bucket "$bucket" --region "$region" >/dev/null 2>&1; then
  echo "- exists already; applying the settings below"
else
  echo "- creating"
  if [ "$region" = "us-east-1" ]; then
    aws s3api create-bucket --bucket "$bucket" --region "$region" >/dev/null
  else
    aws s3api create-bucket --bucket "$bucket" --region "$region" \
      --create-bucket-configuration "LocationConstraint=${region}" >/dev/null
  fi
  aws s3api wait bucket-exists --bucket "$bucket" --region "$region"
fi

echo "- blocking all public access"
aws s3api put-public-access-block --bucket "$bucket" --region "$region" \
  --public-access-block-configuration \
  "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"

echo "- disabling ACLs (bucket owner enforced)"
aws s3api put-bucket-ownership-controls --bucket "$bucket" --region "$region" \
  --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'

echo "- versioning (every state version is kept, so a bad apply can be undone)"
aws s3api put-bucket-versioning --bucket "$bucket" --region "$region" \
  --versioning-configuration Status=Enabled

echo "- default encryption SSE-KMS"
aws s3api put-bucket-encryption --bucket "$bucket" --region "$region" \
  --server-side-encryption-configuration \
  '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"},"BucketKeyEnabled":true}]}'

echo "- TLS-only bucket policy"
aws s3api put-bucket-policy --bucket "$bucket" --region "$region" --policy "$(cat <<JSON
{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":["arn:aws:s3:::${bucket}","arn:aws:s3:::${bucket}/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}
JSON
)"

echo "- lifecycle: old state versions kept 365 days, unfinished uploads aborted after 7"
aws s3api put-bucket-lifecycle-configuration --bucket "$bucket" --region "$region" \
  --lifecycle-configuration \
  '{"Rules":[{"ID":"expire-old-state-versions","Status":"Enabled","Filter":{"Prefix":""},"NoncurrentVersionExpiration":{"NoncurrentDays":365},"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":7}}]}'

echo "Done. Next: npx cdktf deploy build"

#!/usr/bin/env bash
# A container workload's image, built once per commit (docs/workloads.md, "Containers"). It runs
# in the build stack's image project (privileged: it drives Docker), on the source of the commit,
# and writes imagedefinitions.json, which names the image by digest: that file is the artifact the
# pipeline seals, promotes and deploys, so every environment runs the very image that was scanned.
#
# The repository's tags are immutable: a commit whose image exists (a pipeline run again, another
# environment that builds the same commit) is not built again; its digest is read instead.
#
# Variables (the pipeline's action): REPOSITORY_URI, CONTAINER, DOCKERFILE, COMMIT_ID (also passed
# as --build-arg), and BUILD_ARGS, the names of the workload's build variables, passed as --build-arg.
set -euo pipefail
: "${REPOSITORY_URI:?}" "${CONTAINER:?}" "${DOCKERFILE:?}" "${COMMIT_ID:?}"
registry="${REPOSITORY_URI%%/*}"
repository="${REPOSITORY_URI#*/}"
described() { aws ecr describe-images --repository-name "$repository" --image-ids "imageTag=$COMMIT_ID" "$@"; }
aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"
if found=$(described 2>&1); then
  echo "$repository:$COMMIT_ID exists: built once, not again"
elif grep -q ImageNotFoundException <<<"$found"; then
  # The commit, for the image to report (an ARG the Dockerfile may declare), then the workload's variables.
  args=(--build-arg COMMIT_ID)
  for name in ${BUILD_ARGS:-}; do args+=(--build-arg "$name"); done
  docker build --file "$DOCKERFILE" --tag "$REPOSITORY_URI:$COMMIT_ID" --label "org.opencontainers.image.revision=$COMMIT_ID" "${args[@]}" .
  docker push "$REPOSITORY_URI:$COMMIT_ID"
else
  echo "$found" >&2
  exit 1
fi
digest=$(described --query 'imageDetails[0].imageDigest' --output text)
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "ECR gave no digest for $repository:$COMMIT_ID (got: $digest)" >&2; exit 1; }
printf '[{"name":"%s","imageUri":"%s@%s"}]\n' "$CONTAINER" "$REPOSITORY_URI" "$digest" >imagedefinitions.json
cat imagedefinitions.json

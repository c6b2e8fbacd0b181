#!/bin/bash
# The last step of a static site's release, run by its invalidation project (CodeBuild, the AWS
# CLI of the standard image): the whole cache of the site's distribution, once the new files are
# in the bucket. DISTRIBUTION_ID is the project's variable (modules/constructs/site-invalidation.ts).
# Each line that is not a comment becomes one command of the buildspec's build phase.
set -euo pipefail
aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION_ID" --paths "/*" --query Invalidation.Id --output text

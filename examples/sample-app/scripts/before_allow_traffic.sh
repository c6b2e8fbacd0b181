#!/bin/sh
# The last step before the instance rejoins its target group (CodeDeploy's AllowTraffic): warms the
# service with the requests a user's first visit makes, and fails the deployment if any answers a
# 5xx or not at all. In place the instance serves again right after; in blue/green it belongs to
# the idle fleet, whose target group health check must pass before the traffic switch moves any
# traffic to it (docs/blue-green.md, "Blue/green").
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

for request in 1 2 3; do
  for path in / "$HEALTH_PATH"; do
    code=$(curl --silent --output /dev/null --max-time 5 --write-out '%{http_code}' "http://127.0.0.1:$PORT$path" || echo 000)
    case "$code" in
      000 | 5??)
        log "warm-up request $request to $path answered $code: not ready for traffic"
        exit 1
        ;;
    esac
  done
done
log "warmed up: / and $HEALTH_PATH answered 3 times each"

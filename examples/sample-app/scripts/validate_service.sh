#!/bin/sh
# Polls the health endpoint until it answers "ok", or fails the deployment (CodeDeploy then
# rolls back to the last good revision).
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

url="http://127.0.0.1:$PORT$HEALTH_PATH"
deadline=$(($(date +%s) + VALIDATE_TIMEOUT))
while [ "$(date +%s)" -lt "$deadline" ]; do
  if body=$(curl --silent --fail --max-time 2 "$url" 2>/dev/null); then
    case "$body" in
      *'"status":"ok"'*)
        log "healthy: $body"
        exit 0
        ;;
    esac
  fi
  if [ "$SERVICE_MANAGER" = process ] && { [ ! -f "$PID_FILE" ] || ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }; then
    log "the service is not running"
    break
  fi
  sleep 1
done

log "not healthy: $url did not answer ok within ${VALIDATE_TIMEOUT}s"
tail -n 20 "$LOG_DIR/app.log" 2>/dev/null || true
exit 1

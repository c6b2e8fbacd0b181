#!/bin/sh
# Starts (or restarts) the service.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

if [ "$SERVICE_MANAGER" = systemd ]; then
  systemctl enable "$APP_NAME"
  systemctl restart "$APP_NAME"
  log "started $APP_NAME"
  exit 0
fi

RUNTIME_CONFIG="$CONFIG_FILE" PORT="$PORT" nohup node "$CURRENT/src/server.js" >>"$LOG_DIR/app.log" 2>&1 &
echo "$!" >"$PID_FILE"
log "started process $(cat "$PID_FILE")"

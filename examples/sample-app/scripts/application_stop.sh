#!/bin/sh
# Stops the service. Safe when nothing was ever installed, and when it is already stopped.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

if [ "$SERVICE_MANAGER" = systemd ]; then
  if [ -f "$UNIT_FILE" ] && systemctl is-active --quiet "$APP_NAME"; then
    systemctl stop "$APP_NAME"
    log "stopped $APP_NAME"
  else
    log "$APP_NAME was not running"
  fi
  exit 0
fi

if [ -f "$PID_FILE" ]; then
  pid=$(cat "$PID_FILE")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 20 ]; do
      sleep 0.5
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    log "stopped process $pid"
  fi
  rm -f "$PID_FILE"
else
  log "$APP_NAME was not running"
fi

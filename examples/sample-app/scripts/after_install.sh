#!/bin/sh
# Sets ownership (code read-only for the service, logs writable) and the systemd unit.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

if [ ! -f "$CURRENT/src/server.js" ]; then
  echo "the revision was not installed into $CURRENT (check appspec.yml's files destination)" >&2
  exit 1
fi

if [ "$SERVICE_MANAGER" = systemd ]; then
  chown -R root:root "$CURRENT"
  chmod -R go-w "$CURRENT"
  chown "$SERVICE_USER:$SERVICE_USER" "$LOG_DIR"
  node_bin=$(command -v node)
  cat >"$UNIT_FILE" <<UNIT
[Unit]
Description=$APP_NAME
After=network-online.target
Wants=network-online.target

[Service]
User=$SERVICE_USER
Group=$SERVICE_USER
Environment=PORT=$PORT
Environment=NODE_ENV=production
Environment=RUNTIME_CONFIG=$CONFIG_FILE
ExecStart=$node_bin $CURRENT/src/server.js
Restart=on-failure
RestartSec=2
StandardOutput=append:$LOG_DIR/app.log
StandardError=append:$LOG_DIR/app.log
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
ReadWritePaths=$LOG_DIR
PrivateTmp=true

[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
  log "installed $UNIT_FILE"
else
  log "installed into $CURRENT"
fi

#!/bin/sh
# Prepares the instance: the Node.js runtime, the service user and the directories. Idempotent.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

if [ "$SERVICE_MANAGER" = systemd ]; then
  if ! command -v node >/dev/null 2>&1; then
    log "installing Node.js"
    dnf install -y nodejs
  fi
  # render_config.sh reads the settings and secrets with the AWS CLI, which the standard Amazon
  # Linux 2023 AMI ships; a minimal image does not.
  if ! command -v aws >/dev/null 2>&1; then
    log "installing the AWS CLI"
    dnf install -y awscli-2
  fi
  if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /sbin/nologin "$SERVICE_USER"
  fi
  # The instance's bootstrap health responder holds the port until the first revision: release it
  # (the platform's contract; its unit also gives way when $APP_NAME.service starts).
  systemctl disable --now "$APP_NAME-bootstrap.service" 2>/dev/null || true
fi

mkdir -p "$APP_ROOT" "$RUN_DIR" "$LOG_DIR"
# The new revision replaces the old one entirely: no stale file survives a deploy.
rm -rf "$CURRENT"
log "ready to install into $CURRENT"

#!/bin/sh
# Renders this environment's settings and secrets into $CONFIG_FILE, readable by the service user
# only, before the service starts: a changed setting or a rotated secret reaches the application
# at the next deployment. Values are never printed; a missing one fails the deployment.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

if [ ! -f "$PLATFORM_FILE" ]; then
  echo "$PLATFORM_FILE is missing: this instance was launched before the platform wrote it; replace it (start an instance refresh of the Auto Scaling group)" >&2
  exit 1
fi
# AWS_REGION, ENVIRONMENT and PARAMETER_PATH, written by the instance's user data.
# shellcheck source=/dev/null
. "$PLATFORM_FILE"
: "${AWS_REGION:?is not set in the platform file}" "${PARAMETER_PATH:?is not set in the platform file}"
: "${ENVIRONMENT:?is not set in the platform file}"
export AWS_REGION PARAMETER_PATH ENVIRONMENT

# The folder and the file belong to the service user, and nobody else may read them; the
# application's root stays traversable.
install -d -m 0755 "$APP_ROOT"
umask 077
mkdir -p "$CONFIG_DIR"
chown "$SERVICE_USER:" "$CONFIG_DIR"
chmod 0700 "$CONFIG_DIR"
tmp=$(mktemp "$CONFIG_DIR/.runtime.XXXXXX")
trap 'rm -f "$tmp"' EXIT
node "$(dirname "$0")/render_config.js" >"$tmp"
chown "$SERVICE_USER:" "$tmp"
chmod 0400 "$tmp"
# Replaced in one step: the service never reads a half-written file.
mv -f "$tmp" "$CONFIG_FILE"
trap - EXIT
log "wrote $CONFIG_FILE for $SERVICE_USER (mode 0400)"

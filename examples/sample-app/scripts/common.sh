# shellcheck shell=sh
# The variables below are read by the hooks that source this file.
# shellcheck disable=SC2034
# Settings shared by the lifecycle hooks. On an instance the defaults apply: they match what the
# app stack sets up (service user and log directory named after appName, port 8080, /health).
# The rehearsal in the project's tests overrides them to run without root or systemd.

APP_NAME="${APP_NAME:-webapp}"
SERVICE_USER="${SERVICE_USER:-$APP_NAME}"
# Must match the destination of appspec.yml's files section.
APP_ROOT="${APP_ROOT:-/opt/$APP_NAME}"
LOG_DIR="${LOG_DIR:-/var/log/$APP_NAME}"
PORT="${PORT:-8080}"
HEALTH_PATH="${HEALTH_PATH:-/health}"
# systemd on an instance; "process" runs the service as a plain background process.
SERVICE_MANAGER="${SERVICE_MANAGER:-systemd}"
SYSTEMD_UNIT_DIR="${SYSTEMD_UNIT_DIR:-/etc/systemd/system}"
VALIDATE_TIMEOUT="${VALIDATE_TIMEOUT:-90}"
# Which environment the instance serves (AWS_REGION, ENVIRONMENT, PARAMETER_PATH), written by its
# user data: render_config.sh reads the environment's settings and secrets from there.
PLATFORM_FILE="${PLATFORM_FILE:-/etc/$APP_NAME/platform.env}"

CURRENT="$APP_ROOT/current"
RUN_DIR="$APP_ROOT/run"
PID_FILE="$RUN_DIR/$APP_NAME.pid"
UNIT_FILE="$SYSTEMD_UNIT_DIR/$APP_NAME.service"
# The settings and secrets rendered at every deployment; the service reads RUNTIME_CONFIG.
CONFIG_DIR="$APP_ROOT/config"
CONFIG_FILE="$CONFIG_DIR/runtime.json"

log() {
  echo "[${LIFECYCLE_EVENT:-manual}] $*"
}

case "$SERVICE_MANAGER" in
  systemd | process) ;;
  *)
    echo "SERVICE_MANAGER must be systemd or process (got $SERVICE_MANAGER)" >&2
    exit 1
    ;;
esac

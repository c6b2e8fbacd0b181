#!/bin/bash
## The instance's boot: the launch template's user data (modules/lib/user-data.ts fills the @NAME@
## fields at synth and drops these ## lines; the result is what each instance runs, as root).
## A failed bootstrap is reported where a person sees it: the instance's console output (EC2
## console, "Get system log") and, since the health responder below never starts, the target
## group's health check, whose unhealthy-hosts alarm notifies the environment's topic.
## One command per line: under set -e a failure inside an && list neither exits nor trips the trap.
set -euo pipefail
trap 'echo "BOOTSTRAP FAILED (line $LINENO: $BASH_COMMAND): the instance needs a route to S3, CodeDeploy, SSM and CloudWatch Logs (NAT or network.vpcEndpoints)" | tee /dev/console >&2' ERR
dnf install -y ruby amazon-cloudwatch-agent
id -u @SERVICE_USER@ >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin @SERVICE_USER@
install -d -o @SERVICE_USER@ -g @SERVICE_USER@ -m 0750 @LOG_DIRECTORY@
# Which environment this instance serves: the deployment hooks read their settings from it
install -d -m 0755 /etc/@SERVICE_USER@
cat > @PLATFORM_FILE@ <<'ENV'
@PLATFORM_SETTINGS@
ENV
# CodeDeploy agent, from the regional bucket AWS documents
curl -fsSL -o /tmp/codedeploy-install https://aws-codedeploy-@REGION@.s3.@REGION@.amazonaws.com/latest/install
chmod +x /tmp/codedeploy-install
/tmp/codedeploy-install auto
rm -f /tmp/codedeploy-install
# The agent authenticates through codedeploy-commands-secure, which also works through a VPC
# endpoint (CodeDeploy user guide, "Use CodeDeploy with Amazon VPC")
grep -q '^:enable_auth_policy:' /etc/codedeploy-agent/conf/codedeployagent.yml || echo ':enable_auth_policy: true' >> /etc/codedeploy-agent/conf/codedeployagent.yml
systemctl enable codedeploy-agent
systemctl restart codedeploy-agent
# CloudWatch agent: application and CodeDeploy agent logs to the environment's log group
cat > /opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json <<'JSON'
@AGENT_CONFIG@
JSON
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json
# Health answer until the first revision (see BOOTSTRAP_RESPONDER): started last, so a failed
# bootstrap leaves the target unhealthy
install -d /usr/local/libexec
cat > /usr/local/libexec/@SERVICE_USER@-bootstrap.py <<'PY'
@BOOTSTRAP_RESPONDER@
PY
cat > /etc/systemd/system/@SERVICE_USER@-bootstrap.service <<'UNIT'
@BOOTSTRAP_UNIT@
UNIT
systemctl daemon-reload
systemctl enable --now @SERVICE_USER@-bootstrap.service

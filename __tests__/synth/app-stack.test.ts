import { Testing } from "../../modules/lib/cdk";
import { createStacks } from "../../modules/stacks";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { releaseProgram } from "../../modules/constructs/release-steps";
import {
  asList,
  NETWORK,
  onlyResource,
  PROJECT,
  refTo,
  refWhere,
  resourceAt,
  resourcesOf,
  roleStatements,
  shippedConfig,
  statementsOf,
  synthAll,
  synthApp,
  type Json,
} from "../support/helpers";

const remote = (name: string) => `\${data.terraform_remote_state.build.outputs.${name}}`;
const shipped = synthAll(shippedConfig());
const CERT = "arn:aws:acm:us-east-2:111122223333:certificate/12345678-1234-1234-1234-123456789012";

function stage(pipeline: Json, name: string): Json | undefined {
  return pipeline.stage.find((s: Json) => s.name === name);
}

describe("where an environment lives (outputs)", () => {
  it("publishes the URL, pipeline, console link, deployment group, alert topic and log group under stable names", () => {
    const staging = shipped["app-staging"];
    expect(Object.keys(staging.output).sort()).toEqual([
      "alert_topic_arn",
      "dashboard_url",
      "deployment_group",
      "log_group_name",
      "pipeline_console_url",
      "pipeline_name",
      "site_urls",
      "url",
    ]);
    expect(staging.output.url.value).toBe("https://staging.example.com");
    expect(shipped["app-dev"].output.url.value).toBe(`http://${refTo(shipped["app-dev"], "aws_lb", "dns_name")}`);
    expect(staging.output.pipeline_name.value).toBe("${aws_codepipeline.pipeline.name}");
    expect(staging.output.pipeline_console_url.value).toBe(
      "https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/staging-webapp/view?region=eu-west-1",
    );
    expect(staging.output.alert_topic_arn.value).toBe(refTo(staging, "aws_sns_topic", "arn"));
    expect(staging.output.log_group_name.value).toBe("${aws_cloudwatch_log_group.logs.name}");
    expect(staging.output.deployment_group.value).toBe(
      `${refTo(staging, "aws_codedeploy_app", "name")}/${refTo(staging, "aws_codedeploy_deployment_group", "deployment_group_name")}`,
    );
    for (const o of Object.values(staging.output) as Json[]) expect(o.description.length).toBeGreaterThan(20);
  });
});

describe("pipeline", () => {
  const pipeline = resourceAt(shipped["app-staging"], "aws_codepipeline", "pipeline");

  it("is a V2 pipeline started by pushes to deploy/<env>, with the same branch for manual starts", () => {
    expect(pipeline.pipeline_type).toBe("V2");
    expect(pipeline.trigger).toEqual([
      {
        provider_type: "CodeStarSourceConnection",
        git_configuration: { source_action_name: "Source", push: [{ branches: { includes: ["deploy/staging"] } }] },
      },
    ]);
    const source = stage(pipeline, "Source")?.action[0];
    expect(source.configuration).toMatchObject({
      BranchName: "deploy/staging",
      FullRepositoryId: "example-org/webapp",
      ConnectionArn: remote("connection_arn"),
    });
  });

  it("runs Source, Build, Approve, Deploy and Record in that order", () => {
    expect(pipeline.stage.map((s: Json) => s.name)).toEqual(["Source", "Build", "Approve", "Deploy", "Record"]);
  });

  it("builds on the shared CodeBuild project with the environment name, commit id and workload; a site's build also gets the environment's build settings", () => {
    const dev = shipped["app-dev"];
    const variables = (p: Json) =>
      JSON.parse(stage(p, "Build")?.action.find((a: Json) => a.name === "Build").configuration.EnvironmentVariables);
    const build = stage(resourceAt(dev, "aws_codepipeline", "pipeline"), "Build")?.action[0];
    expect(build.name).toBe("Build");
    expect(build.configuration.ProjectName).toBe(remote("build_project_name"));
    // The service reads its settings at run time: its build takes none, so its artifact can be promoted.
    expect(variables(resourceAt(dev, "aws_codepipeline", "pipeline"))).toEqual([
      { name: "ENVIRONMENT", value: "dev", type: "PLAINTEXT" },
      { name: "COMMIT_ID", value: "#{SourceVariables.CommitId}", type: "PLAINTEXT" },
      { name: "WORKLOAD", value: "api", type: "PLAINTEXT" },
    ]);
    expect(variables(resourceAt(dev, "aws_codepipeline", "site_storefront_pipeline"))).toEqual([
      { name: "ENVIRONMENT", value: "dev", type: "PLAINTEXT" },
      { name: "COMMIT_ID", value: "#{SourceVariables.CommitId}", type: "PLAINTEXT" },
      { name: "WORKLOAD", value: "storefront", type: "PLAINTEXT" },
      { name: "API_BASE_URL", value: "https://api.dev.example.com", type: "PLAINTEXT" },
    ]);
  });

  it("seals what it builds where it builds, and promotes what passed where it promotes (build once)", () => {
    const buildStage = (stack: string, id: string) => stage(resourceAt(shipped[stack], "aws_codepipeline", id), "Build")!.action;
    const names = (stack: string, id: string) => buildStage(stack, id).map((a: Json) => `${a.name}@${a.run_order}`);
    expect(names("app-dev", "pipeline")).toEqual(["Build@1", "SealArtifact@2", "ScanSecrets@1", "ScanDependencies@1", "ScanCode@1"]);
    // staging promotes the service from qa; the storefront bakes API_BASE_URL, so it builds again (pipeline.rebuild).
    expect(names("app-staging", "pipeline")).toEqual(["Promote@1", "ScanSecrets@1", "ScanDependencies@1", "ScanCode@1"]);
    expect(names("app-staging", "site_storefront_pipeline").slice(0, 3)).toEqual(["VerifyCommitPassed@1", "Build@2", "SealArtifact@3"]);
    expect(JSON.parse(buildStage("app-prod", "site_storefront_pipeline")[0].configuration.EnvironmentVariables)).toContainEqual({
      name: "FROM",
      value: "staging,hotfix",
      type: "PLAINTEXT",
    });
    const promote = buildStage("app-prod", "pipeline")[0];
    expect(promote).toMatchObject({ category: "Build", provider: "CodeBuild", namespace: "ReleaseVariables", output_artifacts: ["Build"] });
    expect(promote.configuration.ProjectName).toBe("${aws_codebuild_project.pipeline_release_project.name}");
    expect(JSON.parse(promote.configuration.EnvironmentVariables)).toEqual([
      { name: "STEP", value: "promote", type: "PLAINTEXT" },
      { name: "FROM", value: "staging,hotfix", type: "PLAINTEXT" },
      { name: "COMMIT_ID", value: "#{SourceVariables.CommitId}", type: "PLAINTEXT" },
    ]);
    // Every pipeline records what passed, in a last stage of its own, after the deploy and its bake.
    for (const [name, stack] of Object.entries(shipped).filter(([n]) => n.startsWith("app-"))) {
      for (const p of resourcesOf(stack, "aws_codepipeline")) {
        const last = p.stage[p.stage.length - 1];
        expect(`${name}: ${last.name} ${last.action.map((a: Json) => a.name)}`).toBe(`${name}: Record RecordRelease`);
        expect(JSON.parse(last.action[0].configuration.EnvironmentVariables)).toContainEqual({
          name: "DIGEST",
          value: "#{ReleaseVariables.ARTIFACT_DIGEST}",
          type: "PLAINTEXT",
        });
      }
    }
  });

  it("runs the release steps in the pipelines' account with the program that ships, writing only its own environment's records", () => {
    const prod = shipped["app-prod"];
    const project = resourceAt(prod, "aws_codebuild_project", "pipeline_release_project");
    expect(project.provider).toBe("aws.tooling");
    expect(project.name).toBe("webapp-prod-release");
    const buildspec = JSON.parse(project.source.buildspec);
    const decoded = Buffer.from(/^echo (\S+) \| base64 -d/.exec(buildspec.phases.build.commands[0])![1], "base64").toString();
    expect(decoded).toBe(releaseProgram());
    expect(buildspec.env["exported-variables"]).toEqual(["ARTIFACT_DIGEST", "ARTIFACT_ORIGIN"]);
    expect(buildspec.artifacts).toEqual({ "base-directory": ".release/Build", files: ["**/*"] });
    const site = JSON.parse(resourceAt(prod, "aws_codebuild_project", "site_storefront_pipeline_release_project").source.buildspec);
    expect(Object.keys(site.artifacts["secondary-artifacts"])).toEqual(["Assets", "Pages"]);
    const env = Object.fromEntries(project.environment.environment_variable.map((v: Json) => [v.name, v.value]));
    expect(env).toMatchObject({ WORKLOAD: "api", ENVIRONMENT: "prod", ARTIFACTS: "Build", BUCKET: remote("artifact_bucket_name") });
    expect(env.INPUTS).toMatch(/^[0-9a-f]{16}$/);
    const writes = roleStatements(prod, "webapp-prod-release")
      .filter((st: Json) => asList(st.Action).includes("s3:PutObject"))
      .flatMap((st: Json) => asList(st.Resource));
    expect(writes).toContain(`${remote("artifact_bucket_arn")}/prod-releases/api/*`);
    expect(writes.filter((r: string) => /-releases\//.test(r))).toEqual([`${remote("artifact_bucket_arn")}/prod-releases/api/*`]);
  });

  it("announces each release that passed where the environment announces successes, through the topic's and key's policies in another account", () => {
    const variables = (stack: string) =>
      resourceAt(shipped[stack], "aws_codebuild_project", "pipeline_release_project").environment.environment_variable.map(
        (v: Json) => v.name,
      );
    expect(variables("app-dev")).not.toContain("TOPIC_ARN");
    expect(variables("app-staging")).toContain("TOPIC_ARN");
    const prod = shipped["app-prod"];
    const announces = roleStatements(prod, "webapp-prod-release").find((st: Json) => st.Sid === "AnnounceReleases");
    expect(announces?.Resource).toBe(refTo(prod, "aws_sns_topic", "arn"));
    // Prod runs in its own account: its topic's policy names the release role among its publishers.
    const topicPolicy = JSON.stringify(onlyResource(prod, "aws_sns_topic_policy").policy);
    expect(topicPolicy).toContain("aws_iam_role.pipeline_release_role.arn");
  });

  it("has a buildspec whose commands, run as CodeBuild runs them (one shell), seal the build and export its digest", () => {
    const project = resourceAt(shipped["app-dev"], "aws_codebuild_project", "pipeline_release_project");
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "release-buildspec-"));
    const at = (p: string) =>
      p.replaceAll("/tmp/release.js", path.join(scratch, "release.js")).replaceAll("/tmp/release.env", path.join(scratch, "release.env"));
    const commands: string[] = JSON.parse(project.source.buildspec).phases.build.commands.map(at);
    const input = path.join(scratch, "input");
    fs.mkdirSync(input);
    fs.writeFileSync(path.join(input, "appspec.yml"), "version: 0.0\n");
    fs.mkdirSync(path.join(scratch, "s3"));
    const bin = path.join(scratch, "bin");
    fs.mkdirSync(bin);
    fs.copyFileSync(path.join(__dirname, "..", "support", "fake-s3-aws.js"), path.join(bin, "aws"));
    fs.chmodSync(path.join(bin, "aws"), 0o755);
    const variables = Object.fromEntries(project.environment.environment_variable.map((v: Json) => [v.name, v.value]));
    const r = spawnSync("sh", ["-c", `${commands.join(" && ")} && echo "exported $ARTIFACT_DIGEST"`], {
      cwd: input,
      encoding: "utf8",
      env: {
        ...variables,
        BUCKET: "artifacts",
        STEP: "seal",
        COMMIT_ID: "0123456789abcdef0123456789abcdef01234567",
        CODEBUILD_SRC_DIR: input,
        RELEASE_ENV_FILE: path.join(scratch, "release.env"),
        FAKE_S3_ROOT: path.join(scratch, "s3"),
        PATH: `${bin}:${process.env.PATH}`,
      },
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^exported sha256:[0-9a-f]{64}$/m);
    expect(fs.readdirSync(path.join(scratch, "s3", "artifacts", "releases", "api"))).toEqual(["0123456789abcdef0123456789abcdef01234567"]);
  });

  it("stores artifacts in the shared bucket, encrypted with the shared key", () => {
    expect(pipeline.artifact_store).toEqual([
      { type: "S3", location: remote("artifact_bucket_name"), encryption_key: { id: remote("artifact_key_arn"), type: "KMS" } },
    ]);
  });

  it("asks for approval exactly in the environments that require it, and notifies the topic", () => {
    const gated = Object.entries(shipped)
      .filter(([name]) => name.startsWith("app-"))
      .filter(([, s]) => stage(resourceAt(s, "aws_codepipeline", "pipeline"), "Approve"))
      .map(([name]) => name)
      .sort();
    expect(gated).toEqual(["app-demo", "app-prod", "app-qa", "app-staging"]);
    const approve = stage(pipeline, "Approve")?.action[0];
    expect(approve).toMatchObject({ category: "Approval", provider: "Manual" });
    expect(approve.configuration.NotificationArn).toBe(refTo(shipped["app-staging"], "aws_sns_topic", "arn"));
  });

  it("asks production's approvers about one commit and one artifact, naming the branch it was pushed to, the digest and where it passed", () => {
    const approve = stage(resourceAt(shipped["app-prod"], "aws_codepipeline", "pipeline"), "Approve")?.action[0];
    expect(approve.configuration.CustomData).toBe(
      "Deploy api at commit #{SourceVariables.CommitId} (pushed to #{SourceVariables.BranchName}) to prod? Artifact #{ReleaseVariables.ARTIFACT_DIGEST} (#{ReleaseVariables.ARTIFACT_ORIGIN}).",
    );
  });

  it("starts hotfix's pipelines on every push to a hotfix/ branch, and production's only on deploy/prod", () => {
    const triggers = (stack: string) =>
      resourcesOf(shipped[stack], "aws_codepipeline").map((p) => p.trigger[0].git_configuration.push[0].branches.includes);
    const hotfix = triggers("app-hotfix");
    expect(hotfix.length).toBe(2);
    for (const includes of hotfix) expect(includes).toEqual(["deploy/hotfix", "hotfix/**"]);
    for (const includes of triggers("app-prod")) expect(includes).toEqual(["deploy/prod"]);
    // The source action builds deploy/hotfix on a manual start; a push builds the pushed branch.
    const source = stage(resourceAt(shipped["app-hotfix"], "aws_codepipeline", "pipeline"), "Source")?.action[0];
    expect(source.configuration.BranchName).toBe("deploy/hotfix");
    expect(stage(resourceAt(shipped["app-hotfix"], "aws_codepipeline", "pipeline"), "Approve")).toBeUndefined();
  });

  it("takes its execution mode from the environment", () => {
    expect(resourceAt(shipped["app-dev"], "aws_codepipeline", "pipeline").execution_mode).toBe("SUPERSEDED");
    expect(resourceAt(shipped["app-prod"], "aws_codepipeline", "pipeline").execution_mode).toBe("QUEUED");
    const custom = synthApp("dev", { tier: "development", network: NETWORK, pipeline: { executionMode: "QUEUED" } });
    expect(resourceAt(custom, "aws_codepipeline", "pipeline").execution_mode).toBe("QUEUED");
  });

  it("deploys with its own CodeDeploy application and group", () => {
    const deploy = stage(pipeline, "Deploy")?.action[0];
    expect(deploy.configuration).toEqual({
      ApplicationName: refTo(shipped["app-staging"], "aws_codedeploy_app", "name"),
      DeploymentGroupName: refTo(shipped["app-staging"], "aws_codedeploy_deployment_group", "deployment_group_name"),
    });
  });
});

describe("pipeline role", () => {
  const dev = roleStatements(shipped["app-dev"], "dev-webapp-pipeline");
  const prod = roleStatements(shipped["app-prod"], "prod-webapp-pipeline");
  const resources = (statements: typeof dev) => statements.flatMap((s) => asList(s.Resource));

  it("reads and writes only its own environment's artifact prefix", () => {
    const s3 = dev.find((s) => asList(s.Action).includes("s3:PutObject"));
    expect(s3?.Resource).toBe(`${remote("artifact_bucket_arn")}/dev-webapp/*`);
    expect(resources(dev).some((r) => r.includes("prod-webapp"))).toBe(false);
    expect(resources(prod).some((r) => r.includes("/dev-webapp"))).toBe(false);
  });

  it("may start builds only on the shared and scan projects and use only the connection", () => {
    expect(dev.find((s) => asList(s.Action).includes("codebuild:StartBuild"))?.Resource).toEqual([
      remote("build_project_arn"),
      remote("scan_project_arn"),
    ]);
    expect(dev.find((s) => asList(s.Action).includes("codestar-connections:UseConnection"))?.Resource).toBe(remote("connection_arn"));
  });

  it("may create deployments only in its own deployment group", () => {
    const create = dev.find((s) => asList(s.Action).includes("codedeploy:CreateDeployment"));
    expect(create?.Resource).toBe("arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:webapp-dev/webapp-dev");
  });

  it("has no wildcard action and no wildcard resource", () => {
    for (const s of [...dev, ...prod]) {
      expect(asList(s.Action).some((a) => a.includes("*"))).toBe(false);
      expect(asList(s.Resource)).not.toContain("*");
    }
  });
});

describe("CodeDeploy (in place: staging)", () => {
  const stack = shipped["app-staging"];
  const group = onlyResource(stack, "aws_codedeploy_deployment_group");

  it("deploys in place to the environment's Auto Scaling group behind the target group", () => {
    expect(group.deployment_style).toEqual({ deployment_type: "IN_PLACE", deployment_option: "WITH_TRAFFIC_CONTROL" });
    expect(group.autoscaling_groups).toEqual([refTo(stack, "aws_autoscaling_group", "name")]);
    expect(group.load_balancer_info.target_group_info).toEqual([{ name: refTo(stack, "aws_lb_target_group", "name") }]);
    expect(group.deployment_config_name).toBe("CodeDeployDefault.OneAtATime");
  });

  it("rolls back on deployment failure and on the 5xx and unhealthy-host alarms", () => {
    expect(group.auto_rollback_configuration).toEqual({ enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] });
    expect(group.alarm_configuration.enabled).toBe(true);
    expect(group.alarm_configuration.alarms).toHaveLength(2);
    const alarm = (suffix: string) =>
      refWhere(stack, "aws_cloudwatch_metric_alarm", (a) => String(a.alarm_name).endsWith(suffix), "alarm_name");
    expect(group.alarm_configuration.alarms).toEqual([alarm("-http-5xx"), alarm("-unhealthy-hosts")]);
  });

  it("takes the deployment configuration from the environment", () => {
    const custom = synthApp("dev", {
      tier: "development",
      network: NETWORK,
      compute: { minCapacity: 2, desiredCapacity: 2, maxCapacity: 4 },
      deployment: { config: "CodeDeployDefault.HalfAtATime" },
    });
    expect(onlyResource(custom, "aws_codedeploy_deployment_group").deployment_config_name).toBe("CodeDeployDefault.HalfAtATime");
  });
});

describe("compute", () => {
  const prod = shipped["app-prod"];
  const template = onlyResource(prod, "aws_launch_template");

  it("requires IMDSv2, encrypts the root volume and assigns no public IP", () => {
    expect(template.metadata_options).toMatchObject({ http_tokens: "required", http_endpoint: "enabled", http_put_response_hop_limit: 1 });
    expect(template.block_device_mappings[0].ebs).toMatchObject({ encrypted: "true", volume_type: "gp3" });
    expect(template.network_interfaces[0].associate_public_ip_address).toBe("false");
    const instanceSg = refWhere(prod, "aws_security_group", (sg) => sg.name.endsWith("-instances"), "id");
    expect(template.network_interfaces[0].security_groups).toEqual([instanceSg]);
  });

  it("resolves the latest Amazon Linux 2023 AMI through SSM for the instance type's architecture", () => {
    expect(template.image_id).toBe("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64");
    expect(onlyResource(shipped["app-dev"], "aws_launch_template").image_id).toMatch(/-x86_64$/);
  });

  it("installs the CodeDeploy agent and starts the CloudWatch agent at boot", () => {
    const script = Buffer.from(template.user_data, "base64").toString();
    expect(script).toContain("https://aws-codedeploy-eu-west-1.s3.eu-west-1.amazonaws.com/latest/install");
    expect(script).toContain("systemctl enable codedeploy-agent\nsystemctl restart codedeploy-agent");
    expect(script).toContain("echo ':enable_auth_policy: true' >> /etc/codedeploy-agent/conf/codedeployagent.yml");
    expect(script).toMatch(/amazon-cloudwatch-agent-ctl -a fetch-config .* -s/);
    expect(script).toContain('"log_group_name":"/webapp/prod/application"');
  });

  it("sizes each environment's Auto Scaling group from its file (prod's serving fleet, blue, at creation), health-checked by the ALB", () => {
    const sizes = Object.fromEntries(
      ["dev", "qa", "staging", "prod"].map((e) => {
        const stack = shipped[`app-${e}`];
        const g = e === "prod" ? resourceAt(stack, "aws_autoscaling_group", "fleet_group") : onlyResource(stack, "aws_autoscaling_group");
        return [e, [g.min_size, g.desired_capacity, g.max_size, g.health_check_type]];
      }),
    );
    expect(sizes).toEqual({
      dev: [1, 1, 2, "ELB"],
      qa: [1, 1, 2, "ELB"],
      staging: [2, 2, 4, "ELB"],
      prod: [3, 3, 9, "ELB"],
    });
    for (const suffix of ["", "_green"]) {
      const group = resourceAt(prod, "aws_autoscaling_group", `fleet_group${suffix}`);
      expect(group.vpc_zone_identifier).toEqual(["subnet-0a1b2c3d4e5f60061", "subnet-0a1b2c3d4e5f60062", "subnet-0a1b2c3d4e5f60063"]);
      expect(group.target_group_arns).toEqual([`\${aws_lb_target_group.web_targets${suffix}.arn}`]);
    }
  });

  it("gives instances SSM access and read access to their own environment's revisions only", () => {
    const attachments = resourcesOf(prod, "aws_iam_role_policy_attachment").map((a) => a.policy_arn);
    expect(attachments).toContain("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
    const statements = roleStatements(prod, "webapp-prod-instance");
    const read = statements.find((s) => asList(s.Action).includes("s3:GetObject"));
    expect(read?.Resource).toBe(`${remote("artifact_bucket_arn")}/prod-webapp/*`);
    expect(statements.flatMap((s) => asList(s.Action)).some((a) => a.startsWith("s3:Put"))).toBe(false);
  });
});

describe("load balancer and security groups", () => {
  const withCert = synthApp("dev", {
    tier: "development",
    network: NETWORK,
    certificateArn: CERT,
    hostName: "dev.example.com",
    allowedIngressCidrs: ["203.0.113.0/24", "198.51.100.0/24"],
  });
  const plain = synthApp("dev", { tier: "development", network: NETWORK });

  it("serves HTTPS with a TLS 1.2+ policy and redirects HTTP when a certificate is configured", () => {
    const listeners = resourcesOf(withCert, "aws_lb_listener");
    expect(listeners.map((l) => [l.port, l.protocol]).sort()).toEqual([
      [443, "HTTPS"],
      [80, "HTTP"],
    ]);
    const https = listeners.find((l) => l.port === 443);
    expect(https).toMatchObject({ ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06", certificate_arn: CERT });
    const http = listeners.find((l) => l.port === 80);
    expect(http?.default_action).toEqual([{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", status_code: "HTTP_301" } }]);
  });

  it("gives the service's URL by the host name the certificate covers, and its acceptance tests that URL", () => {
    expect(withCert.output.url.value).toBe("https://dev.example.com");
    const deploy = resourceAt(withCert, "aws_codepipeline", "pipeline").stage.find((s: Json) => s.name === "Deploy");
    const tests = deploy.action.find((a: Json) => a.name === "AcceptanceTests");
    expect(JSON.parse(tests.configuration.EnvironmentVariables)[0]).toEqual({
      name: "APP_URL",
      value: "https://dev.example.com",
      type: "PLAINTEXT",
    });
    const plainDeploy = resourceAt(plain, "aws_codepipeline", "pipeline").stage.find((s: Json) => s.name === "Deploy");
    expect(plainDeploy.action.find((a: Json) => a.name === "AcceptanceTests").configuration.EnvironmentVariables).toContain(
      '"value":"http://${aws_lb.web_alb.dns_name}"',
    );
  });

  it("runs the acceptance tests in the private subnets where the environment asks, able to make their network interface there and to reach HTTP(S) only", () => {
    const inVpc = synthApp("dev", { tier: "development", network: NETWORK, acceptanceTests: { inVpc: true } });
    const project = resourceAt(inVpc, "aws_codebuild_project", "pipeline_acceptance_project");
    expect(project.vpc_config).toEqual({
      vpc_id: NETWORK.vpcId,
      subnets: NETWORK.privateSubnetIds,
      security_group_ids: ["${aws_security_group.pipeline_acceptance_sg.id}"],
    });
    const egress = resourcesOf(inVpc, "aws_vpc_security_group_egress_rule").filter(
      (r) => r.security_group_id === "${aws_security_group.pipeline_acceptance_sg.id}",
    );
    expect(egress.map((r) => [r.from_port, r.to_port, r.cidr_ipv4]).sort((x, y) => x[0] - y[0])).toEqual([
      [80, 80, "0.0.0.0/0"],
      [443, 443, "0.0.0.0/0"],
    ]);
    expect(
      resourcesOf(inVpc, "aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === egress[0].security_group_id),
    ).toEqual([]);
    const statements = roleStatements(inVpc, "shop-dev-acceptance");
    const permission = statements.find((s) => s.Sid === "LetCodeBuildUseThemInItsSubnets");
    expect(permission?.Condition).toEqual({
      StringEquals: {
        "ec2:Subnet": NETWORK.privateSubnetIds.map((id) => `arn:aws:ec2:${PROJECT.region}:${PROJECT.accountId}:subnet/${id}`),
        "ec2:AuthorizedService": "codebuild.amazonaws.com",
      },
    });
    // Outside the VPC (the default), none of it.
    expect(resourceAt(plain, "aws_codebuild_project", "pipeline_acceptance_project").vpc_config).toBeUndefined();
    expect(roleStatements(plain, "shop-dev-acceptance").map((s) => s.Sid)).toEqual([
      "WriteOwnLogs",
      "ReadOwnPipelineArtifacts",
      "LocateArtifactBucket",
      "DecryptArtifacts",
      "PublishTestReports",
    ]);
  });

  it("serves plain HTTP only when no certificate is configured", () => {
    const [listener, ...others] = resourcesOf(plain, "aws_lb_listener");
    expect(others).toHaveLength(0);
    expect(listener).toMatchObject({ port: 80, protocol: "HTTP" });
    expect(listener.default_action[0].type).toBe("forward");
  });

  it("drops invalid headers, and is deletion-protected in prod only", () => {
    expect(onlyResource(plain, "aws_lb").drop_invalid_header_fields).toBe(true);
    expect(onlyResource(shipped["app-prod"], "aws_lb").enable_deletion_protection).toBe(true);
    expect(onlyResource(shipped["app-dev"], "aws_lb").enable_deletion_protection).toBe(false);
  });

  it("writes access logs into its account's access-log bucket (build's, or its own account's bootstrap's) under the environment's own prefix", () => {
    for (const env of ["dev", "qa", "staging", "prod"]) {
      expect(onlyResource(shipped[`app-${env}`], "aws_lb").access_logs).toEqual({
        enabled: true,
        bucket:
          env === "prod" ? "${data.terraform_remote_state.bootstrap.outputs.access_log_bucket_name}" : remote("access_log_bucket_name"),
        prefix: `alb-access/${env}`,
      });
    }
  });

  it("writes connection logs beside them, with or without HTTPS", () => {
    for (const stack of [withCert, plain]) {
      expect(onlyResource(stack, "aws_lb").connection_logs).toEqual({
        enabled: true,
        bucket: remote("access_log_bucket_name"),
        prefix: "alb-connection/dev",
      });
    }
  });

  it("opens the ALB only to the configured CIDRs, on 80 and 443", () => {
    const albSg = refWhere(withCert, "aws_security_group", (sg) => sg.name.endsWith("-alb"), "id");
    const ingress = resourcesOf(withCert, "aws_vpc_security_group_ingress_rule").filter((r) => !r.referenced_security_group_id);
    expect(ingress.every((r) => r.security_group_id === albSg)).toBe(true);
    expect(ingress.map((r) => `${r.from_port} ${r.cidr_ipv4 ?? r.cidr_ipv6}`).sort()).toEqual([
      "443 198.51.100.0/24",
      "443 203.0.113.0/24",
      "80 198.51.100.0/24",
      "80 203.0.113.0/24",
    ]);
  });

  it("lets instances be reached only from the ALB's security group, on the application port, and never on SSH", () => {
    const rules = resourcesOf(withCert, "aws_vpc_security_group_ingress_rule");
    const toInstances = rules.filter((r) => r.referenced_security_group_id);
    expect(toInstances).toHaveLength(1);
    expect(toInstances[0]).toMatchObject({ from_port: 8080, to_port: 8080, ip_protocol: "tcp" });
    expect(toInstances[0].security_group_id).toBe(refWhere(withCert, "aws_security_group", (sg) => sg.name.endsWith("-instances"), "id"));
    expect(toInstances[0].referenced_security_group_id).toBe(
      refWhere(withCert, "aws_security_group", (sg) => sg.name.endsWith("-alb"), "id"),
    );
    expect(rules.some((r) => r.from_port <= 22 && r.to_port >= 22)).toBe(false);
    expect(rules.some((r) => r.ip_protocol === "-1")).toBe(false);
  });
});

describe("observability", () => {
  const stack = shipped["app-prod"];

  it("encrypts the topic with the environment's key, which lets CloudWatch use it for this account", () => {
    const topic = onlyResource(stack, "aws_sns_topic");
    const key = refTo(stack, "aws_kms_key", "arn");
    expect(topic.kms_master_key_id).toBe(key);
    const services = statementsOf(onlyResource(stack, "aws_kms_key").policy).find((s) => s.Sid === "ServicesEncryptForThisAccount");
    expect(services?.Principal).toEqual({ Service: ["cloudwatch.amazonaws.com"] });
    // Production runs in its own account (environments/prod.ts).
    expect(services?.Condition).toEqual({ StringEquals: { "aws:SourceAccount": "210987654321" } });
  });

  it("lets EventBridge use the key for this topic only, with no aws:Source* condition (unsupported for EventBridge to encrypted SNS)", () => {
    const statements = statementsOf(onlyResource(stack, "aws_kms_key").policy);
    const events = statements.filter((s) => JSON.stringify(s.Principal ?? {}).includes("events.amazonaws.com"));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ Principal: { Service: ["events.amazonaws.com"] }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"] });
    expect(events[0].Condition).toEqual({
      StringEquals: {
        "kms:EncryptionContext:aws:sns:topicArn": [`arn:aws:sns:eu-west-1:210987654321:${onlyResource(stack, "aws_sns_topic").name}`],
      },
    });
    expect(JSON.stringify(events[0].Condition)).not.toMatch(/aws:Source/);
  });

  it("accepts publishing over TLS only", () => {
    const statements = statementsOf(onlyResource(stack, "aws_sns_topic_policy").policy);
    expect(statements.find((s) => s.Effect === "Deny")).toMatchObject({
      Action: "sns:Publish",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  it("subscribes the environment's emails", () => {
    const subscriptions = resourcesOf(stack, "aws_sns_topic_subscription").map((s) => `${s.protocol}:${s.endpoint}`);
    expect(subscriptions.sort()).toEqual(["email:oncall@example.com", "email:platform-team@example.com"]);
  });

  it("alarms on ALB 5xx, unhealthy hosts and CPU with the environment's thresholds", () => {
    const alarms = resourcesOf(stack, "aws_cloudwatch_metric_alarm").map((a) => `${a.metric_name} ${a.threshold}`);
    // One set per blue/green fleet; production's web firewalls (the load balancer's and the site's)
    // alarm on blocked requests too.
    expect(alarms.sort()).toEqual([
      "5xxErrorRate 2",
      "BlockedRequests 100",
      "BlockedRequests 100",
      "CPUUtilization 80",
      "CPUUtilization 80",
      "HTTPCode_ELB_5XX_Count 5",
      "HTTPCode_Target_5XX_Count 5",
      "HTTPCode_Target_5XX_Count 5",
      "TargetResponseTime 1",
      "TargetResponseTime 1",
      "UnHealthyHostCount 1",
      "UnHealthyHostCount 1",
    ]);
    const custom = synthApp("dev", { tier: "development", network: NETWORK, alarms: { cpuPercent: 60 } });
    const cpu = resourcesOf(custom, "aws_cloudwatch_metric_alarm").find((a) => a.metric_name === "CPUUtilization");
    expect(cpu?.threshold).toBe(60);
    expect(cpu?.alarm_actions).toEqual([refTo(custom, "aws_sns_topic", "arn")]);
  });

  it("alarms on each fleet's p99 response time, on that fleet's own target group, notifying without gating deployments", () => {
    const topic = refTo(stack, "aws_sns_topic", "arn");
    const latency = resourcesOf(stack, "aws_cloudwatch_metric_alarm").filter((a) => a.metric_name === "TargetResponseTime");
    expect(latency.map((a) => [a.alarm_name, a.dimensions]).sort()).toEqual([
      [
        "webapp-prod-green-latency-p99",
        { LoadBalancer: "${aws_lb.web_alb.arn_suffix}", TargetGroup: "${aws_lb_target_group.web_targets_green.arn_suffix}" },
      ],
      [
        "webapp-prod-latency-p99",
        { LoadBalancer: "${aws_lb.web_alb.arn_suffix}", TargetGroup: "${aws_lb_target_group.web_targets.arn_suffix}" },
      ],
    ]);
    for (const a of latency) {
      expect(a).toMatchObject({
        namespace: "AWS/ApplicationELB",
        extended_statistic: "p99",
        // 5 minutes: a p99 needs 1,000 requests in a period to count (3.3 a second, not 17).
        period: 300,
        evaluation_periods: 3,
        datapoints_to_alarm: 2,
        evaluate_low_sample_count_percentiles: "ignore",
        treat_missing_data: "notBreaching",
        comparison_operator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        alarm_actions: [topic],
        ok_actions: [topic],
      });
      // A percentile alarm has no plain statistic: the provider refuses both.
      expect(a.statistic).toBeUndefined();
    }
    // Not among the alarms that stop a deployment, in place (the deployment groups) or blue/green
    // (the traffic switch's configuration and role): nothing but the alarm, and the dashboard that
    // shows its state, refers to it.
    for (const s of [stack, shipped["app-dev"]]) {
      const { aws_cloudwatch_metric_alarm: _alarms, aws_cloudwatch_dashboard: _dashboard, ...others } = s.resource;
      const references = JSON.stringify(others);
      expect(references).toContain("aws_cloudwatch_metric_alarm.alarms_http_5xx.alarm_name");
      expect(references).not.toMatch(/aws_cloudwatch_metric_alarm\.alarms(_green)?_latency\./);
    }
    // The tier's threshold, or the environment's own.
    const threshold = (s: Json) =>
      resourcesOf(s, "aws_cloudwatch_metric_alarm").find((a) => a.metric_name === "TargetResponseTime")?.threshold;
    expect(threshold(shipped["app-dev"])).toBe(3);
    expect(threshold(synthApp("dev", { tier: "development", network: NETWORK, alarms: { latencyP99Seconds: 0.25 } }))).toBe(0.25);
  });

  it("alarms on the load balancer's own 5xx (no target answered), once per environment, notifying without gating", () => {
    const topic = refTo(stack, "aws_sns_topic", "arn");
    expect(resourcesOf(stack, "aws_cloudwatch_metric_alarm").filter((a) => a.metric_name === "HTTPCode_ELB_5XX_Count")).toEqual([
      expect.objectContaining({
        alarm_name: "webapp-prod-elb-5xx",
        namespace: "AWS/ApplicationELB",
        dimensions: { LoadBalancer: "${aws_lb.web_alb.arn_suffix}" },
        statistic: "Sum",
        period: 300,
        threshold: 5,
        alarm_actions: [topic],
        ok_actions: [topic],
      }),
    ]);
    const { aws_cloudwatch_metric_alarm: _alarms, aws_cloudwatch_dashboard: _dashboard, ...others } = stack.resource;
    expect(JSON.stringify(others)).not.toContain("aws_cloudwatch_metric_alarm.web_elb_5xx.");
  });

  it("sends pipeline failures everywhere, and successes only where configured", () => {
    const states = (s: Json) => JSON.parse(resourceAt(s, "aws_cloudwatch_event_rule", "pipeline_events_rule").event_pattern).detail.state;
    expect(states(shipped["app-dev"])).toEqual(["FAILED"]);
    expect(states(stack)).toEqual(["FAILED", "SUCCEEDED"]);
    expect(resourceAt(stack, "aws_cloudwatch_event_target", "pipeline_events_to_topic").arn).toBe(refTo(stack, "aws_sns_topic", "arn"));
  });

  it("keeps application logs for the environment's retention, encrypted, and retained in prod", () => {
    const logs = resourceAt(stack, "aws_cloudwatch_log_group", "logs");
    expect(logs).toMatchObject({ name: "/webapp/prod/application", retention_in_days: 365, lifecycle: { prevent_destroy: true } });
    expect(resourceAt(shipped["app-dev"], "aws_cloudwatch_log_group", "logs")).toMatchObject({
      retention_in_days: 30,
      lifecycle: { prevent_destroy: false },
    });
  });
});

describe("the first revision (day one)", () => {
  const dev = shipped["app-dev"];

  it("gates deployments on the 5xx and unhealthy-host alarms, which the bootstrap responder keeps OK before any revision", () => {
    const group = onlyResource(dev, "aws_codedeploy_deployment_group");
    const byName = (metric: string) => refWhere(dev, "aws_cloudwatch_metric_alarm", (a) => a.metric_name === metric, "alarm_name");
    expect(group.alarm_configuration.alarms).toEqual([byName("HTTPCode_Target_5XX_Count"), byName("UnHealthyHostCount")]);
    // The responder answers exactly the path and port the target group checks.
    const tg = onlyResource(dev, "aws_lb_target_group");
    expect(userDataOf(dev)).toContain(`webapp-bootstrap.py ${tg.port} ${tg.health_check.path}`);
  });

  const userDataOf = (stack: Json) => Buffer.from(onlyResource(stack, "aws_launch_template").user_data, "base64").toString("utf8");

  it("answers the ELB health check before the first revision, so Auto Scaling does not cycle empty instances", () => {
    const script = userDataOf(dev);
    expect(onlyResource(dev, "aws_autoscaling_group").health_check_type).toBe("ELB");
    expect(script).toContain("cat > /usr/local/libexec/webapp-bootstrap.py <<'PY'");
    expect(script).toContain("ExecStart=/usr/bin/python3 /usr/local/libexec/webapp-bootstrap.py 8080 /health");
    expect(script).toContain("Conflicts=webapp.service");
    // Started last: a bootstrap that failed earlier leaves the target unhealthy.
    expect(script.trimEnd().split("\n").pop()).toBe("systemctl enable --now webapp-bootstrap.service");
  });

  it("reports a failed bootstrap on the instance's console, naming the missing network routes", () => {
    const script = userDataOf(dev);
    expect(script.split("\n").slice(0, 3).join("\n")).toMatch(/set -euo pipefail\ntrap '.*BOOTSTRAP FAILED.* \| tee \/dev\/console/);
    expect(script).toContain("NAT or network.vpcEndpoints");
  });
});

describe("the GitHub connection (created PENDING by build)", () => {
  it("stops an app stack's plan until the connection is AVAILABLE, saying what to do", () => {
    const connection = shipped["app-dev"].data.aws_codestarconnections_connection.github_connection;
    expect(connection.arn).toBe(remote("connection_arn"));
    const [check] = connection.lifecycle.postcondition;
    expect(check.condition).toBe('${self.connection_status == "AVAILABLE"}');
    expect(check.error_message).toContain("complete its handshake once in the AWS console");
  });

  it("is not read by an offline plan, which calls no AWS API", () => {
    const app = Testing.app();
    const { apps } = createStacks(app, shippedConfig(), { offline: true });
    const offline = JSON.parse(Testing.synth(apps[0]));
    expect(offline.data?.aws_codestarconnections_connection).toBeUndefined();
  });
});

describe("private subnets without NAT (network.vpcEndpoints)", () => {
  const staging = shipped["app-staging"];

  it("creates the interface endpoints the instances need, reachable only from their security group, and an S3 gateway", () => {
    const endpoints = resourcesOf(staging, "aws_vpc_endpoint");
    expect(
      endpoints
        .filter((e) => e.vpc_endpoint_type === "Interface")
        .map((e) => e.service_name)
        .sort(),
    ).toEqual(
      ["codedeploy", "codedeploy-commands-secure", "ec2messages", "logs", "secretsmanager", "ssm", "ssmmessages"].map(
        (s) => `com.amazonaws.eu-west-1.${s}`,
      ),
    );
    for (const e of endpoints.filter((x) => x.vpc_endpoint_type === "Interface")) {
      expect(e).toMatchObject({ private_dns_enabled: true, subnet_ids: ["subnet-0a1b2c3d4e5f60041", "subnet-0a1b2c3d4e5f60042"] });
    }
    const gateway = endpoints.find((e) => e.vpc_endpoint_type === "Gateway");
    expect(gateway).toMatchObject({
      service_name: "com.amazonaws.eu-west-1.s3",
      route_table_ids: ["rtb-0a1b2c3d4e5f60041", "rtb-0a1b2c3d4e5f60042"],
    });
    const endpointSg = refWhere(staging, "aws_security_group", (sg) => sg.name.endsWith("-endpoints"), "id");
    const instanceSg = refWhere(staging, "aws_security_group", (sg) => sg.name.endsWith("-instances"), "id");
    const ingress = resourcesOf(staging, "aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === endpointSg);
    expect(ingress).toEqual([expect.objectContaining({ from_port: 443, to_port: 443, referenced_security_group_id: instanceSg })]);
  });

  it("creates none where the environment does not ask (its subnets use NAT)", () => {
    expect(resourcesOf(shipped["app-dev"], "aws_vpc_endpoint")).toEqual([]);
  });
});

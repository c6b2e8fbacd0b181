/** Compute: launch templates and Auto Scaling groups. */
import type { Attrs, Rule } from "./engine";
import { list, isTrue } from "./policy-reader";

export const COMPUTE: Rule[] = [
  {
    id: "EC2_IMDSV2",
    controls: ["CKV_AWS_79", "AutoScaling.3"],
    description: "Launch templates require IMDSv2",
    fix: 'set metadata_options.http_tokens = "required"',
    types: ["aws_launch_template"],
    check: (r) =>
      r.attrs.metadata_options?.http_tokens === "required"
        ? undefined
        : `IMDSv2 is not required (http_tokens ${r.attrs.metadata_options?.http_tokens ?? "unset"})`,
  },
  {
    id: "EC2_NO_PUBLIC_IP",
    controls: ["AutoScaling.5"],
    description: "Launch templates assign no public IP address",
    fix: 'set network_interfaces.associate_public_ip_address = "false"',
    types: ["aws_launch_template"],
    check: (r) => {
      const nics = list(r.attrs.network_interfaces) as Attrs[];
      if (nics.length === 0) return "no network interface states associate_public_ip_address = false";
      return nics.every((n) => n.associate_public_ip_address === "false" || n.associate_public_ip_address === false)
        ? undefined
        : "a public IP address may be assigned";
    },
  },
  {
    id: "EC2_EBS_ENCRYPTED",
    controls: ["CKV_AWS_8"],
    description: "Launch templates encrypt every EBS volume",
    fix: 'set block_device_mappings.ebs.encrypted = "true"',
    types: ["aws_launch_template"],
    check: (r) => {
      const volumes = list(r.attrs.block_device_mappings) as Attrs[];
      if (volumes.length === 0) return "the root volume's encryption is not set";
      return volumes.every((b) => isTrue(b.ebs?.encrypted)) ? undefined : "an EBS volume is not encrypted";
    },
  },
  {
    id: "ASG_ELB_HEALTH_CHECK",
    controls: ["AutoScaling.1"],
    description: "Auto Scaling groups behind a load balancer use its health checks",
    fix: 'set health_check_type = "ELB"',
    types: ["aws_autoscaling_group"],
    check: (r) => {
      const behindLb = list(r.attrs.target_group_arns).length > 0 || list(r.attrs.load_balancers).length > 0;
      return !behindLb || r.attrs.health_check_type === "ELB" ? undefined : `health checks are ${r.attrs.health_check_type ?? "EC2"}`;
    },
  },
  {
    id: "ASG_TARGET_TRACKING",
    controls: ["Well-Architected REL07-BP01 (automate scaling)"],
    description: "Auto Scaling groups follow demand with a target-tracking policy",
    fix: 'give the group an aws_autoscaling_policy with policy_type = "TargetTrackingScaling"',
    types: ["aws_autoscaling_group"],
    check: (r, stack) =>
      stack.referring("aws_autoscaling_policy", "autoscaling_group_name", r).some((p) => p.attrs.policy_type === "TargetTrackingScaling")
        ? undefined
        : "no target-tracking policy scales the group",
  },
  {
    id: "ASG_PRODUCTION_NEVER_SLEEPS",
    controls: ["project policy: production runs around the clock (docs/capacity-and-cost.md, What this costs)"],
    description: "No scheduled action empties a production environment's Auto Scaling group",
    fix: "remove schedule from the production environment's file",
    types: ["aws_autoscaling_schedule"],
    check: (r, stack) =>
      stack.facts.tier === "production" && (Number(r.attrs.max_size) === 0 || Number(r.attrs.desired_capacity) === 0)
        ? `the scheduled action ${r.attrs.scheduled_action_name} scales production to zero`
        : undefined,
  },
  {
    id: "ASG_PRODUCTION_ON_DEMAND_BASE",
    controls: ["project policy: production's minimum is never interruptible (docs/capacity-and-cost.md, What this costs)"],
    description: "A production group on Spot keeps at least its minimum on demand",
    fix: "set compute.spot.onDemandBase >= compute.minCapacity in the production environment's file",
    types: ["aws_autoscaling_group"],
    check: (r, stack) => {
      const distribution = r.attrs.mixed_instances_policy?.instances_distribution;
      if (stack.facts.tier !== "production" || !r.attrs.mixed_instances_policy) return undefined;
      const base = Number(distribution?.on_demand_base_capacity ?? 0);
      // A blue/green fleet created empty serves later at its partner's minimum: the largest of the stack's.
      const min = Math.max(...stack.ofType("aws_autoscaling_group").map((g) => Number(g.attrs.min_size)));
      return base >= min
        ? undefined
        : `only ${base} on-demand instance(s) below a minimum of ${min}: Spot interruptions could take production below it`;
    },
  },
];

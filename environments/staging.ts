import { defineEnvironment } from "../modules/config";

export default defineEnvironment({
  tier: "preproduction",
  network: {
    vpcId: "vpc-0a1b2c3d4e5f60002",
    publicSubnetIds: ["subnet-0a1b2c3d4e5f60031", "subnet-0a1b2c3d4e5f60032"],
    privateSubnetIds: ["subnet-0a1b2c3d4e5f60041", "subnet-0a1b2c3d4e5f60042"],
    // No NAT gateway in this VPC: the instances reach AWS through VPC endpoints.
    vpcEndpoints: { privateRouteTableIds: ["rtb-0a1b2c3d4e5f60041", "rtb-0a1b2c3d4e5f60042"] },
  },
  certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
  // The name the certificate covers; a DNS alias record of yours points it at the load balancer.
  hostName: "staging.example.com",
  compute: { minCapacity: 2, desiredCapacity: 2 },
  // The service's artifact is the one that passed qa (docs/pipelines.md, "Build once, promote").
  pipeline: { promoteFrom: ["qa"], rebuild: ["storefront"] },
  notificationEmails: ["platform-team@example.com"],
  settings: { GREETING: "Hello from staging", API_BASE_URL: "https://api.staging.example.com" },
  secrets: ["DATABASE_PASSWORD"],
  buildSettings: ["API_BASE_URL"],
});

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { projectCopy, seedLogGroupState } from "../support/helpers";

// Destroying build while an environment still exists is refused (offline, with local state).
const dir = projectCopy();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function destroy(...args: string[]) {
  const r = spawnSync(path.join(dir, "node_modules", ".bin", "tsx"), ["scripts/destroy.ts", ...args], { cwd: dir, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run destroy", () => {
  it("refuses to destroy build while environments still exist, listing them and the commands", () => {
    seedLogGroupState(dir, "app-dev", "dev");
    seedLogGroupState(dir, "app-qa", "qa");
    const r = destroy("build", "--offline", "--auto-approve");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "Refusing to destroy build: app-dev, app-qa still exist and use its artifact bucket, key, build project and connection.",
    );
    expect(r.stderr).toContain("Destroy them first: npm run destroy -- app-dev; npm run destroy -- app-qa");
    // Nothing was touched.
    expect(fs.existsSync(path.join(dir, "cdktf.out", "stacks", "build", ".terraform"))).toBe(false);
  });

  it("rejects an unknown stack", () => {
    const r = destroy("app-nope", "--offline");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "Unknown stack: app-nope. The stacks are: build, app-demo, app-dev, app-hotfix, app-prod, app-qa, app-staging.",
    );
  });

  it("destroys build once no environment is left", () => {
    for (const s of ["app-dev", "app-qa"]) fs.rmSync(path.join(dir, "cdktf.out", "stacks", s, "terraform.tfstate"));
    const r = destroy("build", "--offline", "--auto-approve");
    expect(r.stdout).toMatch(/Destroy complete! Resources: 0 destroyed|No objects need to be destroyed/);
    expect(r.code).toBe(0);
  }, 120_000);
});

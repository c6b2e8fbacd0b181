import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig } from "../../modules/config";
import { synthesizeAll } from "../../modules/stacks/synth";
import { ENVIRONMENTS_DIR, ROOT, type Json } from "../support/helpers";

// The way out of the archived CDKTF (docs/cdktf.md): CDK Terrain's `cdktn` (a devDependency,
// the version the npm registry serves) synthesizes the shipped project as cdktf 0.21 does. The
// project's main.ts runs with every require("cdktf") resolved to cdktn, provider bindings
// included, and its stacks are compared with cdktf's, the library's version aside.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cdktn-"));
const report = path.join(scratch, "loaded.json");
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Each stack's JSON, without the library version that cdk.tf.json records. */
function stacksIn(outdir: string): Record<string, Json> {
  return Object.fromEntries(
    fs.readdirSync(path.join(outdir, "stacks")).map((name) => {
      const json = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", name, "cdk.tf.json"), "utf8"));
      delete json["//"].metadata.version;
      return [name, json];
    }),
  );
}

describe("CDK Terrain (cdktn), the continuation of the archived cdktf", () => {
  let child: ReturnType<typeof spawnSync>;
  beforeAll(() => {
    child = spawnSync(
      process.execPath,
      ["--require", path.join(ROOT, "__tests__", "support", "cdktn-redirect.js"), "--require", "tsx/cjs", "main.ts"],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, CDKTF_OUTDIR: path.join(scratch, "cdktn.out"), CDKTN_PROOF_REPORT: report } },
    );
  });

  it("runs main.ts on cdktn alone: no module of cdktf is loaded, provider bindings included", () => {
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    const loaded = JSON.parse(fs.readFileSync(report, "utf8"));
    expect(loaded.cdktf).toBe(0);
    expect(loaded.cdktn).toBeGreaterThan(0);
  });

  it("synthesizes every stack as cdktf 0.21 does, but for the library version it records", () => {
    synthesizeAll(path.join(scratch, "cdktf.out"), loadConfig(ENVIRONMENTS_DIR));
    const cdktf = stacksIn(path.join(scratch, "cdktf.out"));
    const cdktn = stacksIn(path.join(scratch, "cdktn.out"));
    expect(Object.keys(cdktn).sort()).toEqual(Object.keys(cdktf).sort());
    // ci, build, production's account bootstrap, and the six environments.
    expect(Object.keys(cdktf).length).toBe(9);
    for (const name of Object.keys(cdktf)) expect({ [name]: cdktn[name] }).toEqual({ [name]: cdktf[name] });
  });
});

/// <reference lib="dom" />
// The browser-side callbacks below run in Chromium (page.evaluate, $eval, waitForFunction).
import { spawn } from "child_process";
import * as fs from "fs";
import type * as http from "http";
import * as os from "os";
import * as path from "path";
import { chromium, type Browser, type Page } from "playwright-core";
import { parse } from "yaml";
import { SITE_CACHE_CONTROL } from "../../modules/lib/pipeline-stages";
import { BUILD_PHASES, codeBuild, listFiles, type Build } from "../support/rehearsal";
import { SiteBucket, chromiumExecutable, portOf, serveLikeCloudFront } from "../support/edge";
import { ROOT, asList, resourcesOf, shippedConfig, statementsOf, synthAll, type Json } from "../support/helpers";

// The reference single-page app, rehearsed end to end without AWS: built as the shared CodeBuild
// project runs its buildspec, laid out as the pipeline's S3 deploy actions would, served as the
// synthesized distribution answers, and loaded in a real headless browser.
const SITE = path.join(ROOT, "examples", "sample-site");
const buildspec: Json = parse(fs.readFileSync(path.join(SITE, "buildspec.yml"), "utf8"));
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "sample-site-"));

// The shipped example's storefront in dev: its pipeline, distribution and headers policy.
const dev = synthAll(shippedConfig())["app-dev"];
const pipeline = resourcesOf(dev, "aws_codepipeline").find((p) => p.name.startsWith("dev-storefront-"))!;
const stage = (name: string): Json[] => pipeline.stage.find((s: Json) => s.name === name).action;
const uploads = stage("Deploy")
  .filter((a) => a.provider === "S3")
  .sort((a, b) => a.run_order - b.run_order);
const distribution = resourcesOf(dev, "aws_cloudfront_distribution")[0];
const headersPolicy = resourcesOf(dev, "aws_cloudfront_response_headers_policy")[0];

const ASSET_KEY = /^assets\/(app|styles)\.[0-9a-f]{12}\.(js|css)$/;

function build(commit: string, breakSource?: (dir: string) => void): Build {
  return codeBuild({ appDir: SITE, buildspec, scratch, env: { ENVIRONMENT: "dev", COMMIT_ID: commit }, breakSource });
}

/** Runs the pipeline's S3 deploy actions, in their order, with the build's artifacts. */
function deploy(bucket: SiteBucket, b: Build): string[] {
  return uploads.flatMap((action) => bucket.deploy(b.artifacts[action.input_artifacts[0]], action.configuration));
}

describe("buildspec.yml", () => {
  it("is version 0.2 with known phases, and names one output per artifact the site's pipeline expects", () => {
    expect(buildspec.version).toBe(0.2);
    expect(Object.keys(buildspec.phases).every((p) => BUILD_PHASES.includes(p))).toBe(true);
    expect(buildspec.phases.install["runtime-versions"]).toEqual({ nodejs: 20 });
    // CodePipeline gives each output artifact of the build action the secondary artifact of the
    // same name; with several outputs a primary `files` list has nowhere to go.
    const outputs: string[] = stage("Build")[0].output_artifacts;
    expect(Object.keys(buildspec.artifacts["secondary-artifacts"]).sort()).toEqual([...outputs].sort());
    expect(buildspec.artifacts.files).toBeUndefined();
    expect(uploads.map((a) => a.input_artifacts[0]).sort()).toEqual([...outputs].sort());
  });

  it("the distribution's origin answers 403, not 404, for a missing file: CloudFront may read objects but not list them", () => {
    const policies = resourcesOf(dev, "aws_s3_bucket_policy").filter((p) => p.bucket.includes("site_storefront"));
    const cloudfront = policies
      .flatMap((p) => statementsOf(p.policy))
      .filter((s) => asList(s.Principal?.Service).includes("cloudfront.amazonaws.com"));
    expect(cloudfront.length).toBeGreaterThan(0);
    expect(cloudfront.flatMap((s) => asList(s.Action))).toEqual(["s3:GetObject"]);
    expect(distribution.custom_error_response.map((e: Json) => e.error_code)).toContain(403);
  });
});

describe("rehearsal: build, deploy, load a deep link in a browser, release again", () => {
  const bucket = new SiteBucket(path.join(scratch, "bucket"));
  let first: Build;
  let server: http.Server;
  let browser: Browser;
  let url: (p: string) => string;

  beforeAll(async () => {
    first = build("1111111aaaaaaa");
    server = await serveLikeCloudFront(bucket, distribution, headersPolicy);
    url = (p) => `http://127.0.0.1:${portOf(server)}${p}`;
    browser = await chromium.launch({ executablePath: chromiumExecutable() });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  /** Opens a page, recording console errors, uncaught errors and blocked content. */
  async function open(p: string): Promise<{ page: Page; status: number; problems: string[] }> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("requestfailed", (r) => problems.push(`${r.url()}: ${r.failure()?.errorText}`));
    const response = await page.goto(url(p), { waitUntil: "load" });
    return { page, status: response?.status() ?? 0, problems };
  }

  it("builds: lint, unit tests with reports, then the hashed assets and the page as two outputs", () => {
    expect(first.output).toContain("lint: 5 scripts and src/index.html OK");
    expect(first.ok).toBe(true);
    expect(fs.readFileSync(path.join(first.source, "reports", "junit.xml"), "utf8")).toMatch(/<testsuites/);
    expect(fs.existsSync(path.join(first.source, "reports", "lcov.info"))).toBe(true);
    const assets = listFiles(first.artifacts.Assets);
    expect(assets).toHaveLength(2);
    for (const key of assets) expect(key).toMatch(ASSET_KEY);
    expect(listFiles(first.artifacts.Pages)).toEqual(["index.html"]);
  });

  it("deploys as the pipeline's S3 actions do: assets first and cached for a year, then the page, revalidated", () => {
    expect(uploads.map((a) => a.name)).toEqual(["UploadAssets", "UploadPages"]);
    const keys = deploy(bucket, first);
    expect(keys.slice(0, 2).every((k) => ASSET_KEY.test(k))).toBe(true);
    expect(keys[2]).toBe("index.html");
    expect(bucket.objects.get("index.html")!.cacheControl).toBe(SITE_CACHE_CONTROL.pages);
    for (const key of keys.slice(0, 2)) expect(bucket.objects.get(key)!.cacheControl).toBe(SITE_CACHE_CONTROL.assets);
  });

  /**
   * buildspec-test.yml's build phase as the acceptance-test project runs it after a release, on a
   * copy of the site's source, against APP_URL. Asynchronous: the stand-in distribution answers
   * from this process.
   */
  async function acceptance(appUrl: string): Promise<{ ok: boolean; output: string }> {
    const spec: Json = parse(fs.readFileSync(path.join(SITE, "buildspec-test.yml"), "utf8"));
    const source = fs.mkdtempSync(path.join(scratch, "test-src-"));
    fs.cpSync(SITE, source, { recursive: true, filter: (p) => !/\/(node_modules|reports|build)$/.test(p) });
    const child = spawn("bash", ["-e", "-c", spec.phases.build.commands.join("\n")], {
      cwd: source,
      env: { ...process.env, APP_URL: appUrl, ENVIRONMENT: "dev", COMMIT_ID: "1111111aaaaaaa" },
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    return { ok: code === 0, output };
  }

  it("passes the site's acceptance tests (buildspec-test.yml) against the release, and fails them where no site answers", async () => {
    const passed = await acceptance(url("/"));
    expect(passed.output).toMatch(/\bpass 3\b/);
    expect(passed.ok).toBe(true);
    // A distribution that serves nothing yet (an empty bucket): the release stops there.
    const empty = await serveLikeCloudFront(new SiteBucket(path.join(scratch, "empty-bucket")), distribution, headersPolicy);
    try {
      const failed = await acceptance(`http://127.0.0.1:${portOf(empty)}/`);
      expect(failed.ok).toBe(false);
      expect(failed.output).toMatch(/\bfail [1-3]\b/);
    } finally {
      empty.close();
    }
  }, 60_000);

  it("answers a deep link with the page, status 200, and every response with the security headers", async () => {
    const page = await fetch(url("/orders/42"));
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(fs.readFileSync(bucket.objects.get("index.html")!.file, "utf8"));
    const root = await fetch(url("/"));
    expect(root.headers.get("cache-control")).toBe("no-cache");
    const asset = [...bucket.objects.keys()].find((k) => k.endsWith(".js"))!;
    const script = await fetch(url(`/${asset}`));
    expect(script.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(script.headers.get("content-type")).toBe("text/javascript");
    for (const r of [page, root, script]) {
      expect(r.headers.get("strict-transport-security")).toBe("max-age=63072000; includeSubDomains");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(r.headers.get("x-frame-options")).toBe("DENY");
      expect(r.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
      expect(r.headers.get("content-security-policy")).toMatch(/^default-src 'self';/);
    }
    expect((await fetch(url("/"), { method: "POST" })).status).toBe(403);
  });

  it("a browser opening /orders/42 shows that order and the release, under the CSP, without an error", async () => {
    const { page, status, problems } = await open("/orders/42");
    expect(status).toBe(200);
    expect(await page.textContent("h1")).toBe("Order 42");
    expect(await page.textContent("#release")).toBe("Release dev 1111111aaaaaaa");
    expect(await page.title()).toBe("Order 42 - Sample site");
    // The style sheet applied: served with its type under nosniff, allowed by the CSP.
    expect(await page.$eval("body", (b) => getComputedStyle(b).maxWidth)).toBe("640px");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("navigates inside the app, and back, without asking the server", async () => {
    const { page, problems } = await open("/orders/42");
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.click("text=Home");
    expect(await page.textContent("h1")).toBe("Home");
    expect(new URL(page.url()).pathname).toBe("/");
    await page.goBack();
    await page.waitForFunction(() => document.querySelector("h1")?.textContent === "Order 42");
    expect(requests).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("an unknown deep link gets the app's own Not found view", async () => {
    const { page, status } = await open("/no/such/page");
    expect(status).toBe(200);
    expect(await page.textContent("h1")).toBe("Not found");
    expect(await page.textContent("main p")).toBe("There is no page at /no/such/page.");
    await page.close();
  });

  it("the browser enforces the distribution's CSP: an injected inline script does not run", async () => {
    const { page } = await open("/");
    const outcome = await page.evaluate(
      () =>
        new Promise<{ ran: boolean; violated: string }>((resolve) => {
          document.addEventListener("securitypolicyviolation", (e) =>
            resolve({ ran: "injected" in window, violated: e.violatedDirective }),
          );
          const s = document.createElement("script");
          s.textContent = "window.injected = true";
          document.head.appendChild(s);
        }),
    );
    expect(outcome).toEqual({ ran: false, violated: "script-src-elem" });
    await page.close();
  });

  describe("a second release", () => {
    let second: Build;
    let previousAssets: string[];
    beforeAll(() => {
      previousAssets = [...bucket.objects.keys()].filter((k) => ASSET_KEY.test(k));
      second = build("2222222bbbbbbb", (dir) => {
        const app = path.join(dir, "src", "app.js");
        fs.writeFileSync(app, fs.readFileSync(app, "utf8").replace("Welcome to the sample site.", "Welcome back."));
      });
    }, 60_000);

    it("changes only the changed asset's name, keeps the previous assets for pages still open, and shows the new release", async () => {
      expect(second.ok).toBe(true);
      deploy(bucket, second);
      const assets = [...bucket.objects.keys()].filter((k) => ASSET_KEY.test(k)).sort();
      expect(assets).toHaveLength(3);
      expect(assets.filter((k) => k.endsWith(".css"))).toHaveLength(1);
      for (const key of previousAssets) expect((await fetch(url(`/${key}`))).status).toBe(200);
      const { page, problems } = await open("/");
      expect(await page.textContent("main p")).toBe("Welcome back.");
      expect(await page.textContent("#release")).toBe("Release dev 2222222bbbbbbb");
      expect(problems).toEqual([]);
      await page.close();
    });
  });

  it("a commit with an inline script stops at lint, before tests and outputs, and deploys nothing", () => {
    const before = new Map(bucket.objects);
    const broken = build("3333333ccccccc", (dir) => {
      const html = path.join(dir, "src", "index.html");
      fs.writeFileSync(html, fs.readFileSync(html, "utf8").replace("</body>", "<script>alert(1)</script></body>"));
    });
    expect(broken.ok).toBe(false);
    expect(broken.failedPhase).toBe("pre_build");
    expect(broken.output).toContain("src/index.html: an inline <script> (CSP script-src 'self' blocks it; put it in src/)");
    expect(broken.artifacts).toEqual({});
    expect(bucket.objects).toEqual(before);
  });
});

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { listFiles } from "./rehearsal";
import { TEST_TOOLS } from "../../scripts/preflight";
import type { Json } from "./helpers";

// A static site's delivery, rehearsed on this machine: the bucket as the pipeline's S3 deploy
// actions fill it, and an HTTP server that answers as the synthesized CloudFront distribution
// does in front of it. The settings come from the synthesized resources, not from this file.

/** An object in the site bucket, with the metadata the deploy action gave it. */
export interface SiteObject {
  readonly file: string;
  readonly cacheControl: string;
  readonly contentType: string;
}

/**
 * Content-Type by extension. ASSUMED, not verified here: the S3 deploy action's reference does not
 * say how it sets Content-Type; the rehearsal assumes it goes by the extension (docs/workloads.md,
 * "Workloads", lists it among the checks of the first real deployment). It matters: under `nosniff` a
 * script or style sheet served with another type is refused by the browser.
 */
export const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain",
};

/** The site bucket: its objects by key; the files live under `dir`. */
export class SiteBucket {
  readonly objects = new Map<string, SiteObject>();
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /**
   * What an S3 deploy action with Extract=true does: puts every file of the artifact at the same
   * key with the action's CacheControl, overwriting what is there and deleting nothing.
   */
  deploy(artifactDir: string, configuration: Json): string[] {
    if (configuration.Extract !== "true") throw new Error("the rehearsal deploys extracted artifacts only (Extract: true)");
    const keys = listFiles(artifactDir).map((f) => f.split(path.sep).join("/"));
    for (const key of keys) {
      const file = path.join(this.dir, key);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.copyFileSync(path.join(artifactDir, key), file);
      const contentType = CONTENT_TYPES[path.extname(key)] ?? "binary/octet-stream";
      this.objects.set(key, { file, cacheControl: configuration.CacheControl, contentType });
    }
    return keys;
  }
}

/** The distribution's security headers, as its response headers policy adds them (override on). */
export function securityHeaders(policy: Json): Record<string, string> {
  const c = policy.security_headers_config ?? {};
  const headers: Record<string, string> = {};
  const hsts = c.strict_transport_security;
  if (hsts) {
    headers["strict-transport-security"] =
      `max-age=${hsts.access_control_max_age_sec}` +
      (hsts.include_subdomains ? "; includeSubDomains" : "") +
      (hsts.preload ? "; preload" : "");
  }
  if (c.content_type_options) headers["x-content-type-options"] = "nosniff";
  if (c.frame_options) headers["x-frame-options"] = c.frame_options.frame_option;
  if (c.referrer_policy) headers["referrer-policy"] = c.referrer_policy.referrer_policy;
  if (c.content_security_policy) headers["content-security-policy"] = c.content_security_policy.content_security_policy;
  return headers;
}

/**
 * Answers as the distribution does: the allowed methods only, the default root object for `/`,
 * the object when the bucket has it, and otherwise what S3 answers CloudFront, replaced by the
 * distribution's custom error response for that status. S3 answers 403, not 404, for a missing
 * key when the reader may not list the bucket (S3 user guide, GetObject: "If you don't have the
 * s3:ListBucket permission, Amazon S3 returns an HTTP status code 403"), as with this OAC policy.
 */
export function serveLikeCloudFront(bucket: SiteBucket, distribution: Json, headersPolicy: Json): Promise<http.Server> {
  const behavior = distribution.default_cache_behavior;
  const allowed: string[] = behavior.allowed_methods;
  const errorResponses: Json[] = distribution.custom_error_response ?? [];
  const headers = behavior.response_headers_policy_id ? securityHeaders(headersPolicy) : {};
  const server = http.createServer((req, res) => {
    const send = (status: number, object?: SiteObject) => {
      res.writeHead(status, {
        ...headers,
        ...(object ? { "content-type": object.contentType, "cache-control": object.cacheControl } : { "content-type": "application/xml" }),
      });
      res.end(req.method === "HEAD" || !object ? undefined : fs.readFileSync(object.file));
    };
    if (!allowed.includes(req.method ?? "")) return send(403);
    const pathname = decodeURIComponent(new URL(req.url ?? "/", "http://edge").pathname);
    const key = pathname === "/" && distribution.default_root_object ? distribution.default_root_object : pathname.slice(1);
    const object = bucket.objects.get(key);
    if (object) return send(200, object);
    const custom = errorResponses.find((e) => e.error_code === 403);
    const page = custom?.response_page_path ? bucket.objects.get(custom.response_page_path.slice(1)) : undefined;
    return page ? send(custom!.response_code, page) : send(403);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

export const portOf = (server: http.Server): number => (server.address() as net.AddressInfo).port;

/**
 * The headless browser: Debian's chromium (what `npm test`'s preflight installs), under any name
 * the preflight accepts. Throws with what to install when there is none.
 */
export function chromiumExecutable(): string {
  const chromium = TEST_TOOLS.find((t) => t.command === "chromium")!;
  for (const command of [chromium.command, ...(chromium.alsoKnownAs ?? [])]) {
    const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  throw new Error(
    "No Chromium on PATH: the static site's rehearsal loads the sample site in it. `npm test` installs Debian's chromium package " +
      "when run as root (scripts/preflight.ts); otherwise run `sudo apt-get install chromium`.",
  );
}

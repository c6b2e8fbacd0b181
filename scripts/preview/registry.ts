/**
 * Which previews exist: one JSON entry per preview. Online, in the project's state bucket under
 * `<keyPrefix>/previews/<name>.json`, beside the previews' state, so that every machine and CI
 * run sees the same list; offline, in the gitignored folder .previews/. Online commands also
 * rewrite .previews/ as a copy of the bucket's entries, which is what a synth reads
 * (scripts/plan/workspace.ts, main.ts): `cdktf deploy app-<preview>` then knows the preview.
 */
import * as fs from "fs";
import * as path from "path";
import { S3Client, GetObjectCommand, PutObjectCommand, DeleteObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { parsePreviewEntry, readLocalEntries, type PreviewEntry, type ProjectConfig } from "../../modules/config";

export interface Registry {
  /** Where the entries live, for messages. */
  readonly where: string;
  list(): Promise<PreviewEntry[]>;
  put(entry: PreviewEntry): Promise<void>;
  remove(name: string): Promise<void>;
}

const fileOf = (name: string) => `${name}.json`;

/** Makes `dir` hold exactly `entries` (an online registry's copy). */
export function mirrorEntries(dir: string, entries: readonly PreviewEntry[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const keep = new Set(entries.map((e) => fileOf(e.name)));
  for (const f of fs.readdirSync(dir)) if (f.endsWith(".json") && !keep.has(f)) fs.rmSync(path.join(dir, f));
  for (const e of entries) writeEntry(dir, e);
}

/** Writes the entry in one step (a temporary file renamed over it): a reader never sees half of it. */
function writeEntry(dir: string, entry: PreviewEntry): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, fileOf(entry.name));
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(entry, null, 2) + "\n");
  fs.renameSync(`${file}.tmp`, file);
}

export class LocalRegistry implements Registry {
  readonly where: string;
  constructor(private readonly dir: string) {
    this.where = `${path.basename(dir)}/ (offline registry)`;
  }
  async list() {
    return readLocalEntries(this.dir);
  }
  async put(entry: PreviewEntry) {
    writeEntry(this.dir, entry);
  }
  async remove(name: string) {
    fs.rmSync(path.join(this.dir, fileOf(name)), { force: true });
  }
}

/** Where the online registry lives: a folder of the state bucket, beside the stacks' state. */
export function registryPrefix(project: ProjectConfig): string {
  return `${project.stateBackend.keyPrefix}/previews/`;
}

export class S3Registry implements Registry {
  readonly where: string;
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  /** @param testEndpoint an S3-compatible endpoint (CICD_TEST_S3_ENDPOINT), for tests */
  constructor(project: ProjectConfig, testEndpoint?: string) {
    this.bucket = project.stateBackend.bucket;
    this.prefix = registryPrefix(project);
    this.where = `s3://${this.bucket}/${this.prefix}`;
    // The SDK warns on Node 20 that its releases after January 2027 will need Node 22; this
    // project pins one release (package.json), which runs on Node 20, and the warning would end
    // up in every preview command's output (and the pull request's comment).
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    this.s3 = new S3Client({
      region: project.stateBackend.region,
      ...(testEndpoint ? { endpoint: testEndpoint, forcePathStyle: true } : {}),
    });
  }

  async list() {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((c) => c.Key!).filter((k) => k.endsWith(".json")));
      token = page.NextContinuationToken;
    } while (token);
    const entries: PreviewEntry[] = [];
    for (const key of keys) {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      entries.push(parsePreviewEntry(await object.Body!.transformToString(), `s3://${this.bucket}/${key}`));
    }
    return entries.sort((a, b) => a.name.localeCompare(b.name));
  }

  async put(entry: PreviewEntry) {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + fileOf(entry.name),
        Body: JSON.stringify(entry, null, 2) + "\n",
        ContentType: "application/json",
      }),
    );
  }

  async remove(name: string) {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + fileOf(name) }));
  }
}

import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../support/helpers";
import { BUILD_DEFAULTS, PROJECT_DEFAULTS } from "../../modules/config/defaults";
import { RULES } from "../../modules/rules";
import { TIER_DEFAULTS } from "../../modules/config/tiers";

const README = "README.md";
const DOCS = "docs";
/** The README may stay a short front page: what this is, set-up, deploy, and where to go next. */
const README_MAX_LINES = 250;
/** Folders that hold what tools and tests generate, never a source to check. */
const GENERATED = new Set(["node_modules", "cdktf.out", "coverage", "plans", "build", "dist", "reports", ".terraform", ".gen"]);

const read = (rel: string): string => fs.readFileSync(path.join(ROOT, rel), "utf8");

/** Files below `dir` (relative to the project) whose names match `name`, generated folders skipped. */
function sources(dir: string, name = /\.(ts|mjs|js|sh|yml)$/): string[] {
  if (!fs.existsSync(path.join(ROOT, dir))) return [];
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = path.posix.join(dir, e.name);
    if (e.isDirectory()) return GENERATED.has(e.name) ? [] : sources(p, name);
    return name.test(e.name) ? [p] : [];
  });
}

/** README.md and every page of docs/, relative to the project. */
const PAGES = [README, ...sources(DOCS, /\.md$/).sort()];

/** The Markdown outside fenced code blocks, line for line (a `# comment` in a shell block is no heading). */
function prose(md: string): string[] {
  let fence: string | undefined;
  return md.split("\n").map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && !fence) fence = marker;
    else if (marker && fence && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
    else if (!fence) return line;
    return "";
  });
}

interface Heading {
  readonly level: number;
  readonly text: string;
}

/** A page's headings, their text without backticks, as code cites them. */
function headings(rel: string): Heading[] {
  return prose(read(rel)).flatMap((line) => {
    const m = /^(#{1,6}) +(.+?)(?: +#+)? *$/.exec(line);
    return m ? [{ level: m[1].length, text: m[2].replace(/`/g, "").trim() }] : [];
  });
}

/**
 * GitHub's anchor for a heading: lower case, punctuation other than hyphens, underscores and spaces
 * removed, each space a hyphen; a repeated anchor gets -1, -2, ...
 */
function anchors(rel: string): Set<string> {
  const seen = new Map<string, number>();
  return new Set(
    headings(rel).map(({ text }) => {
      const slug = text
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\p{M}_\- ]/gu, "")
        .replace(/ /g, "-");
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      return n === 0 ? slug : `${slug}-${n}`;
    }),
  );
}

interface Link {
  readonly page: string;
  readonly line: number;
  readonly target: string;
}

/** A page's links that stay inside the project (no scheme, no protocol-relative address). */
function relativeLinks(page: string): Link[] {
  return prose(read(page)).flatMap((raw, i) => {
    const line = raw.replace(/`[^`]*`/g, "``");
    const inline = [...line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
    const reference = [...(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line)?.slice(1) ?? [])];
    return [...inline, ...reference]
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith("//"))
      .map((target) => ({ page, line: i + 1, target }));
  });
}

/** The project-relative file a link points at, and its anchor. */
function resolve(link: Link): { file: string; anchor?: string } {
  const [target, anchor] = link.target.split("#", 2);
  const file = target ? path.posix.normalize(path.posix.join(path.posix.dirname(link.page), decodeURI(target))) : link.page;
  return { file: file.replace(/\/$/, ""), anchor: anchor || undefined };
}

describe("the documentation", () => {
  it.each(PAGES)("%s: every relative link names a file and a heading that exist", (page) => {
    const broken = relativeLinks(page).flatMap((link) => {
      const { file, anchor } = resolve(link);
      const where = `${link.page}:${link.line}: ${link.target}`;
      if (file.startsWith("..") || !fs.existsSync(path.join(ROOT, file))) return [`${where}: no file ${file}`];
      if (anchor && file.endsWith(".md") && !anchors(file).has(anchor)) return [`${where}: ${file} has no heading #${anchor}`];
      return [];
    });
    expect(broken).toEqual([]);
  });

  it.each(PAGES)("%s starts with its one title", (page) => {
    const all = headings(page);
    expect(read(page).startsWith("# ")).toBe(true);
    expect(all.filter((h) => h.level === 1)).toHaveLength(1);
  });

  it(`keeps the README to at most ${README_MAX_LINES} lines`, () => {
    expect(read(README).replace(/\n$/, "").split("\n").length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it("links every file in docs/ from the README", () => {
    const linked = new Set(relativeLinks(README).map((link) => resolve(link).file));
    expect(sources(DOCS, /./).filter((f) => !linked.has(f))).toEqual([]);
  });

  it("mentions no file that is not in the project (DESIGN.md lives outside it)", () => {
    expect(PAGES.filter((page) => read(page).includes("DESIGN.md"))).toEqual([]);
  });

  it("names files of the project that exist", () => {
    const dangling = PAGES.flatMap((page) =>
      [...read(page).matchAll(/\b((?:modules|runtime|scripts|examples|environments|__tests__)\/[\w./-]+\.(?:ts|sh|yml|txt|js|py))\b/g)]
        .map((m) => m[1])
        .filter((ref) => !ref.includes("<") && !fs.existsSync(path.join(ROOT, ref)))
        .map((ref) => `${page}: ${ref}`),
    );
    expect(dangling).toEqual([]);
  });
});

describe("references from the code", () => {
  const files = [...sources("modules"), ...sources("runtime", /\.(js|sh|py)$/), ...sources("scripts"), "main.ts", "eslint.config.mjs"];

  /**
   * Everything that may cite a section of the documentation: the code, the environment files, the
   * workflows, the tests and the examples (whose comments a copy carries into an application's repository).
   */
  const citing = [
    ...files,
    "jest.config.js",
    ...sources("environments"),
    ...sources(".github/workflows", /\.ya?ml$/),
    ...sources("__tests__").filter((f) => f !== "__tests__/unit/docs.test.ts"),
    ...sources("examples", /\.(ts|mjs|js|sh|ya?ml|md)$/),
  ];

  /** Where each heading lives, to say where a citation should point now. */
  const homes = new Map<string, string[]>();
  for (const page of PAGES) for (const { text } of headings(page)) homes.set(text, [...(homes.get(text) ?? []), page]);

  /**
   * Citations of a section, `README, "Section"`, `README.md, "Section"` or `docs/<page>.md, "Section"`
   * (also `README.md ("Section")`, and a comment that breaks the line inside one), and the
   * unquoted `(README, Section)`.
   */
  function citations(file: string): { line: number; cited: string; page: string; section: string }[] {
    const text = read(file);
    const quoted = /\b(README(?:\.md)?|docs\/[\w.-]+\.md)(?:,[\s/*#]*|\s*\()"([^"\n]{1,120}(?:\n[^"\n]{0,120})?)"/g;
    const bare = /\((README(?:\.md)?|docs\/[\w.-]+\.md), ([A-Z][^"()\n]{0,80})\)/g;
    return [...text.matchAll(quoted), ...text.matchAll(bare)].map((m) => ({
      line: text.slice(0, m.index).split("\n").length,
      cited: m[1],
      page: m[1].startsWith("docs/") ? m[1] : README,
      section: m[2].replace(/\s*\n\s*(?:\/\/+|\*+|#+)?\s*/g, " ").trim(),
    }));
  }

  it("finds the citations it checks", () => {
    expect(citing.flatMap(citations).length).toBeGreaterThan(0);
  });

  it("name sections that exist, in the file they name", () => {
    const dangling = citing.flatMap((file) =>
      citations(file)
        .filter(({ page, section }) => !fs.existsSync(path.join(ROOT, page)) || !headings(page).some((h) => h.text === section))
        .map(({ line, cited, section }) => {
          const now = homes.get(section);
          return `${file}:${line}: ${cited}, "${section}" (${now ? `now in ${now.join(", ")}` : "no such heading anywhere"})`;
        }),
    );
    expect(dangling).toEqual([]);
  });

  it("name files of the project that exist", () => {
    const dangling = files.flatMap((f) =>
      [...read(f).matchAll(/\b((?:modules|runtime|scripts|examples|environments|__tests__)\/[\w./-]+\.(?:ts|sh|yml|txt|js|py))\b/g)]
        .map((m) => m[1])
        .filter((ref) => !ref.includes("<") && !fs.existsSync(path.join(ROOT, ref)))
        .map((ref) => `${f}: ${ref}`),
    );
    expect(dangling).toEqual([]);
  });

  it("mention no file that is not in the project (DESIGN.md lives outside it)", () => {
    expect(files.filter((f) => read(f).includes("DESIGN.md"))).toEqual([]);
  });
});

describe("the configuration reference (docs/configuration.md)", () => {
  const reference = read("docs/configuration.md");
  const row = (field: string) => reference.split("\n").find((l) => l.startsWith(`| \`${field}\``)) ?? "";

  it("states each tier's web firewall defaults, as modules/config/tiers.ts sets them", () => {
    const cells = row("firewall.mode")
      .split("|")
      .slice(2, 5)
      .map((c) => c.trim());
    expect(cells).toHaveLength(3);
    (["development", "preproduction", "production"] as const).forEach((tier, i) => {
      const { mode, rateLimit, blockedRequestsAlarm } = TIER_DEFAULTS[tier].firewall;
      expect(cells[i]).toContain(`\`${mode}\` / ${rateLimit} / ${blockedRequestsAlarm}`);
    });
  });

  it("states the defaults that modules/config/defaults.ts applies", () => {
    expect(row("build.image")).toContain(`\`${BUILD_DEFAULTS.image}\``);
    expect(row("build.computeType")).toContain(BUILD_DEFAULTS.computeType);
    expect(row("build.timeoutMinutes")).toContain(String(BUILD_DEFAULTS.timeoutMinutes));
    expect(row("noncurrentArtifactDays")).toContain(String(PROJECT_DEFAULTS.noncurrentArtifactDays));
    expect(row("application.port")).toContain(String(PROJECT_DEFAULTS.application.port));
    for (const [kind, days] of Object.entries(PROJECT_DEFAULTS.accessLogs.retentionDays)) {
      expect(row(`accessLogs.retentionDays.${kind}`)).toContain(`\`${days}\``);
    }
    expect(row("accessLogs.noncurrentDays")).toContain(`\`${PROJECT_DEFAULTS.accessLogs.noncurrentDays}\``);
  });
});

describe("the security page's table of rules", () => {
  const rows = fs
    .readFileSync(path.join(ROOT, "docs", "security.md"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("| `"))
    .map((l) =>
      l
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/\\([|*_])/g, "$1"))
        .slice(1, -1),
    );

  it("lists every rule of the pack, in its order, and nothing else", () => {
    expect(rows.map((r) => r[0])).toEqual(RULES.map((r) => `\`${r.id}\``));
  });

  it("gives each rule its description and every control it covers (checkov and Security Hub ids)", () => {
    for (const rule of RULES) {
      const row = rows.find((r) => r[0] === `\`${rule.id}\``)!;
      expect({ id: rule.id, requires: row[1], controls: row[2] }).toEqual({
        id: rule.id,
        requires: rule.description,
        controls: rule.controls.join("; "),
      });
    }
  });
});

import { DockerfileParser } from "dockerfile-ast";
import { validate, ValidationSeverity } from "dockerfile-utils";

// What the rehearsal asks of a container workload's Dockerfile (docs/workloads.md, "Containers"):
// dockerfile-utils' own validation (the parser and checks behind the VS Code Docker extension),
// then the platform's: multi-stage, every base image pinned by digest, the final stage run by a
// user other than root, no remote ADD. Hadolint is not packaged for Debian, so it is not run.

const DIGEST = /@sha256:[0-9a-f]{64}$/;

/** Every problem of the Dockerfile `text`, each a line for a person; empty when it passes. */
export function dockerfileProblems(text: string): string[] {
  const problems = validate(text)
    .filter((d) => d.severity === ValidationSeverity.ERROR || d.severity === ValidationSeverity.WARNING)
    .map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  const dockerfile = DockerfileParser.parse(text);
  const defaults = new Map(
    dockerfile.getInitialARGs().flatMap((a) => {
      const p = a.getProperty();
      return p ? [[p.getName(), p.getValue() ?? ""] as const] : [];
    }),
  );
  const resolveArgs = (image: string) => image.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => defaults.get(name) ?? "");
  const froms = dockerfile.getFROMs();
  const stages = new Set<string>();
  if (froms.length < 2) problems.push(`has ${froms.length} stage(s): build and test in one stage, run in another (a multi-stage build)`);
  for (const from of froms) {
    const line = from.getRange().start.line + 1;
    const image = resolveArgs(from.getImage() ?? "");
    if (!stages.has(image.toLowerCase())) {
      if (!DIGEST.test(image))
        problems.push(`line ${line}: the base image ${image || "(none)"} is not pinned by digest (name@sha256:<hex>)`);
      if (/:latest(@|$)/.test(image)) problems.push(`line ${line}: the base image ${image} names the latest tag`);
    }
    const stage = from.getBuildStage();
    if (stage) stages.add(stage.toLowerCase());
  }
  const last = froms[froms.length - 1];
  if (last) {
    const start = last.getRange().start.line;
    const users = dockerfile.getInstructions().filter((i) => i.getKeyword() === "USER" && i.getRange().start.line > start);
    const user = users.length ? (users[users.length - 1].getArgumentsContent()?.trim() ?? "") : "";
    if (!user) problems.push("the final stage sets no USER: the container would run as root");
    else if (["root", "0"].includes(user.split(":")[0])) problems.push(`the final stage runs as ${user}: give it a user other than root`);
  }
  for (const add of dockerfile.getInstructions().filter((i) => i.getKeyword() === "ADD")) {
    if (/https?:\/\//.test(add.getArgumentsContent() ?? ""))
      problems.push(`line ${add.getRange().start.line + 1}: ADD from a URL: download in a RUN step and check the file's hash`);
  }
  return problems;
}

import * as fs from "fs";
import * as path from "path";
import { dockerfileProblems } from "../support/dockerfile-lint";
import { ROOT } from "../support/helpers";

// The lint the container rehearsal runs on the sample's Dockerfile, and what it refuses.
const SAMPLE = fs.readFileSync(path.join(ROOT, "examples", "sample-container", "Dockerfile"), "utf8");
const PINNED = "node:20-bookworm-slim@sha256:" + "2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0";

describe("the Dockerfile lint", () => {
  it("passes the sample container's Dockerfile", () => {
    expect(dockerfileProblems(SAMPLE)).toEqual([]);
  });

  it("refuses a base image without a digest, a latest tag, one stage, root, and a remote ADD", () => {
    expect(dockerfileProblems(SAMPLE.replace(/@sha256:[0-9a-f]+/, ""))).toEqual([
      "line 12: the base image node:20-bookworm-slim is not pinned by digest (name@sha256:<hex>)",
      "line 19: the base image node:20-bookworm-slim is not pinned by digest (name@sha256:<hex>)",
    ]);
    expect(dockerfileProblems(`FROM node:latest AS build\nRUN true\nFROM ${PINNED}\nUSER 1000\n`)).toEqual([
      "line 1: the base image node:latest is not pinned by digest (name@sha256:<hex>)",
      "line 1: the base image node:latest names the latest tag",
    ]);
    expect(dockerfileProblems(`FROM ${PINNED}\nUSER 1000\n`)).toEqual([
      "has 1 stage(s): build and test in one stage, run in another (a multi-stage build)",
    ]);
    expect(dockerfileProblems(SAMPLE.replace("USER 10001:10001", "USER 0:0"))).toEqual([
      "the final stage runs as 0:0: give it a user other than root",
    ]);
    expect(dockerfileProblems(SAMPLE.replace("USER 10001:10001\n", ""))).toEqual([
      "the final stage sets no USER: the container would run as root",
    ]);
    expect(dockerfileProblems(SAMPLE.replace("COPY src ./src", "ADD https://example.com/x.tgz ./src"))).toEqual([
      "line 15: ADD from a URL: download in a RUN step and check the file's hash",
    ]);
  });

  it("reports what dockerfile-utils finds: an instruction without its arguments", () => {
    expect(dockerfileProblems(SAMPLE.replace("WORKDIR /app\nCOPY package.json", "WORKDIR\nCOPY package.json"))).toEqual([
      "line 13: Instruction has no arguments",
    ]);
  });
});

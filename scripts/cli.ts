import { parseArgs, type ParseArgsConfig } from "util";
import { isProjectError } from "../modules/lib/errors";
import { hasAwsCredentials, type PlanMode } from "./plan/workspace";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses a command's arguments (with --help); returns undefined after printing the usage, or an
 * error, when the command should end with `exitCode`.
 */
export function parseCli<O extends Options>(argv: readonly string[], options: O, usage: string) {
  try {
    const parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { ...options, help: { type: "boolean", short: "h" } } });
    if ((parsed.values as { help?: boolean }).help) {
      console.log(usage);
      return { exitCode: 0 as const };
    }
    return {
      values: parsed.values as { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string },
      positionals: parsed.positionals,
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return { exitCode: 1 as const };
  }
}

/** Online when asked, or when AWS credentials are found; offline otherwise. */
export function chooseMode(flags: { offline?: boolean; online?: boolean }): PlanMode {
  return flags.offline ? "offline" : flags.online ? "online" : hasAwsCredentials() ? "online" : "offline";
}

/** Runs a command's main and exits with its code; expected errors print their message only. */
export function runCli(main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(isProjectError(error) ? error.message : error);
      process.exit(1);
    },
  );
}

/**
 * The one convention of the `main.ts` commands: how a command reads its flags, answers
 * `--help`, and reports a failure.
 *
 * - Flags: `node:util`'s `parseArgs` (strict), from a {@linkcode CommandSpec}; a flag the
 *   parser rejects is a {@linkcode UsageError} carrying the command's usage line.
 * - Help: `--help`/`-h` prints the usage line on stdout, exit code 0.
 * - Failures: one `error: <message>` line on stderr; exit code 2 for bad input (a
 *   {@linkcode UsageError}, a configuration, experiment-file or data error, a missing
 *   permission), 1 for anything else (a training failure). See {@linkcode exitCode}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCommand, UsageError } from "./command.ts";
 * const SPEC = {
 *   usage: "usage: main.ts table <experiment> [--out DIR]",
 *   options: { out: { type: "string" } },
 *   positionals: true,
 * } as const;
 * const main = (args: string[]): Promise<number> =>
 *   runCommand(args, SPEC, ({ values, positionals }) => {
 *     if (positionals.length !== 1) throw new UsageError(`expected one experiment name\n${SPEC.usage}`);
 *     console.log(positionals[0], values.out ?? "results");
 *     return 0;
 *   });
 * assert.equal(await main(["table2", "--out", "x"]), 0); // prints "table2 x"
 * assert.equal(await main([]), 2); // prints "error: expected one experiment name ..."
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ExperimentError } from "../experiment/error.ts";
import { ConfigError } from "../config/error.ts";
import { UsageError } from "../runner/usage_error.ts";

// The commands' bad-input error; defined on the runner floor, which throws it too.
export { UsageError };

/** One flag as `parseArgs` declares it. */
export interface FlagOption {
  /** A value flag (`--out DIR`) or a switch (`--dry-run`). */
  type: "string" | "boolean";
  /** Repeatable (`--set a=1 --set b=2`): the value is a list. */
  multiple?: boolean;
  /** One-letter alias. */
  short?: string;
  /** Value when the flag is absent. */
  default?: string | boolean | string[] | boolean[];
}

/** The flags of one command, by name (without `--`). */
export type FlagOptions = Readonly<Record<string, FlagOption>>;

/** The value type of one declared flag. */
export type FlagValue<F extends FlagOption> = F["type"] extends "boolean"
  ? (F["multiple"] extends true ? boolean[] : boolean)
  : (F["multiple"] extends true ? string[] : string);

/** Parsed flags: each declared flag's value, absent when not given (and without default). */
export type FlagValues<O extends FlagOptions> = { [K in keyof O]?: FlagValue<O[K]> };

/** What a command receives: its flag values and positional arguments. */
export interface Flags<O extends FlagOptions> {
  /** Flag values by name. */
  values: FlagValues<O>;
  /** Positional arguments, in order. */
  positionals: string[];
}

/** How a command reads its arguments. */
export interface CommandSpec<O extends FlagOptions> {
  /** The usage line: printed by `--help`, and after a flag the parser rejects. */
  usage: string;
  /**
   * The flags. Without them the arguments are not parsed: they all reach the command as
   * positionals (and with `help`, a `--help`/`-h` anywhere prints the usage).
   */
  options?: O;
  /** Whether positional arguments are allowed (default false). */
  positionals?: boolean;
  /** Value flags whose value may be negative (`--epochs -1` reaches the flag's own check). */
  negativeValues?: readonly string[];
  /** Whether `--help`/`-h` prints the usage and exits 0 (default true). */
  help?: boolean;
  /** What joins the parser's message and the usage line in the error (default a newline). */
  usageSeparator?: string;
}

/**
 * Parses a command's arguments. Returns `null` after printing the usage for `--help`;
 * throws a {@linkcode UsageError} (message, then the usage line) for a flag the parser
 * rejects.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const flags = parseFlags(["fig2", "--format", "png"], {
 *   usage: "usage: main.ts figure <experiment> [--format svg|png]",
 *   options: { format: { type: "string" } },
 *   positionals: true,
 * });
 * assert.equal(flags?.values.format, "png");
 * ```
 */
export function parseFlags<O extends FlagOptions>(
  args: string[],
  spec: CommandSpec<O>,
): Flags<O> | null {
  const help = spec.help ?? true;
  if (!spec.options) {
    if (help && (args.includes("--help") || args.includes("-h"))) {
      console.log(spec.usage);
      return null;
    }
    return { values: {}, positionals: [...args] };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: spec.negativeValues ? joinNegativeValues(args, spec.negativeValues) : args,
      options: help ? { ...spec.options, help: { type: "boolean", short: "h" } } : spec.options,
      strict: true,
      allowPositionals: spec.positionals ?? false,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}${spec.usageSeparator ?? "\n"}${spec.usage}`);
  }
  if (help && (parsed.values as { help?: boolean }).help) {
    console.log(spec.usage);
    return null;
  }
  return { values: parsed.values as FlagValues<O>, positionals: parsed.positionals };
}

/**
 * Runs a command: parses its arguments ({@linkcode parseFlags}), runs `body`, and turns a
 * thrown error into its one line and exit code ({@linkcode exitCode}). Returns the exit
 * code (0 after `--help`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCommand } from "./command.ts";
 * const code = await runCommand(
 *   ["--out", "x"],
 *   { usage: "usage: main.ts demo [--out DIR]", options: { out: { type: "string" } } },
 *   ({ values }) => {
 *     console.log(values.out); // prints "x"
 *     return 0;
 *   },
 * );
 * assert.equal(code, 0);
 * ```
 */
export async function runCommand<O extends FlagOptions>(
  args: string[],
  spec: CommandSpec<O>,
  body: (flags: Flags<O>) => number | Promise<number>,
): Promise<number> {
  try {
    const flags = parseFlags(args, spec);
    if (flags === null) return 0;
    return await body(flags);
  } catch (e) {
    return exitCode(e);
  }
}

/**
 * Joins `--flag -1` into `--flag=-1` for the named value flags, so a negative number
 * reaches the flag's own check instead of the option parser's "ambiguous" message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(joinNegativeValues(["--epochs", "-1"], ["epochs"]), ["--epochs=-1"]);
 * ```
 */
export function joinNegativeValues(args: string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = args[i + 1];
    if (
      a.startsWith("--") && names.includes(a.slice(2)) && next !== undefined &&
      /^-[\d.]/.test(next)
    ) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Input errors known by name (an instance from another copy of its module is still one). */
const INPUT_ERRORS = new Set(["UsageError", "ConfigError", "ExperimentError", "DataError"]);

/**
 * Prints `error: <message>` and returns the exit code of an error thrown by a command: 2
 * for bad input (a {@linkcode UsageError}, `ConfigError` and its data errors,
 * `ExperimentError`, a missing permission), 1 otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(exitCode(new UsageError("--jobs must be a positive integer"), () => {}), 2);
 * assert.equal(exitCode(new Error("loss is NaN"), () => {}), 1);
 * ```
 */
export function exitCode(
  e: unknown,
  print: (line: string) => void = (l) => console.error(l),
): number {
  const message = e instanceof Error ? e.message : String(e);
  print(`error: ${message}`);
  if (e instanceof UsageError || e instanceof ConfigError || e instanceof ExperimentError) return 2;
  if (e instanceof Error && INPUT_ERRORS.has(e.name)) return 2;
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) return 2;
  return 1;
}

/**
 * Flag values shared by the sweep and report commands (`reproduce`, `ablate`, `table`,
 * `figure`, `regress`), and their error convention: one `error: ...` line, exit code 2
 * for bad input, 1 otherwise.
 *
 * @module
 */
import { ExperimentError } from "../experiment/error.ts";
import type { Profile } from "../experiment/types.ts";

/** A bad command-line flag (exit code 2). */
export class FlagError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

/**
 * Parses a positive integer flag (`undefined` stays `undefined`).
 *
 * @example
 * ```ts
 * positiveInt("jobs", "4"); // 4
 * ```
 */
export function positiveInt(
  name: string,
  raw: string | undefined,
  max = MAX_COUNT,
): number | undefined {
  if (raw === undefined) return undefined;
  const v = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(v) || v < 1) {
    throw new FlagError(`--${name} must be a positive integer (got '${raw}')`);
  }
  if (v > max) {
    throw new FlagError(`--${name} must be a positive integer of at most ${max} (got '${raw}')`);
  }
  return v;
}

/** The largest count a flag accepts (epochs, seeds, jobs). */
export const MAX_COUNT = 1_000_000;

/**
 * Joins `--flag -1` into `--flag=-1` for the named value flags, so a negative number
 * reaches the flag's own check instead of the option parser's "ambiguous" message.
 *
 * @example
 * ```ts
 * joinNegativeValues(["--epochs", "-1"], ["epochs"]); // ["--epochs=-1"]
 * ```
 */
export function joinNegativeValues(args: string[], names: string[]): string[] {
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

/**
 * Parses a non-negative number flag.
 *
 * @example
 * ```ts
 * nonNegative("tolerance", "0.05"); // 0.05
 * ```
 */
export function nonNegative(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v) || v < 0) {
    throw new FlagError(`--${name} must be a non-negative number (got '${raw}')`);
  }
  return v;
}

/**
 * Parses `--profile`.
 *
 * @example
 * ```ts
 * profileFlag(undefined); // "quick"
 * ```
 */
export function profileFlag(raw: string | undefined): Profile {
  if (raw === undefined) return "quick";
  if (raw !== "quick" && raw !== "paper") {
    throw new FlagError(`--profile must be quick or paper (got '${raw}')`);
  }
  return raw;
}

/**
 * Checks a choice flag.
 *
 * @example
 * ```ts
 * choice("format", "md", ["md", "csv", "tex"], "md"); // "md"
 * ```
 */
export function choice<T extends string>(
  name: string,
  raw: string | undefined,
  options: readonly T[],
  fallback: T,
): T {
  if (raw === undefined) return fallback;
  if (!options.includes(raw as T)) {
    throw new FlagError(`--${name} must be one of ${options.join(", ")} (got '${raw}')`);
  }
  return raw as T;
}

const INPUT_ERRORS = new Set([
  "FlagError",
  "UsageError",
  "ConfigError",
  "ExperimentError",
  "DataError",
]);

/**
 * Prints `error: <message>` and returns the exit code: 2 for bad input (flags,
 * experiment files, configuration, permissions), 1 otherwise.
 *
 * @example
 * ```ts
 * errorExitCode(new FlagError("--jobs must be a positive integer"), () => {}); // 2
 * ```
 */
export function errorExitCode(
  e: unknown,
  print: (line: string) => void = (l) => console.error(l),
): number {
  const message = e instanceof Error ? e.message : String(e);
  print(`error: ${message}`);
  if (e instanceof ExperimentError || e instanceof FlagError) return 2;
  if (e instanceof Error && INPUT_ERRORS.has(e.name)) return 2;
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) return 2;
  return 1;
}

/**
 * Checks of flag values shared by the commands (src/cli) and the runner's launcher flags;
 * each bad value is a {@linkcode UsageError} (exit code 2) naming the flag and what it got.
 * On the runner floor, the lowest that reads flags.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { positiveInt } from "./flag_values.ts";
 * assert.equal(positiveInt("jobs", "4"), 4);
 * ```
 *
 * @module
 */
import type { Profile } from "../experiment/types.ts";
import { UsageError } from "./usage_error.ts";

/** The largest count a flag accepts (epochs, seeds, jobs). */
export const MAX_COUNT = 1_000_000;

/**
 * Parses an integer flag of at least `min` (0 or 1) and at most `max` (`undefined` stays
 * `undefined`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(integerFlag("seed", "0", 0), 0);
 * assert.equal(integerFlag("epochs", undefined, 1), undefined);
 * ```
 */
export function integerFlag(
  name: string,
  raw: string | undefined,
  min: 0 | 1,
  max = MAX_COUNT,
): number | undefined {
  if (raw === undefined) return undefined;
  const v = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  const kind = min === 0 ? "a non-negative integer" : "a positive integer";
  if (!Number.isInteger(v) || v < min) {
    throw new UsageError(`--${name} must be ${kind} (got '${raw}')`);
  }
  if (v > max) {
    throw new UsageError(`--${name} must be ${kind} of at most ${max} (got '${raw}')`);
  }
  return v;
}

/**
 * Parses a positive integer flag (`undefined` stays `undefined`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(positiveInt("jobs", "4"), 4);
 * ```
 */
export function positiveInt(
  name: string,
  raw: string | undefined,
  max = MAX_COUNT,
): number | undefined {
  return integerFlag(name, raw, 1, max);
}

/**
 * Parses a non-negative number flag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(nonNegative("tolerance", "0.05"), 0.05);
 * ```
 */
export function nonNegative(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v) || v < 0) {
    throw new UsageError(`--${name} must be a non-negative number (got '${raw}')`);
  }
  return v;
}

/**
 * Parses `--profile`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(profileFlag(undefined), "quick");
 * ```
 */
export function profileFlag(raw: string | undefined): Profile {
  if (raw === undefined) return "quick";
  if (raw !== "quick" && raw !== "paper") {
    throw new UsageError(`--profile must be quick or paper (got '${raw}')`);
  }
  return raw;
}

/**
 * Checks a choice flag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(choice("format", "md", ["md", "csv", "tex"], "md"), "md");
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
    throw new UsageError(`--${name} must be one of ${options.join(", ")} (got '${raw}')`);
  }
  return raw as T;
}

/**
 * The error of bad command-line input. It sits on the runner floor, the lowest that
 * throws it (the launcher, Slurm and `--out` checks, and the flag values of
 * flag_values.ts); src/cli/command.ts re-exports it for the commands and maps it to exit
 * code 2.
 *
 * @module
 */

/**
 * Bad command-line input: an unknown or malformed flag, a missing argument (exit code 2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "./usage_error.ts";
 * const e = new UsageError("--jobs must be a positive integer (got '0')");
 * assert.ok(e instanceof Error);
 * assert.equal(e.message, "--jobs must be a positive integer (got '0')");
 * ```
 */
export class UsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The user-error type of configuration problems (exit code 2). It lives in the
 * configuration leaf (src/config/, which imports nothing of the project), so that any file
 * can throw it without importing the configuration resolver.
 *
 * @module
 */

/**
 * A user error in the configuration, flags or input data (exit code 2).
 *
 * @example
 * ```ts
 * import { ConfigError } from "./error.ts";
 *
 * const e = new ConfigError("--set train.lr=abc: expected a number");
 * e.name; // "ConfigError": the CLI prints the message and exits with code 2
 * e instanceof Error; // true
 * ```
 */
export class ConfigError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * How CLI commands report failures: user errors (bad flags, config, data) exit 2,
 * training failures exit 1; both print one line.
 *
 * @module
 */
import { ConfigError } from "../config/error.ts";

/** A usage error (exit code 2). */
export class UsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Prints `error: <message>` and returns the exit code for an error thrown by a command.
 *
 * @example
 * ```ts ignore
 * try { ... } catch (e) { return reportError(e); }
 * ```
 */
export function reportError(e: unknown): number {
  const msg = e instanceof Error ? e.message : String(e);
  console.error(`error: ${msg}`);
  if (e instanceof UsageError || e instanceof ConfigError) return 2;
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) return 2;
  return 1;
}

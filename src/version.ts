/**
 * The harness version, recorded in every config.json.
 *
 * @example
 * ```ts
 * VERSION; // "0.1.0"
 * ```
 */
export const VERSION = "0.1.0";

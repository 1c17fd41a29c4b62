/**
 * The error of the NumPy file readers and writers, and the context prefix of its messages.
 *
 * @example
 * ```ts
 * import { NpyFormatError } from "./error.ts";
 * new NpyFormatError("x.npz: array 'a': big-endian arrays are not supported").name; // "NpyFormatError"
 * ```
 *
 * @module
 */

/**
 * Thrown when bytes are not a readable `.npy`/`.npz`, or when an array uses a feature this module
 * does not support. The message starts with the file and array it concerns (when known), then
 * the problem and, for unsupported features, how to re-save the data so it can be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NpyFormatError } from "./error.ts";
 * import { readNpz } from "./npz.ts";
 * try {
 *   readNpz(new Uint8Array([1, 2, 3]), "features.npz");
 *   assert.fail("expected an NpyFormatError");
 * } catch (e) {
 *   if (!(e instanceof NpyFormatError)) throw e;
 *   // e.g. "features.npz: array 'audio_train': Fortran-order arrays are not supported; ..."
 *   assert.match(e.message, /^features\.npz is not an NPZ file/);
 * }
 * ```
 */
export class NpyFormatError extends Error {
  /**
   * @param message Full message, including the file/array prefix.
   * @param options Standard error options (e.g. `cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NpyFormatError";
  }
}

/**
 * A problem found while decoding, without its context; the reader turns it into an
 * {@linkcode NpyFormatError} prefixed with the file and array.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NpyProblem } from "./error.ts";
 * assert.throws(() => {
 *   throw new NpyProblem("malformed .npy header: expected a dict");
 * }, NpyProblem);
 * ```
 */
export class NpyProblem extends Error {}

/**
 * Prefixes `problem` with its context (`"file: array 'x'"`), if any.
 *
 * @example
 * ```ts
 * formatError("x.npz: array 'a'", "truncated .npy data").message; // "x.npz: array 'a': truncated .npy data"
 * ```
 */
export function formatError(ctx: string | undefined, problem: string): NpyFormatError {
  return new NpyFormatError(ctx ? `${ctx}: ${problem}` : problem);
}

/**
 * Deno compatibility shim for `@tensorflow/tfjs-node`.
 *
 * tfjs-node's kernels call two helpers of Node's `util` module that Node deprecated long
 * ago: `util.isNullOrUndefined` (every kernel call goes through it) and `util.isArray`
 * (TopK). Deno's `node:util` leaves the first out, so the first kernel fails with
 * "util_1.isNullOrUndefined is not a function". {@link installNodeUtilShim} defines the
 * missing ones on the `node:util` module object, which is the object tfjs-node's
 * `require("util")` returns; it must run before tfjs-node is imported. Helpers that exist
 * are left alone.
 *
 * @module
 */
import util from "node:util";

/** The helpers tfjs-node 4.22.0 needs, with Node's own definitions. */
const HELPERS: Readonly<Record<string, (value: unknown) => boolean>> = {
  isNullOrUndefined: (value) => value === null || value === undefined,
  isArray: (value) => Array.isArray(value),
};

/**
 * Defines the deprecated `node:util` helpers that tfjs-node calls where the runtime lacks
 * them. Idempotent; returns the names it added (empty under Node, or on a second call).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { installNodeUtilShim } from "./node_util_shim.ts";
 * console.log(installNodeUtilShim()); // e.g. ["isNullOrUndefined"] the first time under Deno
 * assert.deepEqual(installNodeUtilShim(), []); // idempotent
 * ```
 */
export function installNodeUtilShim(): string[] {
  const target = util as unknown as Record<string, unknown>;
  const added: string[] = [];
  for (const [name, fn] of Object.entries(HELPERS)) {
    if (typeof target[name] === "function") continue;
    Object.defineProperty(target, name, {
      value: fn,
      writable: true,
      configurable: true,
      enumerable: false,
    });
    added.push(name);
  }
  return added;
}

/**
 * The backends a user can ask for (`--backend`), without loading any engine.
 *
 * @example
 * ```ts
 * import { BACKEND_REQUESTS } from "./requests.ts";
 * BACKEND_REQUESTS.includes("wasm"); // true
 * ```
 *
 * @module
 */

/**
 * A backend the user can ask for (`--backend`). `auto` picks the fastest one available:
 * the native libtensorflow binding if installed, otherwise wasm.
 *
 * @example
 * ```ts
 * const request: BackendRequest = "wasm";
 * ```
 */
export type BackendRequest = "auto" | "tensorflow" | "wasm" | "webgpu" | "cpu";

/**
 * Every accepted {@link BackendRequest}, in the order shown to users.
 *
 * @example
 * ```ts
 * const flag: string = "wasm";
 * if (!BACKEND_REQUESTS.includes(flag as BackendRequest)) throw new Error("bad --backend");
 * ```
 */
export const BACKEND_REQUESTS: readonly BackendRequest[] = Object.freeze([
  "auto",
  "tensorflow",
  "wasm",
  "webgpu",
  "cpu",
]);

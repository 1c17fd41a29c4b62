/**
 * The backends a user can ask for (`--backend`), without loading any engine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BACKEND_REQUESTS } from "./requests.ts";
 * assert.equal(BACKEND_REQUESTS.includes("wasm"), true);
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
 * import type { BackendRequest } from "./requests.ts";
 * const request: BackendRequest = "wasm";
 * console.log(request);
 * ```
 */
export type BackendRequest = "auto" | "tensorflow" | "wasm" | "webgpu" | "cpu";

/**
 * Every accepted {@link BackendRequest}, in the order shown to users.
 *
 * @example
 * ```ts
 * import { BACKEND_REQUESTS, type BackendRequest } from "./requests.ts";
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

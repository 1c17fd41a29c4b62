/**
 * TensorFlow.js backends ("engines"): which one runs (select.ts, requests.ts), how each
 * starts (engines.ts, native.ts, auto_engine.ts), the training patches the JavaScript
 * engines need (patches/), and {@linkcode noGrad}.
 *
 * @example
 * ```ts
 * import { selectBackend } from "./mod.ts";
 * const choice = await selectBackend("wasm");
 * console.log(choice.reason);
 * ```
 *
 * @module
 */
export { type BackendChoice, selectBackend, type SelectOptions } from "./select.ts";
export { BACKEND_REQUESTS, type BackendRequest } from "./requests.ts";
export { installGradPatches } from "./patches/mod.ts";
export { noGrad } from "./no_grad.ts";

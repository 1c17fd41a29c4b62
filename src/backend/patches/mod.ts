/**
 * The training patches for the JavaScript engines (wasm and cpu): install.ts has the
 * table of what each patches and where.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { installGradPatches } from "./mod.ts";
 * installGradPatches();
 * assert.ok(tf.getKernel("Conv2DBackpropFilter", "wasm"));
 * ```
 *
 * @module
 */
export { installGradPatches } from "./install.ts";

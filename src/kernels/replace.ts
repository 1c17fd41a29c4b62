/**
 * Replacing a registered tfjs kernel with one that wraps it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { current, replace } from "./replace.ts";
 * import { equalKernel } from "./tensor_ops.ts";
 * await tf.setBackend("wasm");
 * replace("Equal", "wasm", equalKernel(current("Equal", "wasm").kernelFunc));
 * assert.deepEqual(Array.from(await tf.equal([1, 2], [1, 3]).data()), [1, 0]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * The kernel registered now, or a clear error (the backend must exist).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { current } from "./replace.ts";
 * const stock = current("Max", "wasm").kernelFunc;
 * assert.equal(typeof stock, "function");
 * assert.throws(() => current("NoSuchKernel", "wasm"), /no stock 'NoSuchKernel' kernel/);
 * ```
 */
export function current(kernelName: string, backendName: string): tf.KernelConfig {
  const k = tf.getKernel(kernelName, backendName);
  if (!k) throw new Error(`fast kernels: no stock '${kernelName}' kernel on '${backendName}'`);
  return k;
}

/**
 * Registers `kernelFunc` in place of the kernel registered now (keeping its other fields).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { current, replace } from "./replace.ts";
 * import { reduceKernel } from "./tensor_ops.ts";
 * await tf.setBackend("wasm");
 * replace("Max", "wasm", reduceKernel("max", current("Max", "wasm").kernelFunc));
 * assert.deepEqual(Array.from(await tf.max(tf.tensor2d([[1, 5], [3, 2]]), 0).data()), [3, 5]);
 * ```
 */
export function replace(kernelName: string, backendName: string, kernelFunc: tf.KernelFunc): void {
  const old = current(kernelName, backendName);
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ ...old, kernelFunc });
}

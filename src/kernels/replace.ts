/**
 * Replacing a registered tfjs kernel with one that wraps it.
 *
 * @example
 * ```ts ignore
 * import { current, replace } from "./replace.ts";
 * replace("Equal", "wasm", equalKernel(current("Equal", "wasm").kernelFunc));
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * The kernel registered now, or a clear error (the backend must exist).
 *
 * @example
 * ```ts ignore
 * const stock = current("Max", "wasm").kernelFunc;
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
 * ```ts ignore
 * replace("Max", "wasm", reduceKernel("max", current("Max", "wasm").kernelFunc));
 * ```
 */
export function replace(kernelName: string, backendName: string, kernelFunc: tf.KernelFunc): void {
  const old = current(kernelName, backendName);
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ ...old, kernelFunc });
}

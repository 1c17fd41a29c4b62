/**
 * What the patches share: running tfjs ops inside a kernel function, and telling the
 * native engine (which keeps TensorFlow's own gradients) apart.
 *
 * @example
 * ```ts
 * import { onNativeBackend, runOpsInKernel } from "./kernel_ops.ts";
 * console.log(onNativeBackend(), typeof runOpsInKernel); // false "function"
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * True when the native libtensorflow backend runs: it has fast kernels for everything.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { onNativeBackend } from "./kernel_ops.ts";
 * await tf.setBackend("wasm");
 * assert.equal(onNativeBackend(), false); // a patched gradient takes its own path here
 * ```
 */
export function onNativeBackend(): boolean {
  return tf.getBackend() === "tensorflow";
}

/**
 * Runs tfjs ops inside a kernel function, whose inputs and output are raw TensorInfos.
 * Each input gets a temporary Tensor wrapper (with its own reference, so disposing the
 * wrapper does not free the caller's buffer); the result keeps one reference, which the
 * engine takes over when the kernel returns.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { runOpsInKernel } from "./kernel_ops.ts";
 * await tf.setBackend("wasm");
 * tf.registerKernel({
 *   kernelName: "DocRelu",
 *   backendName: "wasm",
 *   kernelFunc: ({ inputs, backend }) =>
 *     runOpsInKernel(backend as tf.KernelBackend, [inputs.x as tf.TensorInfo], ([x]) => tf.relu(x)),
 * });
 * const y = tf.engine().runKernel("DocRelu", { x: tf.tensor1d([-1, 2]) }) as tf.Tensor;
 * assert.deepEqual(Array.from(await y.data()), [0, 2]);
 * ```
 */
export function runOpsInKernel(
  backend: tf.KernelBackend,
  inputs: tf.TensorInfo[],
  f: (tensors: tf.Tensor[]) => tf.Tensor,
): tf.TensorInfo {
  const engine = tf.engine();
  const wrappers = inputs.map((info) => {
    backend.incRef(info.dataId);
    return engine.makeTensorFromTensorInfo(info, backend);
  });
  try {
    const out = tf.tidy(() => f(wrappers));
    backend.incRef(out.dataId);
    const info: tf.TensorInfo = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
    out.dispose();
    return info;
  } finally {
    for (const t of wrappers) t.dispose();
  }
}

/**
 * What the patches share: running tfjs ops inside a kernel function, and telling the
 * native engine (which keeps TensorFlow's own gradients) apart.
 *
 * @example
 * ```ts ignore
 * import { onNativeBackend, runOpsInKernel } from "./kernel_ops.ts";
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * True when the native libtensorflow backend runs: it has fast kernels for everything.
 *
 * @example
 * ```ts ignore
 * if (onNativeBackend()) return stock.gradFunc(dy, saved, attrs);
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
 * ```ts ignore
 * return runOpsInKernel(backend, [xInfo], ([x]) => tf.relu(x));
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

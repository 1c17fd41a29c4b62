/**
 * Fused TensorFlow ops for the native engine (`tensorflow` backend, tfjs-node), where a
 * tfjs op that tfjs composes from several kernels has one TensorFlow op of its own. Every
 * kernel call on native crosses N-API into TensorFlow's eager runtime (tens of
 * microseconds each), so fewer, larger ops matter for the small models, and fewer
 * intermediates matter for memory.
 *
 * | kernel | TensorFlow op | instead of (stock tfjs gradient on native) |
 * |---|---|---|
 * | `IbmlReluGrad` (alpha 0) | `ReluGrad` | Step + Cast + Multiply |
 * | `IbmlReluGrad` (alpha > 0) | `LeakyReluGrad` | Greater + Fill + Select + Multiply |
 *
 * Registered for the backend name "tensorflow" (before tfjs-node registers the backend
 * itself); compared with the stock gradients by tests/kernels_test.ts on the native suite.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The part of tfjs-node's NodeJSKernelBackend used here. */
interface NodeBackendLike {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_FLOAT: number; TF_FLOAT: number };
  executeSingleOutput(
    name: string,
    attrs: { name: string; type: number; value: unknown }[],
    inputs: tf.TensorInfo[],
  ): tf.Tensor;
}

/**
 * Kernel for `IbmlReluGrad` (inputs `dy`, `x`; attr `alpha`) on the native engine:
 * TensorFlow's `ReluGrad(gradients=dy, features=x)` = dy where x > 0, else 0 (tfjs's
 * `dy * step(x)`), or `LeakyReluGrad` (dy where x > 0, else alpha dy).
 *
 * @example
 * ```ts ignore
 * tf.registerKernel({ kernelName: RELU_GRAD, backendName: "tensorflow", kernelFunc: nativeReluGradKernel });
 * ```
 */
export const nativeReluGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const be = backend as unknown as NodeBackendLike;
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const alpha = (attrs as unknown as { alpha?: number }).alpha ?? 0;
  const t = { name: "T", type: be.binding.TF_ATTR_TYPE, value: be.binding.TF_FLOAT };
  if (alpha === 0) return be.executeSingleOutput("ReluGrad", [t], [dy, x]);
  const a = { name: "alpha", type: be.binding.TF_ATTR_FLOAT, value: alpha };
  return be.executeSingleOutput("LeakyReluGrad", [t, a], [dy, x]);
};

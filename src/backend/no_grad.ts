/**
 * Stopping gradients: tfjs has no `stopGradient` op.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Runs `f` with gradient recording off, so `tf.grads` does not try to differentiate
 * through it. tfjs has no `stopGradient`: an index computation (e.g. `topk` for a kNN
 * graph) feeding `gather` inside a gradient would otherwise throw, because `TopK` has no
 * gradient. `f` must be synchronous.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "./select.ts";
 * import { noGrad } from "./no_grad.ts";
 * await selectBackend("wasm");
 * const x = tf.tensor2d([[0, 0], [1, 0], [0, 3]]);
 * const k = 2;
 * const dx = tf.grad((x) => {
 *   const idx = noGrad(() => tf.topk(tf.matMul(x, x, false, true), k).indices);
 *   const neighbours = tf.gather(x, tf.reshape(idx, [-1])); // still differentiable in x
 *   return tf.sum(neighbours);
 * })(x);
 * assert.deepEqual(dx.shape, [3, 2]);
 * ```
 */
export function noGrad<T>(f: () => T): T {
  // The engine records ops on the tape only while gradientDepth > 0.
  const state = tf.engine().state;
  const depth = state.gradientDepth;
  state.gradientDepth = 0;
  try {
    return f();
  } finally {
    state.gradientDepth = depth;
  }
}

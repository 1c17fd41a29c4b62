/**
 * Metrics computed on the backend (read back once per epoch): correct counts,
 * the optimisation strength rho_m and the discrepancy ratio.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Number of rows whose argmax equals the label (a scalar tensor).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { correctCount } from "./metrics.ts";
 *
 * const logits = tf.tensor2d([[2, 1], [0, 3], [5, 0]]);
 * correctCount(logits, tf.tensor1d([0, 1, 1], "int32")).dataSync()[0]; // 2
 * ```
 */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), "float32")));
}

/**
 * rho_m = sum over the batch of softmax(g_m)[y] (paper Eq. 13; a sum, not a mean, as the
 * official code computes it).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { rho } from "./metrics.ts";
 *
 * const audio = tf.tensor2d([[0, 0], [0, 0]]); // uniform over 2 classes
 * rho(audio, tf.tensor1d([0, 1], "int32")).dataSync()[0]; // 1 = 0.5 + 0.5
 * ```
 */
export function rho(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.softmax(logits);
    return tf.sum(tf.mul(p, tf.oneHot(labels, logits.shape[1])));
  });
}

/**
 * The discrepancy ratio of a batch: rho_strong / rho_lazy for two modalities; for more
 * than two, max over modalities / min over modalities.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { discrepancyRatio } from "./metrics.ts";
 *
 * const labels = tf.tensor1d([0], "int32");
 * const unimodal = {
 *   audio: tf.tensor2d([[Math.log(3), 0]]), // softmax[0] = 0.75
 *   visual: tf.tensor2d([[0, 0]]), // softmax[0] = 0.5
 * };
 * discrepancyRatio(unimodal, labels, "audio", "visual").dataSync()[0]; // 1.5
 * ```
 */
export function discrepancyRatio(
  unimodal: Record<string, tf.Tensor2D>,
  labels: tf.Tensor1D,
  strong: string,
  lazy: string,
): tf.Scalar {
  return tf.tidy(() => {
    const names = Object.keys(unimodal);
    if (names.length === 2) {
      return tf.div(rho(unimodal[strong], labels), rho(unimodal[lazy], labels));
    }
    const rhos = tf.stack(names.map((m) => rho(unimodal[m], labels)));
    return tf.div(tf.max(rhos), tf.min(rhos));
  });
}

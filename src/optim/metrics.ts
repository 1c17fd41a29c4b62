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
 * ```ts ignore
 * const n = correctCount(logits, labels);
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
 * ```ts ignore
 * const rhoAudio = rho(unimodal.audio, labels);
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
 * ```ts ignore
 * const r = discrepancyRatio(unimodal, labels, "audio", "visual");
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

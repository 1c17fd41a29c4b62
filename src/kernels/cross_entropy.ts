/**
 * Softmax cross-entropy as one kernel and one gradient kernel on the CPU-side backends.
 *
 * The composed loss (`logSoftmax`, `oneHot`, `mul`, `sum`, `mean`, `neg`) runs about a dozen
 * kernels forward and as many backward; for the small [B, C] logits of every method step
 * that dispatch overhead, not arithmetic, is the cost (bench/README.md, `--profile`). Here:
 *
 * - {@linkcode SOFTMAX_CE} (inputs `logits` [B, C] float32, `labels` [B] int32): the scalar
 *   mean over rows of -log softmax(logits)[label], in double precision per row with the
 *   row maximum subtracted (stable for large logits), rounded once to float32;
 * - its gradient {@linkcode SOFTMAX_CE_GRAD} (inputs `dy`, `logits`, `labels`):
 *   dy / B * (softmax(logits) - onehot(label)), recomputing the softmax from the saved
 *   logits (cheaper than keeping a second output on the tape).
 *
 * Pure JS over tensor memory: the same numbers on every machine, within float rounding of
 * the composed loss (tests/kernels_test.ts), not bit-identical to it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { memoryOf } from "./memory.ts";

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Name of the fused softmax cross-entropy kernel (mean over the batch). */
export const SOFTMAX_CE = "IbmlSoftmaxCrossEntropy";
/** Name of its gradient kernel. */
export const SOFTMAX_CE_GRAD = "IbmlSoftmaxCrossEntropyGrad";

/** Row-wise log-sum-exp of `x` [rows, c] at row `r`, with its maximum. */
function logSumExp(x: Float32Array, r: number, c: number): number {
  let max = -Infinity;
  for (let j = 0; j < c; j++) max = Math.max(max, x[r * c + j]);
  if (!Number.isFinite(max)) return max; // all -Infinity (or +Infinity / NaN): propagate
  let sum = 0;
  for (let j = 0; j < c; j++) sum += Math.exp(x[r * c + j] - max);
  return max + Math.log(sum);
}

/**
 * Forward kernel: mean over rows of logsumexp(row) - row[label]. A label outside [0, C)
 * gives NaN, as a NaN loss is what the trainer reports clearly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { SOFTMAX_CE, softmaxCrossEntropyKernel } from "./cross_entropy.ts";
 * await tf.setBackend("wasm");
 * tf.registerKernel({
 *   kernelName: SOFTMAX_CE,
 *   backendName: "wasm",
 *   kernelFunc: softmaxCrossEntropyKernel,
 * });
 * const logits = tf.zeros([2, 2]), labels = tf.tensor1d([0, 1], "int32");
 * const loss = tf.engine().runKernel(SOFTMAX_CE, { logits, labels }) as tf.Tensor;
 * assert.ok(Math.abs((await loss.data())[0] - Math.LN2) < 1e-6); // -log(1/2)
 * ```
 */
export const softmaxCrossEntropyKernel: tf.KernelFunc = (args: KernelArgs) => {
  const logits = args.inputs.logits as tf.TensorInfo;
  const labels = args.inputs.labels as tf.TensorInfo;
  const mem = memoryOf(args.backend as tf.KernelBackend);
  if (!mem) throw new Error(`${SOFTMAX_CE}: backend memory is not addressable`);
  const [rows, c] = logits.shape;
  const out = mem.alloc([]);
  const x = mem.view(logits), y = mem.typed(labels);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const k = y[r];
    total += k >= 0 && k < c ? logSumExp(x, r, c) - x[r * c + k] : NaN;
  }
  mem.view(out)[0] = total / rows;
  return out;
};

/**
 * Gradient kernel: dy / B * (softmax(logits) - onehot(labels)) as float32 [B, C].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { SOFTMAX_CE_GRAD, softmaxCrossEntropyGradKernel } from "./cross_entropy.ts";
 * await tf.setBackend("wasm");
 * tf.registerKernel({
 *   kernelName: SOFTMAX_CE_GRAD,
 *   backendName: "wasm",
 *   kernelFunc: softmaxCrossEntropyGradKernel,
 * });
 * const dy = tf.scalar(1), logits = tf.zeros([2, 2]), labels = tf.tensor1d([0, 1], "int32");
 * const dx = tf.engine().runKernel(SOFTMAX_CE_GRAD, { dy, logits, labels }) as tf.Tensor;
 * assert.deepEqual(Array.from(await dx.data()), [-0.25, 0.25, 0.25, -0.25]);
 * ```
 */
export const softmaxCrossEntropyGradKernel: tf.KernelFunc = (args: KernelArgs) => {
  const dyInfo = args.inputs.dy as tf.TensorInfo;
  const logits = args.inputs.logits as tf.TensorInfo;
  const labels = args.inputs.labels as tf.TensorInfo;
  const mem = memoryOf(args.backend as tf.KernelBackend);
  if (!mem) throw new Error(`${SOFTMAX_CE_GRAD}: backend memory is not addressable`);
  const [rows, c] = logits.shape;
  const out = mem.alloc([rows, c]);
  const o = mem.view(out), x = mem.view(logits), y = mem.typed(labels);
  const scale = mem.view(dyInfo)[0] / rows;
  for (let r = 0; r < rows; r++) {
    const lse = logSumExp(x, r, c);
    for (let j = 0; j < c; j++) {
      const p = Math.exp(x[r * c + j] - lse);
      o[r * c + j] = scale * (j === y[r] ? p - 1 : p);
    }
  }
  return out;
};

/**
 * The gradient of {@linkcode SOFTMAX_CE} (to `logits` only; labels are integers).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import {
 *   SOFTMAX_CE,
 *   SOFTMAX_CE_GRAD,
 *   softmaxCrossEntropyGradient,
 *   softmaxCrossEntropyGradKernel,
 *   softmaxCrossEntropyKernel,
 * } from "./cross_entropy.ts";
 * await tf.setBackend("wasm");
 * tf.registerKernel({
 *   kernelName: SOFTMAX_CE,
 *   backendName: "wasm",
 *   kernelFunc: softmaxCrossEntropyKernel,
 * });
 * tf.registerKernel({
 *   kernelName: SOFTMAX_CE_GRAD,
 *   backendName: "wasm",
 *   kernelFunc: softmaxCrossEntropyGradKernel,
 * });
 * tf.registerGradient(softmaxCrossEntropyGradient);
 * const labels = tf.tensor1d([0, 1], "int32");
 * const loss = (logits: tf.Tensor) =>
 *   tf.engine().runKernel(SOFTMAX_CE, { logits, labels }) as tf.Tensor;
 * const dx = tf.grad(loss)(tf.zeros([2, 2]));
 * assert.deepEqual(Array.from(await dx.data()), [-0.25, 0.25, 0.25, -0.25]);
 * ```
 */
export const softmaxCrossEntropyGradient: tf.GradConfig = {
  kernelName: SOFTMAX_CE,
  inputsToSave: ["logits", "labels"],
  gradFunc: (dy, saved) => {
    const [logits, labels] = saved;
    return {
      logits: () =>
        tf.engine().runKernel(SOFTMAX_CE_GRAD, {
          dy: dy as tf.Tensor,
          logits,
          labels,
        }) as tf.Tensor,
      labels: () => tf.zerosLike(labels),
    };
  },
};

/**
 * Whether {@linkcode SOFTMAX_CE} can run for these tensors on the active backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import {
 *   fusedCrossEntropyAvailable,
 *   SOFTMAX_CE,
 *   softmaxCrossEntropyKernel,
 * } from "./cross_entropy.ts";
 * await tf.setBackend("wasm");
 * const logits = tf.zeros([2, 3]), labels = tf.tensor1d([0, 2], "int32");
 * assert.equal(fusedCrossEntropyAvailable(logits, labels), false); // not registered yet
 * tf.registerKernel({
 *   kernelName: SOFTMAX_CE,
 *   backendName: "wasm",
 *   kernelFunc: softmaxCrossEntropyKernel,
 * });
 * assert.equal(fusedCrossEntropyAvailable(logits, labels), true);
 * ```
 */
export function fusedCrossEntropyAvailable(logits: tf.Tensor, labels: tf.Tensor): boolean {
  return logits.rank === 2 && logits.dtype === "float32" && labels.dtype === "int32" &&
    labels.rank === 1 && tf.getKernel(SOFTMAX_CE, tf.getBackend()) !== undefined;
}

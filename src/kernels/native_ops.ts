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
 * | {@linkcode nativeBatchNormForward} | `FusedBatchNormV3` | 9 ops, 5 activation-sized temporaries |
 * | {@linkcode nativeBatchNormGrad} | `FusedBatchNormGradV3` | about 9 ops, 5 activation-sized temporaries |
 * | {@linkcode nativeActivationGrad} (tanh) | `TanhGrad` | Square + Sub + Multiply |
 * | {@linkcode nativeActivationGrad} (sigmoid) | `SigmoidGrad` | Sub + Multiply + Multiply |
 * | {@linkcode nativeMaxPool}, {@linkcode nativeMaxPoolGrad} | oneDNN's `_MklNativeMaxPool` and its gradient | `MaxPool` + `MaxPoolGrad` |
 * | `IbmlSoftmaxCrossEntropy` and its gradient ({@linkcode nativeSoftmaxCrossEntropyKernel}) | `SparseSoftmaxCrossEntropyWithLogits` + `Mean` | about 15 ops forward and 15 backward |
 * | `IbmlConv2DBias` (./conv_bias.ts) | oneDNN's `_MklNativeConv2DWithBias` | `Conv2D` + `Add` |
 *
 * The kernels are registered for the backend name "tensorflow" (before tfjs-node registers
 * the backend itself) and compared with the stock gradients by tests/kernels_test.ts on the
 * native suite; {@linkcode nativeBatchNormForward} and {@linkcode nativeBatchNormGrad} are
 * called by src/models/batchnorm.ts and compared with the composed op and gradient by
 * tests/models/batchnorm_test.ts; {@linkcode nativeActivationGrad} is called by the Bi-GRU's
 * hand-written gradient (src/models/bigru.ts), compared with autodiff by
 * tests/models/bigru_test.ts; {@linkcode nativeMaxPool} and {@linkcode nativeMaxPoolGrad} are
 * called by src/models/conv.ts and compared with TensorFlow's `MaxPoolGrad` by
 * tests/models/conv_test.ts.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The part of tfjs-node's NodeJSKernelBackend used by the project's native kernels. */
export interface NodeBackendLike {
  binding: {
    TF_ATTR_TYPE: number;
    TF_ATTR_FLOAT: number;
    TF_ATTR_STRING: number;
    TF_ATTR_BOOL: number;
    TF_ATTR_INT: number;
    TF_FLOAT: number;
    TF_INT32: number;
  };
  executeMultipleOutputs(
    name: string,
    attrs: { name: string; type: number; value: unknown }[],
    inputs: tf.TensorInfo[],
    numOutputs: number,
  ): tf.Tensor[];
  executeSingleOutput(
    name: string,
    attrs: { name: string; type: number; value: unknown }[],
    inputs: tf.TensorInfo[],
  ): tf.Tensor;
  /** Whether TensorFlow runs ops on a GPU (tfjs-node-gpu with a visible device). */
  isUsingGpuDevice?: boolean;
}

/**
 * Kernel for `IbmlReluGrad` (inputs `dy`, `x`; attr `alpha`) on the native engine:
 * TensorFlow's `ReluGrad(gradients=dy, features=x)` = dy where x > 0, else 0 (tfjs's
 * `dy * step(x)`), or `LeakyReluGrad` (dy where x > 0, else alpha dy).
 *
 * @example
 * ```ts ignore
 * // not run: needs the native engine (tfjs-node)
 * import * as tf from "@tensorflow/tfjs";
 * import { nativeReluGradKernel } from "./native_ops.ts";
 * import { RELU_GRAD } from "./tensor_ops.ts";
 * tf.registerKernel({
 *   kernelName: RELU_GRAD,
 *   backendName: "tensorflow",
 *   kernelFunc: nativeReluGradKernel,
 * });
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

/** TensorFlow's attributes shared by `FusedBatchNormV3` and its gradient (NHWC, training). */
function batchNormAttrs(b: NodeBackendLike["binding"], eps: number) {
  return [
    { name: "T", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: "U", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: "epsilon", type: b.TF_ATTR_FLOAT, value: eps },
    { name: "data_format", type: b.TF_ATTR_STRING, value: "NHWC" },
    { name: "is_training", type: b.TF_ATTR_BOOL, value: true },
  ];
}

/**
 * Training-mode BatchNorm over the last axis as TensorFlow's one `FusedBatchNormV3` op, on
 * the native engine; `null` on any other backend (the caller then composes it). Returns
 * `[y, mean, variance, runningMean, runningVariance]`: the output, the batch mean and biased
 * variance it normalised with (TensorFlow's reserve spaces 1 and 2 on CPU, which
 * {@linkcode nativeBatchNormGrad} takes back), and `running` updated by the same op
 * (PyTorch's rule: (1 - momentum) running + momentum batch, the variance unbiased by
 * n / (n - 1); TensorFlow's `exponential_avg_factor` is PyTorch's momentum), which the caller
 * assigns. Rank-4 (NHWC) inputs go in as they are; any other rank is viewed as [n, 1, 1, C].
 *
 * Why: the composed forward (centre, square, mean, centre again, scale, shift) allocates
 * five activation-sized temporaries; at the visual stem of a paper CREMA-D batch (64 x 3
 * frames x 112 x 112 x 64, 588 MiB each) they were the first jump of the step's peak RSS,
 * and TensorFlow's CPU allocator keeps what it once held. The fused op writes the output
 * only. Its sums run in TensorFlow's order, so the last bits differ from the composed op
 * (tests/models/batchnorm_test.ts compares them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { nativeBatchNormForward } from "./native_ops.ts";
 * await tf.setBackend("wasm");
 * const x = tf.ones([2, 3]), gamma = tf.ones([3]), beta = tf.zeros([3]);
 * const running = { mean: tf.zeros([3]), variance: tf.ones([3]), momentum: 0.1 };
 * // [y, mean, variance, runningMean, runningVariance] on the native engine; null elsewhere
 * assert.equal(nativeBatchNormForward(x, gamma, beta, 1e-5, running), null);
 * ```
 */
export function nativeBatchNormForward(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
  running: BatchNormRunning,
): [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D] | null {
  if (tf.getBackend() !== "tensorflow") return null;
  const be = tf.backend() as unknown as NodeBackendLike;
  const b = be.binding;
  const outs = tf.tidy(() => {
    const [y, runningMean, runningVariance, mean, variance] = be.executeMultipleOutputs(
      "FusedBatchNormV3",
      [...batchNormAttrs(b, eps), {
        name: "exponential_avg_factor",
        type: b.TF_ATTR_FLOAT,
        value: running.momentum,
      }],
      [asNhwc(x), gamma, beta, running.mean, running.variance],
      6,
    );
    return [fromNhwc(y, x), mean, variance, runningMean, runningVariance];
  });
  return outs as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
}

/** The running statistics {@linkcode nativeBatchNormForward} updates, and its momentum. */
export interface BatchNormRunning {
  /** Running mean [C]. */
  mean: tf.Tensor;
  /** Running (unbiased) variance [C]. */
  variance: tf.Tensor;
  /** Weight of the new batch statistic (PyTorch's BN momentum). */
  momentum: number;
}

/** `x` as NHWC for TensorFlow's fused BatchNorm ops: as it is at rank 4, else [n, 1, 1, C]. */
function asNhwc(x: tf.Tensor): tf.Tensor {
  const c = x.shape[x.rank - 1];
  return x.rank === 4 ? x : tf.reshape(x, [x.size / c, 1, 1, c]);
}

/** The inverse of {@link asNhwc}: `y` back in the shape of `like`. */
function fromNhwc(y: tf.Tensor, like: tf.Tensor): tf.Tensor {
  return like.rank === 4 ? y : tf.reshape(y, like.shape);
}

/**
 * The training-mode BatchNorm gradient over the last axis as TensorFlow's one
 * `FusedBatchNormGradV3` op, on the native engine; `null` on any other backend (the caller
 * then composes it). `mean` and `variance` are the (biased) batch statistics the forward
 * pass normalised with. Returns `[dx, dgamma, dbeta]`.
 *
 * Why: the composed gradient (src/models/batchnorm.ts) keeps about five activation-sized
 * temporaries alive at once, and at the largest BatchNorm of a paper batch (the visual
 * ResNet18's stem, 64 x 3 frames x 112 x 112 x 64) they set the step's peak memory. The
 * fused op needs none of them (bench/README.md, "Memory", gives the paper CREMA-D step's
 * peak RSS before and after, with the command). The statistics are taken over every axis but the last,
 * so any rank is viewed as [n, 1, 1, C] (NHWC), which the op reduces the same way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { nativeBatchNormGrad } from "./native_ops.ts";
 * await tf.setBackend("wasm");
 * const dy = tf.ones([2, 3]), x = tf.ones([2, 3]), gamma = tf.ones([3]);
 * const mean = tf.ones([3]), variance = tf.zeros([3]);
 * // [dx, dGamma, dBeta] on the native engine; null elsewhere
 * assert.equal(nativeBatchNormGrad(dy, x, gamma, mean, variance, 1e-5), null);
 * ```
 */
export function nativeBatchNormGrad(
  dy: tf.Tensor,
  x: tf.Tensor,
  gamma: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  eps: number,
): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (tf.getBackend() !== "tensorflow") return null;
  const be = tf.backend() as unknown as NodeBackendLike;
  const b = be.binding;
  const [dx, dGamma, dBeta] = tf.tidy(() => {
    const outs = be.executeMultipleOutputs(
      "FusedBatchNormGradV3",
      batchNormAttrs(b, eps),
      [asNhwc(dy), asNhwc(x), gamma, mean, variance, mean],
      5,
    );
    return [fromNhwc(outs[0], x), outs[1], outs[2]];
  });
  return [dx, dGamma, dBeta];
}

/**
 * The gradient of y = tanh(a) or y = sigmoid(a) with respect to a, from the output `y` and
 * the output's gradient `dy`, as TensorFlow's one `TanhGrad` (dy (1 - y²)) or
 * `SigmoidGrad` (dy y (1 - y)) op on the native engine; `null` on any other backend (the
 * caller then composes it from three elementwise ops).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { nativeActivationGrad } from "./native_ops.ts";
 * await tf.setBackend("wasm");
 * const y = tf.tensor1d([0, 0.5]), dy = tf.ones([2]);
 * // dy (1 - y²) = [1, 0.75] on the native engine; null elsewhere
 * assert.equal(nativeActivationGrad("tanh", y, dy), null);
 * ```
 */
export function nativeActivationGrad(
  kind: "tanh" | "sigmoid",
  y: tf.Tensor,
  dy: tf.Tensor,
): tf.Tensor | null {
  if (tf.getBackend() !== "tensorflow" || y.dtype !== "float32") return null;
  const be = tf.backend() as unknown as NodeBackendLike;
  const t = { name: "T", type: be.binding.TF_ATTR_TYPE, value: be.binding.TF_FLOAT };
  return be.executeSingleOutput(kind === "tanh" ? "TanhGrad" : "SigmoidGrad", [t], [y, dy]);
}

/** TensorFlow's attributes of the oneDNN max pool and its gradient ("VALID" padding, NHWC). */
function maxPoolAttrs(b: NodeBackendLike["binding"], size: number, stride: number) {
  return [
    { name: "T", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: "ksize", type: b.TF_ATTR_INT, value: [1, size, size, 1] },
    { name: "strides", type: b.TF_ATTR_INT, value: [1, stride, stride, 1] },
    { name: "padding", type: b.TF_ATTR_STRING, value: "VALID" },
    { name: "workspace_enabled", type: b.TF_ATTR_BOOL, value: true },
    // The op's kernel is registered under this label (TensorFlow's oneDNN ops are normally
    // reached by graph rewrites, which eager execution does not run for pooling).
    { name: "_kernel", type: b.TF_ATTR_STRING, value: "MklNameChangeOp" },
  ];
}

/**
 * The native engine's backend when it is active and runs on the CPU (where oneDNN's ops, such
 * as its pooling and biased convolution, apply); `null` on any other backend and on a GPU.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { nativeCpuBackend } from "./native_ops.ts";
 * await tf.setBackend("wasm");
 * assert.equal(nativeCpuBackend(), null);
 * ```
 */
export function nativeCpuBackend(): NodeBackendLike | null {
  if (tf.getBackend() !== "tensorflow") return null;
  const be = tf.backend() as unknown as NodeBackendLike;
  return be.isUsingGpuDevice ? null : be;
}

/**
 * Whether {@linkcode nativeMaxPool} runs here: the native engine on a CPU.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { nativeMaxPoolAvailable } from "./native_ops.ts";
 * await tf.setBackend("wasm");
 * assert.equal(nativeMaxPoolAvailable(), false);
 * ```
 */
export function nativeMaxPoolAvailable(): boolean {
  return nativeCpuBackend() !== null;
}

/**
 * A "valid" max pool (size x size windows, `stride`, NHWC) on the native engine's CPU as
 * oneDNN's `_MklNativeMaxPool`, which also returns a workspace (where each window's maximum
 * was) for {@linkcode nativeMaxPoolGrad}; `null` on any other backend and on a GPU (the caller
 * then runs `tf.maxPool` and its stock gradient).
 *
 * Why: TensorFlow's CPU `MaxPoolGrad` recomputes the pool to find each window's maximum, and
 * that search is slow: 12 ms for Img_FC's first pool (32 x 30 x 30 x 96, 2x2) and 209 ms for
 * a ResNet18 stem at batch 32 (3x3, stride 2), against 0.6 and 9 ms for the workspace
 * gradient (bench/README.md, "MaxPoolGrad"). The maxima are the same (the first in the
 * window, row by row, as in TensorFlow's and PyTorch's CPU kernels), so the gradient is too;
 * where windows overlap, an input cell that is the maximum of several windows sums their
 * gradients in another order (last bits).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { nativeMaxPool } from "./native_ops.ts";
 * await tf.setBackend("wasm");
 * // [y, workspace] on the native engine's CPU; null elsewhere
 * assert.equal(nativeMaxPool(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, 2, 2), null);
 * ```
 */
export function nativeMaxPool(
  x: tf.Tensor4D,
  size: number,
  stride: number,
): [tf.Tensor4D, tf.Tensor] | null {
  const be = nativeCpuBackend();
  if (!be || x.dtype !== "float32") return null;
  const [y, workspace] = be.executeMultipleOutputs(
    "_MklNativeMaxPool",
    maxPoolAttrs(be.binding, size, stride),
    [x],
    2,
  );
  return [y as tf.Tensor4D, workspace];
}

/**
 * The gradient of {@linkcode nativeMaxPool} with respect to its input `x`, from the pool's
 * output `y`, the output's gradient `dy` and the workspace: each window's gradient goes to
 * the cell that was its maximum. Only `x`'s shape is read. Call it only where
 * {@linkcode nativeMaxPool} ran.
 */
export function nativeMaxPoolGrad(
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  dy: tf.Tensor,
  workspace: tf.Tensor,
  size: number,
  stride: number,
): tf.Tensor4D {
  const be = nativeCpuBackend();
  if (!be) throw new Error("nativeMaxPoolGrad: the native engine on a CPU is not active");
  return be.executeSingleOutput(
    "_MklNativeMaxPoolGrad",
    maxPoolAttrs(be.binding, size, stride),
    [x, y, dy, workspace],
  ) as tf.Tensor4D;
}

/** `SparseSoftmaxCrossEntropyWithLogits`: per-row loss [B] and its gradient [B, C]. */
function sparseSoftmaxCrossEntropy(
  be: NodeBackendLike,
  logits: tf.TensorInfo,
  labels: tf.TensorInfo,
): [tf.Tensor, tf.Tensor] {
  const b = be.binding;
  const [rows, c] = logits.shape;
  try {
    const [loss, backprop] = be.executeMultipleOutputs(
      "SparseSoftmaxCrossEntropyWithLogits",
      [
        { name: "T", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
        { name: "Tlabels", type: b.TF_ATTR_TYPE, value: b.TF_INT32 },
      ],
      [logits, labels],
      2,
    );
    return [loss, backprop];
  } catch (err) {
    // TensorFlow's CPU kernel rejects a label outside [0, C); the other engines' kernels give
    // NaN, which the trainer reports as a non-finite loss with its hint. Do the same here.
    if (!String((err as Error)?.message ?? err).includes("outside the valid range")) throw err;
    return [tf.fill([rows], NaN), tf.fill([rows, c], NaN)];
  }
}

/**
 * Kernel for `IbmlSoftmaxCrossEntropy` (src/kernels/cross_entropy.ts; inputs `logits`
 * [B, C] float32, `labels` [B] int32) on the native engine: TensorFlow's
 * `SparseSoftmaxCrossEntropyWithLogits` (the row losses, with the row maximum subtracted),
 * then their mean. Two ops instead of tfjs's composed `logSoftmax` + `oneHot` + `mul` +
 * `sum` + `mean` + `neg` (about 15 on native, each one N-API call). Float32 throughout, in
 * TensorFlow's order: the last bits differ from the composed loss (tests/grads_test.ts
 * compares it with a double-precision loss on the native suite).
 *
 * @example
 * ```ts ignore
 * // not run: needs the native engine (tfjs-node)
 * import * as tf from "@tensorflow/tfjs";
 * import { nativeSoftmaxCrossEntropyKernel } from "./native_ops.ts";
 * import { SOFTMAX_CE } from "./cross_entropy.ts";
 * tf.registerKernel({
 *   kernelName: SOFTMAX_CE,
 *   backendName: "tensorflow",
 *   kernelFunc: nativeSoftmaxCrossEntropyKernel,
 * });
 * ```
 */
export const nativeSoftmaxCrossEntropyKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { logits, labels } = inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo };
  const [loss, backprop] = sparseSoftmaxCrossEntropy(
    backend as unknown as NodeBackendLike,
    logits,
    labels,
  );
  backprop.dispose();
  const mean = tf.mean(loss);
  loss.dispose();
  return mean;
};

/**
 * Kernel for `IbmlSoftmaxCrossEntropyGrad` (inputs `dy`, `logits`, `labels`) on the native
 * engine: `SparseSoftmaxCrossEntropyWithLogits`'s gradient output (softmax - onehot, recomputed
 * from the saved logits, as the JS kernel does) times dy / B.
 *
 * @example
 * ```ts ignore
 * // not run: needs the native engine (tfjs-node)
 * import * as tf from "@tensorflow/tfjs";
 * import { nativeSoftmaxCrossEntropyGradKernel } from "./native_ops.ts";
 * import { SOFTMAX_CE_GRAD } from "./cross_entropy.ts";
 * tf.registerKernel({
 *   kernelName: SOFTMAX_CE_GRAD,
 *   backendName: "tensorflow",
 *   kernelFunc: nativeSoftmaxCrossEntropyGradKernel,
 * });
 * ```
 */
export const nativeSoftmaxCrossEntropyGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, logits, labels } = inputs as Record<"dy" | "logits" | "labels", tf.TensorInfo>;
  const [loss, backprop] = sparseSoftmaxCrossEntropy(
    backend as unknown as NodeBackendLike,
    logits,
    labels,
  );
  loss.dispose();
  const scale = tf.div(dy as tf.Tensor, logits.shape[0]);
  const dx = tf.mul(backprop, scale);
  tf.dispose([backprop, scale]);
  return dx;
};

/**
 * The most multiply-adds (m k n) of a 2D product that {@linkcode nativeMatMulKernel} sends to
 * TensorFlow's `MatMul` op (2^20).
 */
export const NATIVE_SMALL_MATMUL_MACS = 2 ** 20;

/**
 * A `BatchMatMul` kernel for the native engine's CPU that runs small 2D products (at most
 * {@linkcode NATIVE_SMALL_MATMUL_MACS} multiply-adds: classifier heads, the quick profile's
 * MLPs, their gradients) as TensorFlow's `MatMul` op, and everything else as before
 * (`previous`, tfjs-node's `BatchMatMulV2`, which TensorFlow hands to oneDNN).
 *
 * Why: oneDNN's batched product splits even a 32 x 32 product over TensorFlow's thread pool,
 * and the hand-off costs more than the product: 90 us a call with two threads against 19 with
 * one, where `MatMul` takes about 15 us either way (bench/README.md, "Small products"). The
 * sums run in another order, so the last bits differ (the fast kernel set).
 *
 * @example
 * ```ts ignore
 * // not run: needs the native engine (tfjs-node), imported first (its own kernels)
 * import * as tf from "@tensorflow/tfjs";
 * import { nativeMatMulKernel } from "./native_ops.ts";
 * const stock = tf.getKernel("BatchMatMul", "tensorflow")!;
 * tf.unregisterKernel("BatchMatMul", "tensorflow");
 * tf.registerKernel({ ...stock, kernelFunc: nativeMatMulKernel(stock.kernelFunc) });
 * ```
 */
export function nativeMatMulKernel(previous: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
    };
    const be = args.backend as unknown as NodeBackendLike;
    if (
      a.shape.length !== 2 || b.shape.length !== 2 || a.dtype !== "float32" ||
      b.dtype !== "float32" || be.isUsingGpuDevice
    ) {
      return previous(args);
    }
    const [m, k] = transposeA ? [a.shape[1], a.shape[0]] : a.shape;
    const n = transposeB ? b.shape[0] : b.shape[1];
    if (m * k * n > NATIVE_SMALL_MATMUL_MACS) return previous(args);
    const bind = be.binding;
    return be.executeSingleOutput("MatMul", [
      { name: "T", type: bind.TF_ATTR_TYPE, value: bind.TF_FLOAT },
      { name: "transpose_a", type: bind.TF_ATTR_BOOL, value: !!transposeA },
      { name: "transpose_b", type: bind.TF_ATTR_BOOL, value: !!transposeB },
    ], [a, b]);
  };
}

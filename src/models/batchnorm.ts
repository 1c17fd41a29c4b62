/**
 * Batch normalisation with PyTorch semantics over the last (channel) axis of any NHWC-like
 * tensor: BatchNorm1d on [B, C] or [B, N, C], BatchNorm2d on [B, H, W, C] or [B, N, k, C].
 *
 * - Training: normalise with the batch mean and the biased batch variance over every axis
 *   but the last; update the running statistics with momentum 0.1:
 *   running = 0.9 running + 0.1 batch_stat, where the variance fed to the running estimate
 *   is the unbiased one (times n / (n - 1), n = elements per channel), as PyTorch does.
 * - Evaluation: normalise with the running statistics.
 * - eps 1e-5; scale (gamma) starts at 1 and offset (beta) at 0 (PyTorch and the official
 *   `weight_init` agree); running mean 0 and running variance 1.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { mapGroups, splitGroups } from "./groups.ts";
import { makeParam, type Param } from "./params.ts";
import { noGrad } from "../backend/no_grad.ts";
import {
  type BatchNormRunning,
  nativeBatchNormForward,
  nativeBatchNormGrad,
} from "../kernels/native_ops.ts";

/** PyTorch's default BN momentum (weight of the new batch statistic). */
export const BN_MOMENTUM = 0.1;
/** PyTorch's default BN epsilon. */
export const BN_EPS = 1e-5;

/**
 * A batch-norm layer over the last axis.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { BatchNorm } from "./batchnorm.ts";
 * await selectBackend("wasm");
 * const bn = new BatchNorm("encoder.audio.bn1", "encoder.audio", 2);
 * const x = tf.tensor2d([[1, 10], [3, 30]]);
 * const y = bn.apply(x, true); // batch statistics; running stats updated
 * const z = bn.apply(x, false); // running statistics
 * assert.deepEqual([y.shape, z.shape], [[2, 2], [2, 2]]);
 * const mean = Array.from(await bn.runningMean.data()); // 0.9 * 0 + 0.1 * [2, 20]
 * assert.deepEqual(mean.map((v) => +v.toFixed(4)), [0.2, 2]);
 * ```
 */
export class BatchNorm {
  /** Scale gamma [C] (kind `norm`). */
  readonly gamma: Param;
  /** Offset beta [C] (kind `norm`). */
  readonly beta: Param;
  /** Running mean [C] (buffer). */
  readonly runningMean: tf.Variable;
  /** Running (unbiased) variance [C] (buffer). */
  readonly runningVar: tf.Variable;

  /** Creates the layer; parameters are named `<name>.gamma` / `<name>.beta`. */
  constructor(
    name: string,
    group: string,
    readonly channels: number,
    readonly momentum = BN_MOMENTUM,
    readonly eps = BN_EPS,
  ) {
    this.gamma = makeParam(`${name}.gamma`, group, "norm", new Float32Array(channels).fill(1), [
      channels,
    ]);
    this.beta = makeParam(`${name}.beta`, group, "norm", new Float32Array(channels), [channels]);
    this.runningMean = tf.variable(tf.zeros([channels]), false);
    this.runningVar = tf.variable(tf.ones([channels]), false);
  }

  /**
   * Normalises `x` (last axis = channels); in training also updates the running stats.
   *
   * `groups` > 1 splits the first axis into that many equal batches, each normalised with
   * its own statistics and each updating the running statistics in turn, in order: the same
   * numbers as applying the layer to each batch separately, as the multi-view encoder's
   * per-view BN does (its views then share every convolution as one batch). Evaluation
   * normalises each sample on its own, so it ignores `groups`.
   */
  apply<T extends tf.Tensor>(x: T, training: boolean, groups = 1): T {
    const c = x.shape[x.rank - 1];
    if (c !== this.channels) {
      throw new Error(`BatchNorm: expected ${this.channels} channels, got shape [${x.shape}]`);
    }
    if (!Number.isInteger(groups) || groups < 1 || x.shape[0] % groups !== 0) {
      throw new Error(`BatchNorm: cannot split shape [${x.shape}] into ${groups} equal batches`);
    }
    return tf.tidy(() => training ? this.#train(x, groups) : this.#eval(x));
  }

  /** Normalises with the running statistics. */
  #eval<T extends tf.Tensor>(x: T): T {
    const gamma = this.gamma.variable as tf.Tensor1D;
    const beta = this.beta.variable as tf.Tensor1D;
    return tf.batchNorm(x, this.runningMean, this.runningVar, beta, gamma, this.eps) as T;
  }

  /** Normalises with the batch statistics and updates the running ones. */
  #train<T extends tf.Tensor>(x: T, groups: number): T {
    const c = this.channels;
    const gamma = this.gamma.variable as tf.Tensor1D;
    const beta = this.beta.variable as tf.Tensor1D;
    const n = x.size / c / groups;
    if (n < 2) {
      throw new Error(
        `BatchNorm: training needs more than one value per channel, got shape [${x.shape}]` +
          (groups > 1 ? ` in ${groups} batches` : ""),
      );
    }
    if (useFusedTraining()) {
      return batchNormTrainFused(x, gamma, beta, this.eps, this.#running(), groups) as T;
    }
    if (groups > 1) return mapGroups(x, groups, (part) => this.#train(part, 1));
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    // Written out rather than tf.moments + tf.batchNorm: the stock batchNorm gradient tiles
    // the statistics to the input's shape, and Tile is slow on wasm (measured 2.3x slower
    // for fwd+bwd on [4, 112, 112, 64]); these ops reduce instead. Same numbers (<1e-6).
    const mean = tf.mean(x, axes);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), axes);
    updateRunning(this.#running(), mean, variance, n);
    const scale = tf.mul(tf.rsqrt(tf.add(variance, this.eps)), gamma);
    return tf.add(tf.mul(centred, scale), beta) as T;
  }

  /** The running statistics and their momentum. */
  #running(): RunningStats {
    return { mean: this.runningMean, variance: this.runningVar, momentum: this.momentum };
  }

  /** Gamma and beta. */
  params(): Param[] {
    return [this.gamma, this.beta];
  }

  /** Running mean and variance. */
  buffers(): tf.Variable[] {
    return [this.runningMean, this.runningVar];
  }
}

/** A BatchNorm layer's running statistics (variables) and the weight of each new batch statistic. */
export interface RunningStats extends BatchNormRunning {
  /** Running mean [C]. */
  mean: tf.Variable;
  /** Running (unbiased) variance [C]. */
  variance: tf.Variable;
}

/** running = (1 - m) running + m batch_stat (unbiased variance), off the tape. */
function updateRunning(r: RunningStats, mean: tf.Tensor, variance: tf.Tensor, n: number): void {
  noGrad(() =>
    tf.tidy(() => {
      const m = r.momentum;
      const unbiased = tf.mul(variance, n / (n - 1));
      r.mean.assign(tf.add(tf.mul(r.mean, 1 - m), tf.mul(mean, m)));
      r.variance.assign(tf.add(tf.mul(r.variance, 1 - m), tf.mul(unbiased, m)));
    })
  );
}

/**
 * Whether BatchNorm training runs as one fused op ({@link batchNormTrainFused}): on the
 * native engine. There the composed version keeps four activation-sized tensors per layer
 * for the backward pass (the centred input, its square, the scaled product, the output),
 * which made a paper-batch ResNet18 step need several times PyTorch's memory; the fused op
 * keeps only its input. wasm and cpu keep the composed ops and their numbers bit for bit
 * (they run paper batches in micro-batches anyway). `IBML_FUSED_BN=0|1` overrides.
 */
function useFusedTraining(): boolean {
  const flag = Deno.env.get("IBML_FUSED_BN");
  if (flag === "0" || flag === "1") return flag === "1";
  return tf.getBackend() === "tensorflow";
}

/**
 * Training-mode batch normalisation over the last axis as ONE differentiable op with an
 * analytic gradient (the cuDNN/PyTorch formula; on the native engine TensorFlow's
 * `FusedBatchNormGradV3`, src/kernels/native_ops.ts), saving only `x` and per-channel
 * vectors for the backward pass:
 *
 * y = gamma (x - mu) / sqrt(var + eps) + beta, mu and var (biased) over all axes but the last;
 * dbeta = sum dy, dgamma = sum dy xhat, dx = gamma / (N sqrt(var + eps)) (N dy - dbeta - xhat dgamma).
 *
 * `running` is updated with the batch statistics (off the tape; on the native engine by the
 * same TensorFlow op). `groups` > 1: the first axis holds that many equal batches, each
 * normalised with its own statistics and updating `running` in turn ({@link BatchNorm.apply}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { batchNormTrainFused } from "./batchnorm.ts";
 * await selectBackend("wasm");
 * const x = tf.tensor2d([[1, 10], [3, 30]]);
 * const gamma = tf.ones([2]) as tf.Tensor1D, beta = tf.zeros([2]) as tf.Tensor1D;
 * const running = { mean: tf.variable(tf.zeros([2])), variance: tf.variable(tf.ones([2])), momentum: 0.1 };
 * const y = batchNormTrainFused(x, gamma, beta, 1e-5, running);
 * assert.deepEqual(Array.from(await y.data()).map(Math.round), [-1, -1, 1, 1]);
 * // 0.9 * 0 + 0.1 * the batch mean [2, 20]
 * assert.deepEqual(Array.from(await running.mean.data()).map((v) => +v.toFixed(4)), [0.2, 2]);
 * ```
 */
export function batchNormTrainFused(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  running: RunningStats,
  groups = 1,
): tf.Tensor {
  // Groups: dimension-0 parts (TensorFlow's split shares the buffer) normalised one after the
  // other inside this one op, so the backward pass keeps only the whole dx, not its parts too.
  const parts = (t: tf.Tensor) => splitGroups(t, groups);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const outs = parts(xs).map((part) => fusedForward(part, g, b, eps, running));
    const value = groups === 1 ? outs[0][0] : tf.concat(outs.map(([y]) => y), 0);
    save([xs, g, ...outs.flatMap(([, mean, variance]) => [mean, variance])]);
    return {
      value,
      // customGrad calls gradFunc outside any per-op tidy (the engine's backward scope
      // keeps whatever it creates until the whole backward pass ends), so the
      // temporaries are freed here.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, sGamma, ...stats] = saved;
          const dys = parts(dy);
          const grads = parts(sx).map((part, i) =>
            fusedGrad(dys[i], part, sGamma, stats[2 * i], stats[2 * i + 1], eps)
          );
          if (groups === 1) return grads[0];
          const [dx, dGamma, dBeta] = [0, 1, 2].map((k) => grads.map((gr) => gr[k]));
          return [tf.concat(dx, 0), tf.addN(dGamma), tf.addN(dBeta)];
        }),
    };
  });
  return op(x, gamma, beta);
}

/** One batch's forward: [y, batch mean, biased batch variance]; updates `running`. */
function fusedForward(
  xs: tf.Tensor,
  g: tf.Tensor,
  b: tf.Tensor,
  eps: number,
  running: RunningStats,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  // The native engine: TensorFlow's own fused op, no activation-sized temporaries.
  const native = nativeBatchNormForward(xs, g, b, eps, running);
  if (native) {
    const [value, mean, variance, newMean, newVariance] = native;
    noGrad(() => {
      running.mean.assign(newMean);
      running.variance.assign(newVariance);
    });
    tf.dispose([newMean, newVariance]);
    return [value, mean, variance];
  }
  const axes = Array.from({ length: xs.rank - 1 }, (_, i) => i);
  const mean = tf.mean(xs, axes) as tf.Tensor1D;
  const variance = tf.mean(tf.square(tf.sub(xs, mean)), axes) as tf.Tensor1D;
  const scale = tf.mul(tf.rsqrt(tf.add(variance, eps)), g);
  updateRunning(running, mean, variance, xs.size / xs.shape[xs.rank - 1]);
  return [tf.add(tf.mul(tf.sub(xs, mean), scale), b), mean, variance];
}

/** One batch's gradient: [dx, dgamma, dbeta]. */
function fusedGrad(
  dy: tf.Tensor,
  sx: tf.Tensor,
  sGamma: tf.Tensor,
  sMean: tf.Tensor,
  sVar: tf.Tensor,
  eps: number,
): tf.Tensor[] {
  // The native engine: TensorFlow's own fused gradient, no activation-sized temporaries.
  const fused = nativeBatchNormGrad(dy, sx, sGamma, sMean, sVar, eps);
  if (fused) return fused;
  const axes = Array.from({ length: sx.rank - 1 }, (_, i) => i);
  const n = sx.size / sx.shape[sx.rank - 1];
  const sInv = tf.rsqrt(tf.add(sVar, eps)); // the forward pass's invStd, bit for bit
  const xhat = tf.mul(tf.sub(sx, sMean), sInv);
  const dBeta = tf.sum(dy, axes);
  const dGamma = tf.sum(tf.mul(dy, xhat), axes);
  const k = tf.div(tf.mul(sGamma, sInv), n);
  const inner = tf.sub(tf.sub(tf.mul(dy, n), dBeta), tf.mul(xhat, dGamma));
  return [tf.mul(inner, k), dGamma, dBeta];
}

/**
 * PMR (Fan et al., CVPR 2023): Prototypical Modal Rebalance, following the official code
 * `fanyunfeng-bit/Modal-Imbalance-PMR` (`main_Prototype_grad.py --modulation Proto`;
 * shared/spec/research/baselines-pace.md section 2). Concatenation head, split unimodal
 * logits g_m = f_m W_m + b/2 (main_Prototype_grad.py `train_epoch`, concat branch).
 *
 * Prototypes (`calculate_prototype`): P^m_c = mean of the eval-mode encoder features f_m of
 * the class-c samples in a seeded ~10% sample of the training batches, drawn with the
 * training augmentation as the official train loader does; computed before
 * epoch 0 and after every epoch, then P <- (1 - mu) P_new + mu P_old for 0-based epochs >= 1
 * (the official `if epoch <= 0` skips the momentum for the initial and the epoch-0 update).
 *
 * Per mini-batch (modality 1 plays the official code's `audio`, modality 2 its `visual`):
 *   1. forward in train mode; distance logits sim_m[i, c] = -||f_m,i - P^m_c||_2 (plain
 *      Euclidean distance, no temperature; prototypes are constants).
 *   2. s^p_m = sum_i softmax(sim_m)_i[y_i]; rho^p = s^p_1 / s^p_2.
 *   3. inside the window (start <= protocol epoch <= end, inclusive):
 *      L = CE(z) + w_1 CE(sim_1) + w_2 CE(sim_2), with w_2 = alpha if rho^p > 1, w_1 = alpha
 *      if rho^p < 1 (the slower modality only, constant weight; both 0 at rho^p = 1).
 *      Outside the window L = CE(z).
 *   4. backward, SGD step.
 *
 * Options beyond the official code: `per` (the paper's prototypical entropy regularisation,
 * absent from the released code; reconstructed, off by default).
 *
 * The composed Figure 4 baseline `bio+pmr` replaces CE(z) by IBML's L_mib (BIO,
 * {@linkcode bioLoss}) with the per-sample records updated every step. No TCM.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Batch, disposeBatch } from "../data/types.ts";
import { crossEntropy } from "../optim/grads.ts";
import { singleTape } from "./plan.ts";
import { buildFusionModel, predictFusion } from "./common.ts";
import type { MethodEntry } from "./entry.ts";
import { BIO_WINDOW_PARAMS, BioComposition } from "./ibml.ts";
import { inClosedWindow, requireTwoModalities } from "./ogm_ge.ts";
import { defineParams, inclusiveWindowSpecs } from "./params.ts";
import type { EpochContext, Method, MethodContext } from "./types.ts";

/** Distances below sqrt of this floor are clamped (keeps d sqrt / dx finite at x = P). */
const DIST_FLOOR = 1e-12;

/**
 * Per-class feature sums [C, D] and counts [C] of one batch (the accumulation loop of
 * `calculate_prototype`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { classSums } from "./pmr.ts";
 *
 * const f = tf.tensor2d([[1, 0], [3, 0], [0, 2]]);
 * const { sums, counts } = classSums(f, tf.tensor1d([0, 0, 1], "int32"), 3);
 * sums.dataSync(); // Float32Array [4, 0, 0, 2, 0, 0]
 * counts.dataSync(); // Float32Array [2, 1, 0]
 * ```
 */
export function classSums(
  features: tf.Tensor2D,
  labels: tf.Tensor1D,
  numClasses: number,
): { sums: tf.Tensor2D; counts: tf.Tensor1D } {
  return tf.tidy(() => {
    const onehot = tf.oneHot(labels, numClasses).toFloat() as tf.Tensor2D;
    return {
      sums: tf.matMul(onehot, features, true, false),
      counts: tf.sum(onehot, 0) as tf.Tensor1D,
    };
  });
}

/**
 * New prototypes from accumulated sums and counts: P_new[c] = sums[c] / counts[c]; a class
 * with no sample keeps its previous prototype (zeros when there is none yet) instead of the
 * official 0/0 = NaN. With `momentum` (not null): P = (1 - mu) P_new + mu P_old.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { updatePrototypes } from "./pmr.ts";
 *
 * const sums = tf.tensor2d([[4, 0], [0, 2]]), counts = tf.tensor1d([2, 1]);
 * updatePrototypes(null, sums, counts, null).dataSync(); // Float32Array [2, 0, 0, 2]: class means
 * ```
 */
export function updatePrototypes(
  prev: tf.Tensor2D | null,
  sums: tf.Tensor2D,
  counts: tf.Tensor1D,
  momentum: number | null,
): tf.Tensor2D {
  return tf.tidy(() => {
    const old = prev ?? tf.zerosLike(sums);
    const seen = tf.reshape(tf.greater(counts, 0), [-1, 1]);
    const mean = tf.div(sums, tf.reshape(tf.maximum(counts, 1), [-1, 1]));
    const fresh = tf.where(tf.broadcastTo(seen, sums.shape), mean, old) as tf.Tensor2D;
    if (momentum === null || prev === null) return fresh;
    return tf.add(tf.mul(fresh, 1 - momentum), tf.mul(old, momentum)) as tf.Tensor2D;
  });
}

/**
 * Distance logits sim[i, c] = -||f_i - P_c||_2 (official `-EU_dist(a, audio_proto)`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { distanceLogits } from "./pmr.ts";
 *
 * const protos = tf.tensor2d([[0, 0], [3, 4]]); // [C, D]
 * distanceLogits(tf.tensor2d([[0, 0]]), protos).shape; // [1, 2]: [B, C], nearer = larger
 * ```
 */
export function distanceLogits(features: tf.Tensor2D, protos: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const diff = tf.sub(tf.expandDims(features, 1), tf.expandDims(protos, 0)); // [B, C, D]
    return tf.neg(tf.sqrt(tf.maximum(tf.sum(tf.square(diff), 2), DIST_FLOOR))) as tf.Tensor2D;
  });
}

/** Prototype ratio and the applied prototype-loss weights of one batch. */
export interface PmrWeights {
  /** rho^p = s^p_1 / s^p_2. */
  ratio: tf.Scalar;
  /** Weight of CE(sim_m) per modality: alpha for the slower one, 0 otherwise. */
  w: Record<string, tf.Scalar>;
}

/**
 * Step 2-3's weights: rho^p from the distance logits; w_2 = alpha [rho^p > 1],
 * w_1 = alpha [rho^p < 1] (official `beta` for audio and `lam` for visual).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { pmrWeights } from "./pmr.ts";
 *
 * const sims = { audio: tf.tensor2d([[5, 0]]), visual: tf.tensor2d([[0, 0]]) };
 * const { ratio, w } = pmrWeights(sims, tf.tensor1d([0], "int32"), ["audio", "visual"], 2.0);
 * w.audio.dataSync()[0]; // 0: audio leads (ratio > 1), only visual gets the prototype loss
 * ```
 */
export function pmrWeights(
  sims: Record<string, tf.Tensor2D>,
  labels: tf.Tensor1D,
  modalities: readonly string[],
  alpha: number,
): PmrWeights {
  const [m1, m2] = modalities;
  return tf.tidy(() => {
    const onehot = tf.oneHot(labels, sims[m1].shape[1]);
    const score = (m: string) => tf.sum(tf.mul(tf.softmax(sims[m]), onehot));
    const ratio = tf.div(score(m1), score(m2)) as tf.Scalar;
    return {
      ratio,
      w: {
        [m1]: tf.mul(alpha, tf.step(tf.sub(1, ratio))) as tf.Scalar,
        [m2]: tf.mul(alpha, tf.step(tf.sub(ratio, 1))) as tf.Scalar,
      },
    };
  });
}

/**
 * Mean entropy of softmax(sim) over the batch (the PER term, option `per`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { meanEntropy } from "./pmr.ts";
 *
 * meanEntropy(tf.tensor2d([[0, 0]])).dataSync()[0]; // 0.6931 = ln 2 (uniform over 2 classes)
 * ```
 */
export function meanEntropy(logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.exp(logp), logp), 1)));
  });
}

/**
 * Class prototypes per modality [C, D] (PMR's state), computed from eval-mode features.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Prototypes } from "./pmr.ts";
 *
 * const protos = new Prototypes(["audio"], { audio: 2 }, 2);
 * const batch = {
 *   inputs: { audio: tf.tensor2d([[1, 0], [3, 0], [0, 2]]) },
 *   labels: tf.tensor1d([0, 0, 1], "int32"),
 *   indices: tf.tensor1d([0, 1, 2], "int32"),
 *   size: 3,
 * };
 * // The features of an identity "encoder"; PMR encodes with the model in eval mode.
 * protos.update((x) => ({ audio: x.audio as tf.Tensor2D }), [batch], null);
 * protos.protos.audio.dataSync(); // Float32Array [2, 0, 0, 2]: the class means
 * protos.dispose();
 * ```
 */
export class Prototypes {
  /** P^m [C, D] per modality. */
  readonly protos: Record<string, tf.Variable>;
  /** Whether the prototypes were computed at least once. */
  ready = false;

  /** Allocates zero prototypes. */
  constructor(
    readonly modalities: string[],
    dims: Record<string, number>,
    readonly numClasses: number,
  ) {
    this.protos = Object.fromEntries(
      modalities.map((m) => [m, tf.variable(tf.zeros([numClasses, dims[m]]), false)]),
    );
  }

  /**
   * Recomputes the prototypes from `batches` (disposed here) with features from `encode`;
   * `momentum` null replaces them, a number blends them with the previous ones.
   */
  update(
    encode: (inputs: Record<string, tf.Tensor>) => Record<string, tf.Tensor2D>,
    batches: Iterable<Batch>,
    momentum: number | null,
  ): void {
    const sums: Record<string, tf.Tensor2D> = {};
    let counts: tf.Tensor1D | null = null;
    for (const batch of batches) {
      tf.tidy(() => {
        const f = encode(batch.inputs);
        for (const m of this.modalities) {
          const part = classSums(f[m], batch.labels, this.numClasses);
          const prev = sums[m];
          sums[m] = tf.keep(prev ? tf.add(prev, part.sums) : part.sums);
          prev?.dispose();
          if (m === this.modalities[0]) {
            const c = counts;
            counts = tf.keep(c ? tf.add(c, part.counts) : part.counts);
            c?.dispose();
          }
        }
      });
      disposeBatch(batch);
    }
    if (!counts) return;
    for (const m of this.modalities) {
      const p = this.protos[m];
      const next = updatePrototypes(
        this.ready ? p as tf.Tensor2D : null,
        sums[m],
        counts,
        this.ready ? momentum : null,
      );
      p.assign(next);
      next.dispose();
      sums[m].dispose();
    }
    (counts as tf.Tensor1D).dispose();
    this.ready = true;
  }

  /** Frees the prototypes. */
  dispose(): void {
    for (const p of Object.values(this.protos)) p.dispose();
  }
}

/**
 * PMR's parameters (bash.sh CREMA-D: alpha 2.0, momentum_coef 0.0, modulation 0-70): the
 * prototype-loss weight of step 3, the prototype momentum, the window, and the
 * reconstructed PER.
 */
export const PMR_PARAMS = defineParams({
  alpha: {
    type: "number",
    default: 2.0,
    doc: "weight of CE(sim_m) on the slower modality (official lam/beta, step 3)",
  },
  momentum_coef: {
    type: "number",
    min: 0,
    max: 1,
    default: 0.0,
    doc: "prototype momentum mu: P = (1 - mu) P_new + mu P_old from epoch 1 on",
  },
  ...inclusiveWindowSpecs("prototype-loss", 70),
  proto_fraction: {
    type: "number",
    above: 0,
    max: 1,
    default: 0.1,
    doc: "share of the training batches sampled for the prototypes",
  },
  per: {
    type: "boolean",
    default: false,
    doc: "add the paper's entropy regulariser PER (reconstruction; not in the official code)",
  },
  per_mu: {
    type: "number",
    default: 0.1,
    doc: "PER weight on the dominant modality's prototype entropy (harness choice)",
  },
  per_epochs: {
    type: "number",
    default: 10,
    doc: "PER lasts this many protocol epochs from window_start (harness choice)",
  },
});

/** `bio+pmr`'s parameters: PMR's and the BIO window. */
export const BIO_PMR_PARAMS = defineParams({
  ...PMR_PARAMS.specs,
  ...BIO_WINDOW_PARAMS.specs,
});

/** Builds `pmr` (bio = false) or `bio+pmr` (bio = true). */
function createPmr(ctx: MethodContext, name: string, withBio: boolean): Method {
  requireTwoModalities(name, ctx.info.modalities);
  // bio+: the BIO window besides the method's own parameters.
  const withWindow = withBio ? BIO_PMR_PARAMS.read(ctx.params) : null;
  const p = withWindow ?? PMR_PARAMS.read(ctx.params);
  const alpha = p.alpha, mu = p.momentum_coef;
  const start = p.window_start, end = p.window_end;
  const model = buildFusionModel(ctx, "concat", "split");
  const mods = model.modalities;
  const dims = Object.fromEntries(mods.map((m) => [m, model.encoders[m].outDim]));
  const protos = new Prototypes(mods, dims, ctx.info.numClasses);
  const bio = withWindow
    ? new BioComposition(mods, ctx.numTrain, ctx.info.numClasses, withWindow)
    : null;
  const encodeEval = (inputs: Record<string, tf.Tensor>) => model.encode(inputs, false);
  const refresh = (e: EpochContext) =>
    protos.update(
      encodeEval,
      // The official `calculate_prototype` iterates the augmented train loader (eval mode).
      e.trainBatches(p.proto_fraction, "pmr-prototypes", { augment: true }),
      e.epoch >= 1 ? mu : null,
    );
  const logNames = [
    "proto_ratio",
    ...mods.map((m) => `w_${m}`),
    ...mods.map((m) => `loss_proto_${m}`),
    ...mods.map((m) => `per_${m}`),
    "active",
    ...(bio?.logNames ?? []),
  ];
  return {
    name,
    modalities: mods,
    logNames,
    params: () => model.params(),
    buffers: () => model.buffers(),
    onTrainStart: refresh,
    onEpochEnd: refresh,
    plan(batch, step) {
      const active = inClosedWindow(step.protocolEpoch, start, end);
      const perOn = active && p.per &&
        inClosedWindow(step.protocolEpoch, start, start + p.per_epochs);
      const b = bio?.begin(batch, step) ?? null;
      const y = batch.labels;
      return singleTape(model.params(), () => {
        const out = model.forward(batch.inputs, true);
        const sims: Record<string, tf.Tensor2D> = {};
        for (const m of mods) {
          sims[m] = distanceLogits(out.features[m], protos.protos[m] as tf.Tensor2D);
        }
        const pw = pmrWeights(sims, y, mods, alpha);
        const terms: tf.Scalar[] = [BioComposition.loss(b, out, y)];
        const lossProto: Record<string, tf.Scalar> = {};
        const w: Record<string, tf.Scalar> = {};
        const per: Record<string, tf.Scalar> = {};
        mods.forEach((m, i) => {
          lossProto[m] = crossEntropy(sims[m], y);
          w[m] = active ? pw.w[m] : tf.scalar(0);
          terms.push(tf.mul(w[m], lossProto[m]));
          // PER on the dominant modality (modality 1 dominates when rho^p > 1).
          const lead = i === 0 ? tf.sub(pw.ratio, 1) : tf.sub(1, pw.ratio);
          per[m] = perOn ? tf.mul(p.per_mu, tf.step(lead)) : tf.scalar(0);
          terms.push(tf.neg(tf.mul(per[m], meanEntropy(sims[m]))));
        });
        return {
          loss: tf.addN(terms) as tf.Scalar,
          aux: { fused: out.fused, unimodal: out.unimodal, ratio: pw.ratio, w, lossProto, per },
        };
      }, (r) => {
        // No gradient change: PMR acts through the loss (prototype CE and PER).
        const a = r.aux;
        const logs: Record<string, tf.Scalar | number> = { proto_ratio: a.ratio, active: +active };
        for (const m of mods) {
          logs[`w_${m}`] = a.w[m];
          logs[`loss_proto_${m}`] = a.lossProto[m];
          logs[`per_${m}`] = a.per[m];
        }
        if (bio && b) bio.end(b, batch, a.unimodal, logs);
        return {
          grads: r.grads,
          out: { loss: r.loss, fused: a.fused, unimodal: a.unimodal, logs },
        };
      });
    },
    predict: (inputs) => predictFusion(model, inputs),
    state() {
      const tensors: Record<string, tf.Tensor> = {};
      for (const m of mods) tensors[`proto_${m}`] = protos.protos[m];
      if (bio) { for (const m of mods) tensors[`record_${m}`] = bio.bio.records[m]; }
      return { json: { prototypes_ready: protos.ready }, tensors };
    },
    restore(state) {
      for (const m of mods) protos.protos[m].assign(state.tensors[`proto_${m}`]);
      protos.ready = (state.json as { prototypes_ready?: boolean } | null)?.prototypes_ready ??
        true;
      if (bio) { for (const m of mods) bio.bio.records[m].assign(state.tensors[`record_${m}`]); }
    },
    dispose() {
      model.dispose();
      protos.dispose();
      bio?.dispose();
    },
  };
}

/**
 * The `pmr` method.
 *
 * @example
 * ```ts
 * import { pmr } from "./pmr.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "pmr", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = pmr.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.modalities; // ["audio", "visual"]
 * m.dispose();
 * ```
 */
export const pmr: MethodEntry = {
  name: "pmr",
  description: "PMR: prototype cross-entropy on the slower modality (prototypical modal rebalance)",
  params: PMR_PARAMS,
  create: (ctx) => createPmr(ctx, "pmr", false),
};

/**
 * The composed Figure 4 baseline `bio+pmr`: PMR's prototype loss with IBML's L_mib (BIO,
 * window from IBML's defaults) in place of CE(z).
 *
 * @example
 * ```ts
 * import { bioPmr } from "./pmr.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "bio+pmr", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = bioPmr.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.logNames?.includes("bio_audio"); // true
 * m.dispose();
 * ```
 */
export const bioPmr: MethodEntry = {
  name: "bio+pmr",
  description: "Figure 4 baseline: PMR prototype rebalancing with IBML's L_mib (BIO) loss",
  params: BIO_PMR_PARAMS,
  create: (ctx) => createPmr(ctx, "bio+pmr", true),
};

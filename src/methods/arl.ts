/**
 * ARL, asymmetric representation learning ("Improving multimodal learning via imbalanced
 * learning", Wei, Luo, Luo, ICCV'25), RECONSTRUCTED from the official repository
 * `shicaiwei123/ICCV2025-ARL` (`main_arl_variance.py`, `models/backbone.py` `GradScale` and
 * `ResNet_weight`, `models/fusion_modules.py` `ConcatFusion_AUXI`; spec:
 * shared/spec/research/baselines-conflict.md section 5). Every output is marked
 * `reconstructed: true` (summary.json), because no released revision runs unmodified and the
 * revision the research notes cite never applies the weights omega.
 *
 * Model: concatenation head, zero-pad unimodal logits g_m = f_m W_m + b, nothing detached.
 * Per mini-batch (main_arl_variance.py `train_epoch`):
 *   1. forward; L_f = CE(z), L_m = CE(g_m).
 *   2. statistics without gradient:
 *        M_m = sum_c mean_b |g_m[b, c]|,            m^_m = M_m / sum_j M_j   (logit magnitude)
 *        H_m = mean_b(-sum_c p log(p + 1e-16)), p = softmax(g_m)            (entropy)
 *        H^_m = max(H_m / sum_j H_j, 0.3),  u_m = (1 / H^_m) / sum_j (1 / H^_j)
 *        omega = softmax(T [m^_2 u_1, m^_1 u_2])     (two modalities; omega_1 -> modality 1)
 *   3. phase: protocol epoch > `start` -> L = L_f + gamma (L_1 + L_2); before: L = L_f + L_1 + L_2.
 *   4. backward where, in the gamma phase, each encoder output passes through
 *      GradScale(x, w_m): identity forward, gradient (1 + w_m) backwards (backbone.py), applied
 *      to the layer4 map before average pooling; pooling is linear, so applying it to the
 *      pooled features f_m gives the same encoder gradients.
 *   5. clip_grad_norm_(all parameters, 40); the trainer's SGD step.
 *
 * What w_m is (`omega` option) is the reconstructed part:
 *   - `lagged` (default): w = the omega of the PREVIOUS iteration (0.5 before the first one).
 *     This is the data flow of the revision of the repository that stores omega (indexed as
 *     main_arl_variance.py 51a9de33 / models/backbone.py 0e851af): `train_epoch` writes
 *     `args.audio_weight = weight[0]`, `args.visual_weight = weight[1]` after the forward pass,
 *     and `ResNet_weight.forward` reads them into the GradScale node at forward time, so a step's
 *     backward uses the weights written by the step before (its GradScale also unpacks the
 *     saved-tensor tuple). That revision still cannot run unmodified (it imports the missing
 *     `dataset/Kinect400.py`).
 *   - `current`: w = this batch's omega (the abstract's reading without the one-step lag).
 *   - `off`: w = 0.5 for both modalities, a symmetric (1 + 0.5) multiplier: the revision cited
 *     by the research notes (358af4f), which never writes omega, if its other defects (a
 *     `raise EOFError` after building the model, the tuple in GradScale.backward) were fixed.
 * The official gate `(acc_a + acc_v) != 0` on the previous epoch's test accuracies is true
 * after any epoch with one correct test prediction and is not modelled.
 *
 * Protocol values: lr 1e-3 (= `train.lr` of the paper profile), MultiStepLR([70, 150], 0.1)
 * stepped at the START of each epoch (`sched_at_start`; 150 is never reached in 100 epochs),
 * `start` 5 in protocol epochs (the run's epoch e counts as e * 100 / epochs, as every epoch
 * mark of the harness).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/types.ts";
import type { FusionModel } from "../models/model.ts";
import { ConfigError } from "../config/error.ts";
import {
  clipGlobalNorm,
  crossEntropy,
  globalNorm,
  type Grads,
  gradsOf,
  scaleGradient,
  stopGradient,
} from "../optim/grads.ts";
import { configuredStepLr } from "../optim/schedule.ts";
import { buildFusionModel, predictFusion } from "./common.ts";
import type { MethodEntry } from "./entry.ts";
import { CLIP_SCHED_SPECS, defineParams, perDataset } from "./params.ts";
import { singleTape } from "./plan.ts";
import type { StepContext, StepPlan } from "./types.ts";

/** How the encoder-gradient weights w_m are chosen (see the module doc). */
export type OmegaMode = "lagged" | "current" | "off";

/** The quantities of ARL's step 2 (all scalars, in modality order). */
export interface OmegaStats {
  /** omega = softmax(T [m^_2 u_1, m^_1 u_2]) [M]. */
  omega: tf.Tensor1D;
  /** Normalised logit magnitudes m^_m [M]. */
  magnitude: tf.Tensor1D;
  /** Renormalised inverse clamped entropies u_m [M]. */
  inverseEntropy: tf.Tensor1D;
}

/** Guard for the normalising sums (the official code would divide 0 by 0 there). */
const TINY = 1e-30;

/**
 * ARL's asymmetric weights from the unimodal logits of two modalities
 * (main_arl_variance.py `train_epoch`, "Modality analysis" and "weight for ARL").
 * `hMin` is the clamp of the normalised entropies (0.3 in the official code).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { arlOmega } from "./arl.ts";
 *
 * const gA = tf.tensor2d([[3, 0, 0], [0, 3, 0]]); // confident
 * const gV = tf.tensor2d([[0, 0, 0], [0, 0, 0]]); // uniform
 * const s = arlOmega([gA, gV], 8, 0.3);
 * s.omega.shape; // [2]: [w_audio, w_visual]
 * ```
 */
export function arlOmega(logits: tf.Tensor2D[], T: number, hMin = 0.3): OmegaStats {
  if (logits.length !== 2) {
    throw new Error(`ARL's weights are defined for two modalities (got ${logits.length})`);
  }
  return tf.tidy(() => {
    // M_m = sum_c mean_b |g_m|, normalised over modalities.
    const mag = tf.stack(logits.map((g) => tf.sum(tf.mean(tf.abs(g), 0)))) as tf.Tensor1D;
    const magnitude = tf.div(mag, tf.maximum(tf.sum(mag), TINY)) as tf.Tensor1D;
    // H_m = mean_b(-sum_c p log(p + 1e-16)); normalised, clamped at hMin, inverted, renormalised.
    const ent = tf.stack(logits.map((g) => {
      const prob = tf.softmax(g);
      return tf.mean(tf.neg(tf.sum(tf.mul(prob, tf.log(tf.add(prob, 1e-16))), 1)));
    })) as tf.Tensor1D;
    const hNorm = tf.maximum(tf.div(ent, tf.maximum(tf.sum(ent), TINY)), hMin);
    const inv = tf.reciprocal(hNorm);
    const inverseEntropy = tf.div(inv, tf.sum(inv)) as tf.Tensor1D;
    // omega = softmax(T [m^_v u_a, m^_a u_v]): each modality's inverse entropy times the
    // OTHER modality's magnitude.
    const cross = tf.mul(tf.reverse(magnitude), inverseEntropy);
    const omega = tf.softmax(tf.mul(cross, T)) as tf.Tensor1D;
    return { omega, magnitude, inverseEntropy };
  });
}

/** Options of {@linkcode arlGrads}. */
export interface ArlStepOptions {
  /** True in the gamma phase (protocol epoch > start). */
  active: boolean;
  /** gamma of the unimodal terms in the gamma phase. */
  gamma: number;
  /** omega's temperature T. */
  T: number;
  /** Clamp of the normalised entropies. */
  hMin: number;
  /** Which weights w_m the multipliers (1 + w_m) use. */
  mode: OmegaMode;
  /** w_m of the previous iteration (`lagged`), [M]. */
  previous: tf.Tensor1D;
}

/** What {@linkcode arlForward} keeps from its forward pass (the caller disposes it). */
export interface ArlAux {
  /** Fused logits [B, C]. */
  fused: tf.Tensor2D;
  /** Zero-pad unimodal logits [B, C]. */
  unimodal: Record<string, tf.Tensor2D>;
  /** L_f. */
  lossFused: tf.Scalar;
  /** L_m per modality. */
  lossUnimodal: Record<string, tf.Scalar>;
  /** This batch's omega [M]. */
  omega: tf.Tensor1D;
  /** The multipliers on the encoder-output gradients [M] (1 outside the gamma phase). */
  multiplier: tf.Tensor1D;
  /** The multipliers as scalars, read by the backward pass (dispose after it). */
  k: tf.Scalar[];
}

/** Result of {@linkcode arlGrads}; the caller disposes everything. */
export interface ArlGrads extends Omit<ArlAux, "k"> {
  /** Gradients of L for every parameter (before clipping). */
  grads: Grads;
  /** L = L_f + gamma_eff sum_m L_m. */
  loss: tf.Scalar;
}

/**
 * ARL's forward pass and loss (the tape of one step): the statistics of step 2 on this
 * forward, the (1 + w_m) gradient multipliers on the encoder outputs in the gamma phase
 * (step 4) and L = L_f + gamma_eff sum_m L_m. The multipliers `k` are kept for the backward
 * pass; the caller disposes them after it.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { arlForward } from "./arl.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { buildFusionModel } from "./common.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "arl", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const ctx = methodContext(config, info, { size: 2, labels: new Int32Array(2) });
 * const model = buildFusionModel(ctx, "concat", "zero-pad");
 * const inputs = { audio: tf.ones([2, 8]), visual: tf.ones([2, 6]) };
 * const previous = tf.tensor1d([0.5, 0.5]);
 * const o = { active: true, gamma: 4, T: 8, hMin: 0.3, mode: "lagged" as const, previous };
 * const r = arlForward(model, inputs, tf.tensor1d([0, 1], "int32"), o);
 * r.aux.multiplier.dataSync(); // Float32Array [1.5, 1.5]: 1 + the previous weights
 * ```
 */
export function arlForward(
  model: FusionModel,
  inputs: Record<string, tf.Tensor>,
  labels: tf.Tensor1D,
  o: ArlStepOptions,
): { loss: tf.Scalar; aux: ArlAux } {
  const mods = model.modalities;
  const features = model.encode(inputs, true);
  // Step 2 on this forward pass (no gradient flows through the statistics).
  const detached = Object.fromEntries(mods.map((m) => [m, stopGradient(features[m])]));
  const stats = arlOmega(mods.map((m) => model.head.unimodal(detached, m)), o.T, o.hMin);
  const w = o.mode === "current"
    ? stats.omega
    : o.mode === "lagged"
    ? o.previous
    : tf.fill([mods.length], 0.5) as tf.Tensor1D;
  const multiplier = o.active ? tf.add(w, 1) as tf.Tensor1D : tf.ones([mods.length]) as tf.Tensor1D;
  // tfjs runs this function in its own tidy before the backward pass: the multipliers the
  // gradient closures read must outlive it, so they are returned in `aux` (kept) below.
  const k = tf.unstack(multiplier) as tf.Scalar[];
  // Step 4: GradScale on each encoder output, gamma phase only (backbone.py ResNet_weight).
  const scaled = o.active
    ? Object.fromEntries(mods.map((m, i) => [m, scaleGradient(features[m], k[i])]))
    : features;
  const out = model.headFrom(scaled);
  const lossUnimodal = Object.fromEntries(
    mods.map((m) => [m, crossEntropy(out.unimodal[m], labels)]),
  );
  const lossFused = crossEntropy(out.fused, labels);
  const weight = o.active ? o.gamma : 1;
  const loss = tf.add(lossFused, tf.mul(weight, tf.addN(Object.values(lossUnimodal))));
  return {
    loss: loss as tf.Scalar,
    aux: {
      fused: out.fused,
      unimodal: out.unimodal,
      lossFused,
      lossUnimodal,
      omega: stats.omega,
      multiplier,
      k,
    },
  };
}

/**
 * One ARL forward/backward: the gradients of L with the (1 + w_m) multipliers on the encoder
 * outputs (via {@linkcode scaleGradient}) in the gamma phase.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { arlGrads } from "./arl.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { buildFusionModel } from "./common.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "arl", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const ctx = methodContext(config, info, { size: 2, labels: new Int32Array(2) });
 * const model = buildFusionModel(ctx, "concat", "zero-pad");
 * const inputs = { audio: tf.ones([2, 8]), visual: tf.ones([2, 6]) };
 * const labels = tf.tensor1d([0, 1], "int32");
 * const previous = tf.tensor1d([0.5, 0.5]);
 * const o = { active: true, gamma: 4, T: 8, hMin: 0.3, mode: "lagged" as const, previous };
 * const r = arlGrads(model, inputs, labels, o);
 * r.omega.shape; // [2]: this batch's omega, the next step's weights
 * ```
 */
export function arlGrads(
  model: FusionModel,
  inputs: Record<string, tf.Tensor>,
  labels: tf.Tensor1D,
  o: ArlStepOptions,
): ArlGrads {
  const r = gradsOf(model.params(), () => arlForward(model, inputs, labels, o));
  const { k, ...aux } = r.aux;
  for (const t of k) t.dispose();
  return { grads: r.grads, loss: r.loss, ...aux };
}

/**
 * ARL's parameters. Per-dataset (gamma, T) of the official scripts: `cramed_arl.sh` 4/8,
 * `ave_arl.sh` 5/4, `vggsound_arl.sh` 1/4 (KS `ks_arl.sh` 3/4 is not one of the paper's
 * datasets); other datasets use the CREMA-D values.
 */
export const ARL_PARAMS = defineParams({
  gamma: {
    type: "number",
    default: perDataset(4, { ave: 5, vggsound50: 1 }),
    doc: "weight of the unimodal losses: L = CE(z) + gamma sum_m CE(g_m) after start",
  },
  T: {
    type: "number",
    default: perDataset(8, { ave: 4, vggsound50: 4 }),
    doc: "temperature of omega = softmax(T [m^_2 u_1, m^_1 u_2])",
  },
  start: {
    type: "number",
    default: 5,
    doc: "gamma phase and omega weights for protocol epochs > start",
  },
  h_min: {
    type: "number",
    default: 0.3,
    doc: "floor of the normalised entropies H^_m",
  },
  omega: {
    type: "enum",
    choices: ["lagged", "current", "off"],
    default: "lagged",
    doc: "encoder weights (1 + w_m): previous step's omega, this batch's, or 0.5 (358af4f)",
  },
  ...CLIP_SCHED_SPECS,
});

/**
 * Per-dataset (gamma, T) of the official scripts (the defaults of `ARL_PARAMS`).
 *
 * @example
 * ```ts
 * import { arlDatasetDefaults } from "./arl.ts";
 *
 * arlDatasetDefaults("ave"); // { gamma: 5, T: 4 }
 * ```
 */
export function arlDatasetDefaults(dataset: string): { gamma: number; T: number } {
  const s = ARL_PARAMS.specs;
  return { gamma: s.gamma.default.forName(dataset), T: s.T.default.forName(dataset) };
}

/**
 * The `arl` method (reconstructed; see the module doc). Options: `gamma`, `T` (per dataset),
 * `start` (5 protocol epochs), `h_min` (0.3), `omega` (`lagged`|`current`|`off`),
 * `clip_norm` (40; 0 = off), `sched_at_start` (true).
 *
 * @example
 * ```ts
 * import { arl } from "./arl.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "arl", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = arl.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.summaryExtras; // { reconstructed: true }
 * m.dispose();
 * ```
 */
export const arl: MethodEntry = {
  name: "arl",
  description:
    "ARL (reconstructed): L_f + gamma sum L_m with asymmetric (1 + omega) encoder-gradient weights (ICCV'25)",
  params: ARL_PARAMS,
  create(ctx) {
    const p = ARL_PARAMS.read(ctx.params);
    const mode: OmegaMode = p.omega;
    const clipNorm = p.clip_norm;
    if (ctx.info.modalities.length !== 2) {
      throw new ConfigError(`arl needs two modalities (got ${ctx.info.modalities.length})`);
    }
    const model = buildFusionModel(ctx, "concat", "zero-pad");
    const mods = model.modalities;
    // The weights the next forward pass reads (`args.audio_weight/visual_weight`, 0.5 at first).
    const previous = tf.variable(tf.fill([mods.length], 0.5), false);
    const logNames = [
      ...mods.map((m) => `omega_${m}`),
      ...mods.map((m) => `multiplier_${m}`),
      "gamma_phase",
      "loss_fusion",
      ...mods.map((m) => `loss_${m}`),
      "grad_norm",
    ];
    // One update on `batch`, the whole batch or one micro-batch; the weights for the next
    // step are stored once per step, in `finishUpdate`.
    const plan = (batch: Batch, step: StepContext): StepPlan => {
      const active = step.protocolEpoch > p.start; // `epoch > args.start`
      const o: ArlStepOptions = {
        active,
        gamma: p.gamma,
        T: p.T,
        hMin: p.h_min,
        mode,
        previous: previous as unknown as tf.Tensor1D,
      };
      // Steps 1-4: forward, omega, the (1 + w_m) multipliers and L (arlForward).
      return singleTape(
        model.params(),
        () => arlForward(model, batch.inputs, batch.labels, o),
        (r) => {
          for (const t of r.aux.k) t.dispose();
          // Step 5: clip_grad_norm_(all parameters, 40).
          const norm = globalNorm(r.grads);
          const grads = clipNorm > 0 ? clipGlobalNorm(r.grads, clipNorm) : r.grads;
          const logs: Record<string, tf.Scalar | number> = {
            gamma_phase: active ? 1 : 0,
            loss_fusion: r.aux.lossFused,
            grad_norm: norm,
          };
          const omegas = tf.unstack(r.aux.omega) as tf.Scalar[];
          const mults = tf.unstack(r.aux.multiplier) as tf.Scalar[];
          mods.forEach((m, i) => {
            logs[`omega_${m}`] = omegas[i];
            logs[`multiplier_${m}`] = mults[i];
            logs[`loss_${m}`] = r.aux.lossUnimodal[m];
          });
          r.aux.omega.dispose();
          r.aux.multiplier.dispose();
          return {
            grads,
            out: { loss: r.loss, fused: r.aux.fused, unimodal: r.aux.unimodal, logs },
          };
        },
      );
    };
    return {
      name: "arl",
      modalities: mods,
      logNames,
      summaryExtras: { reconstructed: true },
      params: () => model.params(),
      buffers: () => model.buffers(),
      learningRate(epoch, base, epochs) {
        // scheduler.step() at epoch start (main_arl_variance.py#L80), the DGL schedule.
        const at = p.sched_at_start ? "start" : "end";
        return configuredStepLr(ctx.config.train, base, epochs, epoch, at);
      },
      plan,
      // The official step writes this batch's omega in the gamma phase and 0.5 before it;
      // under micro-batches the size-weighted mean of the slices' omegas (the logged value),
      // so the next step's slices all read it, as the next official iteration would.
      finishUpdate(grads, out, step) {
        const logs = out.logs!;
        const active = step.protocolEpoch > p.start;
        tf.tidy(() =>
          previous.assign(
            active
              ? tf.stack(mods.map((m) => logs[`omega_${m}`])) as tf.Tensor1D
              : tf.fill([mods.length], 0.5),
          )
        );
        return grads;
      },
      predict: (inputs) => predictFusion(model, inputs),
      state: () => ({ json: null, tensors: { previous_weights: previous } }),
      restore(state) {
        previous.assign(state.tensors.previous_weights);
      },
      dispose() {
        model.dispose();
        previous.dispose();
      },
    };
  },
};

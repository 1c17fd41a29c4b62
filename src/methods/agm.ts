/**
 * AGM: Adaptive Gradient Modulation (Li et al., ICCV'23), following the official code
 * `lihong2303/AGM` (`model/CREMAD_net.py GradMod`, `run/CREMAD_main.py train`; spec:
 * shared/spec/research/baselines-pace.md section 4). Two modalities (a, b) only.
 *
 * Forward (GradMod.forward):
 *   T   = f(x_a, x_b)   in the current mode (train mode during training)
 *   P_a = f(x_a, 0)     eval mode, WITH gradient (the official `Pv`: b zeroed)
 *   P_b = f(0, x_b)     eval mode, WITH gradient (the official `Pa`: a zeroed)
 *   m_a = (T - P_b + P_a) / 2,  m_b = (T - P_a + P_b) / 2   (Shapley values with the f(0,0)
 *                                                          baseline dropped: m_a + m_b = T)
 *   out = h_{k_a}(m_a) + h_{k_b}(m_b), h_k = identity forwards, gradient times k backwards
 *        (the official full backward hooks on m_a, m_b).
 * Per iteration t (1-based global, CREMAD_main.py train):
 *   S_m  = mean_i -log softmax(m_m)_i[y_i], terms with p < 1e-8 replaced by -log(1e-8)
 *   r_a  = exp(S_b - S_a), r_b = exp(S_a - S_b); r*_m the same from the running means S^_m
 *   k_m  = exp(alpha * min(r*_m - r_m, cap))            (coefficients from the OLD means)
 *   S^_m <- S^_m (t - 1) / t + S_m / t                  (then the running means are updated)
 *   inside the window the hooks take k_m for THIS batch's backward; outside it they keep the
 *   last value (the official code never resets them; they start at 1)
 *   loss = CE(out); if any |grad of the head kernel| > clip_threshold: clip the global
 *   gradient norm of all parameters to clip_norm (torch clip_grad_norm_); the trainer's SGD
 *   step.
 * Unimodal logits reported: the contributions m_m (eval mode at test time); fused: T.
 * Everything runs on the backend; nothing is read back per step.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { noGrad } from "../backend/no_grad.ts";
import type { FusionModel } from "../models/model.ts";
import { ConfigError } from "../config/error.ts";
import {
  crossEntropy,
  disposeGrads,
  globalNorm,
  type Grads,
  scaleGradient,
} from "../optim/grads.ts";
import type { Batch } from "../data/types.ts";
import { buildFusionModel } from "./common.ts";
import type { MethodEntry } from "./entry.ts";
import { defineParams, inclusiveWindowSpecs } from "./params.ts";
import { singleTape } from "./plan.ts";
import type { StepContext, StepPlan } from "./types.ts";

/** The fused logits and the Shapley-style contributions of one forward. */
export interface Contributions {
  /** T = f(x) in the requested mode [B, C]. */
  fused: tf.Tensor2D;
  /** m_m per modality [B, C]; they sum to T. */
  contributions: Record<string, tf.Tensor2D>;
}

/**
 * GradMod's forward: T in mode `training`, the two one-modality-zeroed passes in eval mode
 * (encoders get `training = false`, so batch norm uses running statistics and does not
 * update them), all differentiable, and m_a = (T - f(0, x_b) + f(x_a, 0)) / 2 (likewise m_b).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { agmContributions } from "./agm.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { buildFusionModel } from "./common.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "agm", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const ctx = methodContext(config, info, { size: 2, labels: new Int32Array(2) });
 * const model = buildFusionModel(ctx, "concat");
 * const c = agmContributions(model, { audio: tf.ones([2, 8]), visual: tf.ones([2, 6]) }, true);
 * c.contributions.audio.shape; // [2, 6]: the contributions sum to c.fused
 * ```
 */
export function agmContributions(
  model: FusionModel,
  inputs: Record<string, tf.Tensor>,
  training: boolean,
): Contributions {
  const mods = model.modalities;
  if (mods.length !== 2) throw new ConfigError("agm supports exactly two modalities");
  return tf.tidy(() => {
    const fuse = (x: Record<string, tf.Tensor>, mode: boolean) =>
      model.head.fuse(model.encode(x, mode));
    const T = fuse(inputs, training);
    // only[m]: f with every other modality's input zeroed (eval mode). The batch's other
    // inputs (e.g. `text_mask` for the Bi-GRU) are kept: only the modality tensors change.
    const only: Record<string, tf.Tensor2D> = {};
    for (const m of mods) {
      const x: Record<string, tf.Tensor> = { ...inputs };
      for (const n of mods) if (n !== m) x[n] = tf.zerosLike(inputs[n]);
      only[m] = fuse(x, false);
    }
    const [a, b] = mods;
    const contributions: Record<string, tf.Tensor2D> = {
      [a]: tf.mul(tf.add(tf.sub(T, only[b]), only[a]), 0.5),
      [b]: tf.mul(tf.add(tf.sub(T, only[a]), only[b]), 0.5),
    };
    return { fused: T, contributions };
  });
}

/**
 * The modulated output sum_m h_{k_m}(m_m): equal to sum_m m_m in the forward pass, with
 * each contribution's incoming gradient multiplied by its k_m (the official backward hooks).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { modulatedOutput } from "./agm.ts";
 *
 * const contributions = { audio: tf.tensor2d([[2, 0]]), visual: tf.tensor2d([[0, 1]]) };
 * modulatedOutput(contributions, { audio: 0.5, visual: 2 }).dataSync(); // Float32Array [1, 2]
 * ```
 */
export function modulatedOutput(
  contributions: Record<string, tf.Tensor2D>,
  scales: Record<string, number | tf.Tensor>,
): tf.Tensor2D {
  return tf.tidy(() =>
    tf.addN(Object.entries(contributions).map(([m, c]) => scaleGradient(c, scales[m])))
  );
}

/** -log(1e-8): the official cap of a per-sample loss term. */
const MAX_TERM = -Math.log(1e-8);

/**
 * S_m: mean over the batch of -log softmax(z)[y], each term capped at -log(1e-8) (the
 * official code replaces terms with p < 1e-8 by -log(1e-8)).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { contributionLoss } from "./agm.ts";
 *
 * const z = tf.tensor2d([[0, 0], [0, 0]]);
 * contributionLoss(z, tf.tensor1d([0, 1], "int32")).shape; // []: a scalar score
 * ```
 */
export function contributionLoss(z: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(z), tf.oneHot(labels, z.shape[1])), 1));
    return tf.mean(tf.minimum(nll, MAX_TERM)) as tf.Scalar;
  });
}

/** The coefficients of one iteration (a type alias, so `tf.tidy` can return it). */
export type AgmCoefficients = {
  /** r_m = exp(S_other - S_m) from this batch. */
  r: Record<string, tf.Scalar>;
  /** r*_m = exp(S^_other - S^_m) from the running means. */
  rStar: Record<string, tf.Scalar>;
  /** k_m = exp(alpha * min(r*_m - r_m, cap)). */
  k: Record<string, tf.Scalar>;
};

/**
 * AGM's coefficients for two modalities from the batch losses S and the running means S^.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { agmCoefficients } from "./agm.ts";
 *
 * const c = agmCoefficients(
 *   { a: tf.scalar(1), b: tf.scalar(2) },
 *   { a: tf.scalar(0), b: tf.scalar(0) },
 *   1.5,
 *   10,
 * );
 * Object.keys(c.k); // ["a", "b"]
 * ```
 */
export function agmCoefficients(
  S: Record<string, tf.Scalar>,
  running: Record<string, tf.Scalar>,
  alpha: number,
  cap: number,
): AgmCoefficients {
  const mods = Object.keys(S);
  if (mods.length !== 2) throw new Error("agmCoefficients needs exactly two modalities");
  return tf.tidy(() => {
    const out: AgmCoefficients = { r: {}, rStar: {}, k: {} };
    for (const m of mods) {
      const o = mods.find((n) => n !== m)!;
      out.r[m] = tf.exp(tf.sub(S[o], S[m]));
      out.rStar[m] = tf.exp(tf.sub(running[o], running[m]));
      out.k[m] = tf.exp(tf.mul(alpha, tf.minimum(tf.sub(out.rStar[m], out.r[m]), cap)));
    }
    return out;
  });
}

/**
 * AGM's state: the cumulative running means S^_m (start at 0) and the hook scales (start
 * at 1, kept outside the modulation window as the official code does).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { AgmState } from "./agm.ts";
 *
 * const st = new AgmState(["audio", "visual"]);
 * const S = { audio: tf.scalar(1), visual: tf.scalar(2) };
 * const c = st.next(S, 1, 1.5, 10); // coefficients from the old means, then the update
 * Object.keys(c.k); // ["audio", "visual"]
 * st.dispose();
 * ```
 */
export class AgmState {
  /** S^_m, cumulative mean of S_m over all iterations so far. */
  readonly running: Record<string, tf.Variable>;
  /** The hook scales last applied. */
  readonly scales: Record<string, tf.Variable>;

  /** Zero means and unit scales. */
  constructor(readonly modalities: string[]) {
    this.running = Object.fromEntries(
      modalities.map((m) => [m, tf.variable(tf.scalar(0), false)]),
    );
    this.scales = Object.fromEntries(
      modalities.map((m) => [m, tf.variable(tf.scalar(1), false)]),
    );
  }

  /**
   * One iteration (1-based global `t`): coefficients from the current means, then
   * S^_m <- S^_m (t - 1) / t + S_m / t (CREMAD_main.py order). The caller disposes the result.
   */
  next(S: Record<string, tf.Scalar>, t: number, alpha: number, cap: number): AgmCoefficients {
    const c = agmCoefficients(S, this.running as Record<string, tf.Scalar>, alpha, cap);
    this.update(S, t);
    return c;
  }

  /** The running-mean update alone. */
  update(S: Record<string, tf.Scalar>, t: number): void {
    tf.tidy(() => {
      for (const m of this.modalities) {
        const v = this.running[m];
        v.assign(tf.add(tf.mul(v, (t - 1) / t), tf.div(S[m], t)));
      }
    });
  }

  /** Frees the variables. */
  dispose(): void {
    for (const v of [...Object.values(this.running), ...Object.values(this.scales)]) v.dispose();
  }
}

/**
 * AGM's clip rule: when any element of the head kernel's gradient exceeds `threshold` in
 * absolute value, scale all gradients by min(1, maxNorm / (global norm + 1e-6)) (torch
 * `clip_grad_norm_`). Returns new gradients (the input map is disposed) and whether it
 * clipped (1/0 scalar).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { agmClip } from "./agm.ts";
 *
 * const grads = new Map([["head.fc.kernel", tf.tensor1d([3, 4])], ["b", tf.tensor1d([0])]]);
 * const { grads: g, clipped } = agmClip(grads, "head.fc.kernel", 1, 1); // 4 > 1: clip to norm 1
 * clipped.dataSync()[0]; // 1
 * g.get("head.fc.kernel")!.dataSync(); // ~ Float32Array [0.6, 0.8]
 * ```
 */
export function agmClip(
  grads: Grads,
  kernelName: string,
  threshold: number,
  maxNorm: number,
): { grads: Grads; clipped: tf.Scalar } {
  const out: Grads = new Map();
  const kernel = grads.get(kernelName);
  const clipped = tf.tidy(() => {
    const trigger = kernel
      ? tf.cast(tf.greater(tf.max(tf.abs(kernel)), threshold), "float32")
      : tf.scalar(0);
    const clipCoef = tf.minimum(tf.div(maxNorm, tf.add(globalNorm(grads), 1e-6)), 1);
    // coef = clipCoef when triggered, 1 otherwise.
    const coef = tf.add(tf.mul(trigger, tf.sub(clipCoef, 1)), 1);
    for (const [k, g] of grads) out.set(k, tf.keep(tf.mul(g, coef)));
    return trigger as tf.Scalar;
  });
  disposeGrads(grads);
  return { grads: out, clipped };
}

/** AGM's parameters: alpha and cap of k_m, the modulation window and the clip rule. */
export const AGM_PARAMS = defineParams({
  // Author's CREMA-D value (lihongcs/AGM issues #3, #5).
  alpha: {
    type: "number",
    default: 1.5,
    doc: "alpha of k_m = exp(alpha min(r*_m - r_m, cap)) (author's CREMA-D value)",
  },
  // min(r* - r, 10) in CREMAD_main.py.
  cap: {
    type: "number",
    default: 10,
    doc: "cap of r*_m - r_m in k_m (CREMAD_main.py)",
  },
  // Modulation window in protocol epochs, inclusive (author: end 1500 = always on).
  ...inclusiveWindowSpecs("modulation", 100, "; 100 = always on"),
  // Clip the global norm to 1 when an fc_out.weight gradient element exceeds 1.
  clip_threshold: {
    type: "number",
    default: 1,
    doc: "clip when a head-kernel gradient element exceeds this in magnitude",
  },
  clip_norm: {
    type: "number",
    default: 1,
    doc: "global gradient norm the clip rule clips to",
  },
});

/**
 * The `agm` method (options: `alpha`, `cap`, `window_start`, `window_end`,
 * `clip_threshold`, `clip_norm`).
 *
 * @example
 * ```ts
 * import { agm } from "./agm.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "agm", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = agm.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.logNames?.length; // AGM's per-step columns of method.csv
 * m.dispose();
 * ```
 */
export const agm: MethodEntry = {
  name: "agm",
  description:
    "AGM: Shapley-style modality contributions, gradient of each scaled by exp(alpha (r* - r))",
  params: AGM_PARAMS,
  create(ctx) {
    const p = AGM_PARAMS.read(ctx.params);
    if (ctx.info.modalities.length !== 2) {
      throw new ConfigError(
        `agm supports exactly two modalities (dataset ${ctx.info.name} has ${ctx.info.modalities.length})`,
      );
    }
    const { alpha, cap, clip_threshold: clipThreshold, clip_norm: clipNorm } = p;
    const start = p.window_start, end = p.window_end;
    const model = buildFusionModel(ctx, "concat", "split");
    const mods = model.modalities;
    const kernelName = model.head.params().find((q) => q.kind === "kernel")!.name;
    const state = new AgmState(mods);
    const logNames = [
      ...mods.map((m) => `k_${m}`),
      ...mods.map((m) => `scale_${m}`),
      ...mods.map((m) => `loss_${m}`),
      ...mods.map((m) => `running_${m}`),
      "clipped",
    ];
    // One update on `batch`, the whole batch or one micro-batch: k_m from the running means
    // before the step; the means themselves are updated once per step, in `finishUpdate`.
    const plan = (batch: Batch, step: StepContext): StepPlan => {
      const active = start <= step.protocolEpoch && step.protocolEpoch <= end;
      return singleTape(model.params(), () => {
        // forward: T, P_a, P_b and the contributions m_a, m_b
        const c = agmContributions(model, batch.inputs, true);
        // Numbers only (no gradient): S_m, then k_m from the OLD means.
        const coef = noGrad(() => {
          const S: Record<string, tf.Scalar> = {};
          for (const m of mods) S[m] = contributionLoss(c.contributions[m], batch.labels);
          return {
            S,
            ...agmCoefficients(S, state.running as Record<string, tf.Scalar>, alpha, cap),
          };
        });
        // loss = CE(h_{k_a}(m_a) + h_{k_b}(m_b)): the hooks scale this backward by k_m
        const scales = active ? coef.k : state.scales;
        const out = modulatedOutput(c.contributions, scales);
        return {
          loss: crossEntropy(out, batch.labels),
          aux: { fused: c.fused, unimodal: c.contributions, S: coef.S, k: coef.k },
        };
      }, (r) => {
        const { S, k } = r.aux;
        if (active) { for (const m of mods) state.scales[m].assign(k[m]); }
        // the gradient change besides the hooks: clip the global norm when a head-kernel
        // gradient exceeds clip_threshold
        const clip = agmClip(r.grads, kernelName, clipThreshold, clipNorm);
        const logs: Record<string, tf.Scalar | number> = { clipped: clip.clipped };
        for (const m of mods) {
          logs[`k_${m}`] = k[m];
          logs[`scale_${m}`] = state.scales[m].clone() as tf.Scalar;
          logs[`loss_${m}`] = S[m];
        }
        return {
          grads: clip.grads,
          out: { loss: r.loss, fused: r.aux.fused, unimodal: r.aux.unimodal, logs },
        };
      });
    };
    return {
      name: "agm",
      modalities: mods,
      logNames,
      params: () => model.params(),
      buffers: () => model.buffers(),
      plan,
      // S^_m <- S^_m (t - 1) / t + S_m / t, once per optimizer step with the whole batch's
      // S_m (the logged loss_m: under micro-batches the size-weighted mean of the slices'),
      // as one official iteration does.
      finishUpdate(grads, out, step) {
        const logs = out.logs!;
        const S = Object.fromEntries(mods.map((m) => [m, logs[`loss_${m}`] as tf.Scalar]));
        state.update(S, step.iteration + 1);
        for (const m of mods) logs[`running_${m}`] = state.running[m].clone() as tf.Scalar;
        return grads;
      },
      predict(inputs) {
        const c = agmContributions(model, inputs, false);
        return { fused: c.fused, unimodal: c.contributions };
      },
      state: () => ({
        json: null,
        tensors: Object.fromEntries(
          mods.flatMap((
            m,
          ) => [[`running_${m}`, state.running[m]], [`scale_${m}`, state.scales[m]]]),
        ),
      }),
      restore(saved) {
        for (const m of mods) {
          state.running[m].assign(saved.tensors[`running_${m}`]);
          state.scales[m].assign(saved.tensors[`scale_${m}`]);
        }
      },
      dispose() {
        model.dispose();
        state.dispose();
      },
    };
  },
};

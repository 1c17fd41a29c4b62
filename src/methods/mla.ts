/**
 * MLA, Multimodal Learning with Alternating unimodal adaptation (Zhang, Yoon, Bansal, Yao,
 * CVPR 2024), following the official code
 * `Cecile-hi/Multimodal-Learning-with-Alternating-Unimodal-Adaptation` (`main.py`,
 * `utils/utils.py` GSPlugin; shared/spec/research/baselines-conflict.md section 3).
 *
 * Model: encoders and ONE shared head h(f) = f K + b (K [D, C]; torch `fc_out` 512 -> C). No
 * fusion layer is trained.
 *
 * Per mini-batch (`main.py#L419-477`, `--gs_flag`), for each modality m in turn (audio, then
 * visual), each its own optimizer step through the same head:
 *   1. L_m = CE(h(f_m)) (the head as updated by the previous modality's step).
 *   2. Gradient modification of the shared head (`utils.py#L24-41`, OWM/RLS projector P,
 *      D x D, I at the start, shared by the modalities, persistent), skipped on the very
 *      first modality step of the run (exp_count = 0):
 *        alpha = alpha_base^(1 + i/N)  (i the batch index, N batches per epoch)
 *        r = mean_batch(f_m) [1, D];  k = P r^T;  P <- P - k k^T / (alpha + r k);
 *        P <- P / |P|_F;
 *        replace: grad_W <- grad_W P^T, i.e. grad_K <- P grad_K (bias untouched).
 *      The official guard (`n == "module.weight"`) never matches `fc_out`'s parameter names,
 *      so the official run never applies it (`projection: off`); BalanceBenchmark adds it
 *      instead (`additive`: grad_K <- grad_K + P grad_K).
 *   3. SGD step (the trainer's optimizer and lr). With `coast` (torch 1.8 `zero_grad`, which
 *      leaves zero gradients), encoders of modalities stepped earlier in this batch get a
 *      zero gradient in later steps, i.e. one more momentum + weight-decay update.
 * The logged loss is sum_m w_m L_m with the fixed weights (official `0.55 L_a + 0.45 L_v`).
 *
 * Test-time fusion z = sum_m w_m h(f_m) (`main.py#L622-652`):
 *   - entropy-sample (default; BalanceBenchmark, and the paper per CXianRen/AMST):
 *     H_m[k] = -sum_c p log p with p = softmax over classes of sample k;
 *     w_m[k] = exp(max_j H_j[k] - H_m[k]) / sum_j exp(max_j H_j[k] - H_j[k]).
 *   - entropy-batch (official `--dynamic`): p = softmax over the BATCH axis (dim 0) and
 *     H_m = -sum_{k,c} p log p, one weight per modality per evaluation batch.
 *   - fixed: w = fixed_weights (official `main(av_alpha=0.55)`: 0.55 / 0.45).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Linear } from "../models/linear.ts";
import type { Encoder } from "../models/encoder.ts";
import { ConfigError } from "../config/error.ts";
import { crossEntropy, type Grads } from "../optim/grads.ts";
import type { MethodEntry } from "./entry.ts";
import { defineParams } from "./params.ts";
import { singleTape } from "./plan.ts";

/** How the projector changes the shared head's kernel gradient. */
export type ProjectionMode = "replace" | "off" | "additive";

/** Test-time fusion rule. */
export type FusionMode = "entropy-sample" | "entropy-batch" | "fixed";

/**
 * The projector's regulariser alpha = base^(1 + i/N) for batch i of N (`utils.py#L26-27`):
 * from 0.1 down towards 0.01 within each epoch.
 *
 * @example
 * ```ts
 * import { mlaAlpha } from "./mla.ts";
 *
 * mlaAlpha(0.1, 0, 10); // 0.1
 * mlaAlpha(0.1, 5, 10); // 0.1^1.5
 * ```
 */
export function mlaAlpha(base: number, batchIndex: number, batches: number): number {
  return Math.pow(base, batchIndex / batches + 1);
}

/**
 * One RLS/OWM projector update (`utils.py#L33-38`): k = P r^T, P <- P - k k^T / (alpha + r k),
 * then P / |P|_F, with r the batch mean of `features` [B, D]. Returns the new P (caller
 * disposes; `P` itself is not disposed).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { projectorUpdate } from "./mla.ts";
 *
 * const P = tf.eye(2) as tf.Tensor2D;
 * const next = projectorUpdate(P, tf.tensor2d([[1, 0], [1, 0]]), 0.1);
 * next.shape; // [2, 2]
 * ```
 */
export function projectorUpdate(P: tf.Tensor2D, features: tf.Tensor2D, alpha: number): tf.Tensor2D {
  return tf.tidy(() => {
    const r = tf.mean(features, 0, true) as tf.Tensor2D; // [1, D]
    const k = tf.matMul(P, r, false, true); // [D, 1]
    const rk = tf.matMul(r, k); // [1, 1]
    const next = tf.sub(P, tf.div(tf.matMul(k, k, false, true), tf.add(rk, alpha)));
    return tf.div(next, tf.norm(next)) as tf.Tensor2D;
  });
}

/**
 * The projected gradient of the head kernel K [D, C] (torch's W = K^T, so grad_W P^T is
 * P grad_K): `replace` gives P g, `additive` g + P g, `off` a copy of g.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { projectKernelGrad } from "./mla.ts";
 *
 * const P = tf.tensor2d([[0, 0], [0, 1]]); // projects out the first feature direction
 * const gK = tf.tensor2d([[1, 1], [2, 2]]); // [D, C]
 * projectKernelGrad(gK, P, "replace").dataSync(); // Float32Array [0, 0, 2, 2]
 * ```
 */
export function projectKernelGrad(
  gradK: tf.Tensor2D,
  P: tf.Tensor2D,
  mode: ProjectionMode,
): tf.Tensor2D {
  return tf.tidy(() => {
    if (mode === "off") return tf.clone(gradK);
    const projected = tf.matMul(P, gradK);
    return (mode === "replace" ? projected : tf.add(gradK, projected)) as tf.Tensor2D;
  });
}

/**
 * The fusion weights of each modality's logits: [B, 1] per modality for `entropy-sample`,
 * a scalar per modality for `entropy-batch` and `fixed` (`fixed` in modality order).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fusionWeights } from "./mla.ts";
 *
 * const za = tf.tensor2d([[4, 0]]), zv = tf.tensor2d([[0, 0]]);
 * const w = fusionWeights({ audio: za, visual: zv }, "fixed", [0.55, 0.45]);
 * w.audio.dataSync()[0]; // 0.55
 * ```
 */
export function fusionWeights(
  logits: Record<string, tf.Tensor2D>,
  mode: FusionMode,
  fixed: number[],
): Record<string, tf.Tensor> {
  const mods = Object.keys(logits);
  if (mode === "fixed") {
    return Object.fromEntries(mods.map((m, i) => [m, tf.scalar(fixed[i])]));
  }
  return tf.tidy(() => {
    // -H_m; stable log-softmax over classes (axis 1) or over the batch (axis 0, official).
    // (tfjs's logSoftmax works on the last axis only, hence the transpose for axis 0.)
    const negH = mods.map((m) => {
      const logp = mode === "entropy-sample"
        ? tf.logSoftmax(logits[m])
        : tf.logSoftmax(tf.transpose(logits[m]));
      const plogp = tf.mul(tf.exp(logp), logp);
      return mode === "entropy-sample" ? tf.sum(plogp, 1, true) : tf.sum(plogp);
    });
    // exp(maxH - H_m) / sum_j exp(maxH - H_j) = softmax over modalities of -H.
    const stacked = tf.stack(negH, -1); // [B, 1, M] or [M]
    const w = tf.softmax(stacked, -1);
    const parts = tf.unstack(w, w.rank - 1);
    return Object.fromEntries(mods.map((m, i) => [m, parts[i]]));
  });
}

/**
 * Fused logits sum_m w_m z_m under a fusion rule.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fuseLogits } from "./mla.ts";
 *
 * const za = tf.tensor2d([[2, 0]]), zv = tf.tensor2d([[0, 2]]);
 * fuseLogits({ audio: za, visual: zv }, "fixed", [0.5, 0.5]).dataSync(); // Float32Array [1, 1]
 * ```
 */
export function fuseLogits(
  logits: Record<string, tf.Tensor2D>,
  mode: FusionMode,
  fixed: number[],
): tf.Tensor2D {
  return tf.tidy(() => {
    const w = fusionWeights(logits, mode, fixed);
    return tf.addN(Object.keys(logits).map((m) => tf.mul(logits[m], w[m]))) as tf.Tensor2D;
  });
}

/** MLA's parameters: the head-gradient projection, the test-time fusion and coasting. */
export const MLA_PARAMS = defineParams({
  // replace: the official GSPlugin formula, applied (the official guard never matches, which
  // is `off`); additive: BalanceBenchmark's grad + grad P^T.
  projection: {
    type: "enum",
    choices: ["replace", "off", "additive"],
    default: "replace",
    doc: "head-gradient projection: replace = GSPlugin applied; off = official; additive",
  },
  // alpha = alpha_base^(1 + i/N) (utils.py#L26-27).
  alpha_base: {
    type: "number",
    default: 0.1,
    doc: "GSPlugin's alpha = alpha_base^(1 + i/N) (utils.py)",
  },
  // entropy-sample (paper / BalanceBenchmark), entropy-batch (official --dynamic), fixed.
  fusion: {
    type: "enum",
    choices: ["entropy-sample", "entropy-batch", "fixed"],
    default: "entropy-sample",
    doc: "test-time fusion weights: per-sample entropy, per-batch (official --dynamic), fixed",
  },
  // Weights of `fusion=fixed` and of the logged loss, in modality order (main.py#L968).
  fixed_weights: {
    type: "number[]",
    default: [0.55, 0.45],
    doc: "weights of fusion=fixed and of the logged loss, one per modality in order",
  },
  // torch 1.8 zero_grad semantics (official): earlier modalities' encoders take one more
  // momentum + weight-decay step with a zero gradient in each later modality step.
  coast: {
    type: "boolean",
    default: true,
    doc: "torch 1.8 zero_grad semantics (official): earlier encoders coast on momentum",
  },
});

/**
 * The `mla` method.
 *
 * @example
 * ```ts
 * import { mla } from "./mla.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "mla", dataset: "crema-d", sets: ["method.projection=off", "method.fusion=entropy-batch"] });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = mla.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.updatesPerStep; // 2: one optimizer update per modality, in turn
 * m.dispose();
 * ```
 */
export const mla: MethodEntry = {
  name: "mla",
  description:
    "MLA (CVPR'24): alternating unimodal steps through one shared head with gradient projection; entropy-weighted test fusion",
  params: MLA_PARAMS,
  create(ctx) {
    const p = MLA_PARAMS.read(ctx.params);
    const projection: ProjectionMode = p.projection;
    const fusion: FusionMode = p.fusion;
    const mods = ctx.info.modalities;
    const fixed = [...p.fixed_weights];
    if (fixed.length !== mods.length) {
      throw new ConfigError(
        `method.fixed_weights: expected ${mods.length} numbers (one per modality: ${
          mods.join(", ")
        }), got ${JSON.stringify(p.fixed_weights)}`,
      );
    }
    const alphaBase = p.alpha_base;
    const coast = p.coast;

    const encoders: Record<string, Encoder> = {};
    for (const m of mods) encoders[m] = ctx.makeEncoder(m, ctx.rng);
    const D = encoders[mods[0]].outDim;
    if (mods.some((m) => encoders[m].outDim !== D)) {
      throw new ConfigError(`mla needs equal feature dimensions for its shared head`);
    }
    const head = new Linear("head.shared", "head", D, ctx.info.numClasses, ctx.rng);
    const kernelName = head.kernel.name;
    const P = tf.variable(tf.eye(D), false);
    let expCount = 0;

    const params = () => [...mods.flatMap((m) => encoders[m].params()), ...head.params()];
    const buffers = () => mods.flatMap((m) => encoders[m].buffers());
    const logNames = [...mods.map((m) => `loss_${m}`), ...mods.map((m) => `proj_ratio_${m}`)];

    // The batch's mean feature r of the current update's modality (under micro-batches the
    // size-weighted sum of the slices' means), for the projector in `finishUpdate`.
    let featMean: tf.Tensor2D | null = null;
    return {
      name: "mla",
      modalities: mods,
      logNames,
      params,
      buffers,
      // One optimizer update per modality, in turn: each sees the head after the previous
      // modality's step.
      updatesPerStep: mods.length,
      plan(batch, step, i) {
        const m = mods[i];
        return singleTape([...encoders[m].params(), ...head.params()], () => {
          // 1. L_m = CE(h(f_m)) (the head as updated by the previous modality's step)
          const f = encoders[m].forward(batch.inputs[m], true, batch.inputs);
          const z = head.apply(f);
          return { loss: crossEntropy(z, batch.labels), aux: { f, z } };
        }, (r) => {
          // The gradient change is the whole batch's (step 2, `finishUpdate`); keep r.
          const prev = featMean;
          featMean = step.share === 1 ? tf.mean(r.aux.f, 0, true) as tf.Tensor2D : tf.tidy(() => {
            const mf = tf.mul(tf.mean(r.aux.f, 0, true), step.share) as tf.Tensor2D;
            return prev ? tf.add(prev, mf) as tf.Tensor2D : mf;
          });
          prev?.dispose();
          r.aux.f.dispose();
          const z = r.aux.z;
          return {
            grads: r.grads,
            out: { loss: r.loss, fused: z, unimodal: { [m]: z }, logs: {} },
          };
        });
      },
      finishUpdate(grads, out, step, i) {
        const m = mods[i];
        const logs = out.logs!;
        let next: Grads = grads;
        // 2. the projector update from r and the head-kernel gradient through P
        if (expCount !== 0 && projection !== "off") {
          const alpha = mlaAlpha(alphaBase, step.step, step.stepsPerEpoch);
          const updated = projectorUpdate(P, featMean!, alpha);
          P.assign(updated);
          updated.dispose();
          const g = grads.get(kernelName)! as tf.Tensor2D;
          const gp = projectKernelGrad(g, P, projection);
          logs[`proj_ratio_${m}`] = tf.tidy(() =>
            tf.div(tf.norm(gp), tf.maximum(tf.norm(g), 1e-30))
          );
          next = new Map(grads).set(kernelName, gp);
        } else {
          logs[`proj_ratio_${m}`] = tf.scalar(1);
        }
        featMean!.dispose();
        featMean = null;
        if (coast) {
          // torch 1.8: zero_grad() left zeros on the encoders stepped before (not None).
          next = new Map(next);
          for (const prev of mods.slice(0, i)) {
            for (const p of encoders[prev].params()) next.set(p.name, tf.zerosLike(p.variable));
          }
        }
        expCount++;
        return next; // 3. the trainer's SGD step
      },
      // The step's output: the logged loss sum_m w_m L_m, the fused training logits.
      joinUpdates(outs) {
        const logits: Record<string, tf.Tensor2D> = {};
        const logs: Record<string, tf.Scalar | number> = {};
        mods.forEach((m, i) => {
          logits[m] = outs[i].unimodal[m];
          if (outs[i].fused !== logits[m]) outs[i].fused.dispose();
          Object.assign(logs, outs[i].logs);
          logs[`loss_${m}`] = outs[i].loss;
        });
        const loss = tf.tidy(() =>
          tf.addN(mods.map((_, i) => tf.mul(outs[i].loss, fixed[i]))) as tf.Scalar
        );
        return { loss, fused: fuseLogits(logits, fusion, fixed), unimodal: logits, logs };
      },
      predict(inputs) {
        const unimodal: Record<string, tf.Tensor2D> = {};
        for (const m of mods) {
          unimodal[m] = head.apply(encoders[m].forward(inputs[m], false, inputs));
        }
        return { fused: fuseLogits(unimodal, fusion, fixed), unimodal };
      },
      state() {
        return { json: { expCount }, tensors: { P } };
      },
      restore(state) {
        const json = state.json as { expCount?: number } | null;
        expCount = json?.expCount ?? 0;
        const saved = state.tensors.P;
        if (saved) P.assign(saved as tf.Tensor2D);
      },
      dispose() {
        for (const p of params()) p.variable.dispose();
        for (const b of buffers()) b.dispose();
        P.dispose();
      },
    };
  },
};

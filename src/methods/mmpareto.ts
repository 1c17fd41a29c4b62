/**
 * MMPareto (Wei & Hu, ICML 2024), following the official code `GeWu-Lab/MMPareto_ICML2024`
 * (`code/MMPareto.py`, `code/min_norm_solvers.py`; shared/spec/research/baselines-conflict.md
 * section 2).
 *
 * Model: encoders, a concatenation head z = [f_1; f_2] W + b and one separate unimodal head
 * per modality z_m = f_m W'_m + b'_m (`models.py` class `AVClassifier`: `head`,
 * `head_audio`, `head_video`).
 *
 * Per mini-batch (`MMPareto.py#L56-213`):
 *   1. L_mm = CE(z), L_m = CE(z_m).
 *   2. Per encoder m, over all its parameter tensors: g_mm = grad L_mm, g_u = grad L_m.
 *   3. cos_m = cos(flat g_mm, flat g_u) (`F.cosine_similarity`, `#L149-150`).
 *   4. cos_m > 0: (w_mm, w_u) = (0.5, 0.5); else the 2-task min-norm (MGDA) closed form
 *      (`min_norm_solvers.py` `_min_norm_element_from2`), with v11 = |g_mm|^2,
 *      v12 = <g_mm, g_u>, v22 = |g_u|^2:
 *        v12 >= v11 -> c = 0.999; else v12 >= v22 -> c = 0.001;
 *        else c = (v22 - v12) / (v11 + v22 - 2 v12);   w_mm = c, w_u = 1 - c.
 *   5. g_sum = grad (L_mm + sum_m L_m); heads keep exactly g_sum.
 *   6. Per encoder TENSOR p (`#L183-207`): g_new = 2 w_mm g_mm(p) + 2 w_u g_u(p);
 *      r = |g_sum(p)| / |g_new(p)|; grad(p) = gamma * g_new * max(1, r), gamma = 1.5.
 *   7. SGD step; the learning rate is constant (the official StepLR is never stepped): the
 *      official 2e-3, i.e. `lr_scale` 2 x `train.lr` (the paper profile's base 1e-3).
 *
 * tfjs has no `retain_graph`, so the two gradients come from two tapes: grad L_mm (encoders
 * and fusion head) and grad sum_m L_m (encoders and unimodal heads; L_m only reaches encoder
 * m). On the encoders g_sum = g_mm + g_u. The second forward pass is identical to the first
 * (train mode, same input): the encoder buffers (batch-norm running statistics, DGCNN's
 * dropout counter) are snapshotted before tape 1 and restored before tape 2, so both tapes
 * use the same dropout mask and the statistics update once per step, as with the official
 * single forward.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ConcatHead } from "../models/fusion.ts";
import { Linear } from "../models/linear.ts";
import { FusionModel } from "../models/model.ts";
import type { Param } from "../models/params.ts";
import { crossEntropy, type Grads } from "../optim/grads.ts";
import { twoTapes } from "./plan.ts";
import { configuredStepLr } from "../optim/schedule.ts";
import type { Rng } from "../rng.ts";
import type { MethodEntry } from "./entry.ts";
import { defineParams, LR_SCALE_SPEC } from "./params.ts";

/** Per-modality quantities of one MMPareto combination (scalars on the backend). */
export interface ParetoStats {
  /** cos(g_mm, g_u) over the encoder's parameters. */
  cos: tf.Scalar;
  /** Weight of the multimodal gradient. */
  wMm: tf.Scalar;
  /** Weight of the unimodal gradient. */
  wUni: tf.Scalar;
}

/** Result of {@linkcode paretoCombine}. */
export interface ParetoResult {
  /** The gradients to apply (encoders rescaled, heads the summed-loss gradient). */
  grads: Grads;
  /** Per-modality cosine and weights. */
  stats: Record<string, ParetoStats>;
}

/**
 * The official weight choice (`MMPareto.py#L165-175`): (0.5, 0.5) when cos > 0, otherwise the
 * two-task min-norm closed form of `_min_norm_element_from2` (x1 = g_mm, x2 = g_u). All
 * arguments are scalars; returns [w_mm, w_u].
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { paretoWeights } from "./mmpareto.ts";
 *
 * const [wMm, wU] = paretoWeights(tf.scalar(-0.5), tf.scalar(1), tf.scalar(-0.5), tf.scalar(1));
 * wMm.dataSync()[0] + wU.dataSync()[0]; // 1: weights of the min-norm combination
 * ```
 */
export function paretoWeights(
  cos: tf.Scalar,
  v11: tf.Scalar,
  v12: tf.Scalar,
  v22: tf.Scalar,
): [tf.Scalar, tf.Scalar] {
  return tf.tidy(() => {
    const denom = tf.sub(tf.add(v11, v22), tf.mul(v12, 2));
    // Interior solution; the denominator is > 0 whenever this branch is selected.
    const interior = tf.div(tf.sub(v22, v12), tf.maximum(denom, 1e-30));
    const c = tf.where(
      tf.greaterEqual(v12, v11),
      tf.scalar(0.999),
      tf.where(tf.greaterEqual(v12, v22), tf.scalar(0.001), interior),
    );
    const agree = tf.greater(cos, 0);
    const wMm = tf.where(agree, tf.scalar(0.5), c) as tf.Scalar;
    const wUni = tf.where(agree, tf.scalar(0.5), tf.sub(1, c)) as tf.Scalar;
    return [wMm, wUni];
  });
}

/**
 * MMPareto's gradient combination (steps 3-6 of the module comment). `gMm` holds grad L_mm
 * and `gUni` grad sum_m L_m; `encoders` lists each modality's encoder parameter names. Names
 * that belong to no encoder (heads) get gMm + gUni = grad (L_mm + sum_m L_m). A tensor
 * missing from one map counts as zero. A zero g_new(p) leaves grad(p) = 0 (the official
 * division would give NaN). Inputs are not disposed.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { paretoCombine } from "./mmpareto.ts";
 *
 * const gMm = new Map([["encoder.audio.k", tf.tensor1d([1, 0])], ["head.k", tf.ones([2])]]);
 * const gUni = new Map([["encoder.audio.k", tf.tensor1d([1, 0])]]);
 * const { grads } = paretoCombine(gMm, gUni, { audio: ["encoder.audio.k"] }, 1.5);
 * grads.get("head.k")!.dataSync(); // Float32Array [1, 1]: only encoder gradients are combined
 * ```
 */
export function paretoCombine(
  gMm: Grads,
  gUni: Grads,
  encoders: Record<string, string[]>,
  gamma: number,
): ParetoResult {
  const grads: Grads = new Map();
  const stats: Record<string, ParetoStats> = {};
  const encoderNames = new Set(Object.values(encoders).flat());
  tf.tidy(() => {
    const zeroLike = (other: tf.Tensor) => tf.zerosLike(other);
    const pair = (name: string): [tf.Tensor, tf.Tensor] | null => {
      const a = gMm.get(name), b = gUni.get(name);
      if (!a && !b) return null;
      return [a ?? zeroLike(b!), b ?? zeroLike(a!)];
    };
    for (const [m, names] of Object.entries(encoders)) {
      const pairs = names.map((n) => [n, pair(n)] as const).filter(([, p]) => p !== null) as [
        string,
        [tf.Tensor, tf.Tensor],
      ][];
      const dot = (x: (p: [tf.Tensor, tf.Tensor]) => tf.Tensor) =>
        pairs.length ? tf.addN(pairs.map(([, p]) => x(p))) as tf.Scalar : tf.scalar(0);
      const v11 = dot(([a]) => tf.sum(tf.square(a)));
      const v12 = dot(([a, b]) => tf.sum(tf.mul(a, b)));
      const v22 = dot(([, b]) => tf.sum(tf.square(b)));
      // torch.nn.functional.cosine_similarity: x.y / (max(|x|, eps) max(|y|, eps)), eps 1e-8.
      const cos = tf.div(
        v12,
        tf.mul(tf.maximum(tf.sqrt(v11), 1e-8), tf.maximum(tf.sqrt(v22), 1e-8)),
      ) as tf.Scalar;
      const [wMm, wUni] = paretoWeights(cos, v11, v12, v22);
      stats[m] = { cos: tf.keep(cos), wMm: tf.keep(wMm), wUni: tf.keep(wUni) };
      for (const [name, [a, b]] of pairs) {
        const gNew = tf.add(tf.mul(a, tf.mul(wMm, 2)), tf.mul(b, tf.mul(wUni, 2)));
        const nSum = tf.norm(tf.add(a, b));
        const nNew = tf.norm(gNew);
        const r = tf.where(
          tf.greater(nNew, 0),
          tf.div(nSum, tf.maximum(nNew, 1e-30)),
          tf.scalar(1),
        );
        grads.set(name, tf.keep(tf.mul(gNew, tf.mul(tf.maximum(r, 1), gamma))));
      }
    }
    for (const name of new Set([...gMm.keys(), ...gUni.keys()])) {
      if (encoderNames.has(name)) continue;
      const [a, b] = pair(name)!;
      grads.set(name, tf.keep(tf.add(a, b)));
    }
  });
  return { grads, stats };
}

/** PyTorch's default nn.Linear init: kernel and bias ~ U(-1/sqrt(in), 1/sqrt(in)). */
function torchDefaultInit(layer: Linear, rng: Rng): void {
  const bound = 1 / Math.sqrt(layer.inDim);
  for (const p of layer.params()) {
    const values = new Float32Array(p.variable.size).map(() => (2 * rng.uniform() - 1) * bound);
    p.variable.assign(tf.tensor(values, p.variable.shape, "float32"));
  }
}

/** MMPareto's parameters: the gradient scale gamma, the learning rate and the heads' init. */
export const MMPARETO_PARAMS = defineParams({
  // MMPareto.py#L178: gamma = 1.5 (hard-coded).
  gamma: {
    type: "number",
    default: 1.5,
    doc: "encoder gradient scale: gamma g_new max(1, |g_sum| / |g_new|) (hard-coded officially)",
  },
  // The official StepLR(30, 0.1) is built but never stepped: constant lr. "step" uses the
  // harness's StepLR (train.lr_step / train.lr_gamma) instead.
  lr_schedule: {
    type: "enum",
    choices: ["constant", "step"],
    default: "constant",
    doc: "constant (official: its StepLR is never stepped) or the harness StepLR",
  },
  // lr = lr_scale x train.lr: the official lr is 2e-3 (MMPareto.py#L31), i.e. 2 x the paper
  // profile's shared base 1e-3 (docs/methods.md, "Learning rates").
  ...LR_SCALE_SPEC,
  // Linear-layer init of the three heads: the harness's xavier-normal (as every other
  // method) or the official PyTorch default (MMPareto never calls weight_init).
  head_init: {
    type: "enum",
    choices: ["xavier", "torch-default"],
    default: "xavier",
    doc: "init of the three heads: harness xavier or PyTorch's nn.Linear default (official)",
  },
});

/**
 * The `mmpareto` method.
 *
 * @example
 * ```ts
 * import { mmpareto } from "./mmpareto.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "mmpareto", dataset: "crema-d", sets: ["method.lr_schedule=step"] });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = mmpareto.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.learningRate!(70, 1e-3, 100); // 0.0002 (lr_scale 2, StepLR)
 * m.dispose();
 * ```
 */
export const mmpareto: MethodEntry = {
  name: "mmpareto",
  description:
    "MMPareto (ICML'24): per-encoder Pareto (min-norm) combination of multimodal and unimodal gradients, separate unimodal heads",
  params: MMPARETO_PARAMS,
  create(ctx) {
    const p = MMPARETO_PARAMS.read(ctx.params);
    const { gamma, lr_scale: lrScale, lr_schedule: schedule, head_init: headInit } = p;
    const mods = ctx.info.modalities;
    const encoders = Object.fromEntries(mods.map((m) => [m, ctx.makeEncoder(m, ctx.rng)]));
    const dims = Object.fromEntries(mods.map((m) => [m, encoders[m].outDim]));
    const fusion = new ConcatHead(mods, dims, ctx.info.numClasses, ctx.rng);
    const model = new FusionModel(encoders, fusion);
    const heads: Record<string, Linear> = {};
    for (const m of mods) {
      const dim = model.encoders[m].outDim;
      heads[m] = new Linear(`head.${m}`, "head", dim, ctx.info.numClasses, ctx.rng);
    }
    if (headInit === "torch-default") {
      torchDefaultInit(fusion.fc, ctx.rng);
      for (const m of mods) torchDefaultInit(heads[m], ctx.rng);
    }
    const headParams = mods.flatMap((m) => heads[m].params());
    const encParams = (): Param[] => mods.flatMap((m) => model.encoderParams(m));
    const encoderNames = Object.fromEntries(
      mods.map((m) => [m, model.encoderParams(m).map((p) => p.name)]),
    );
    const logNames = [
      ...mods.flatMap((m) => [`cos_${m}`, `w_mm_${m}`, `w_uni_${m}`, `conflict_${m}`]),
      "loss_mm",
      ...mods.map((m) => `loss_${m}`),
    ];

    return {
      name: "mmpareto",
      modalities: mods,
      logNames,
      params: () => [...model.params(), ...headParams],
      buffers: () => model.buffers(),
      learningRate(epoch, base, epochs) {
        const lr0 = lrScale * base;
        if (schedule === "constant") return lr0;
        return configuredStepLr(ctx.config.train, lr0, epochs, epoch);
      },
      plan(batch) {
        // The buffers (BN running statistics, DGCNN's dropout counter) before tape 1: both
        // tapes start from them, so the two train-mode forwards are the official single
        // forward (same dropout mask, running statistics updated once).
        const saved = model.buffers().map((b) => tf.clone(b));
        return twoTapes({
          // Tape 1: grad L_mm for the encoders and the fusion head.
          params: [...encParams(), ...model.head.params()],
          forward: () => {
            const f = model.encode(batch.inputs, true);
            const z = model.head.fuse(f);
            return { loss: crossEntropy(z, batch.labels), aux: z };
          },
        }, {
          // Tape 2: grad sum_m L_m for the encoders and the unimodal heads. Same forward: the
          // buffers are put back to their state before tape 1, and tape 2 leaves them where
          // tape 1 did.
          params: [...encParams(), ...headParams],
          forward: () => {
            model.buffers().forEach((b, i) => b.assign(saved[i]));
            saved.forEach((t) => t.dispose());
            const f = model.encode(batch.inputs, true);
            const uni: Record<string, tf.Tensor2D> = {};
            const losses: Record<string, tf.Scalar> = {};
            for (const m of mods) {
              uni[m] = heads[m].apply(f[m]);
              losses[m] = crossEntropy(uni[m], batch.labels);
            }
            return { loss: tf.addN(Object.values(losses)) as tf.Scalar, aux: { uni, losses } };
          },
        }, (r1, r2) => {
          // The gradient change: MMPareto's combination of the two gradients per encoder.
          const { grads, stats } = paretoCombine(r1.grads, r2.grads, encoderNames, gamma);
          const logs: Record<string, tf.Scalar> = { loss_mm: r1.loss.clone() };
          for (const m of mods) {
            logs[`cos_${m}`] = stats[m].cos;
            logs[`w_mm_${m}`] = stats[m].wMm;
            logs[`w_uni_${m}`] = stats[m].wUni;
            logs[`conflict_${m}`] = tf.tidy(() =>
              tf.cast(tf.lessEqual(stats[m].cos, 0), "float32")
            );
            logs[`loss_${m}`] = r2.aux.losses[m];
          }
          const loss = tf.add(r1.loss, r2.loss) as tf.Scalar; // L_mm + sum_m L_m (official log)
          r1.loss.dispose();
          r2.loss.dispose();
          return { grads, out: { loss, fused: r1.aux, unimodal: r2.aux.uni, logs } };
        });
      },
      predict(inputs) {
        const f = model.encode(inputs, false);
        const unimodal: Record<string, tf.Tensor2D> = {};
        for (const m of mods) unimodal[m] = heads[m].apply(f[m]);
        return { fused: model.head.fuse(f), unimodal };
      },
      dispose() {
        model.dispose();
        for (const p of headParams) p.variable.dispose();
      },
    };
  },
};

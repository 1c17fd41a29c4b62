/**
 * MMCosine (Xu et al., ICASSP'23, official code `GeWu-Lab/MMCosine_ICASSP23` `main_CD.py`;
 * spec: shared/spec/research/baselines-pace.md section 3).
 *
 * A cosine-normalised classifier on the concatenation head's kernel, with a fixed scale s:
 *   g_m = s * (f_m / ||f_m||) (W_m / ||W_m||_col)      (main_CD.py: F.normalize of the
 *        features per sample and of each class row of W_m; eps 1e-12; NO bias)
 *   loss = CE(sum_m g_m)                             (the cosine sum replaces the linear output)
 * No gradient manipulation and no state. method.csv: `ce_<m>`, the cross-entropy of each
 * modality's cosine logits (computed for logging only, as main_CD.py does). The concat head's bias is never used by the loss,
 * so it gets no gradient (and no weight decay: SGD skips parameters without a gradient, as
 * PyTorch does for a `None` grad).
 *
 * Reported logits:
 *   - unimodal: the scaled cosine logits g_m (official, section 3.5);
 *   - fused: sum_m g_m by default (`fused_eval=cosine`, the consistent choice, as BalanceMM
 *     evaluates); `fused_eval=linear` gives the official code's fused test accuracy from the
 *     raw linear head [f_1; f_2] W + b (whose bias is never trained).
 * The supplementary's cross-modal NCE term (`--lam`, default 0 = off) is not implemented.
 * Works for any number of modalities.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ConcatHead } from "../models/fusion.ts";
import type { FusionModel } from "../models/model.ts";
import { crossEntropy } from "../optim/grads.ts";
import { singleTape } from "./plan.ts";
import { buildFusionModel } from "./common.ts";
import type { MethodEntry } from "./entry.ts";
import { defineParams } from "./params.ts";
import type { Prediction } from "./types.ts";

/** PyTorch's `F.normalize` epsilon. */
const NORMALIZE_EPS = 1e-12;

/**
 * L2-normalises `x` along `axis` as PyTorch's `F.normalize`: x / max(||x||_2, 1e-12).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { l2Normalize } from "./mmcosine.ts";
 *
 * l2Normalize(tf.tensor2d([[3, 4]]), 1).dataSync(); // Float32Array [0.6, 0.8]
 * ```
 */
export function l2Normalize<T extends tf.Tensor>(x: T, axis: number): T {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(x), axis, true));
    return tf.div(x, tf.maximum(norm, NORMALIZE_EPS)) as T;
  });
}

/**
 * Scaled cosine logits s * cos(f_b, w_c) for features f [B, D] and a kernel w [D, C]
 * stored [in, out] (so a class "row" of the PyTorch weight is a column here). No bias.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { cosineLogits } from "./mmcosine.ts";
 *
 * const g = cosineLogits(tf.tensor2d([[1, 0]]), tf.tensor2d([[2, 0], [0, 5]]), 10);
 * g.dataSync(); // Float32Array [10, 0]
 * ```
 */
export function cosineLogits(f: tf.Tensor2D, w: tf.Tensor2D, scale: number): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.matMul(l2Normalize(f, 1), l2Normalize(w, 0)), scale));
}

/** Forward-pass outputs of MMCosine. */
export interface CosineOutput {
  /** sum_m g_m [B, C] (what the loss sees). */
  cosineSum: tf.Tensor2D;
  /** g_m per modality [B, C]. */
  unimodal: Record<string, tf.Tensor2D>;
  /** The raw linear head output [f_1; ..] W + b [B, C] (official fused test logits), when
   * asked for. */
  linear: tf.Tensor2D | null;
}

/**
 * The MMCosine forward pass of a concat-head fusion model.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { cosineForward } from "./mmcosine.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { buildFusionModel } from "./common.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "mmcosine", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const ctx = methodContext(config, info, { size: 2, labels: new Int32Array(2) });
 * const model = buildFusionModel(ctx, "concat");
 * const r = cosineForward(model, { audio: tf.ones([2, 8]), visual: tf.ones([2, 6]) }, true, 10);
 * r.cosineSum.shape; // [2, 6]
 * ```
 */
export function cosineForward(
  model: FusionModel,
  inputs: Record<string, tf.Tensor>,
  training: boolean,
  scale: number,
  withLinear = false,
): CosineOutput {
  const head = model.head;
  if (!(head instanceof ConcatHead)) throw new Error("mmcosine needs a concatenation head");
  const features = model.encode(inputs, training);
  const unimodal: Record<string, tf.Tensor2D> = {};
  for (const m of model.modalities) {
    unimodal[m] = tf.tidy(() => cosineLogits(features[m], head.kernelOf(m), scale));
  }
  const cosineSum = model.modalities.length === 1
    ? unimodal[model.modalities[0]].clone()
    : tf.addN(model.modalities.map((m) => unimodal[m])) as tf.Tensor2D;
  const linear = withLinear ? head.fuse(features) : null;
  for (const f of Object.values(features)) f.dispose();
  return { cosineSum, unimodal, linear };
}

/** MMCosine's parameters: the scale s of g_m and which logits the fused prediction uses. */
export const MMCOSINE_PARAMS = defineParams({
  // main_CD.py --scaling (README command 10; BalanceMM uses 15; >= 50 advised for film/gated).
  scaling: {
    type: "number",
    above: 0,
    default: 10,
    doc: "scale s of g_m = s cos(f_m, W_m) (main_CD.py --scaling)",
  },
  // "cosine": fused prediction = sum_m g_m; "linear": official main_CD.py fused test logits.
  fused_eval: {
    type: "enum",
    choices: ["cosine", "linear"],
    default: "cosine",
    doc: "fused prediction: cosine = sum_m g_m; linear = official raw [f_1; f_2] W + b",
  },
});

/**
 * The `mmcosine` method (options: `scaling`, `fused_eval`).
 *
 * @example
 * ```ts
 * import { mmcosine } from "./mmcosine.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "mmcosine", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = mmcosine.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.modalities; // ["audio", "visual"]
 * m.dispose();
 * ```
 */
export const mmcosine: MethodEntry = {
  name: "mmcosine",
  description:
    "MMCosine: scaled-cosine classifier per modality (s * cos, no bias), CE on the cosine sum",
  params: MMCOSINE_PARAMS,
  create(ctx) {
    const p = MMCOSINE_PARAMS.read(ctx.params);
    const scale = p.scaling;
    const fusedEval = p.fused_eval;
    const model = buildFusionModel(ctx, "concat", "split");
    return {
      name: "mmcosine",
      modalities: model.modalities,
      logNames: model.modalities.map((m) => `ce_${m}`),
      params: () => model.params(),
      buffers: () => model.buffers(),
      plan: (batch) =>
        singleTape(model.params(), () => {
          // Forward: cosine logits s ||x|| cos(theta) per modality, summed (fused).
          const out = cosineForward(model, batch.inputs, true, scale);
          return {
            loss: crossEntropy(out.cosineSum, batch.labels),
            aux: { fused: out.cosineSum, unimodal: out.unimodal },
          };
        }, (r) => {
          // No gradient change. main_CD.py computes CE(g_a), CE(g_v) for logging only; so
          // does method.csv here.
          const logs: Record<string, tf.Scalar> = {};
          for (const m of model.modalities) {
            logs[`ce_${m}`] = crossEntropy(r.aux.unimodal[m], batch.labels);
          }
          return {
            grads: r.grads,
            out: { loss: r.loss, fused: r.aux.fused, unimodal: r.aux.unimodal, logs },
          };
        }),
      predict(inputs): Prediction {
        const linear = fusedEval === "linear";
        const out = cosineForward(model, inputs, false, scale, linear);
        if (linear) {
          out.cosineSum.dispose();
          return { fused: out.linear!, unimodal: out.unimodal };
        }
        return { fused: out.cosineSum, unimodal: out.unimodal };
      },
      dispose: () => model.dispose(),
    };
  },
};

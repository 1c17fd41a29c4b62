/**
 * DGL, disentangled gradient learning (Wei, Luo, Luo, ICCV'25), following the official code
 * `shicaiwei123/ICCV2025-GDL` (`main_dgl.py`, `models/fusion_modules.py` `ConcatFusion_DGL`;
 * spec: shared/spec/research/baselines-conflict.md section 4).
 *
 * Concatenation head fc_out = [W_1; W_2], b. Per mini-batch (main_dgl.py#L69-165):
 *   1. forward once: features f_m; zero-pad unimodal logits g_m = fc_out([.., f_m, ..0]) =
 *      f_m W_m + b (NOT detached); fused logits z = fc_out(stopgrad([f_1; f_2])).
 *   2. (alpha (CE(g_1) + CE(g_2))).backward(retain_graph) -> encoder gradients
 *   3. fusion-module grads set to None (#L114-119) -> the unimodal terms never reach the head
 *   4. CE(z).backward()                            -> head gradients only (features detached)
 *   5. clip_grad_norm_(all parameters, 40) (#L129), then one SGD step.
 * Net effect: d theta_enc = alpha grad(L_1 + L_2) through the current W_m and b;
 * d theta_head = grad L_f.
 *
 * Here steps 2-4 are two gradient computations over disjoint parameter sets on one forward
 * pass of the encoders: the unimodal loss is differentiated w.r.t. the encoder parameters only
 * (so no head gradient exists to discard), the fused loss w.r.t. the head parameters only, on
 * the encoder features as constants (= detached).
 *
 * Protocol values of the official scripts: lr 2e-3 (`cramed_dgl.sh`, `ks_dgl.sh`), i.e. twice
 * the 1e-3 base every other method uses, exposed as `lr_scale` = 2 (applied to `train.lr`
 * in both profiles); MultiStepLR([70], 0.1) stepped at the START of each epoch (#L74), so the
 * decay lands one epoch earlier than an end-of-epoch StepLR (`sched_at_start`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { FusionModel } from "../models/model.ts";
import {
  backward,
  clipGlobalNorm,
  crossEntropy,
  globalNorm,
  type Grads,
  type Tape,
  type Taped,
} from "../optim/grads.ts";
import { configuredStepLr } from "../optim/schedule.ts";
import { buildFusionModel, predictFusion } from "./common.ts";
import type { MethodEntry } from "./entry.ts";
import { CLIP_SCHED_SPECS, defineParams, LR_SCALE_SPEC } from "./params.ts";

/** The gradients and forward outputs of one DGL step (before clipping). */
export interface DglGrads {
  /** Encoder gradients of alpha * sum_m CE(g_m) and head gradients of CE(z). */
  grads: Grads;
  /** CE(z) on the detached features. */
  lossFused: tf.Scalar;
  /** CE(g_m) per modality (zero-pad logits). */
  lossUnimodal: Record<string, tf.Scalar>;
  /** Fused logits z [B, C]. */
  fused: tf.Tensor2D;
  /** Zero-pad unimodal logits g_m [B, C]. */
  unimodal: Record<string, tf.Tensor2D>;
}

/**
 * DGL's disentangled gradients (main_dgl.py, steps 2-4 above): encoders get only
 * d(alpha * sum_m CE(g_m)), the head gets only d CE(z) computed on detached features.
 * One forward pass of the encoders (train mode). The caller disposes everything returned.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { dglGrads } from "./dgl.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { buildFusionModel } from "./common.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "dgl", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const ctx = methodContext(config, info, { size: 2, labels: new Int32Array(2) });
 * const model = buildFusionModel(ctx, "concat", "zero-pad");
 * const inputs = { audio: tf.ones([2, 8]), visual: tf.ones([2, 6]) };
 * const r = dglGrads(model, inputs, tf.tensor1d([0, 1], "int32"), 4);
 * r.grads.size === model.params().length; // true: encoders from the unimodal CE, head from CE(z)
 * ```
 */
export function dglGrads(
  model: FusionModel,
  inputs: Record<string, tf.Tensor>,
  labels: tf.Tensor1D,
  alpha: number,
): DglGrads {
  return dglResult(backward(dglTapes(model, inputs, labels, alpha)));
}

/** What DGL's first tape keeps: the features, the zero-pad logits and their losses. */
interface UnimodalAux {
  features: Record<string, tf.Tensor2D>;
  unimodal: Record<string, tf.Tensor2D>;
  losses: Record<string, tf.Scalar>;
}

/**
 * DGL's two tapes of one step: step 2, alpha (L_a + L_v) through the zero-pad logits for the
 * encoders only (= the official backward followed by `grad = None` on the fusion module);
 * step 4, L_f on the first tape's features as constants (detached), for the head only.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { dglTapes } from "./dgl.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { buildFusionModel } from "./common.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "dgl", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const model = buildFusionModel(methodContext(config, info, { size: 2, labels: new Int32Array(2) }), "concat", "zero-pad");
 * const tapes = dglTapes(model, { audio: tf.ones([2, 8]), visual: tf.ones([2, 6]) }, tf.tensor1d([0, 1], "int32"), 4);
 * tapes[1].params.length === model.head.params().length; // true: the second tape trains the head
 * ```
 */
export function dglTapes(
  model: FusionModel,
  inputs: Record<string, tf.Tensor>,
  labels: tf.Tensor1D,
  alpha: number,
): Tape[] {
  const encoderParams = model.modalities.flatMap((m) => model.encoderParams(m));
  const unimodalTape: Tape<UnimodalAux> = {
    params: encoderParams,
    forward: () => {
      const features = model.encode(inputs, true);
      const unimodal: Record<string, tf.Tensor2D> = {};
      const losses: Record<string, tf.Scalar> = {};
      for (const m of model.modalities) {
        unimodal[m] = model.head.unimodal(features, m);
        losses[m] = crossEntropy(unimodal[m], labels);
      }
      const loss = tf.mul(alpha, tf.addN(Object.values(losses))) as tf.Scalar;
      return { loss, aux: { features, unimodal, losses } };
    },
  };
  const fusedTape: Tape<{ fused: tf.Tensor2D }> = {
    params: model.head.params(),
    forward: (earlier) => {
      const fused = model.head.fuse((earlier[0].aux as UnimodalAux).features);
      return { loss: crossEntropy(fused, labels), aux: { fused } };
    },
  };
  return [unimodalTape as Tape, fusedTape as Tape];
}

/**
 * Joins the two tapes of {@linkcode dglTapes} after backward: the encoders' gradients from
 * the first, the head's from the second; frees the features.
 */
function dglResult(taped: Taped[]): DglGrads {
  const uni = taped[0] as Taped<UnimodalAux>;
  const fus = taped[1] as Taped<{ fused: tf.Tensor2D }>;
  uni.loss.dispose();
  for (const f of Object.values(uni.aux.features)) f.dispose();
  return {
    grads: new Map([...uni.grads, ...fus.grads]),
    lossFused: fus.loss,
    lossUnimodal: uni.aux.losses,
    fused: fus.aux.fused,
    unimodal: uni.aux.unimodal,
  };
}

/**
 * DGL's parameters. cramed_dgl.sh: --alpha 4 --learning_rate 0.002 (ks_dgl.sh: alpha 2-3,
 * lr 0.002; KS is not one of the paper's datasets). No other dataset has a script: argparse
 * default 4.
 */
export const DGL_PARAMS = defineParams({
  alpha: {
    type: "number",
    default: 4,
    doc: "weight of the encoders' unimodal loss alpha (CE(g_1) + CE(g_2))",
  },
  ...LR_SCALE_SPEC,
  ...CLIP_SCHED_SPECS,
});

/**
 * The `dgl` method. Options: `alpha` (4, official CREMA-D and argparse default),
 * `lr_scale` (2: official lr 2e-3 over the 1e-3 protocol base), `clip_norm` (40; 0 = off),
 * `sched_at_start` (true: official MultiStepLR stepped at epoch start).
 *
 * @example
 * ```ts
 * import { dgl } from "./dgl.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "dgl", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = dgl.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.learningRate!(0, 1e-3, 100); // 0.002 (lr_scale 2)
 * m.dispose();
 * ```
 */
export const dgl: MethodEntry = {
  name: "dgl",
  description:
    "DGL: encoders trained by unimodal CE only, fusion head by CE on detached features (ICCV'25)",
  params: DGL_PARAMS,
  create(ctx) {
    const p = DGL_PARAMS.read(ctx.params);
    const { alpha, clip_norm: clipNorm, lr_scale: lrScale } = p;
    const model = buildFusionModel(ctx, "concat", "zero-pad");
    const logNames = [
      "loss_fusion",
      ...model.modalities.map((m) => `loss_${m}`),
      "grad_norm",
      "clipped",
    ];
    return {
      name: "dgl",
      modalities: model.modalities,
      logNames,
      params: () => model.params(),
      buffers: () => model.buffers(),
      learningRate(epoch, base, epochs) {
        // MultiStepLR stepped at epoch start (main_dgl.py#L74) unless `sched_at_start=false`.
        const at = p.sched_at_start ? "start" : "end";
        return configuredStepLr(ctx.config.train, base * lrScale, epochs, epoch, at);
      },
      plan(batch) {
        // Steps 1-4: the unimodal tape (encoders) and the fused tape (head, detached features).
        const tapes = dglTapes(model, batch.inputs, batch.labels, alpha);
        return {
          tapes,
          change(taped) {
            const r = dglResult(taped);
            // Step 5: clip_grad_norm_(all parameters, 40) (main_dgl.py#L129); SGD step next.
            const norm = globalNorm(r.grads);
            const grads = clipNorm > 0 ? clipGlobalNorm(r.grads, clipNorm) : r.grads;
            const logs: Record<string, tf.Scalar | number> = { loss_fusion: r.lossFused.clone() };
            for (const m of model.modalities) logs[`loss_${m}`] = r.lossUnimodal[m];
            logs.grad_norm = norm;
            logs.clipped = clipNorm > 0
              ? tf.tidy(() => tf.step(tf.sub(norm, clipNorm))) as tf.Scalar
              : 0;
            // The official epoch loss is the mean of loss_f (`_loss += loss_f.item()`).
            return {
              grads,
              out: { loss: r.lossFused, fused: r.fused, unimodal: r.unimodal, logs },
            };
          },
        };
      },
      predict: (inputs) => predictFusion(model, inputs),
      dispose: () => model.dispose(),
    };
  },
};

/**
 * Pieces shared by methods that train a fusion model: building it from the context and
 * the plain plan (one tape: forward and loss; no gradient change).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/types.ts";
import { type BiasConvention, ConcatHead, SumHead } from "../models/fusion.ts";
import { FusionModel, type FusionOutput } from "../models/model.ts";
import { crossEntropy } from "../optim/grads.ts";
import { singleTape } from "./plan.ts";
import type { Method, MethodContext, Prediction, StepPlan } from "./types.ts";

/**
 * Builds encoders for every modality of the dataset plus a concat or sum head.
 *
 * @example
 * ```ts
 * import { buildFusionModel } from "./common.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "concat", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const ctx = methodContext(config, info, { size: 2, labels: new Int32Array(2) });
 * const model = buildFusionModel(ctx, "concat", "split");
 * model.modalities; // ["audio", "visual"]
 * model.dispose();
 * ```
 */
export function buildFusionModel(
  ctx: MethodContext,
  fusion: "concat" | "sum",
  convention: BiasConvention = "split",
): FusionModel {
  const encoders = Object.fromEntries(
    ctx.info.modalities.map((m) => [m, ctx.makeEncoder(m, ctx.rng)]),
  );
  const dims = Object.fromEntries(ctx.info.modalities.map((m) => [m, encoders[m].outDim]));
  const head = fusion === "concat"
    ? new ConcatHead(ctx.info.modalities, dims, ctx.info.numClasses, ctx.rng, convention)
    : new SumHead(ctx.info.modalities, dims, ctx.info.numClasses, ctx.rng);
  return new FusionModel(encoders, head);
}

/** A loss built from a forward pass and the labels. */
export type LossFn = (out: FusionOutput, labels: tf.Tensor1D) => tf.Scalar;

/**
 * Cross-entropy on the fused logits only (vanilla Summation/Concatenation).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fusedCrossEntropy } from "./common.ts";
 *
 * const z = tf.tensor2d([[0, 0]]);
 * const out = { fused: z, unimodal: {}, features: {} };
 * fusedCrossEntropy(out, tf.tensor1d([1], "int32")).dataSync()[0]; // 0.6931 = ln 2
 * ```
 */
export const fusedCrossEntropy: LossFn = (out, labels) => crossEntropy(out.fused, labels);

/**
 * The plain plan: forward in train mode and `loss` on one tape (backward over every
 * parameter), no gradient change. `inputs` replaces the batch's inputs (IBML's TCM noise).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { buildFusionModel, fusedCrossEntropy, plainPlan } from "./common.ts";
 * import { backward } from "../optim/grads.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "concat", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const ctx = methodContext(config, info, { size: 2, labels: new Int32Array(2) });
 * const model = buildFusionModel(ctx, "concat");
 * const inputs = { audio: tf.ones([2, 8]), visual: tf.ones([2, 6]) };
 * const labels = tf.tensor1d([0, 1], "int32");
 * const batch = { inputs, labels, indices: tf.tensor1d([0, 1], "int32"), size: 2 };
 * const plan = plainPlan(model, batch, fusedCrossEntropy);
 * const { grads, out } = plan.change(backward(plan.tapes)); // forward, loss, backward
 * grads.size === model.params().length; // true
 * out.fused.shape; // [2, 6]
 * ```
 */
export function plainPlan(
  model: FusionModel,
  batch: Batch,
  loss: LossFn,
  inputs: Record<string, tf.Tensor> = batch.inputs,
): StepPlan {
  return singleTape(model.params(), () => {
    const out = model.forward(inputs, true); // forward, train mode
    return { loss: loss(out, batch.labels), aux: { fused: out.fused, unimodal: out.unimodal } };
  }, (r) => ({
    grads: r.grads, // no gradient change in the plain plan
    out: { loss: r.loss, fused: r.aux.fused, unimodal: r.aux.unimodal },
  }));
}

/**
 * Eval-mode prediction of a fusion model.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { buildFusionModel, predictFusion } from "./common.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "sum", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const ctx = methodContext(config, info, { size: 2, labels: new Int32Array(2) });
 * const model = buildFusionModel(ctx, "sum");
 * const p = predictFusion(model, { audio: tf.ones([2, 8]), visual: tf.ones([2, 6]) });
 * p.fused!.shape; // [2, 6]
 * Object.keys(p.unimodal); // ["audio", "visual"]
 * ```
 */
export function predictFusion(model: FusionModel, inputs: Record<string, tf.Tensor>): Prediction {
  const out = model.forward(inputs, false);
  return { fused: out.fused, unimodal: out.unimodal };
}

/**
 * A vanilla fusion baseline (`concat`, `sum`): the `fusion` head, CE(z) and the plain step.
 *
 * @example
 * ```ts
 * import { vanillaMethod } from "./common.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "sum", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = vanillaMethod(methodContext(config, info, { size: 2, labels: new Int32Array(2) }), "sum", "sum");
 * m.name; // "sum"
 * m.dispose();
 * ```
 */
export function vanillaMethod(ctx: MethodContext, name: string, fusion: "concat" | "sum"): Method {
  const model = buildFusionModel(ctx, fusion, "split");
  return {
    name,
    modalities: model.modalities,
    params: () => model.params(),
    buffers: () => model.buffers(),
    plan: (batch) => plainPlan(model, batch, fusedCrossEntropy),
    predict: (inputs) => predictFusion(model, inputs),
    dispose: () => model.dispose(),
  };
}

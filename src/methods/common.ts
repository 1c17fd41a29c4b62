/**
 * Pieces shared by methods that train a fusion model: building it from the context and
 * the plain "one loss, one backward, one SGD step" training step.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/types.ts";
import { type BiasConvention, ConcatHead, SumHead } from "../models/fusion.ts";
import { FusionModel, type FusionOutput } from "../models/model.ts";
import { crossEntropy, disposeGrads, gradsOf } from "../optim/grads.ts";
import type { MethodContext, Prediction, StepContext, StepOutput } from "./types.ts";

/**
 * Builds encoders for every modality of the dataset plus a concat or sum head.
 *
 * @example
 * ```ts ignore
 * const model = buildFusionModel(ctx, "concat", "split");
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
 * ```ts ignore
 * const loss = fusedCrossEntropy(out, batch.labels);
 * ```
 */
export const fusedCrossEntropy: LossFn = (out, labels) => crossEntropy(out.fused, labels);

/**
 * One plain step: forward in train mode, `loss`, gradients of every parameter, SGD.
 *
 * @example
 * ```ts ignore
 * return plainStep(model, batch, ctx, fusedCrossEntropy);
 * ```
 */
export function plainStep(
  model: FusionModel,
  batch: Batch,
  ctx: StepContext,
  loss: LossFn,
  inputs: Record<string, tf.Tensor> = batch.inputs,
): StepOutput {
  const r = gradsOf(model.params(), () => {
    const out = model.forward(inputs, true);
    return { loss: loss(out, batch.labels), aux: { fused: out.fused, unimodal: out.unimodal } };
  });
  ctx.optimizer.step(r.grads, ctx.lr);
  disposeGrads(r.grads);
  return { loss: r.loss, fused: r.aux.fused, unimodal: r.aux.unimodal };
}

/**
 * Eval-mode prediction of a fusion model.
 *
 * @example
 * ```ts ignore
 * const p = predictFusion(model, inputs);
 * ```
 */
export function predictFusion(model: FusionModel, inputs: Record<string, tf.Tensor>): Prediction {
  const out = model.forward(inputs, false);
  return { fused: out.fused, unimodal: out.unimodal };
}

/**
 * Concatenation (paper Table 2 "Concatenation"): z = [f_1; f_2] W + b, trained with
 * CE(z) only. Unimodal accuracies use the split logits g_m = f_m W_m + b/2 (Eq. 1).
 *
 * @module
 */
import { buildFusionModel, fusedCrossEntropy, plainStep, predictFusion } from "./common.ts";
import type { MethodEntry } from "./entry.ts";
import { defineParams } from "./params.ts";

/**
 * The `concat` method.
 *
 * @example
 * ```ts ignore
 * const m = concat.create(ctx);
 * ```
 */
export const concat: MethodEntry = {
  name: "concat",
  description: "Concatenation fusion, cross-entropy on the fused logits (vanilla baseline)",
  params: defineParams({}),
  create(ctx) {
    const model = buildFusionModel(ctx, "concat", "split");
    return {
      name: "concat",
      modalities: model.modalities,
      params: () => model.params(),
      buffers: () => model.buffers(),
      trainStep: (batch, step) => Promise.resolve(plainStep(model, batch, step, fusedCrossEntropy)),
      predict: (inputs) => predictFusion(model, inputs),
      dispose: () => model.dispose(),
    };
  },
};

/**
 * Summation (paper Table 2 "Summation"): z = sum_m (f_m W_m + b_m), trained with CE(z)
 * only. Unimodal accuracies use each modality's own linear head with its full bias, as
 * the official IBML code evaluates sum fusion.
 *
 * @module
 */
import { buildFusionModel, fusedCrossEntropy, plainStep, predictFusion } from "./common.ts";
import type { MethodEntry } from "./entry.ts";
import { defineParams } from "./params.ts";

/**
 * The `sum` method.
 *
 * @example
 * ```ts ignore
 * const m = sum.create(ctx);
 * ```
 */
export const sum: MethodEntry = {
  name: "sum",
  description:
    "Summation fusion (one linear head per modality, logits summed), fused cross-entropy",
  params: defineParams({}),
  create(ctx) {
    const model = buildFusionModel(ctx, "sum");
    return {
      name: "sum",
      modalities: model.modalities,
      params: () => model.params(),
      buffers: () => model.buffers(),
      trainStep: (batch, step) => Promise.resolve(plainStep(model, batch, step, fusedCrossEntropy)),
      predict: (inputs) => predictFusion(model, inputs),
      dispose: () => model.dispose(),
    };
  },
};

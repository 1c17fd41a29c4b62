/**
 * Summation (paper Table 2 "Summation"): z = sum_m (f_m W_m + b_m), trained with CE(z)
 * only. Unimodal accuracies use each modality's own linear head with its full bias, as
 * the official IBML code evaluates sum fusion.
 *
 * @module
 */
import { vanillaMethod } from "./common.ts";
import type { MethodEntry } from "./entry.ts";
import { defineParams } from "./params.ts";

/**
 * The `sum` method.
 *
 * @example
 * ```ts
 * import { sum } from "./sum.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "sum", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = sum.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.modalities; // ["audio", "visual"]
 * m.dispose();
 * ```
 */
export const sum: MethodEntry = {
  name: "sum",
  description:
    "Summation fusion (one linear head per modality, logits summed), fused cross-entropy",
  params: defineParams({}),
  create: (ctx) => vanillaMethod(ctx, "sum", "sum"),
};

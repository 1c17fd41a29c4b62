/**
 * Concatenation (paper Table 2 "Concatenation"): z = [f_1; f_2] W + b, trained with
 * CE(z) only. Unimodal accuracies use the split logits g_m = f_m W_m + b/2 (Eq. 1).
 *
 * @module
 */
import { vanillaMethod } from "./common.ts";
import type { MethodEntry } from "./entry.ts";
import { defineParams } from "./params.ts";

/**
 * The `concat` method.
 *
 * @example
 * ```ts
 * import { concat } from "./concat.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "concat", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = concat.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.modalities; // ["audio", "visual"]
 * m.dispose();
 * ```
 */
export const concat: MethodEntry = {
  name: "concat",
  description: "Concatenation fusion, cross-entropy on the fused logits (vanilla baseline)",
  params: defineParams({}),
  create: (ctx) => vanillaMethod(ctx, "concat", "concat"),
};

/**
 * Unimodal training: one modality alone (its encoder plus a linear head), the reference
 * for the paper's dashed "unimodal best" lines (Figures 2 and 5) and for the imbalance
 * check. `method.modality` picks the modality (default: the dataset's lazy one).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { lazyOf } from "../data/specs.ts";
import { Linear } from "../models/linear.ts";
import { crossEntropy } from "../optim/grads.ts";
import { singleTape } from "./plan.ts";
import type { MethodEntry } from "./entry.ts";
import { defineParams, fromDataset } from "./params.ts";
import { ConfigError } from "../config/error.ts";

/** Unimodal's one parameter: which modality trains. */
export const UNIMODAL_PARAMS = defineParams({
  modality: {
    type: "string",
    default: fromDataset((spec) => lazyOf(spec), "the dataset's lazy modality"),
    doc: "the modality trained alone (one of the dataset's)",
  },
});

/**
 * The `unimodal` method.
 *
 * @example
 * ```ts
 * import { unimodal } from "./unimodal.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "unimodal", dataset: "crema-d", sets: ["method.modality=audio"] });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = unimodal.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.modalities; // ["audio"]: trains method.modality only
 * m.dispose();
 * ```
 */
export const unimodal: MethodEntry = {
  name: "unimodal",
  description:
    "One modality alone (encoder + linear head); method.modality picks it (default: lazy)",
  params: UNIMODAL_PARAMS,
  create(ctx) {
    const m = UNIMODAL_PARAMS.read(ctx.params).modality;
    if (!ctx.info.modalities.includes(m)) {
      throw new ConfigError(
        `method.modality='${m}' is not a modality of ${ctx.info.name} (${
          ctx.info.modalities.join(", ")
        })`,
      );
    }
    const encoder = ctx.makeEncoder(m, ctx.rng);
    const head = new Linear(`head.${m}`, "head", encoder.outDim, ctx.info.numClasses, ctx.rng);
    const params = () => [...encoder.params(), ...head.params()];
    const logits = (inputs: Record<string, tf.Tensor>, training: boolean) =>
      head.apply(encoder.forward(inputs[m], training, inputs));
    return {
      name: "unimodal",
      modalities: [m],
      params,
      buffers: () => encoder.buffers(),
      plan: (batch) =>
        singleTape(params(), () => {
          const z = logits(batch.inputs, true); // forward
          return { loss: crossEntropy(z, batch.labels), aux: z }; // loss CE(g_m)
        }, (r) => ({
          grads: r.grads, // no gradient change
          out: { loss: r.loss, fused: r.aux, unimodal: { [m]: r.aux.clone() } },
        })),
      predict(inputs) {
        return { fused: null, unimodal: { [m]: logits(inputs, false) } };
      },
      dispose() {
        for (const p of params()) p.variable.dispose();
        for (const b of encoder.buffers()) b.dispose();
      },
    };
  },
};

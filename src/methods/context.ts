/**
 * The {@linkcode MethodContext} a run hands to `MethodEntry.create`: the dataset's facts, the
 * resolved configuration, the training labels, the seeded init generator
 * (`seedFor(config.seed, "init")`) and the encoder factory of the configured profile.
 *
 * @module
 */
import type { DatasetInfo } from "../data/types.ts";
import { makeEncoder } from "../models/factory.ts";
import { Rng, seedFor } from "../rng.ts";
import type { RunConfig } from "../config/types.ts";
import type { MethodContext } from "./types.ts";

/**
 * The context every run creates its method with.
 *
 * @example
 * ```ts
 * import { methodContext } from "./context.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 *
 * const config = resolveConfig({ method: "concat", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const ctx = methodContext(config, info, { size: 2, labels: Int32Array.from([0, 5]) });
 * ctx.params; // config.method: { name: "concat" }
 * ctx.makeEncoder("audio", ctx.rng).outDim; // config.model.feature_dim
 * ```
 */
export function methodContext(
  config: RunConfig,
  info: DatasetInfo,
  train: { size: number; labels: Int32Array },
): MethodContext {
  return {
    info,
    config,
    params: config.method,
    numTrain: train.size,
    trainLabels: train.labels,
    rng: new Rng(seedFor(config.seed, "init")),
    makeEncoder: (m, rng) => makeEncoder(config, info, m, rng),
  };
}

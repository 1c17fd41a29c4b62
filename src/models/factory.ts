/**
 * Builds the encoder a profile uses for a modality.
 *
 * @module
 */
import type { DatasetInfo } from "../data/types.ts";
import type { RunConfig } from "../config/types.ts";
import type { Rng } from "../rng.ts";
import type { Encoder } from "./encoder.ts";
import { MlpEncoder } from "./mlp.ts";
import { makePaperEncoder, PAPER_FEATURE_DIM } from "./backbones.ts";

/**
 * The encoder for `modality` under `config.model`: the MLP (`mlp`, quick profile) or the
 * paper's backbone for the dataset and modality (`paper`; see backbones.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "../backend/select.ts";
 * import type { DatasetInfo } from "../data/types.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { Rng } from "../rng.ts";
 * import { makeEncoder } from "./factory.ts";
 * await selectBackend("wasm");
 * const config = resolveConfig({ method: "ibml", dataset: "crema-d" }); // quick profile: MLPs
 * const info: DatasetInfo = {
 *   name: "crema-d",
 *   modalities: ["audio", "visual"],
 *   strong: "audio",
 *   lazy: "visual",
 *   numClasses: 6,
 *   hasVal: false,
 *   inputShapes: { audio: [16], visual: [8] },
 *   kind: "synthetic",
 * };
 * const enc = makeEncoder(config, info, "audio", new Rng(0));
 * assert.equal(enc.outDim, config.model.feature_dim);
 * ```
 */
export function makeEncoder(
  config: RunConfig,
  info: DatasetInfo,
  modality: string,
  rng: Rng,
): Encoder {
  const shape = info.inputShapes[modality];
  if (!shape) throw new Error(`dataset ${info.name} has no modality '${modality}'`);
  if (config.model.encoder === "mlp") {
    const inDim = shape.reduce((a, b) => a * b, 1);
    return new MlpEncoder(modality, inDim, config.model.hidden, config.model.feature_dim, rng);
  }
  if (config.model.encoder === "paper") {
    if (config.model.feature_dim !== PAPER_FEATURE_DIM) {
      throw new Error(
        `model.feature_dim=${config.model.feature_dim}: the paper backbones output ` +
          `${PAPER_FEATURE_DIM} features; leave model.feature_dim at ${PAPER_FEATURE_DIM}`,
      );
    }
    return makePaperEncoder(info.name, modality, shape, rng);
  }
  throw new Error(`model.encoder='${config.model.encoder}': use 'mlp' or 'paper'`);
}

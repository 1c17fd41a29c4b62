/**
 * Builds the encoder a profile uses for a modality.
 *
 * @module
 */
import type { DatasetInfo } from "../data/types.ts";
import type { RunConfig } from "../train/config.ts";
import type { Rng } from "../rng.ts";
import type { Encoder } from "./encoder.ts";
import { MlpEncoder } from "./mlp.ts";

/**
 * The encoder for `modality` under `config.model` (MLP in the quick profile).
 *
 * @example
 * ```ts ignore
 * const enc = makeEncoder(config, info, "audio", rng);
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
  throw new Error(
    `model.encoder='${config.model.encoder}': the paper backbones are not implemented yet; use --profile quick`,
  );
}

/**
 * The defaults of a profile: epochs, the training protocol and the model settings, before
 * the dataset's and the method's own defaults and `--set` (src/resolve/resolve_config.ts).
 *
 * @module
 */
import type { Profile, RunConfig } from "../config/types.ts";

/**
 * The profile's part of a run configuration for a dataset task (`2d-3d` uses batch 32 in
 * the paper profile).
 *
 * @example
 * ```ts
 * import { profileDefaults } from "./profile_defaults.ts";
 *
 * profileDefaults("paper", "2d-3d").train.batch_size; // 32
 * ```
 */
export function profileDefaults(
  profile: Profile,
  task: string,
): Omit<RunConfig, "method" | "data" | "seed"> {
  if (profile === "quick") {
    return {
      profile,
      epochs: 30,
      train: {
        batch_size: 64,
        lr: 0.01,
        ...officialProtocol(),
        eval_batch_size: 500,
        micro_batch: 0,
      },
      model: { encoder: "mlp", hidden: [128], feature_dim: 64 },
    };
  }
  return {
    profile,
    epochs: 100,
    train: {
      batch_size: task === "2d-3d" ? 32 : 64,
      lr: 1e-3,
      ...officialProtocol(),
      eval_batch_size: 64,
      micro_batch: "auto",
    },
    model: { encoder: "paper", hidden: [], feature_dim: 512 },
  };
}

/**
 * The official scripts' SGD and schedule, shared by both profiles: momentum 0.9, weight
 * decay 1e-4, StepLR(70, 0.1) over the 100-epoch protocol; no per-sample information dumps.
 */
function officialProtocol() {
  return {
    momentum: 0.9,
    weight_decay: 1e-4,
    lr_step: 70,
    lr_gamma: 0.1,
    protocol_epochs: 100,
    info_epochs: [] as number[],
  };
}

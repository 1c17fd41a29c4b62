/**
 * Every learning-rate schedule of the harness, in one place. The lr of an epoch is decided
 * once per epoch by the trainer (src/train/trainer.ts) and handed to `optimizer.step` (or
 * the micro-batch accumulator) with every step:
 *
 * - {@linkcode stepLr}: StepLR(lr_step, lr_gamma) stepped at epoch ends, the default of every
 *   method (`train.lr`, `train.lr_step`, `train.lr_gamma`);
 * - the same with `at: "start"`: MultiStepLR stepped at epoch STARTS, the official DGL and
 *   ARL scripts' schedule;
 * - {@linkcode ibmlWarmupLr}: IBML's warm-up.
 *
 * Epoch marks are given in the paper's 100-epoch protocol and scaled to the run length (at
 * 100 epochs they are exactly the official ones).
 *
 * @module
 */
import type { TrainConfig } from "../config/types.ts";

/** When a stepped scheduler counts an epoch: after it (`end`, StepLR) or before it (`start`). */
export type StepAt = "end" | "start";

/**
 * The lr used during 0-based epoch `epoch` under a stepped schedule: `base` times `gamma` per
 * `step` protocol epochs counted.
 *
 * - `at: "end"` (default): PyTorch's StepLR(step, gamma) stepped at epoch ends. `step` is
 *   scaled to the run, `max(1, round(step * epochs / protocolEpochs))` run epochs.
 * - `at: "start"`: the scheduler is stepped at the START of each epoch (main_dgl.py#L74,
 *   main_arl_variance.py#L80), so during epoch e it has counted e + 1 epochs and a milestone
 *   of 70 applies from epoch 69. The count is measured in protocol epochs
 *   (e * protocolEpochs / epochs) like every epoch mark of the harness, so the one-epoch
 *   lead is one protocol epoch; `step` repeats like StepLR (identical to the official single
 *   milestone within 100 protocol epochs).
 *
 * @example
 * ```ts
 * import { stepLr } from "./schedule.ts";
 *
 * stepLr(0.001, 70, 0.1, 100, 100, 69); // 0.001
 * stepLr(0.001, 70, 0.1, 100, 100, 70); // 0.0001
 * stepLr(0.001, 70, 0.1, 20, 100, 13); // 0.001 (decays at epoch 14 of 20)
 * stepLr(0.002, 70, 0.1, 100, 100, 68, "start"); // 0.002
 * stepLr(0.002, 70, 0.1, 100, 100, 69, "start"); // 0.0002
 * stepLr(0.002, 70, 0.1, 20, 100, 14, "start"); // 0.0002 (protocol epoch 70 + 1 >= 70)
 * ```
 */
export function stepLr(
  base: number,
  step: number,
  gamma: number,
  epochs: number,
  protocolEpochs: number,
  epoch: number,
  at: StepAt = "end",
): number {
  let decays: number;
  if (at === "start") {
    const counted = (epoch * protocolEpochs) / epochs + 1;
    decays = Math.floor(counted / step + 1e-9);
  } else {
    const scaledStep = Math.max(1, Math.round((step * epochs) / protocolEpochs));
    decays = Math.floor(epoch / scaledStep);
  }
  return base * Math.pow(gamma, decays);
}

/**
 * {@linkcode stepLr} with the run's `train.lr_step`, `train.lr_gamma` and
 * `train.protocol_epochs`, from base lr `base` (the trainer's default schedule uses
 * `train.lr`; a method may scale it, e.g. DGL's `lr_scale`).
 *
 * @example
 * ```ts
 * import { configuredStepLr } from "./schedule.ts";
 *
 * const train = { lr_step: 70, lr_gamma: 0.1, protocol_epochs: 100 };
 * configuredStepLr(train, 0.001, 100, 70); // 0.0001
 * configuredStepLr(train, 0.002, 100, 69, "start"); // 0.0002
 * ```
 */
export function configuredStepLr(
  train: Pick<TrainConfig, "lr_step" | "lr_gamma" | "protocol_epochs">,
  base: number,
  epochs: number,
  epoch: number,
  at: StepAt = "end",
): number {
  return stepLr(base, train.lr_step, train.lr_gamma, epochs, train.protocol_epochs, epoch, at);
}

/**
 * IBML's "warmup" (official code, set at the end of epoch e for the next one):
 * lr = min(lr0 (e/2 + 1), 10 lr0) for e < 35; lr0 for e < 70; 0.1 lr0 after.
 * Returns the lr used during 0-based epoch `epoch`; for runs shorter than the protocol the
 * marks and the ramp are scaled (e is measured in protocol epochs).
 *
 * @example
 * ```ts
 * import { ibmlWarmupLr } from "./schedule.ts";
 *
 * ibmlWarmupLr(0.001, 1, 100, 100); // 0.001 (after epoch 0: 1e-3 * (0/2 + 1))
 * ibmlWarmupLr(0.001, 20, 100, 100); // 0.01
 * ibmlWarmupLr(0.001, 71, 100, 100); // 0.0001
 * ```
 */
export function ibmlWarmupLr(
  base: number,
  epoch: number,
  epochs: number,
  protocolEpochs: number,
): number {
  if (epoch === 0) return base;
  const e = ((epoch - 1) * protocolEpochs) / epochs; // the epoch whose end set this lr
  if (e < 35) return Math.min(base * (e / 2 + 1), 10 * base);
  if (e < 70) return base;
  return 0.1 * base;
}

/**
 * Learning-rate schedules. Epoch marks are given in the paper's 100-epoch protocol and
 * scaled to the run length (at 100 epochs they are exactly the official ones).
 *
 * @module
 */

/**
 * StepLR(step, gamma) stepped at epoch ends: the lr used during 0-based epoch `epoch`.
 * `step` is in protocol epochs (70 of 100) and is scaled to `epochs / protocolEpochs`.
 *
 * @example
 * ```ts
 * stepLr(0.001, 70, 0.1, 100, 100, 70); // 0.0001
 * stepLr(0.001, 70, 0.1, 20, 100, 13); // 0.001 (decay at epoch 14 of 20)
 * ```
 */
export function stepLr(
  base: number,
  step: number,
  gamma: number,
  epochs: number,
  protocolEpochs: number,
  epoch: number,
): number {
  const scaledStep = Math.max(1, Math.round((step * epochs) / protocolEpochs));
  return base * Math.pow(gamma, Math.floor(epoch / scaledStep));
}

/**
 * IBML's "warmup" (official code, set at the end of epoch e for the next one):
 * lr = min(lr0 (e/2 + 1), 10 lr0) for e < 35; lr0 for e < 70; 0.1 lr0 after.
 * Returns the lr used during 0-based epoch `epoch`; for runs shorter than the protocol the
 * marks and the ramp are scaled (e is measured in protocol epochs).
 *
 * @example
 * ```ts
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

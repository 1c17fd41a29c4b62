/**
 * One training step of any method, in the stages of the trainer's loop
 * (src/train/trainer.ts), nanoGPT-style:
 *
 *   forward + loss   the method's tapes (src/methods/<name>.ts `plan`)
 *   backward         each tape's loss differentiated (src/optim/grads.ts `backward`)
 *   change           the method's gradient change, its paper equations (`plan(...).change`)
 *   step             `optimizer.step(grads, lr)` (src/optim/sgd.ts)
 *   log              the step's loss, logits and logs, returned for the epoch sums
 *
 * With micro-batches (`micro` > 0, src/optim/micro_batch.ts) the first three stages run per
 * slice, the changed gradients are summed with the slices' shares as weights, the method's
 * whole-batch hook (`finishUpdate`) sees the sum, and ONE optimizer step follows. A method
 * with several updates per step (MLA: one per modality) repeats all of it per update.
 *
 * @module
 */
import type { Batch } from "../data/types.ts";
import { disposeBatch } from "../data/types.ts";
import type { Method, StepContext, StepOutput } from "../methods/types.ts";
import { backward, disposeGrads, type Grads } from "../optim/grads.ts";
import {
  disposeSliceOutput,
  GradAccumulator,
  joinSlices,
  sliceBatch,
} from "../optim/micro_batch.ts";

/**
 * Runs one training step of `method` on `batch`: for each of the method's updates, forward +
 * loss and backward on its tapes, its gradient change, then `ctx.optimizer.step(grads,
 * ctx.lr)`; returns the step's output for the log (the caller disposes it). `micro` > 0
 * splits the batch into micro-batches of that many samples with one optimizer step per
 * update.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { trainStep } from "./step.ts";
 * import { stepContext } from "./trainer.ts";
 * import { sum } from "../methods/sum.ts";
 * import { methodContext } from "../methods/context.ts";
 * import { Sgd } from "../optim/sgd.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 *
 * const config = resolveConfig({ method: "sum", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const method = sum.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * const optimizer = new Sgd(method.params(), { momentum: 0.9, weightDecay: 1e-4 });
 * const ctx = stepContext(config, { epoch: 0, step: 0, stepsPerEpoch: 1, lr: 0.01, optimizer });
 * const batch = { inputs: { audio: tf.ones([4, 8]), visual: tf.ones([4, 6]) },
 *   labels: tf.tensor1d([0, 1, 2, 3], "int32"), indices: tf.tensor1d([0, 1, 2, 3], "int32"), size: 4 };
 * const out = trainStep(method, batch, ctx, 2); // two micro-batches, one optimizer step
 * out.fused.shape; // [4, 6]
 * ```
 */
export function trainStep(
  method: Method,
  batch: Batch,
  ctx: StepContext,
  micro = 0,
): StepOutput {
  const parts = micro > 0 && micro < batch.size ? sliceBatch(batch, micro) : [batch];
  const whole = parts.length === 1;
  const shares = parts.map((part) => part.size / batch.size);
  const updates: StepOutput[] = [];
  try {
    for (let u = 0; u < (method.updatesPerStep ?? 1); u++) {
      const acc = new GradAccumulator(ctx.optimizer);
      const slices: StepOutput[] = [];
      let total: Grads = acc.sums; // a whole batch: its changed gradient, below
      const spent: Grads[] = []; // the tapes' gradients, freed after the step
      for (const [c, part] of parts.entries()) {
        const sliceCtx: StepContext = whole ? ctx : {
          ...ctx,
          share: shares[c],
          seed: (...purpose) => ctx.seed(...purpose, "micro", c),
        };
        // forward + loss: the method's tapes for this (micro-)batch
        const plan = method.plan(part, sliceCtx, u);
        // backward: every tape's loss differentiated for its parameters
        const taped = backward(plan.tapes);
        // change: the method's gradient change (its paper equations)
        const changed = plan.change(taped);
        if (whole) {
          total = changed.grads;
          spent.push(...taped.map((t) => t.grads));
        } else {
          acc.weight = shares[c];
          acc.step(changed.grads, ctx.lr);
          disposeGrads(changed.grads);
          for (const t of taped) disposeGrads(t.grads);
        }
        slices.push(changed.out);
      }
      const out = whole ? slices[0] : joinSlices(slices, shares);
      // the method's whole-batch change and state (MLA, InfoReg, AGM, ARL), then
      // step: one optimizer update with the epoch's learning rate
      const final = method.finishUpdate?.(total, out, ctx, u) ?? total;
      ctx.optimizer.step(final, ctx.lr);
      for (const g of [final, total, ...spent]) disposeGrads(g);
      acc.dispose();
      updates.push(out);
    }
  } catch (e) {
    for (const o of updates) disposeSliceOutput(o);
    throw e;
  } finally {
    if (!whole) { for (const part of parts) disposeBatch(part); }
  }
  // log: the step's output (one per update joined by the method, e.g. MLA)
  return updates.length === 1 ? updates[0] : method.joinUpdates!(updates);
}

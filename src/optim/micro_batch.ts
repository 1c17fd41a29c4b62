/**
 * Micro-batches (gradient accumulation): a training step whose batch does not fit in the
 * backend's memory runs the method's forward, loss, backward and gradient change on
 * consecutive slices of the batch and applies ONE optimizer step to the size-weighted mean of
 * the slices' gradients (the stages: src/train/step.ts).
 *
 * This is a deviation from every official script, which runs the whole batch at once, and
 * it is off unless asked for (`train.micro_batch`): with micro-batches of size b,
 * - BatchNorm statistics (and their running averages, updated once per slice) are over b
 *   samples, as with PyTorch's DataParallel over B / b devices;
 * - every batch-level quantity a method computes (IBML's a_m, OGM-GE's and AGM's
 *   coefficients, MMPareto's gradient combination, gradient clipping, ...) is computed per
 *   slice, and a method's per-step state is updated once per slice, except what the method
 *   updates once per optimizer step (its `finishUpdate`: AGM, ARL, InfoReg, MLA);
 * - the update itself is one SGD step on sum_c (n_c / B) g_c, which equals the whole batch's
 *   gradient for a mean loss without batch coupling (weight decay and momentum once).
 *
 * `train.micro_batch: auto` (the paper profile's default) turns it on only where the whole
 * batch cannot fit: on the wasm backend, whose heap is capped at 4 GiB, for the datasets in
 * {@linkcode WASM_MICRO_BATCH}; everywhere else the whole batch runs, exactly as the
 * official code does.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/types.ts";
import type { Grads } from "./grads.ts";
import type { RunConfig } from "../config/types.ts";

/** What a method's step needs from the optimizer: one update per step. */
export interface StepOptimizer {
  /** Applies (or, while accumulating, records) one update with learning rate `lr`. */
  step(grads: Grads, lr: number): void;
}

/**
 * Micro-batch size that `train.micro_batch: auto` picks on the wasm backend for the paper
 * profile: the largest power of two whose training step kept the wasm heap at or under
 * 3.5 GiB (of its 4 GiB cap) with the paper backbones, measured by
 * `deno task bench --memory` (bench/memory.ts; table in bench/README.md). No dataset's
 * paper batch fits whole. Food-101's entry assumes captions of at most 160 tokens (the
 * Bi-GRU's memory grows with the longest caption of a batch).
 *
 * @example
 * ```ts
 * import { WASM_MICRO_BATCH } from "./micro_batch.ts";
 *
 * WASM_MICRO_BATCH["crema-d"]; // 4
 * ```
 */
export const WASM_MICRO_BATCH: Readonly<Record<string, number>> = {
  "crema-d": 4,
  ave: 2,
  avsbench: 4,
  vggsound50: 4,
  mvsa: 16,
  food101: 8,
  mnist3d: 4,
  modelnet40: 4,
};

/**
 * The micro-batch size a run uses: 0 for whole batches, otherwise a size smaller than
 * `train.batch_size`. Resolves `auto` (see the module documentation).
 *
 * @example
 * ```ts
 * import { resolveMicroBatch } from "./micro_batch.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 *
 * const config = resolveConfig({ method: "concat", dataset: "crema-d", profile: "paper" });
 * resolveMicroBatch(config, "wasm"); // 4 (train.micro_batch: auto, the whole batch does not fit)
 * resolveMicroBatch(config, "cpu"); // 0 (whole batches)
 * ```
 */
export function resolveMicroBatch(config: RunConfig, backend: string): number {
  const want = config.train.micro_batch;
  const B = config.train.batch_size;
  const size = want === "auto"
    ? (backend === "wasm" && config.profile === "paper"
      ? WASM_MICRO_BATCH[config.data.name] ?? 0
      : 0)
    : want;
  return size > 0 && size < B ? size : 0;
}

/**
 * Splits a batch into consecutive slices of at most `size` samples (the inputs, labels and
 * indices are sliced along the batch axis; the caller disposes the slices and the batch).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { sliceBatch } from "./micro_batch.ts";
 *
 * const batch = {
 *   inputs: { audio: tf.zeros([5, 3]) },
 *   labels: tf.tensor1d([0, 1, 0, 1, 0], "int32"),
 *   indices: tf.tensor1d([0, 1, 2, 3, 4], "int32"),
 *   size: 5,
 * };
 * sliceBatch(batch, 2).map((part) => part.size); // [2, 2, 1]
 * ```
 */
export function sliceBatch(batch: Batch, size: number): Batch[] {
  const parts: Batch[] = [];
  for (let start = 0; start < batch.size; start += size) {
    const n = Math.min(size, batch.size - start);
    const cut = <T extends tf.Tensor>(t: T) => tf.slice(t, start, n) as T;
    parts.push({
      inputs: Object.fromEntries(Object.entries(batch.inputs).map(([m, x]) => [m, cut(x)])),
      labels: cut(batch.labels),
      indices: cut(batch.indices),
      size: n,
    });
  }
  return parts;
}

/**
 * Collects the gradients of a step's slices, weighted by `weight` (n_c / B), and hands
 * their sum to the optimizer once, in {@linkcode GradAccumulator.apply}. A method calls
 * `step(grads, lr)` once per slice exactly as it calls the optimizer; the gradients it
 * passes stay the method's to dispose.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { GradAccumulator } from "./micro_batch.ts";
 *
 * const applied: number[][] = [];
 * const optimizer = {
 *   step: (grads: Map<string, tf.Tensor>) => void applied.push([...grads.get("w")!.dataSync()]),
 * };
 * const acc = new GradAccumulator(optimizer);
 * acc.weight = 0.75; // a slice of 3 of a batch of 4
 * acc.step(new Map([["w", tf.tensor1d([1])]]), 0.1);
 * acc.weight = 0.25; // the last sample
 * acc.step(new Map([["w", tf.tensor1d([5])]]), 0.1);
 * acc.apply(); // one real step on 0.75 * 1 + 0.25 * 5
 * applied; // [[2]]
 * ```
 */
export class GradAccumulator implements StepOptimizer {
  /** Weight of the next slice's gradients (its share of the batch). */
  weight = 1;
  #sum = new Map<string, tf.Tensor>();
  #lr: number | null = null;

  /** The running sums (owned by the accumulator until `dispose()`). */
  get sums(): Grads {
    return this.#sum;
  }

  /** Accumulates into the sums of `target`, which applies them in `apply()`. */
  constructor(readonly target: StepOptimizer) {}

  /** Adds `weight * grads` to the running sums; every slice must use the same `lr`. */
  step(grads: Grads, lr: number): void {
    if (this.#lr !== null && this.#lr !== lr) {
      throw new Error(
        `micro-batches of one step asked for different learning rates (${this.#lr}, ${lr})`,
      );
    }
    this.#lr = lr;
    for (const [name, g] of grads) {
      const prev = this.#sum.get(name);
      const next = tf.tidy(() => {
        const w = this.weight === 1 ? g.clone() : tf.mul(g, this.weight);
        return prev ? tf.add(prev, w) : w;
      });
      prev?.dispose();
      this.#sum.set(name, next);
    }
  }

  /** One optimizer step on the accumulated gradients (none if no slice stepped). */
  apply(): void {
    if (this.#lr !== null) this.target.step(this.#sum, this.#lr);
    this.dispose();
  }

  /** Frees the sums. */
  dispose(): void {
    for (const t of this.#sum.values()) t.dispose();
    this.#sum.clear();
    this.#lr = null;
  }
}

/** What one slice's training step returns (structurally a method's `StepOutput`). */
export interface SliceOutput {
  /** Scalar loss of the slice. */
  loss: tf.Scalar;
  /** Fused logits [n, C]. */
  fused: tf.Tensor2D;
  /** Unimodal logits [n, C] per modality. */
  unimodal: Record<string, tf.Tensor2D>;
  /** Per-step logs. */
  logs?: Record<string, tf.Scalar | number>;
}

/**
 * Joins the outputs of one step's micro-batches into one batch's worth: loss and logs are the
 * size-weighted means (`weights`: each slice's share of the batch), logits are concatenated.
 * Takes ownership of `outs` (disposes them).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { joinSlices } from "./micro_batch.ts";
 *
 * const slice = (loss: number) => ({
 *   loss: tf.scalar(loss),
 *   fused: tf.zeros([2, 3]) as tf.Tensor2D,
 *   unimodal: {},
 *   logs: { k: loss * 10 },
 * });
 * const out = joinSlices([slice(1), slice(4)], [0.5, 0.5]);
 * out.loss.dataSync()[0]; // 2.5
 * out.fused.shape; // [4, 3]
 * out.logs.k.dataSync()[0]; // 25
 * ```
 */
export function joinSlices(
  outs: SliceOutput[],
  weights: number[],
): SliceOutput & { logs: Record<string, tf.Scalar> } {
  const joined = tf.tidy(() => {
    const loss = tf.addN(outs.map((o, i) => tf.mul(o.loss, weights[i]))) as tf.Scalar;
    const fused = tf.concat(outs.map((o) => o.fused)) as tf.Tensor2D;
    const unimodal: Record<string, tf.Tensor2D> = {};
    for (const m of Object.keys(outs[0].unimodal)) {
      unimodal[m] = tf.concat(outs.map((o) => o.unimodal[m])) as tf.Tensor2D;
    }
    const logs: Record<string, tf.Scalar> = {};
    for (const k of Object.keys(outs[0].logs ?? {})) {
      logs[k] = tf.addN(outs.map((o, i) => tf.mul(o.logs![k], weights[i]))) as tf.Scalar;
    }
    return { loss, fused, unimodal, logs };
  });
  for (const o of outs) disposeSliceOutput(o);
  return joined;
}

/**
 * Frees every tensor of a step's output (loss, logits, tensor logs).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { disposeSliceOutput } from "./micro_batch.ts";
 *
 * const out = { loss: tf.scalar(1), fused: tf.zeros([1, 2]) as tf.Tensor2D, unimodal: {} };
 * disposeSliceOutput(out);
 * out.loss.isDisposed; // true
 * ```
 */
export function disposeSliceOutput(out: SliceOutput): void {
  out.loss.dispose();
  out.fused.dispose();
  for (const t of Object.values(out.unimodal)) t.dispose();
  for (const v of Object.values(out.logs ?? {})) if (typeof v !== "number") v.dispose();
}

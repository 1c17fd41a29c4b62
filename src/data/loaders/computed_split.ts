/**
 * A {@linkcode Split} whose batches are built on the host by a function (cached arrays
 * plus per-batch augmentation), then uploaded: the real loaders whose inputs cannot live
 * on the backend as one fixed-shape tensor (variable-length text, random views or point
 * subsets per step) use it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Batch, BatchOptions, Split } from "../types.ts";

/** One input of a batch on the host: row-major values and the full shape (batch first). */
export interface HostTensor {
  /** Values, `prod(shape)` of them. */
  data: Float32Array;
  /** Shape including the batch axis. */
  shape: number[];
}

/** Builds the host inputs of the samples at `indices`. */
export type BatchBuilder = (indices: Int32Array, opts: BatchOptions) => Record<string, HostTensor>;

/**
 * A split backed by a batch-building function.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { ComputedSplit } from "./computed_split.ts";
 * import { disposeBatch } from "../types.ts";
 * await tf.setBackend("cpu");
 * const labels = Int32Array.of(2, 0, 1);
 * const split = new ComputedSplit(labels, (idx) => ({
 *   x: { data: Float32Array.from(idx, (i) => i * 10), shape: [idx.length, 1] },
 * }));
 * const b = split.batch(Int32Array.of(2, 0), { train: false, seed: 0 });
 * assert.deepEqual([b.inputs.x.arraySync(), b.labels.arraySync()], [[[20], [0]], [1, 2]]);
 * disposeBatch(b);
 * ```
 */
export class ComputedSplit implements Split {
  /** Number of samples. */
  readonly size: number;
  /** Class ids. */
  readonly labels: Int32Array;
  #build: BatchBuilder;

  /** Creates the split from its labels and builder. */
  constructor(labels: Int32Array, build: BatchBuilder) {
    this.size = labels.length;
    this.labels = labels;
    this.#build = build;
  }

  /** Builds and uploads the batch. */
  batch(indices: Int32Array, opts: BatchOptions): Batch {
    for (const i of indices) {
      if (i < 0 || i >= this.size) {
        throw new RangeError(`sample ${i} outside split of ${this.size}`);
      }
    }
    const host = this.#build(indices, opts);
    const inputs: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(host)) inputs[k] = tf.tensor(v.data, v.shape, "float32");
    const labels = tf.tensor1d(Int32Array.from(indices, (i) => this.labels[i]), "int32");
    return { inputs, labels, indices: tf.tensor1d(indices, "int32"), size: indices.length };
  }
}

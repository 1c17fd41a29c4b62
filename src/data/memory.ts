/**
 * A split held in memory on the tfjs backend: batches are `gather`s of resident
 * tensors, so nothing is copied from JS per step.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Batch, BatchOptions, Split } from "./types.ts";

/** Host-side arrays of one split: flat features per modality plus labels. */
export interface HostSplit {
  /** Flat row-major features per modality, `size * prod(shape)` values. */
  features: Record<string, Float32Array>;
  /** Per-sample shape of each modality. */
  shapes: Record<string, number[]>;
  /** Class ids. */
  labels: Int32Array;
}

/**
 * A {@linkcode Split} whose tensors live on the backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { MemorySplit } from "./memory.ts";
 * import { disposeBatch } from "./types.ts";
 * await tf.setBackend("cpu");
 * const split = new MemorySplit({
 *   features: { a: Float32Array.of(0, 1, 2, 3, 4, 5) },
 *   shapes: { a: [3] },
 *   labels: Int32Array.of(0, 1),
 * });
 * const b = split.batch(Int32Array.of(1), { train: true, seed: 0 });
 * assert.deepEqual(b.inputs.a.arraySync(), [[3, 4, 5]]);
 * assert.deepEqual(b.labels.arraySync(), [1]);
 * disposeBatch(b);
 * split.dispose();
 * ```
 */
export class MemorySplit implements Split {
  /** Number of samples. */
  readonly size: number;
  /** Class ids. */
  readonly labels: Int32Array;
  #inputs: Record<string, tf.Tensor>;
  #labels: tf.Tensor1D;

  /** Uploads the host arrays to the backend. */
  constructor(host: HostSplit) {
    this.size = host.labels.length;
    this.labels = host.labels;
    this.#inputs = {};
    for (const [m, data] of Object.entries(host.features)) {
      const shape = [this.size, ...host.shapes[m]];
      this.#inputs[m] = tf.keep(tf.tensor(data, shape, "float32"));
    }
    this.#labels = tf.keep(tf.tensor1d(host.labels, "int32"));
  }

  /** Gathers the rows at `indices`. */
  batch(indices: Int32Array, _opts: BatchOptions): Batch {
    return tf.tidy(() => {
      const idx = tf.tensor1d(indices, "int32");
      const inputs: Record<string, tf.Tensor> = {};
      for (const [m, t] of Object.entries(this.#inputs)) inputs[m] = tf.keep(tf.gather(t, idx));
      return {
        inputs,
        labels: tf.keep(tf.gather(this.#labels, idx)) as tf.Tensor1D,
        indices: tf.keep(idx),
        size: indices.length,
      };
    });
  }

  /** Frees the resident tensors. */
  dispose(): void {
    for (const t of Object.values(this.#inputs)) t.dispose();
    this.#labels.dispose();
  }
}

/**
 * The data interface between datasets and the trainer. A dataset never knows about
 * methods; the trainer never knows about file layouts.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** Static facts about a dataset, recorded in every run. */
export interface DatasetInfo {
  /** Registry name, e.g. `crema-d`. */
  name: string;
  /** Modality names in the order the fusion head concatenates them. */
  modalities: string[];
  /** The modality the paper calls strong (numerator of the discrepancy ratio). */
  strong: string;
  /** The lazy modality (denominator of the discrepancy ratio). */
  lazy: string;
  /** Number of classes. */
  numClasses: number;
  /** Whether a validation split exists (then `best` is selected on it). */
  hasVal: boolean;
  /** Per-sample input shape for each modality (without the batch axis). */
  inputShapes: Record<string, number[]>;
  /** Where the samples come from. */
  kind: "synthetic" | "real" | "npz";
  /** Optional readable class names. */
  classNames?: string[];
}

/** One mini-batch on the backend. The caller disposes it with {@linkcode disposeBatch}. */
export interface Batch {
  /** One tensor per modality, batch axis first. */
  inputs: Record<string, tf.Tensor>;
  /** Integer class ids, shape [B]. */
  labels: tf.Tensor1D;
  /** Positions of these samples in their split, shape [B] (int32). */
  indices: tf.Tensor1D;
  /** Batch size B. */
  size: number;
}

/** Options for drawing a batch. */
export interface BatchOptions {
  /** Training mode: augmentations on (if the dataset has any). */
  train: boolean;
  /** Seed for any randomness in the batch (augmentation). */
  seed: number;
}

/** One split of a dataset. */
export interface Split {
  /** Number of samples. */
  size: number;
  /** Class id of every sample. */
  labels: Int32Array;
  /** Builds the batch of the given sample positions. */
  batch(indices: Int32Array, opts: BatchOptions): Batch;
}

/** A loaded dataset. */
export interface Dataset {
  /** Static facts. */
  info: DatasetInfo;
  /** Training split. */
  train: Split;
  /** Test split. */
  test: Split;
  /** Validation split, where the dataset has one. */
  val?: Split;
  /** Ground-truth facts a stand-in knows by construction (for reports). */
  facts?: Record<string, number | string>;
  /** Frees backend memory. */
  dispose(): void;
}

/**
 * Disposes every tensor of a batch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { disposeBatch } from "./types.ts";
 * import { MemorySplit } from "./memory.ts";
 * await tf.setBackend("cpu");
 * const split = new MemorySplit({ features: { a: new Float32Array(4) }, shapes: { a: [2] }, labels: Int32Array.of(0, 1) });
 * const before = tf.memory().numTensors;
 * const b = split.batch(Int32Array.of(0, 1), { train: true, seed: 1 });
 * disposeBatch(b);
 * assert.equal(tf.memory().numTensors, before);
 * split.dispose();
 * ```
 */
export function disposeBatch(b: Batch): void {
  for (const t of Object.values(b.inputs)) t.dispose();
  b.labels.dispose();
  b.indices.dispose();
}

/**
 * The encoder interface: one per modality, mapping a batch of inputs to features.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Param } from "./params.ts";

/** An encoder of one modality. */
export interface Encoder {
  /** Modality this encoder reads. */
  readonly modality: string;
  /** Feature dimension of the output. */
  readonly outDim: number;
  /**
   * Features [B, outDim]; `training` switches batch-norm statistics and dropout. `inputs` is
   * the whole batch's inputs, for auxiliary tensors such as a text mask (`text_mask`).
   */
  forward(x: tf.Tensor, training: boolean, inputs?: Record<string, tf.Tensor>): tf.Tensor2D;
  /** Trainable parameters. */
  params(): Param[];
  /** Non-trainable state saved in checkpoints (e.g. batch-norm running statistics). */
  buffers(): tf.Variable[];
}

/**
 * A multimodal model: one encoder per modality and a fusion head.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Encoder } from "./encoder.ts";
import type { FusionHead } from "./fusion.ts";
import type { Param } from "./params.ts";

/** Output of a forward pass. */
export interface FusionOutput {
  /** Encoder features per modality [B, D_m]. */
  features: Record<string, tf.Tensor2D>;
  /** Fused logits z [B, C]. */
  fused: tf.Tensor2D;
  /** Unimodal logits g_m [B, C] (the head's convention). */
  unimodal: Record<string, tf.Tensor2D>;
}

/**
 * Encoders + fusion head.
 *
 * @example
 * ```ts ignore
 * const model = new FusionModel(encoders, new ConcatHead(mods, dims, C, rng));
 * const { fused, unimodal } = model.forward(batch.inputs, true);
 * ```
 */
export class FusionModel {
  /** Modalities in fusion order. */
  readonly modalities: string[];

  /** Assembles the model. */
  constructor(readonly encoders: Record<string, Encoder>, readonly head: FusionHead) {
    this.modalities = Object.keys(encoders);
  }

  /** Encoder features of every modality. */
  encode(inputs: Record<string, tf.Tensor>, training: boolean): Record<string, tf.Tensor2D> {
    const features: Record<string, tf.Tensor2D> = {};
    for (const m of this.modalities) {
      features[m] = this.encoders[m].forward(inputs[m], training, inputs);
    }
    return features;
  }

  /** Head outputs from given features. */
  headFrom(features: Record<string, tf.Tensor2D>): FusionOutput {
    const unimodal: Record<string, tf.Tensor2D> = {};
    for (const m of this.modalities) unimodal[m] = this.head.unimodal(features, m);
    return { features, fused: this.head.fuse(features), unimodal };
  }

  /** Full forward pass. */
  forward(inputs: Record<string, tf.Tensor>, training: boolean): FusionOutput {
    return this.headFrom(this.encode(inputs, training));
  }

  /** Encoder parameters of one modality. */
  encoderParams(modality: string): Param[] {
    return this.encoders[modality].params();
  }

  /** All parameters: encoders in modality order, then the head. */
  params(): Param[] {
    return [...this.modalities.flatMap((m) => this.encoders[m].params()), ...this.head.params()];
  }

  /** All encoder buffers. */
  buffers(): tf.Variable[] {
    return this.modalities.flatMap((m) => this.encoders[m].buffers());
  }

  /** Frees all variables. */
  dispose(): void {
    for (const p of this.params()) p.variable.dispose();
    for (const b of this.buffers()) b.dispose();
  }
}

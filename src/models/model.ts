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
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { ConcatHead } from "./fusion.ts";
 * import { MlpEncoder } from "./mlp.ts";
 * import { FusionModel } from "./model.ts";
 * await selectBackend("wasm");
 * const rng = new Rng(0);
 * const encoders = {
 *   audio: new MlpEncoder("audio", 8, [16], 4, rng),
 *   visual: new MlpEncoder("visual", 5, [16], 4, rng),
 * };
 * const head = new ConcatHead(["audio", "visual"], { audio: 4, visual: 4 }, 6, rng);
 * const model = new FusionModel(encoders, head);
 * const inputs = { audio: tf.ones([2, 8]), visual: tf.ones([2, 5]) };
 * const { fused, unimodal } = model.forward(inputs, true);
 * assert.deepEqual([fused.shape, unimodal.audio.shape], [[2, 6], [2, 6]]);
 * model.dispose();
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

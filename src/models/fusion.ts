/**
 * Fusion heads that also give unimodal logits, with an explicit bias convention.
 *
 * - Concatenation (paper Eq. 1): z = sum_m f_m W_m + b, with W = [W_1; W_2; ...] split by
 *   rows per modality. Unimodal logits: "split" g_m = f_m W_m + b/M (so sum_m g_m = z, the
 *   official IBML and OGM-GE convention) or "zero-pad" g_m = f_m W_m + b (the head applied to
 *   [0, .., f_m, .., 0], as DGL and ARL do).
 * - Summation: z = sum_m (f_m W_m + b_m); unimodal g_m = f_m W_m + b_m (full own bias).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Linear } from "./linear.ts";
import type { Param } from "./params.ts";
import type { Rng } from "../rng.ts";

/** How a concatenation head's bias enters a unimodal logit. */
export type BiasConvention = "split" | "zero-pad";

/** A fusion head. */
export interface FusionHead {
  /** Fused logits z [B, C]. */
  fuse(features: Record<string, tf.Tensor2D>): tf.Tensor2D;
  /** Unimodal logits g_m [B, C] of one modality. */
  unimodal(features: Record<string, tf.Tensor2D>, modality: string): tf.Tensor2D;
  /** Trainable parameters. */
  params(): Param[];
}

/**
 * Concatenation head: one Linear over the concatenated features.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { ConcatHead } from "./fusion.ts";
 * await selectBackend("wasm");
 * const head = new ConcatHead(["audio", "visual"], { audio: 4, visual: 3 }, 6, new Rng(0));
 * const features = {
 *   audio: tf.ones([2, 4]) as tf.Tensor2D,
 *   visual: tf.ones([2, 3]) as tf.Tensor2D,
 * };
 * const z = head.fuse(features);
 * const gA = head.unimodal(features, "audio"); // f_a W_a + b/2
 * assert.deepEqual([z.shape, gA.shape], [[2, 6], [2, 6]]);
 * ```
 */
export class ConcatHead implements FusionHead {
  /** The Linear layer (kernel rows ordered by modality). */
  readonly fc: Linear;
  #offsets: Record<string, [number, number]> = {};

  /** Creates the head; `convention` sets the bias share of unimodal logits. */
  constructor(
    readonly modalities: string[],
    dims: Record<string, number>,
    numClasses: number,
    rng: Rng,
    readonly convention: BiasConvention = "split",
    name = "head.fc",
  ) {
    let off = 0;
    for (const m of modalities) {
      this.#offsets[m] = [off, dims[m]];
      off += dims[m];
    }
    this.fc = new Linear(name, "head", off, numClasses, rng);
  }

  /** The rows W_m of the kernel that multiply modality m's features. */
  kernelOf(modality: string): tf.Tensor2D {
    const [off, d] = this.#offsets[modality];
    const w = this.fc.kernel.variable as tf.Tensor2D;
    return tf.slice(w, [off, 0], [d, w.shape[1]]);
  }

  /** z = concat(f) W + b. */
  fuse(features: Record<string, tf.Tensor2D>): tf.Tensor2D {
    const f = tf.concat(this.modalities.map((m) => features[m]), 1);
    return this.fc.apply(f);
  }

  /** g_m = f_m W_m + b/M ("split") or + b ("zero-pad"). */
  unimodal(features: Record<string, tf.Tensor2D>, modality: string): tf.Tensor2D {
    const y = tf.matMul(features[modality], this.kernelOf(modality));
    const b = this.fc.bias!.variable;
    const share = this.convention === "split" ? tf.div(b, this.modalities.length) : b;
    return tf.add(y, share);
  }

  /** Kernel and bias. */
  params(): Param[] {
    return this.fc.params();
  }
}

/**
 * Summation head: one Linear per modality, logits summed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { SumHead } from "./fusion.ts";
 * await selectBackend("wasm");
 * const head = new SumHead(["audio", "visual"], { audio: 4, visual: 3 }, 6, new Rng(0));
 * const features = {
 *   audio: tf.ones([2, 4]) as tf.Tensor2D,
 *   visual: tf.ones([2, 3]) as tf.Tensor2D,
 * };
 * assert.deepEqual(head.fuse(features).shape, [2, 6]);
 * ```
 */
export class SumHead implements FusionHead {
  /** Per-modality layers. */
  readonly fcs: Record<string, Linear> = {};

  /** Creates one Linear per modality, named `head.<modality>`. */
  constructor(
    readonly modalities: string[],
    dims: Record<string, number>,
    numClasses: number,
    rng: Rng,
  ) {
    for (const m of modalities) {
      this.fcs[m] = new Linear(`head.${m}`, "head", dims[m], numClasses, rng);
    }
  }

  /** z = sum_m (f_m W_m + b_m). */
  fuse(features: Record<string, tf.Tensor2D>): tf.Tensor2D {
    return tf.addN(this.modalities.map((m) => this.fcs[m].apply(features[m])));
  }

  /** g_m = f_m W_m + b_m. */
  unimodal(features: Record<string, tf.Tensor2D>, modality: string): tf.Tensor2D {
    return this.fcs[modality].apply(features[modality]);
  }

  /** All per-modality parameters. */
  params(): Param[] {
    return this.modalities.flatMap((m) => this.fcs[m].params());
  }
}

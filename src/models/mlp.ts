/**
 * The quick profile's encoder: an MLP with ReLU after every layer (features are
 * non-negative, like the pooled ResNet features of the paper profile).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Linear } from "./linear.ts";
import type { Encoder } from "./encoder.ts";
import type { Param } from "./params.ts";
import type { Rng } from "../rng.ts";

/**
 * MLP encoder: flatten, then `hidden` widths and a final `outDim` layer, each with ReLU.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { MlpEncoder } from "./mlp.ts";
 * await selectBackend("wasm");
 * const enc = new MlpEncoder("audio", 8, [16], 4, new Rng(0));
 * const f = enc.forward(tf.ones([2, 8]), true);
 * assert.deepEqual(f.shape, [2, 4]);
 * ```
 */
export class MlpEncoder implements Encoder {
  #layers: Linear[] = [];

  /** Builds the layers with xavier-normal kernels and zero biases. */
  constructor(
    readonly modality: string,
    inDim: number,
    hidden: number[],
    readonly outDim: number,
    rng: Rng,
  ) {
    const widths = [inDim, ...hidden, outDim];
    for (let i = 0; i + 1 < widths.length; i++) {
      this.#layers.push(
        new Linear(
          `encoder.${modality}.${i}`,
          `encoder.${modality}`,
          widths[i],
          widths[i + 1],
          rng,
        ),
      );
    }
  }

  /** Features [B, outDim]. */
  forward(x: tf.Tensor, _training: boolean): tf.Tensor2D {
    let h = tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
    for (const layer of this.#layers) h = tf.relu(layer.apply(h));
    return h;
  }

  /** All layer parameters. */
  params(): Param[] {
    return this.#layers.flatMap((l) => l.params());
  }

  /** No buffers. */
  buffers(): tf.Variable[] {
    return [];
  }
}

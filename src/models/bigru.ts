/**
 * The text encoder of the image-text task (`models/backbone_VL.py` `TextEncoder`;
 * research/datasets-backbones.md §9.6): frozen GloVe embeddings (looked up by the data
 * pipeline, so the input is already float [B, L, 300]) through a one-layer bidirectional
 * GRU, hidden 512, whose two directions are averaged per step and mean-pooled over the
 * valid steps -> [B, 512].
 *
 * Variable length: the batch carries a padding mask `<modality>_mask` [B, L] (float32, 1 for
 * a real token, 0 for padding; padding at the end) beside the embeddings, in
 * `Batch.inputs`. The official code packs the sequences, so padding never enters either
 * direction; here every step is masked instead: the forward state stops changing after a
 * sequence's last token, and the backward pass starts from a zero state at each
 * sequence's own last token (padded steps keep it at zero). Only valid steps are pooled.
 *
 * GRU cell as PyTorch's (`nn.GRU`, gate order r, z, n; two bias vectors):
 *   r = s(x W_ir + b_ir + h W_hr + b_hr), z = s(x W_iz + b_iz + h W_hz + b_hz),
 *   n = tanh(x W_in + b_in + r * (h W_hn + b_hn)), h' = (1 - z) * n + z * h.
 * Init: PyTorch's GRU default, U(-1/sqrt(hidden), 1/sqrt(hidden)) for every weight and
 * bias (the official `weight_init` does not touch GRUs). Parameters: 2,500,608.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { torchUniform } from "./conv.ts";
import type { Encoder } from "./encoder.ts";
import { makeParam, type Param } from "./params.ts";
import type { Rng } from "../rng.ts";

/** One direction's weights. */
interface Direction {
  /** Input kernel [in, 3H] (r | z | n). */
  wIh: Param;
  /** Recurrent kernel [H, 3H]. */
  wHh: Param;
  /** Input bias [3H]. */
  bIh: Param;
  /** Recurrent bias [3H]. */
  bHh: Param;
}

/**
 * The key under which a batch carries the padding mask of a sequence modality.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { maskKey } from "./bigru.ts";
 * assert.equal(maskKey("text"), "text_mask");
 * ```
 */
export function maskKey(modality: string): string {
  return `${modality}_mask`;
}

/**
 * Bidirectional GRU text encoder with masked mean pooling.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { BiGruEncoder } from "./bigru.ts";
 * await selectBackend("wasm");
 * const enc = new BiGruEncoder("text", 4, 3, new Rng(0)); // 4-d embeddings, hidden size 3
 * const embeddings = tf.ones([2, 5, 4]) as tf.Tensor3D;
 * const mask = tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]); // 1 = token
 * const f = enc.encode(embeddings, mask); // [2, 3]
 * const inputs = { text: embeddings, text_mask: mask };
 * const g = enc.forward(embeddings, true, inputs); // reads inputs.text_mask
 * assert.deepEqual([f.shape, g.shape], [[2, 3], [2, 3]]);
 * ```
 */
export class BiGruEncoder implements Encoder {
  /** Feature dimension (= hidden size). */
  readonly outDim: number;
  #fwd: Direction;
  #bwd: Direction;

  /** Builds both directions (forward first), PyTorch default init. */
  constructor(readonly modality: string, readonly inDim: number, hidden: number, rng: Rng) {
    this.outDim = hidden;
    const group = `encoder.${modality}`;
    const make = (dir: string): Direction => {
      const name = `${group}.gru.${dir}`;
      const u = (n: number) => torchUniform(rng, n, hidden);
      return {
        wIh: makeParam(`${name}.w_ih`, group, "kernel", u(inDim * 3 * hidden), [
          inDim,
          3 * hidden,
        ]),
        wHh: makeParam(`${name}.w_hh`, group, "kernel", u(hidden * 3 * hidden), [
          hidden,
          3 * hidden,
        ]),
        bIh: makeParam(`${name}.b_ih`, group, "bias", u(3 * hidden), [3 * hidden]),
        bHh: makeParam(`${name}.b_hh`, group, "bias", u(3 * hidden), [3 * hidden]),
      };
    };
    this.#fwd = make("forward");
    this.#bwd = make("backward");
  }

  /**
   * Features [B, H]. The padding mask is read from `inputs[<modality>_mask]` (the batch
   * inputs, passed as the third argument); a missing mask is an error rather than a silent
   * "all steps valid". Call {@link BiGruEncoder.encode} to pass a mask directly.
   */
  forward(x: tf.Tensor, _training: boolean, inputs?: Record<string, tf.Tensor>): tf.Tensor2D {
    const mask = inputs?.[maskKey(this.modality)];
    if (!mask) {
      throw new Error(
        `Bi-GRU (${this.modality}): the batch must carry the padding mask ` +
          `'${maskKey(this.modality)}' [B, L] in its inputs, and the caller must pass the ` +
          `batch inputs as forward's third argument`,
      );
    }
    return this.encode(x as tf.Tensor3D, mask as tf.Tensor2D);
  }

  /** Features [B, H] of embeddings [B, L, in] with padding mask [B, L] (1 = token). */
  encode(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 3 || x.shape[2] !== this.inDim) {
      throw new Error(`Bi-GRU: expected [B, L, ${this.inDim}], got [${x.shape}]`);
    }
    if (mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[1]) {
      throw new Error(`Bi-GRU: mask [${mask.shape}] does not match input [${x.shape}]`);
    }
    return tf.tidy(() => {
      const [b, l] = x.shape;
      const hid = this.outDim;
      const m = tf.cast(mask, "float32");
      const flat = tf.reshape(x, [b * l, this.inDim]) as tf.Tensor2D;
      const proj = (d: Direction) =>
        tf.unstack(
          tf.reshape(
            tf.add(tf.matMul(flat, d.wIh.variable as tf.Tensor2D), d.bIh.variable),
            [b, l, 3 * hid],
          ),
          1,
        ) as tf.Tensor2D[];
      const xf = proj(this.#fwd);
      const xb = proj(this.#bwd);
      const steps = tf.unstack(tf.reshape(m, [b, l, 1]), 1) as tf.Tensor2D[]; // [B, 1] each
      const outF: tf.Tensor2D[] = new Array(l);
      const outB: tf.Tensor2D[] = new Array(l);
      let hf: tf.Tensor2D = tf.zeros([b, hid]);
      let hb: tf.Tensor2D = tf.zeros([b, hid]);
      for (let t = 0; t < l; t++) {
        hf = this.#step(this.#fwd, xf[t], hf, steps[t]);
        outF[t] = hf;
        const s = l - 1 - t;
        hb = this.#step(this.#bwd, xb[s], hb, steps[s]);
        outB[s] = hb;
      }
      // Mean over valid steps of (forward + backward) / 2.
      const sum = tf.addN(
        outF.map((f, t) => tf.mul(tf.add(f, outB[t]), steps[t])),
      );
      const len = tf.maximum(tf.sum(m, 1, true), 1);
      return tf.div(tf.div(sum, 2), len) as tf.Tensor2D;
    });
  }

  /** One masked GRU step: h <- h + mask * (cell(x, h) - h). */
  #step(d: Direction, xp: tf.Tensor2D, h: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
    const hid = this.outDim;
    const hp = tf.add(tf.matMul(h, d.wHh.variable as tf.Tensor2D), d.bHh.variable);
    const [xr, xz, xn] = tf.split(xp, 3, 1);
    const [hr, hz, hn] = tf.split(hp, [hid, hid, hid], 1);
    const r = tf.sigmoid(tf.add(xr, hr));
    const z = tf.sigmoid(tf.add(xz, hz));
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    const next = tf.add(n, tf.mul(z, tf.sub(h, n))); // (1 - z) n + z h
    return tf.add(h, tf.mul(mask, tf.sub(next, h)));
  }

  /** Both directions' weights and biases. */
  params(): Param[] {
    return [this.#fwd, this.#bwd].flatMap((d) => [d.wIh, d.wHh, d.bIh, d.bHh]);
  }

  /** No buffers. */
  buffers(): tf.Variable[] {
    return [];
  }
}

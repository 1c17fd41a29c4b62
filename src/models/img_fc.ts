/**
 * `Img_FC`, the "simple CNN" of the official IBML code for 3D MNIST images
 * (`models/backbone_2D3D.py`; research/datasets-backbones.md §9.4):
 *
 *   conv 3x3 3->96 (pad 1, bias), ReLU, max pool 2 -> conv 3x3 96->64 (pad 1, bias), ReLU,
 *   max pool 2 -> flatten (64 x 7 x 7 = 3136 for 30 x 30 inputs) -> Linear 3136->512, ReLU.
 *
 * Input NHWC [B, 30, 30, 3] (the 30 x 30 digit broadcast to 3 channels, as the official
 * loader does). The official class also defines `fc2` (Linear 1024->512) but never calls
 * it; it is left out: it gets no gradient, and PyTorch's SGD skips parameters without a
 * gradient (no weight decay either), so it cannot change the trained model.
 * Parameters: 1,664,192. Init: PyTorch defaults (`main_3DMNIST.py` applies no
 * `weight_init`). The flatten runs in NHWC order (h, w, c) instead of PyTorch's (c, h, w):
 * a fixed permutation of fc1's rows, equivalent under the i.i.d. init.
 *
 * Each ReLU runs after its max pool instead of before: max and ReLU commute (ReLU does not
 * decrease), so the pooled values are the same bit for bit, and so are the gradients (a
 * window whose maximum is positive sends its gradient to the same cell either way; one whose
 * maximum is not positive sends none either way). The ReLU and its gradient then touch a
 * quarter of the cells (bench/README.md, "Fewer passes for Img_FC"; tests/models/img_fc_test.ts
 * compares both orders). On the native engine's CPU each pool + ReLU pair is one of ibml's own
 * TensorFlow ops, and so is its gradient (`reluMaxPool2` in ./conv.ts; the same numbers).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Conv2d, Dense, reluMaxPool2 } from "./conv.ts";
import type { Encoder } from "./encoder.ts";
import type { Param } from "./params.ts";
import type { Rng } from "../rng.ts";

/**
 * The 3D MNIST image encoder. `inputShape` is the per-sample [H, W, C] ([30, 30, 3] in the
 * paper profile); fc1's input size follows from it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { ImgFcEncoder } from "./img_fc.ts";
 * await selectBackend("wasm");
 * const enc = new ImgFcEncoder("image", [8, 8, 3], new Rng(0)); // MNIST-3D: [30, 30, 3]
 * const f = enc.forward(tf.ones([2, 8, 8, 3]), true);
 * assert.deepEqual(f.shape, [2, 512]);
 * ```
 */
export class ImgFcEncoder implements Encoder {
  /** Feature dimension. */
  readonly outDim: number;
  #conv1: Conv2d;
  #conv2: Conv2d;
  #fc1: Dense;

  /** Builds the layers (PyTorch default init). */
  constructor(readonly modality: string, inputShape: number[], rng: Rng, outDim = 512) {
    if (inputShape.length !== 3) {
      throw new Error(`Img_FC: expected a per-sample shape [H, W, C], got [${inputShape}]`);
    }
    const [h, w, c] = inputShape;
    const group = `encoder.${modality}`;
    const init = "torch-default" as const;
    this.#conv1 = new Conv2d(`${group}.conv1`, group, rng, {
      inChannels: c,
      outChannels: 96,
      size: 3,
      pad: 1,
      bias: true,
      init,
    });
    this.#conv2 = new Conv2d(`${group}.conv2`, group, rng, {
      inChannels: 96,
      outChannels: 64,
      size: 3,
      pad: 1,
      bias: true,
      init,
    });
    const flat = Math.floor(Math.floor(h / 2) / 2) * Math.floor(Math.floor(w / 2) / 2) * 64;
    if (flat === 0) throw new Error(`Img_FC: input [${inputShape}] is too small (needs >= 4x4)`);
    this.outDim = outDim;
    this.#fc1 = new Dense(`${group}.fc1`, group, rng, flat, outDim, { init });
  }

  /** Features [B, outDim]. */
  forward(x: tf.Tensor, _training: boolean): tf.Tensor2D {
    return tf.tidy(() => {
      if (x.rank !== 4) throw new Error(`Img_FC: expected [B, H, W, C], got [${x.shape}]`);
      // relu(pool(.)) is pool(relu(.)) exactly (see the module note), on a quarter of the cells.
      let h = reluMaxPool2(this.#conv1.apply(x as tf.Tensor4D));
      h = reluMaxPool2(this.#conv2.apply(h));
      const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
      return tf.relu(this.#fc1.apply(flat));
    });
  }

  /** Both convs and fc1. */
  params(): Param[] {
    return [...this.#conv1.params(), ...this.#conv2.params(), ...this.#fc1.params()];
  }

  /** No buffers. */
  buffers(): tf.Variable[] {
    return [];
  }
}

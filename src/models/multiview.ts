/**
 * The ModelNet40 multi-view image encoder, `SingleViewNet` + the view averaging of
 * `ModelNetClassifier` in the official IBML code (`models/backbone_2D3D.py`,
 * `models/basic_model_2D3D.py`; research/datasets-backbones.md §9.3):
 *
 * - a ResNet18 trunk (torchvision layout: 3-channel 7x7 stem, max pool, 4 x 2 BasicBlocks,
 *   global average pool) -> Linear 512->512 (bias) -> BN1d -> ReLU, per view, weights
 *   shared across views;
 * - the official classifier encodes views (1, 2) and (3, 4) as pairs and averages each
 *   pair, then the two pairs: the mean of the 4 view features. Every view goes through
 *   the trunk and the BN1d as its own batch of B images, as in the official code (so each
 *   BN normalises per view and updates its running statistics once per view, view after
 *   view). Here the views share each convolution and linear1 as one batch of V*B images
 *   (per-sample ops, so the same function; one large op is faster than V small ones) and
 *   every BN splits that batch back into its V views (`BatchNorm.apply`'s `groups`).
 *
 * Input NHWC views [B, V, 112, 112, 3] (V = 4 in the paper profile); output [B, 512].
 * Parameters: 11,440,192.
 *
 * Weights: the official code starts the trunk from torchvision's ImageNet-pretrained
 * ResNet18, which contradicts the paper's "all models trained from scratch (except GloVe)".
 * No pretrained weights can be bundled here (no network; licence), so this encoder always
 * trains FROM SCRATCH: the trunk gets torchvision's own init (kaiming-normal fan-out convs,
 * BN 1/0, the same as the official `weight_init`) and linear1/BN1d PyTorch's defaults.
 * Expect lower ModelNet40 image accuracies than a pretrained trunk would give.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { BatchNorm } from "./batchnorm.ts";
import { Dense } from "./conv.ts";
import type { Encoder } from "./encoder.ts";
import { splitGroups } from "./groups.ts";
import type { Param } from "./params.ts";
import { ResNet18Trunk } from "./resnet18.ts";
import type { Rng } from "../rng.ts";

/**
 * Multi-view encoder with a shared ResNet18 trunk (from scratch).
 *
 * @example
 * ```ts ignore
 * // not run: builds an 11M-parameter ResNet18 (seconds; tests/models/ covers it)
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { MultiViewEncoder } from "./multiview.ts";
 * await selectBackend("wasm");
 * const enc = new MultiViewEncoder("image", new Rng(0)); // a ResNet18 trunk shared by the views
 * const views = tf.ones([1, 2, 16, 16, 3]); // ModelNet40: [B, 4, 112, 112, 3]
 * const f = enc.forward(views, false);
 * assert.deepEqual(f.shape, [1, 512]);
 * ```
 */
export class MultiViewEncoder implements Encoder {
  /** Feature dimension. */
  readonly outDim = 512;
  /** The shared trunk. */
  readonly trunk: ResNet18Trunk;
  #linear1: Dense;
  #bn6: BatchNorm;

  /** Builds the trunk, then linear1 and bn6. */
  constructor(readonly modality: string, rng: Rng) {
    const group = `encoder.${modality}`;
    this.trunk = new ResNet18Trunk(`${group}.img_net`, group, 3, rng);
    this.#linear1 = new Dense(`${group}.linear1`, group, rng, 512, 512, {
      init: "torch-default",
    });
    this.#bn6 = new BatchNorm(`${group}.bn6`, group, 512);
  }

  /** Features [B, 512] of views [B, V, H, W, 3]: the mean of the V per-view features. */
  forward(x: tf.Tensor, training: boolean): tf.Tensor2D {
    if (x.rank !== 5) {
      throw new Error(`multi-view encoder: expected views [B, V, H, W, C], got [${x.shape}]`);
    }
    return tf.tidy(() => {
      // The V views as one batch of V*B images, view after view: every convolution and
      // linear1 runs once on all of them (one larger op is faster than V small ones), and
      // each BN still normalises each view as its own batch (`groups`).
      const [b, v, h, w, c] = x.shape;
      const images = tf.reshape(tf.transpose(x, [1, 0, 2, 3, 4]), [v * b, h, w, c]);
      const f = this.trunk.apply(images as tf.Tensor4D, training, v);
      const feats = tf.relu(this.#bn6.apply(this.#linear1.apply(f), training, v));
      return tf.div(tf.addN(splitGroups(feats, v)), v) as tf.Tensor2D;
    });
  }

  /** Trunk, linear1 and bn6 parameters. */
  params(): Param[] {
    return [...this.trunk.params(), ...this.#linear1.params(), ...this.#bn6.params()];
  }

  /** Trunk and bn6 running statistics. */
  buffers(): tf.Variable[] {
    return [...this.trunk.buffers(), ...this.#bn6.buffers()];
  }
}

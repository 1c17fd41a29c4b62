/**
 * ResNet18 as the official IBML code builds it (research/datasets-backbones.md §9.1-9.2):
 * `models/backbone_AV.py` (= OGM-GE's `models/backbone.py`) for audio and video frames and
 * `models/resnet.py` `ResNet18()` for the image-text task, which share one topology:
 *
 * - stem: conv 7x7 stride 2 pad 3 (no bias; 1 input channel for audio, 3 for RGB), BN,
 *   ReLU, max pool 3x3 stride 2 pad 1;
 * - four stages of two BasicBlocks (conv3x3-BN-ReLU-conv3x3-BN + shortcut, ReLU), widths
 *   64/128/256/512, stride 2 from stage 2 on; the shortcut is conv1x1 (stride) + BN when
 *   the shape changes, identity otherwise;
 * - no fc: global average pooling to 512.
 *
 * Video: the official AV model folds (B, C, T, H, W) to (B*T, C, H, W), runs the trunk and
 * applies `adaptive_avg_pool3d` over (T, h, w), i.e. a plain mean over frames and space.
 * Here the input is NHWC frames [B, T, H, W, C]; the trunk runs on [B*T, H, W, C] and the
 * features are averaged over space, then over T (the same mean, as every frame has the
 * same h x w).
 *
 * Init (`weight_init` in the AV/VL scripts; also torchvision's ResNet default, used by the
 * ModelNet40 encoder when trained from scratch): conv kaiming-normal fan-out, BN 1/0.
 *
 * Parameters: 11,170,240 (1 input channel) and 11,176,512 (3 input channels).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { BatchNorm } from "./batchnorm.ts";
import { Conv2d, maxPool2d } from "./conv.ts";
import type { Encoder } from "./encoder.ts";
import { mapGroups } from "./groups.ts";
import type { Param } from "./params.ts";
import type { Rng } from "../rng.ts";

/** A ResNet BasicBlock. */
class BasicBlock {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm;
  readonly down: { conv: Conv2d; bn: BatchNorm } | null;

  constructor(name: string, group: string, rng: Rng, inC: number, outC: number, stride: number) {
    this.conv1 = new Conv2d(`${name}.conv1`, group, rng, {
      inChannels: inC,
      outChannels: outC,
      size: 3,
      stride,
      pad: 1,
    });
    this.bn1 = new BatchNorm(`${name}.bn1`, group, outC);
    this.conv2 = new Conv2d(`${name}.conv2`, group, rng, {
      inChannels: outC,
      outChannels: outC,
      size: 3,
      pad: 1,
    });
    this.bn2 = new BatchNorm(`${name}.bn2`, group, outC);
    this.down = stride !== 1 || inC !== outC
      ? {
        conv: new Conv2d(`${name}.downsample.0`, group, rng, {
          inChannels: inC,
          outChannels: outC,
          size: 1,
          stride,
        }),
        bn: new BatchNorm(`${name}.downsample.1`, group, outC),
      }
      : null;
  }

  apply(x: tf.Tensor4D, training: boolean, groups: number): tf.Tensor4D {
    let out = tf.relu(this.bn1.apply(this.conv1.apply(x), training, groups));
    out = this.bn2.apply(this.conv2.apply(out), training, groups);
    const short = this.down ? this.down.bn.apply(this.down.conv.apply(x), training, groups) : x;
    return tf.relu(tf.add(out, short));
  }

  params(): Param[] {
    return [
      ...this.conv1.params(),
      ...this.bn1.params(),
      ...this.conv2.params(),
      ...this.bn2.params(),
      ...(this.down ? [...this.down.conv.params(), ...this.down.bn.params()] : []),
    ];
  }

  buffers(): tf.Variable[] {
    return [
      ...this.bn1.buffers(),
      ...this.bn2.buffers(),
      ...(this.down ? this.down.bn.buffers() : []),
    ];
  }
}

/**
 * The ResNet18 trunk: images [N, H, W, C] to globally average-pooled features [N, 512].
 * Parameters are named like PyTorch's (`<prefix>.conv1.kernel`, `<prefix>.layer2.0.bn1.gamma`,
 * `<prefix>.layer2.0.downsample.0.kernel`, ...).
 *
 * @example
 * ```ts ignore
 * // not run: builds an 11M-parameter ResNet18 (seconds; tests/models/ covers it)
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { ResNet18Trunk } from "./resnet18.ts";
 * await selectBackend("wasm");
 * const trunk = new ResNet18Trunk("encoder.image", "encoder.image", 3, new Rng(0));
 * const f = trunk.apply(tf.ones([2, 16, 16, 3]) as tf.Tensor4D, false); // [N, 512]
 * assert.deepEqual(f.shape, [2, 512]);
 * ```
 */
export class ResNet18Trunk {
  /** Output feature dimension. */
  readonly outDim = 512;
  #conv1: Conv2d;
  #bn1: BatchNorm;
  #blocks: BasicBlock[] = [];

  /** Builds the layers in PyTorch's definition order (which fixes the draws from `rng`). */
  constructor(prefix: string, group: string, readonly inChannels: number, rng: Rng) {
    this.#conv1 = new Conv2d(`${prefix}.conv1`, group, rng, {
      inChannels,
      outChannels: 64,
      size: 7,
      stride: 2,
      pad: 3,
    });
    this.#bn1 = new BatchNorm(`${prefix}.bn1`, group, 64);
    let inC = 64;
    [64, 128, 256, 512].forEach((width, stage) => {
      for (let b = 0; b < 2; b++) {
        const stride = stage > 0 && b === 0 ? 2 : 1;
        this.#blocks.push(
          new BasicBlock(`${prefix}.layer${stage + 1}.${b}`, group, rng, inC, width, stride),
        );
        inC = width;
      }
    });
  }

  /**
   * Pooled features [N, 512] of images [N, H, W, inChannels]. `groups` > 1: the N images
   * are that many equal batches, each with its own BN statistics ({@link BatchNorm.apply}).
   */
  apply(x: tf.Tensor4D, training: boolean, groups = 1): tf.Tensor2D {
    if (x.shape[3] !== this.inChannels) {
      throw new Error(
        `ResNet18: expected ${this.inChannels} input channel(s), got shape [${x.shape}]`,
      );
    }
    // relu(pool(.)) equals pool(relu(.)) bit for bit (src/models/img_fc.ts says why), and the
    // ReLU and its gradient then run on a quarter of the stem's cells.
    const stem = (images: tf.Tensor4D) =>
      maxPool2d(this.#bn1.apply(this.#conv1.apply(images), training), 3, 2, 1);
    // Groups run the stem one at a time: its activations are the trunk's largest, and as one
    // batch its backward pass would hold `groups` times larger temporaries (measured: the
    // multi-view step's peak RSS up by a quarter); the blocks then take the groups as one batch.
    let h = tf.relu(mapGroups(x, groups, stem));
    // One scope per block: intermediates the gradient tape does not keep are freed block
    // by block instead of at the end of the forward pass (the peak of an eval batch).
    for (const block of this.#blocks) {
      const x = h;
      h = tf.tidy(() => block.apply(x, training, groups));
    }
    return tf.mean(h, [1, 2]) as tf.Tensor2D;
  }

  /** All trainable parameters. */
  params(): Param[] {
    return [
      ...this.#conv1.params(),
      ...this.#bn1.params(),
      ...this.#blocks.flatMap((b) => b.params()),
    ];
  }

  /** BN running statistics. */
  buffers(): tf.Variable[] {
    return [...this.#bn1.buffers(), ...this.#blocks.flatMap((b) => b.buffers())];
  }
}

/**
 * ResNet18 encoder of one modality. Input [B, H, W, C] (audio spectrograms, images) or
 * [B, T, H, W, C] (video frames, averaged over T as the official AV model does). Output
 * [B, 512].
 *
 * @example
 * ```ts ignore
 * // not run: builds an 11M-parameter ResNet18 (seconds; tests/models/ covers it)
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { ResNet18Encoder } from "./resnet18.ts";
 * await selectBackend("wasm");
 * const audio = new ResNet18Encoder("audio", 1, new Rng(0)); // input [B, 257, 188, 1]
 * const visual = new ResNet18Encoder("visual", 3, new Rng(1)); // input [B, 3, 224, 224, 3]
 * const frames = tf.ones([1, 2, 16, 16, 3]); // tiny frames
 * const f = visual.forward(frames, false); // [B, 512]: the mean over the frames
 * assert.deepEqual([f.shape, audio.outDim], [[1, 512], 512]);
 * ```
 */
export class ResNet18Encoder implements Encoder {
  /** Feature dimension (512). */
  readonly outDim = 512;
  /** The trunk (shared layout with the multi-view encoder). */
  readonly trunk: ResNet18Trunk;

  /** Creates the encoder; parameters are named `encoder.<modality>.*`. */
  constructor(readonly modality: string, inChannels: number, rng: Rng) {
    const group = `encoder.${modality}`;
    this.trunk = new ResNet18Trunk(group, group, inChannels, rng);
  }

  /** Features [B, 512]. */
  forward(x: tf.Tensor, training: boolean): tf.Tensor2D {
    return tf.tidy(() => {
      if (x.rank === 4) return this.trunk.apply(x as tf.Tensor4D, training);
      if (x.rank !== 5) {
        throw new Error(
          `ResNet18 (${this.modality}): expected [B, H, W, C] or [B, T, H, W, C], got [${x.shape}]`,
        );
      }
      const [b, t, h, w, c] = x.shape;
      const f = this.trunk.apply(tf.reshape(x, [b * t, h, w, c]) as tf.Tensor4D, training);
      return tf.mean(tf.reshape(f, [b, t, this.outDim]), 1) as tf.Tensor2D;
    });
  }

  /** All trainable parameters. */
  params(): Param[] {
    return this.trunk.params();
  }

  /** BN running statistics. */
  buffers(): tf.Variable[] {
    return this.trunk.buffers();
  }
}

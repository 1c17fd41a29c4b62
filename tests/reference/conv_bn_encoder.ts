/**
 * The small convolutional encoder of the step-equivalence suite: conv 3x3 -> BatchNorm ->
 * ReLU -> conv 3x3 stride 2 -> BatchNorm -> ReLU -> global average pool -> dropout. It is
 * built from the harness's own layers (`Conv2d`, `BatchNorm`, `DropoutStream`), so the suite
 * checks their train/eval behaviour, running statistics and dropout against PyTorch's
 * `F.conv2d`, `F.batch_norm` and inverted dropout.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { BatchNorm } from "../../src/models/batchnorm.ts";
import { Conv2d, DropoutStream } from "../../src/models/conv.ts";
import type { Encoder } from "../../src/models/encoder.ts";
import type { Param } from "../../src/models/params.ts";
import { Rng, seedFor } from "../../src/rng.ts";

/** Drop probability of the encoder's dropout layer. */
export const CONV_DROPOUT = 0.25;

/**
 * The seed of a modality's dropout stream (the driver's twin stream uses the same one).
 *
 * @example
 * ```ts
 * dropoutSeed("audio") === dropoutSeed("audio"); // true
 * ```
 */
export function dropoutSeed(modality: string): number {
  return seedFor("step-equivalence", "dropout", modality);
}

/**
 * A conv + BatchNorm encoder over NHWC inputs [B, H, W, C] with `outDim` features.
 *
 * @example
 * ```ts ignore
 * const enc = new ConvBnEncoder("audio", 2, 8, new Rng(1));
 * const f = enc.forward(x, true); // [B, 8]
 * ```
 */
export class ConvBnEncoder implements Encoder {
  /** 3x3 conv, stride 1, pad 1, to 4 channels. */
  readonly conv1: Conv2d;
  /** BatchNorm after conv1. */
  readonly bn1: BatchNorm;
  /** 3x3 conv, stride 2, pad 1, to `outDim` channels. */
  readonly conv2: Conv2d;
  /** BatchNorm after conv2. */
  readonly bn2: BatchNorm;
  /** The seeded dropout masks (its counter is one of the buffers). */
  readonly drop: DropoutStream;

  /** Builds the layers (kaiming fan-out kernels, no conv bias, BN gamma 1 / beta 0). */
  constructor(readonly modality: string, inChannels: number, readonly outDim: number, rng: Rng) {
    const g = `encoder.${modality}`;
    this.conv1 = new Conv2d(`${g}.conv1`, g, rng, {
      inChannels,
      outChannels: 4,
      size: 3,
      stride: 1,
      pad: 1,
    });
    this.bn1 = new BatchNorm(`${g}.bn1`, g, 4);
    this.conv2 = new Conv2d(`${g}.conv2`, g, rng, {
      inChannels: 4,
      outChannels: outDim,
      size: 3,
      stride: 2,
      pad: 1,
    });
    this.bn2 = new BatchNorm(`${g}.bn2`, g, outDim);
    this.drop = new DropoutStream(new Rng(dropoutSeed(modality)));
  }

  /** Features [B, outDim]; training mode uses batch statistics and draws a dropout mask. */
  forward(x: tf.Tensor, training: boolean): tf.Tensor2D {
    if (training) this.drop.next();
    return tf.tidy(() => {
      let h = tf.relu(this.bn1.apply(this.conv1.apply(x as tf.Tensor4D), training));
      h = tf.relu(this.bn2.apply(this.conv2.apply(h), training));
      const f = tf.mean(h, [1, 2]) as tf.Tensor2D;
      return training ? this.drop.apply(f, CONV_DROPOUT, 0) : f;
    });
  }

  /** Kernels and BatchNorm scales/shifts. */
  params(): Param[] {
    return [
      ...this.conv1.params(),
      ...this.bn1.params(),
      ...this.conv2.params(),
      ...this.bn2.params(),
    ];
  }

  /** Running statistics of both BatchNorms, then the dropout counter. */
  buffers(): tf.Variable[] {
    return [...this.bn1.buffers(), ...this.bn2.buffers(), this.drop.counter];
  }

  /** Buffers by name (for the comparison with the port). */
  namedBuffers(): Record<string, tf.Variable> {
    const g = `encoder.${this.modality}`;
    return {
      [`${g}.bn1.running_mean`]: this.bn1.runningMean,
      [`${g}.bn1.running_var`]: this.bn1.runningVar,
      [`${g}.bn2.running_mean`]: this.bn2.runningMean,
      [`${g}.bn2.running_var`]: this.bn2.runningVar,
    };
  }
}

/**
 * The keep masks (0 or 1/(1-p)) that pass `count` (1-based) of a modality's dropout stream
 * applies to a [B, D] feature tensor, from a twin stream with the same seed.
 *
 * @example
 * ```ts ignore
 * const masks = dropoutMasks("audio", 8, 8, 20); // masks[c - 1] is pass c's mask
 * ```
 */
export function dropoutMasks(modality: string, B: number, D: number, passes: number): number[][] {
  const twin = new DropoutStream(new Rng(dropoutSeed(modality)));
  const out: number[][] = [];
  for (let c = 1; c <= passes; c++) {
    twin.next();
    const ones = tf.ones([B, D]);
    const m = twin.apply(ones, CONV_DROPOUT, 0);
    out.push(Array.from(m.dataSync()));
    tf.dispose([ones, m]);
  }
  twin.counter.dispose();
  return out;
}

/**
 * Layer building blocks of the paper backbones, with PyTorch semantics in NHWC layout:
 * 2D convolution with PyTorch-style symmetric padding, a fully connected layer, max
 * pooling, the two initialisations the official code uses, and seeded dropout.
 *
 * Initialisation (research/datasets-backbones.md §9):
 * - `kaiming-fan-out`: the official `weight_init` (AV and VL scripts) and torchvision's
 *   ResNet default: conv kernels N(0, 2 / (out_channels * kh * kw)); a conv bias, if any,
 *   starts at 0.
 * - `torch-default`: what PyTorch layers do when the script applies no init (the 2D-3D
 *   scripts): weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where fan_in is
 *   in_channels * kh * kw (conv) or in_features (linear). This is
 *   `kaiming_uniform_(a=sqrt(5))` for the weight and PyTorch's bias rule.
 * - `xavier`: xavier-normal kernel and zero bias (the official `weight_init` for Linear).
 *
 * All values come from the seeded {@link Rng} handed in, so init is deterministic and
 * independent of the tfjs backend.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { kaimingNormalFanOut, makeParam, type Param, xavierNormal } from "./params.ts";
import { Rng, seedFor } from "../rng.ts";
import { nativeMaxPool, nativeMaxPoolAvailable, nativeMaxPoolGrad } from "../kernels/native_ops.ts";
import { conv2dWithBias, tensorflowPadding } from "../kernels/conv_bias.ts";
import {
  customMaxPool2Relu,
  customMaxPool2ReluGrad,
  customOpsBackend,
} from "../kernels/custom_ops.ts";

/** How a layer's weights are initialised (see the module documentation). */
export type LayerInit = "kaiming-fan-out" | "torch-default" | "xavier";

/**
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)) values: PyTorch's default for Linear/Conv weights and
 * biases, and (with fanIn = hidden size) for every GRU tensor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../rng.ts";
 * import { torchUniform } from "./conv.ts";
 * assert.ok(torchUniform(new Rng(1), 6, 4).every((v) => Math.abs(v) <= 0.5)); // bound 1/sqrt(4)
 * ```
 */
export function torchUniform(rng: Rng, n: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.uniform() - 1) * bound;
  return out;
}

/** Options of {@link Conv2d}. */
export interface Conv2dOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Square kernel size. */
  size: number;
  /** Stride (default 1). */
  stride?: number;
  /** Zero padding on every side, as PyTorch's `padding` (default 0). */
  pad?: number;
  /** Whether the layer has a bias (default false). */
  bias?: boolean;
  /** Initialisation (default `kaiming-fan-out`). */
  init?: LayerInit;
}

/**
 * A 2D convolution, kernel [kh, kw, in, out], NHWC input. Padding is PyTorch's symmetric
 * `padding=p` (not tfjs "same", which pads bottom/right first when the stride is 2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { Conv2d } from "./conv.ts";
 * await selectBackend("wasm");
 * const conv = new Conv2d("encoder.audio.conv1", "encoder.audio", new Rng(0), {
 *   inChannels: 1,
 *   outChannels: 4,
 *   size: 7,
 *   stride: 2,
 *   pad: 3,
 * });
 * const y = conv.apply(tf.ones([2, 8, 8, 1]) as tf.Tensor4D);
 * assert.deepEqual(y.shape, [2, 4, 4, 4]); // [B, ceil(H/2), ceil(W/2), 4] for even H, W
 * ```
 */
export class Conv2d {
  /** Kernel [kh, kw, in, out]. */
  readonly kernel: Param;
  /** Bias [out], or null. */
  readonly bias: Param | null;
  /** Stride. */
  readonly stride: number;
  /** Symmetric zero padding. */
  readonly pad: number;

  /** Creates the layer; parameters are named `<name>.kernel` / `<name>.bias`. */
  constructor(name: string, group: string, rng: Rng, opts: Conv2dOptions) {
    const { inChannels: ci, outChannels: co, size: k } = opts;
    this.stride = opts.stride ?? 1;
    this.pad = opts.pad ?? 0;
    const init = opts.init ?? "kaiming-fan-out";
    const n = k * k * ci * co;
    const fanIn = k * k * ci;
    const values = init === "torch-default"
      ? torchUniform(rng, n, fanIn)
      : init === "xavier"
      ? xavierNormal(rng, fanIn, k * k * co)
      : kaimingNormalFanOut(rng, n, co, k * k * co);
    this.kernel = makeParam(`${name}.kernel`, group, "kernel", values, [k, k, ci, co]);
    if (opts.bias) {
      const b = init === "torch-default" ? torchUniform(rng, co, fanIn) : new Float32Array(co);
      this.bias = makeParam(`${name}.bias`, group, "bias", b, [co]);
    } else {
      this.bias = null;
    }
  }

  /** The convolution (plus bias). */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const kernel = this.kernel.variable as tf.Tensor4D;
      if (this.bias) {
        // One oneDNN op on the native engine's CPU, the same numbers (src/kernels/conv_bias.ts).
        const fused = conv2dWithBias(x, kernel, this.bias.variable, this.stride, this.pad);
        if (fused) return fused;
      }
      const y = conv2dSymmetric(x, kernel, this.stride, this.pad);
      return this.bias ? tf.add(y, this.bias.variable) : y;
    });
  }

  /** Kernel (and bias). */
  params(): Param[] {
    return this.bias ? [this.kernel, this.bias] : [this.kernel];
  }
}

/**
 * A fully connected layer y = x W + b (W stored [in, out]) with a choice of init:
 * `torch-default` (the 2D-3D backbones) or `xavier` (the official `weight_init`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { Dense } from "./conv.ts";
 * await selectBackend("wasm");
 * const fc = new Dense("encoder.points.linear1", "encoder.points", new Rng(0), 8, 4, {
 *   bias: false,
 *   init: "torch-default",
 * });
 * const y = fc.apply(tf.ones([2, 8]));
 * assert.deepEqual(y.shape, [2, 4]);
 * ```
 */
export class Dense {
  /** Kernel [in, out]. */
  readonly kernel: Param;
  /** Bias [out], or null. */
  readonly bias: Param | null;

  /** Creates the layer; parameters are named `<name>.kernel` / `<name>.bias`. */
  constructor(
    name: string,
    group: string,
    rng: Rng,
    readonly inDim: number,
    readonly outDim: number,
    opts: { bias?: boolean; init?: LayerInit } = {},
  ) {
    const init = opts.init ?? "torch-default";
    const values = init === "xavier"
      ? xavierNormal(rng, inDim, outDim)
      : init === "torch-default"
      ? torchUniform(rng, inDim * outDim, inDim)
      : kaimingNormalFanOut(rng, inDim * outDim, outDim, outDim);
    this.kernel = makeParam(`${name}.kernel`, group, "kernel", values, [inDim, outDim]);
    if (opts.bias ?? true) {
      const b = init === "torch-default"
        ? torchUniform(rng, outDim, inDim)
        : new Float32Array(outDim);
      this.bias = makeParam(`${name}.bias`, group, "bias", b, [outDim]);
    } else {
      this.bias = null;
    }
  }

  /** x W + b over the last axis (any leading shape). */
  apply<T extends tf.Tensor>(x: T): T {
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const flat = x.rank === 2 ? x as unknown as tf.Tensor2D : tf.reshape(x, [-1, this.inDim]);
      let y: tf.Tensor2D = tf.matMul(flat as tf.Tensor2D, this.kernel.variable as tf.Tensor2D);
      if (this.bias) y = tf.add(y, this.bias.variable);
      return (x.rank === 2 ? y : tf.reshape(y, [...lead, this.outDim])) as unknown as T;
    });
  }

  /** Kernel (and bias). */
  params(): Param[] {
    return this.bias ? [this.kernel, this.bias] : [this.kernel];
  }
}

/**
 * Max pooling with PyTorch's symmetric padding (padded cells never win, as PyTorch pads
 * with -inf). Output size floor((H + 2 pad - size) / stride) + 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { maxPool2d } from "./conv.ts";
 * await selectBackend("wasm");
 * const x = tf.ones([1, 8, 8, 2]) as tf.Tensor4D;
 * const y = maxPool2d(x, 3, 2, 1); // the ResNet stem pool: 8 -> 4
 * assert.deepEqual(y.shape, [1, 4, 4, 2]);
 * ```
 */
export function maxPool2d(x: tf.Tensor4D, size: number, stride: number, pad = 0): tf.Tensor4D {
  if (nativeMaxPoolAvailable()) return oneDnnMaxPool(x, size, stride, pad);
  if (pad === 0) return tf.maxPool(x, size, stride, "valid");
  if (explicitPaddingSupported()) return tf.maxPool(x, size, stride, pad);
  return paddedMaxPool(x, size, stride, pad);
}

/**
 * `relu(maxPool2d(x, 2, 2))`: a 2x2, stride-2 max pool followed by a ReLU (Img_FC's layers).
 * On the native engine's CPU with ibml's ops open (src/kernels/custom_ops.ts) it is one op
 * whose backward pass is one op too, keeping one byte per output for it (which cell was the
 * maximum) instead of the pool's input; the same values and gradients bit for bit
 * (tests/custom_ops_test.ts). Elsewhere it is the two ops.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { reluMaxPool2 } from "./conv.ts";
 * await selectBackend("wasm");
 * const y = reluMaxPool2(tf.tensor4d([1, -2, 3, -4], [1, 2, 2, 1]));
 * assert.deepEqual(Array.from(y.dataSync()), [3]);
 * ```
 */
export function reluMaxPool2(x: tf.Tensor4D): tf.Tensor4D {
  if (!customOpsBackend() || x.dtype !== "float32") return tf.relu(maxPool2d(x, 2, 2));
  const [, h, w] = x.shape;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const [value, argmax] = customMaxPool2Relu(input)!;
    save([argmax]);
    argmax.dispose(); // the saved reference stays
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => customMaxPool2ReluGrad(dy, saved[0], h, w),
    };
  });
  return op(x) as tf.Tensor4D;
}

/**
 * Max pooling on the native engine's CPU with oneDNN's pool, which records where each
 * window's maximum was, and a gradient that reads that record (src/kernels/native_ops.ts:
 * TensorFlow's own `MaxPoolGrad` searches every window again, 20 times the pool's cost).
 * With padding, the input is padded with -inf first (oneDNN's pool takes no explicit
 * padding); as in {@link paddedMaxPool}, the backward pass keeps the unpadded input and
 * rebuilds the padded one only for its shape.
 */
function oneDnnMaxPool(x: tf.Tensor4D, size: number, stride: number, pad: number): tf.Tensor4D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const padded = pad > 0 ? padHW(input, pad, -Infinity) : input;
    const [value, workspace] = nativeMaxPool(padded, size, stride)!;
    save([input, value, workspace]);
    workspace.dispose(); // the saved reference stays
    if (pad > 0) padded.dispose();
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy, sw] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor];
        if (pad === 0) return nativeMaxPoolGrad(sx, sy, dy, sw, size, stride);
        const padded = padHW(sx, pad, -Infinity);
        const dPadded = nativeMaxPoolGrad(padded, sy, dy, sw, size, stride);
        padded.dispose();
        const dx = unpadHW(dPadded, pad, sx.shape);
        dPadded.dispose();
        return dx;
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/**
 * `tf.pad` with -inf, then a "valid" MaxPool, for engines without explicit padding (the
 * native engine on a GPU, where oneDNN's pool does not run), with
 * the gradient of that pair (MaxPoolGrad on the padded input, then the slice that is the
 * pad's gradient), the same ops and values bit for bit. What differs is what waits for the
 * backward pass: the unpadded input (usually shared with the ReLU before it, which keeps its
 * output) and the pooled output, not a padded copy of the input (about 12 MiB per sample in
 * the paper CREMA-D step's two stems). The padded copy is rebuilt in the backward pass and
 * freed at once.
 */
function paddedMaxPool(x: tf.Tensor4D, size: number, stride: number, pad: number): tf.Tensor4D {
  const attrs = { filterSize: size, strides: stride, pad: "valid" as const };
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const value = tf.maxPool(padHW(input, pad, -Infinity), size, stride, "valid");
    save([input, value]);
    return {
      value,
      // customGrad runs gradFunc outside any per-op tidy: each temporary is freed as soon
      // as it is dead, so the allocator can reuse its block for the next one.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy] = saved as [tf.Tensor4D, tf.Tensor4D];
        const padded = padHW(sx, pad, -Infinity);
        const dPadded = tf.engine().runKernel(
          "MaxPoolGrad",
          { dy, input: padded, output: sy },
          attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor4D;
        padded.dispose();
        const dx = unpadHW(dPadded, pad, sx.shape);
        dPadded.dispose();
        return dx;
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/**
 * Whether the active backend's conv/pool kernels take explicit padding. The native
 * engine's (TensorFlow's Conv2D/MaxPool via tfjs-node) accept only "valid" and "same", so
 * there the padding is an explicit `tf.pad` followed by a "valid" op: the same numbers, one
 * extra op. wasm and cpu keep the single op (and their results bit for bit).
 */
function explicitPaddingSupported(): boolean {
  return tf.getBackend() !== "tensorflow";
}

/** Pads H and W of an NHWC tensor by `pad` on every side with `value`. */
function padHW(x: tf.Tensor4D, pad: number, value = 0): tf.Tensor4D {
  return tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], value);
}

/** The inverse of {@link padHW}: the interior of shape `shape` (the pad's gradient). */
function unpadHW(x: tf.Tensor4D, pad: number, shape: number[]): tf.Tensor4D {
  return tf.slice(x, [0, pad, pad, 0], shape);
}

/**
 * An NHWC conv2d with PyTorch's symmetric zero padding `pad`, on every backend (see
 * {@link explicitPaddingSupported}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { conv2dSymmetric } from "./conv.ts";
 * await selectBackend("wasm");
 * const x = tf.ones([1, 8, 8, 1]) as tf.Tensor4D, kernel = tf.ones([7, 7, 1, 2]) as tf.Tensor4D;
 * const y = conv2dSymmetric(x, kernel, 2, 3); // the ResNet stem: 7x7, stride 2, pad 3
 * assert.deepEqual(y.shape, [1, 4, 4, 2]);
 * ```
 */
export function conv2dSymmetric(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  stride: number,
  pad: number,
): tf.Tensor4D {
  if (explicitPaddingSupported()) return tf.conv2d(x, kernel, stride, pad);
  // No padding is "valid"; stride 1 with pad (k - 1) / 2 is exactly "same": no pad op needed.
  const mode = tensorflowPadding(kernel.shape, stride, pad);
  if (mode) return tf.conv2d(x, kernel, stride, mode);
  return paddedConv2d(x, kernel, stride, pad);
}

/**
 * `tf.pad` with zeros, then a "valid" conv2d, for engines without explicit padding, with the
 * gradient of that pair: Conv2DBackpropFilter on the padded input, Conv2DBackpropInput to
 * the padded shape, then the slice that is the pad's gradient (the stock gradients' kernels
 * and attributes, so the same values bit for bit). What waits for the backward pass is the
 * unpadded input (shared with the layer before) and the kernel, not a padded copy of the
 * input (the stem's image batch, the first conv of each stride-2 block); the copy is
 * rebuilt in the backward pass and freed at once.
 */
function paddedConv2d(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  stride: number,
  pad: number,
): tf.Tensor4D {
  const attrs = { strides: stride, pad: "valid", dataFormat: "NHWC" };
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, filter, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    const value = tf.conv2d(padHW(input, pad), filter, stride, "valid");
    save([input, filter]);
    return {
      value,
      // Outside any per-op tidy (see paddedMaxPool): temporaries are freed by hand.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sk] = saved as [tf.Tensor4D, tf.Tensor4D];
        const padded = padHW(sx, pad);
        const dFilter = tf.engine().runKernel(
          "Conv2DBackpropFilter",
          { x: padded, dy },
          { ...attrs, filterShape: sk.shape } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor4D;
        const paddedShape = padded.shape;
        padded.dispose();
        const dPadded = tf.engine().runKernel(
          "Conv2DBackpropInput",
          { dy, filter: sk },
          { ...attrs, inputShape: paddedShape } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor4D;
        const dx = unpadHW(dPadded, pad, sx.shape);
        dPadded.dispose();
        return [dx, dFilter];
      },
    };
  });
  return op(x, kernel) as tf.Tensor4D;
}

/**
 * Seeded, resumable dropout masks for one encoder.
 *
 * `Encoder.forward(x, training)` carries no seed, so the stream owns one: a base seed drawn
 * from the init {@link Rng} at construction and a counter of training forward passes. The
 * mask of dropout layer `layer` in pass `c` is drawn from `Rng(seedFor(base, "dropout", c,
 * layer))` on the host (so it is the same on every backend) and uploaded.
 *
 * The counter is checkpointed: {@link DropoutStream.counter} is an int32 scalar variable the
 * encoder lists in `buffers()`. The host copy is the one used; the variable is written after
 * every training pass (no read-back per step). When anyone else assigns the variable (a
 * checkpoint restore, or a method that saves and restores buffers around a second forward
 * pass), the stream reads it back once, before its next mask, and continues from there.
 * That read is synchronous: fine on cpu, wasm and the native backend; on webgpu (where
 * `dataSync` throws in Deno) a restored stream fails with a clear message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { DropoutStream } from "./conv.ts";
 * await selectBackend("wasm");
 * const drop = new DropoutStream(new Rng(0));
 * drop.next(); // once per training forward pass
 * const h = drop.apply(tf.ones([2, 4]), 0.5, 0); // layer 0 of this pass
 * assert.ok(Array.from(await h.data()).every((v) => v === 0 || v === 2)); // dropped or 1 / (1 - p)
 * ```
 */
export class DropoutStream {
  /** Number of training passes so far (a checkpointed buffer). */
  readonly counter: tf.Variable;
  #base: number;
  #count = 0;
  #dirty = false;
  #assign: (v: tf.Tensor) => void;

  /** Draws the base seed from `rng`. */
  constructor(rng: Rng) {
    this.#base = rng.nextU32();
    this.counter = tf.variable(tf.scalar(0, "int32"), false);
    const v = this.counter;
    this.#assign = v.assign.bind(v);
    v.assign = (value: tf.Tensor) => {
      this.#assign(value);
      this.#dirty = true;
    };
  }

  /** Starts a new training pass: advances the counter (resyncing after an outside assign). */
  next(): void {
    if (this.#dirty) {
      let value: number;
      try {
        value = this.counter.dataSync()[0];
      } catch (err) {
        throw new Error(
          `dropout counter: cannot read the restored buffer synchronously on backend ` +
            `'${tf.getBackend()}' (${(err as Error).message}); use --backend wasm or cpu`,
        );
      }
      this.#count = value;
      this.#dirty = false;
    }
    this.#count++;
    const t = tf.scalar(this.#count, "int32");
    this.#assign(t);
    t.dispose();
  }

  /** The host counter (training passes so far). */
  get count(): number {
    return this.#count;
  }

  /**
   * Inverted dropout of `x` with drop probability `p` (PyTorch `nn.Dropout`): zeroes each
   * element with probability p and scales the rest by 1/(1-p). `layer` tells the dropout
   * layers of one pass apart.
   */
  apply<T extends tf.Tensor>(x: T, p: number, layer: number): T {
    if (p <= 0) return x;
    const rng = new Rng(seedFor(this.#base, "dropout", this.#count, layer));
    const keep = new Float32Array(x.size);
    const scale = 1 / (1 - p);
    for (let i = 0; i < keep.length; i++) keep[i] = rng.uniform() >= p ? scale : 0;
    return tf.tidy(() => tf.mul(x, tf.tensor(keep, x.shape, "float32")));
  }
}

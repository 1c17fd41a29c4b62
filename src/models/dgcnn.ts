/**
 * DGCNN in the IBML variant (`models/backbone_2D3D.py` `DGCNN(k=20, emb_dims=512,
 * output_channels=512)`; research/datasets-backbones.md §9.5), used for the point clouds of
 * 3D MNIST and ModelNet40. Input NHWC-style points [B, N, 3] (N = 1024); output [B, 512].
 *
 * - Four EdgeConv layers (64, 64, 128, 256 channels). Before each, the k-NN graph (k = 20)
 *   is recomputed in the current feature space from -||x_i - x_j||^2 (top-k, which includes
 *   the point itself). For neighbour j of point i the edge feature is [x_j - x_i, x_i]
 *   (2C channels); a 1x1 conv (no bias) + BN2d + LeakyReLU(0.2), then a max over the k
 *   neighbours.
 * - Concatenation of the four outputs (512) -> 1x1 conv 512->emb (no bias) + BN1d + LReLU;
 *   global max and mean over points, concatenated (2 emb) -> Linear 2emb->512 (no bias) +
 *   BN + LReLU + Dropout(0.2) -> Linear 512->256 + BN + LReLU + Dropout(0.2) ->
 *   Linear 256->512 (raw output, the feature).
 * - Parameters: 1,143,424. Init: PyTorch defaults (no `weight_init` in the 2D-3D scripts).
 *
 * TF.js specifics:
 * - The k-NN indices are computed under {@link noGrad} and are never differentiated (tfjs
 *   has no stop-gradient; `topk` has no gradient).
 * - Neighbours are gathered with flat indices (idx + b * N, int32) on axis 0 of a
 *   [B*N, C] tensor, so the patched axis-0 GatherV2 gradient (scatterND) applies on wasm.
 * - The edge conv is linear, so W [x_j - x_i; x_i] = W1 x_j + (W2 - W1) x_i with W = [W1; W2]:
 *   the per-point products are computed once and the k neighbours' rows gathered from
 *   them (the same numbers as convolving the [B, N, k, 2C] edge tensor, k times cheaper).
 *   BN still sees every (point, neighbour) pair, as in PyTorch.
 * - Dropout masks come from the encoder's {@link DropoutStream} (seeded at construction,
 *   counter checkpointed among the buffers).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { BatchNorm } from "./batchnorm.ts";
import { Dense, DropoutStream, torchUniform } from "./conv.ts";
import type { Encoder } from "./encoder.ts";
import { makeParam, type Param } from "./params.ts";
import { noGrad } from "../backend/no_grad.ts";
import type { Rng } from "../rng.ts";

/** Options of {@link DgcnnEncoder} (defaults: the IBML variant). */
export interface DgcnnOptions {
  /** Neighbours per point (20). */
  k?: number;
  /** Width of the conv5 embedding (512). */
  embDims?: number;
  /** Output feature size (512). */
  outDim?: number;
  /** Dropout probability of the two head dropouts (0.2). */
  dropout?: number;
  /** Point coordinates per point (3). */
  inDim?: number;
}

/**
 * Indices [B, N, k] (int32) of the k nearest neighbours of every point of `x` [B, N, C]
 * (squared Euclidean distance, the point itself included, nearest first), computed with
 * the gradient tape off.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { knnIndices } from "./dgcnn.ts";
 * await selectBackend("wasm");
 * const points = tf.tensor3d([[[0, 0, 0], [1, 0, 0], [5, 0, 0], [6, 0, 0]]]); // [1, 4, 3]
 * const idx = knnIndices(points, 2); // [B, N, 2]
 * assert.deepEqual(await idx.array(), [[[0, 1], [1, 0], [2, 3], [3, 2]]]);
 * ```
 */
export function knnIndices(x: tf.Tensor3D, k: number): tf.Tensor3D {
  const n = x.shape[1];
  if (k > n) throw new Error(`DGCNN: k = ${k} neighbours but only ${n} points`);
  return noGrad(() =>
    tf.tidy(() => {
      const inner = gram(x); // [B, N, N]
      const sq = tf.sum(tf.square(x), 2, true); // [B, N, 1]
      // -||xi - xj||^2 = 2 xi.xj - |xi|^2 - |xj|^2
      const negDist = tf.sub(tf.sub(tf.mul(inner, 2), sq), tf.transpose(sq, [0, 2, 1]));
      return tf.topk(negDist, k).indices as tf.Tensor3D;
    })
  );
}

/**
 * x x^T per cloud. On wasm, batched (B > 1) and transposed matMuls take slow paths (measured
 * 7x slower at [2, 1024, 128]), so it runs one 2D product per cloud with an explicit
 * transpose there; elsewhere one batched product, which the native engine spreads over its
 * threads (B products of [N, C] x [C, N] were 20% of a DGCNN step and scaled to 0.77 of the
 * one-thread time at two threads).
 */
function gram(x: tf.Tensor3D): tf.Tensor3D {
  if (tf.getBackend() !== "wasm") return tf.matMul(x, x, false, true);
  return tf.stack(
    tf.unstack(x).map((c) => tf.matMul(c as tf.Tensor2D, tf.transpose(c) as tf.Tensor2D)),
  ) as tf.Tensor3D;
}

/** Flat row indices idx + b * N into a [B*N, C] tensor (int32, no gradient). */
function flatIndices(idx: tf.Tensor3D): tf.Tensor1D {
  const [b, n] = idx.shape;
  return noGrad(() =>
    tf.tidy(() => {
      const base = tf.reshape(tf.mul(tf.range(0, b, 1, "int32"), tf.scalar(n, "int32")), [
        b,
        1,
        1,
      ]);
      return tf.reshape(tf.add(idx, base), [-1]) as tf.Tensor1D;
    })
  );
}

/**
 * One EdgeConv layer: kNN graph in the input's feature space, edge 1x1 conv (no bias) on
 * [x_j - x_i, x_i], BN2d over every (point, neighbour) pair, LeakyReLU(0.2), max over k.
 * The kernel is [2 in, out]: rows 0..in-1 multiply x_j - x_i, the rest x_i.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { EdgeConv } from "./dgcnn.ts";
 * await selectBackend("wasm");
 * const ec = new EdgeConv("encoder.points.conv1", "encoder.points", new Rng(0), 3, 8);
 * const points = tf.randomUniform([2, 6, 3], 0, 1, "float32", 1) as tf.Tensor3D;
 * const h = ec.apply(points, 4, true); // 4 neighbours
 * assert.deepEqual(h.shape, [2, 6, 8]);
 * ```
 */
export class EdgeConv {
  /** Edge kernel [2 in, out]. */
  readonly kernel: Param;
  /** BN2d over the edge features. */
  readonly bn: BatchNorm;

  /** Creates the layer (PyTorch default init, fan_in = 2 in). */
  constructor(name: string, group: string, rng: Rng, readonly inC: number, readonly outC: number) {
    // Conv2d(2C, out, 1) default init: fan_in = 2C.
    this.kernel = makeParam(
      `${name}.kernel`,
      group,
      "kernel",
      torchUniform(rng, 2 * inC * outC, 2 * inC),
      [2 * inC, outC],
    );
    this.bn = new BatchNorm(`${name}.bn`, group, outC);
  }

  /** Features [B, N, out] of x [B, N, in] with k neighbours per point. */
  apply(x: tf.Tensor3D, k: number, training: boolean): tf.Tensor3D {
    return tf.tidy(() => this.#edge(x, k, training));
  }

  #edge(x: tf.Tensor3D, k: number, training: boolean): tf.Tensor3D {
    const [b, n, c] = x.shape;
    const idx = flatIndices(knnIndices(x, k));
    const w = this.kernel.variable as tf.Tensor2D;
    const w1 = tf.slice(w, [0, 0], [c, this.outC]); // multiplies x_j - x_i
    const w2 = tf.slice(w, [c, 0], [c, this.outC]); // multiplies x_i
    const flat = tf.reshape(x, [b * n, c]) as tf.Tensor2D;
    const p = tf.matMul(flat, w1); // [B*N, out]: W1 x_j per point
    const q = tf.matMul(flat, tf.sub(w2, w1)); // [B*N, out]: (W2 - W1) x_i
    const nb = tf.reshape(tf.gather(p, idx), [b, n, k, this.outC]);
    const edge = tf.add(nb, tf.reshape(q, [b, n, 1, this.outC]));
    const h = tf.leakyRelu(this.bn.apply(edge, training), 0.2);
    return tf.max(h, 2) as tf.Tensor3D;
  }

  /** Kernel, BN gamma and beta. */
  params(): Param[] {
    return [this.kernel, ...this.bn.params()];
  }
}

/**
 * The DGCNN point-cloud encoder. Input [B, N, 3]; output [B, outDim].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { DgcnnEncoder } from "./dgcnn.ts";
 * await selectBackend("wasm");
 * // defaults: k 20, emb 512, dropout 0.2, 512-d output; smaller here
 * const enc = new DgcnnEncoder("points", new Rng(0), { k: 4, embDims: 16, outDim: 8 });
 * const points = tf.randomUniform([2, 6, 3], 0, 1, "float32", 1);
 * const f = enc.forward(points, true);
 * assert.deepEqual(f.shape, [2, 8]);
 * ```
 */
export class DgcnnEncoder implements Encoder {
  /** Feature dimension. */
  readonly outDim: number;
  /** Neighbours per point. */
  readonly k: number;
  /** Dropout probability. */
  readonly dropout: number;
  /** Seeded dropout masks (its counter is one of the buffers). */
  readonly drop: DropoutStream;
  #edges: EdgeConv[];
  #conv5: Param;
  #bn5: BatchNorm;
  #linear1: Dense;
  #bn6: BatchNorm;
  #linear2: Dense;
  #bn7: BatchNorm;
  #linear3: Dense;

  /** Builds the layers (PyTorch default init); draws the dropout seed last. */
  constructor(readonly modality: string, rng: Rng, opts: DgcnnOptions = {}) {
    const group = `encoder.${modality}`;
    this.k = opts.k ?? 20;
    const emb = opts.embDims ?? 512;
    this.outDim = opts.outDim ?? 512;
    this.dropout = opts.dropout ?? 0.2;
    const inDim = opts.inDim ?? 3;
    const widths = [inDim, 64, 64, 128, 256];
    this.#edges = [0, 1, 2, 3].map((i) =>
      new EdgeConv(`${group}.conv${i + 1}`, group, rng, widths[i], widths[i + 1])
    );
    const cat = 64 + 64 + 128 + 256;
    this.#conv5 = makeParam(
      `${group}.conv5.kernel`,
      group,
      "kernel",
      torchUniform(rng, cat * emb, cat),
      [
        cat,
        emb,
      ],
    );
    this.#bn5 = new BatchNorm(`${group}.bn5`, group, emb);
    const init = "torch-default" as const;
    this.#linear1 = new Dense(`${group}.linear1`, group, rng, 2 * emb, 512, { bias: false, init });
    this.#bn6 = new BatchNorm(`${group}.bn6`, group, 512);
    this.#linear2 = new Dense(`${group}.linear2`, group, rng, 512, 256, { init });
    this.#bn7 = new BatchNorm(`${group}.bn7`, group, 256);
    this.#linear3 = new Dense(`${group}.linear3`, group, rng, 256, this.outDim, { init });
    this.drop = new DropoutStream(rng);
  }

  /** Features [B, outDim] of points [B, N, inDim]. */
  forward(x: tf.Tensor, training: boolean): tf.Tensor2D {
    if (x.rank !== 3) throw new Error(`DGCNN: expected points [B, N, C], got [${x.shape}]`);
    if (training) this.drop.next();
    return tf.tidy(() => {
      const [b, n] = x.shape;
      const outs: tf.Tensor3D[] = [];
      let h = x as tf.Tensor3D;
      for (const edge of this.#edges) {
        h = edge.apply(h, this.k, training);
        outs.push(h);
      }
      const cat = tf.reshape(tf.concat(outs, 2), [b * n, -1]) as tf.Tensor2D;
      const e = tf.leakyRelu(
        this.#bn5.apply(tf.matMul(cat, this.#conv5.variable as tf.Tensor2D), training),
        0.2,
      );
      const e3 = tf.reshape(e, [b, n, -1]);
      let f = tf.concat([tf.max(e3, 1), tf.mean(e3, 1)], 1) as tf.Tensor2D;
      f = tf.leakyRelu(this.#bn6.apply(this.#linear1.apply(f), training), 0.2);
      if (training) f = this.drop.apply(f, this.dropout, 0);
      f = tf.leakyRelu(this.#bn7.apply(this.#linear2.apply(f), training), 0.2);
      if (training) f = this.drop.apply(f, this.dropout, 1);
      return this.#linear3.apply(f);
    });
  }

  /** All trainable parameters. */
  params(): Param[] {
    return [
      ...this.#edges.flatMap((e) => e.params()),
      this.#conv5,
      ...this.#bn5.params(),
      ...this.#linear1.params(),
      ...this.#bn6.params(),
      ...this.#linear2.params(),
      ...this.#bn7.params(),
      ...this.#linear3.params(),
    ];
  }

  /** BN running statistics, then the dropout counter. */
  buffers(): tf.Variable[] {
    return [
      ...this.#edges.flatMap((e) => e.bn.buffers()),
      ...this.#bn5.buffers(),
      ...this.#bn6.buffers(),
      ...this.#bn7.buffers(),
      this.drop.counter,
    ];
  }
}

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
 * Speed: the two directions run side by side (stacked on a leading axis of 2), and the
 * recurrence is one op with a hand-written backward pass (`biGruRecurrence`): autodiff of
 * the step-by-step cell took 4555 kernel calls per training step of the bench's `bigru`
 * case (batch 64, 32 tokens), each one N-API call into TensorFlow on the native engine;
 * this takes about 770 (`ops_per_step` of `deno task bench --models bigru --backends
 * tensorflow`; tests/models/bigru_test.ts compares output and gradients with autodiff of the
 * step-by-step cell).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { nativeActivationGrad } from "../kernels/native_ops.ts";
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

  /**
   * Features [B, H] of embeddings [B, L, in] with padding mask [B, L] (1 = token, 0 =
   * padding; no other values: a padded step's update gate is forced shut rather than the
   * step blended by the mask).
   */
  encode(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 3 || x.shape[2] !== this.inDim) {
      throw new Error(`Bi-GRU: expected [B, L, ${this.inDim}], got [${x.shape}]`);
    }
    if (mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[1]) {
      throw new Error(`Bi-GRU: mask [${mask.shape}] does not match input [${x.shape}]`);
    }
    return tf.tidy(() => {
      const [b, l] = x.shape;
      const [f, r] = [this.#fwd, this.#bwd];
      const m = mask.dtype === "float32" ? mask : tf.cast(mask, "float32");
      // Time-major, both directions stacked on a leading axis of 2 (direction 1 in reverse
      // time), so that one op per step serves both directions.
      const xt = tf.transpose(x, [1, 0, 2]); // [L, B, in]
      const x2 = tf.reshape(tf.stack([xt, tf.reverse(xt, 0)]), [2, l * b, this.inDim]);
      // The z columns enter with their sign flipped (see biGruRecurrence): flipping the
      // small input kernel and bias flips the projection's z columns exactly, with no pass
      // over the [2, L*B, 3H] projection and none over its gradient.
      const sgn = gateSigns(this.outDim);
      const wIh = tf.mul(tf.stack([f.wIh.variable, r.wIh.variable]), sgn); // [2, in, 3H]
      const bIh = tf.reshape(
        tf.mul(tf.stack([f.bIh.variable, r.bIh.variable]), sgn),
        [2, 1, 3 * this.outDim],
      );
      const xq = tf.add(perDirection(x2, wIh), bIh) as tf.Tensor3D; // [2, L*B, 3H]
      const mt = tf.transpose(m); // [L, B]
      const m2 = tf.reshape(tf.stack([mt, tf.reverse(mt, 0)]), [2, l, b, 1]) as tf.Tensor4D;
      const wHh = tf.stack([f.wHh.variable, r.wHh.variable]) as tf.Tensor3D; // [2, H, 3H]
      const bHh = tf.stack([f.bHh.variable, r.bHh.variable]) as tf.Tensor2D; // [2, 3H]
      const states = biGruRecurrence(xq, m2, wHh, bHh); // [2, L, B, H]
      // Mean over valid steps of (forward + backward) / 2.
      const sum = tf.sum(tf.mul(states, m2), [0, 1]);
      const len = tf.maximum(tf.sum(m, 1, true), 1);
      return tf.div(sum, tf.mul(len, 2)) as tf.Tensor2D;
    });
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

/**
 * The pre-activation added to a padded step's update gate (after the sign flip below):
 * the sigmoid of it is exactly 0, so the step keeps its state bit for bit.
 */
const SHUT = -1e30;

/** The per-step tensors the backward pass of {@link biGruRecurrence} reads. */
interface StepSaved {
  /** State before the step [2, B, H]. */
  h: tf.Tensor3D;
  /** Reset gate r [2, B, H]. */
  r: tf.Tensor3D;
  /** Update weight v = 1 - z (0 on padded steps) [2, B, H]. */
  v: tf.Tensor3D;
  /** h W_hn + b_hn [2, B, H]. */
  hnb: tf.Tensor3D;
  /** Candidate n [2, B, H]. */
  n: tf.Tensor3D;
  /** n - h [2, B, H]. */
  d: tf.Tensor3D;
}

/**
 * Both GRU directions over all steps as one op with a hand-written gradient
 * (backpropagation through time), so that a training step runs a few ops per time step
 * instead of autodiff's dozens. Shapes: `xq` [2, L*B, 3H] the input projections
 * x W_ih + b_ih with their z columns' sign flipped (the caller flips W_ih and b_ih), time-major
 * (row t*B + b), direction 1 in reverse time; `mask` [2, L, B, 1]
 * (0 or 1, the same layout); `wHh` [2, H, 3H]; `bHh` [2, 3H]. Returns the states
 * [2, L, B, H] after each step, in each direction's own step order.
 *
 * The cell is PyTorch's (module doc), computed as h' = h + v (n - h) with v = 1 - z =
 * sigmoid(-(x W_iz + b_iz + h W_hz + b_hz)): the z columns of W_hh, b_hh and the projection
 * enter with their sign flipped (W_hh's and b_hh's gradients leave flipped back; the
 * projection's leaves as it came, for the caller's flip to undo), so that a sigmoid gives v
 * with no 1 - z op. b_hr and b_hz are added to the projection once (they are not multiplied
 * by r). A padded step gets {@link SHUT} on its v pre-activation, so v = 0 and h' = h
 * exactly, with zero gradient through its gates (the mask must be 0 or 1). The three gates'
 * columns are split apart once (projection, biases) or by one op per step (h W_hh), and
 * each gate keeps its own [2, B, H] tensors: no per-step split of a sigmoid output and no
 * per-step concat before a sigmoid gradient (each of those is a copy).
 *
 * Backward, per step (δ = dL/dh' including the pooled output's share): dn = δ v,
 * dv = δ (n - h), da_n = dn (1 - n²), d(h W_hn + b_hn) = da_n r, dr = da_n (h W_hn + b_hn),
 * da_r = dr r (1 - r), da_v = dv v (1 - v), dh = δ - dn + dHP W_hhᵀ with dHP the three
 * pre-activation gradients on the recurrent side. The weight and bias gradients are taken
 * once at the end over all steps: dW_hh = H_prevᵀ dHP over the [L*B] rows, db_hh = the sum
 * of those rows.
 */
function biGruRecurrence(
  xq: tf.Tensor3D,
  mask: tf.Tensor4D,
  wHh: tf.Tensor3D,
  bHh: tf.Tensor2D,
): tf.Tensor4D {
  const [, l, b] = mask.shape;
  const hid = wHh.shape[1];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, w, bias, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D, tf.GradSaveFunc];
    const sgn = gateSigns(hid);
    const wq = tf.mul(w, sgn) as tf.Tensor3D; // [2, H, 3H]
    const [bR, bV, bN] = tf.split(tf.reshape(tf.mul(bias, sgn), [2, 1, 3 * hid]), 3, 2);
    const [xR, xV, xN] = tf.split(tf.reshape(xs, [2, l, b, 3 * hid]), 3, 3);
    const over = (t: tf.Tensor) => tf.unstack(t, 1) as tf.Tensor3D[]; // L x [2, B, H]
    const xRs = over(tf.add(xR, tf.expandDims(bR, 1))); // + b_hr
    // + SHUT where the mask is 0, and -b_hz.
    const xVs = over(tf.add(xV, tf.add(tf.mul(tf.sub(1, mask), SHUT), tf.expandDims(bV, 1))));
    const xNs = over(xN);
    const byW = fixedProduct(wq);
    const steps: StepSaved[] = [];
    let h = tf.zeros([2, b, hid]) as tf.Tensor3D;
    const hs: tf.Tensor3D[] = [];
    for (let t = 0; t < l; t++) {
      const st = tf.tidy(() => {
        const [hR, hV, hN] = tf.split(byW(h), 3, 2) as tf.Tensor3D[];
        const r = tf.sigmoid(tf.add(xRs[t], hR)) as tf.Tensor3D;
        const v = tf.sigmoid(tf.add(xVs[t], hV)) as tf.Tensor3D;
        const hnb = tf.add(hN, bN) as tf.Tensor3D;
        const n = tf.tanh(tf.add(xNs[t], tf.mul(r, hnb))) as tf.Tensor3D;
        const d = tf.sub(n, h) as tf.Tensor3D;
        return { h, r, v, hnb, n, d, next: tf.add(h, tf.mul(v, d)) as tf.Tensor3D };
      });
      steps.push(st);
      h = st.next;
      hs.push(h);
    }
    save([wq, ...steps.flatMap((s) => [s.h, s.r, s.v, s.hnb, s.n, s.d])]);
    return {
      value: tf.stack(hs, 1) as tf.Tensor4D,
      // customGrad calls gradFunc outside any per-op tidy: free the temporaries here.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const byWt = fixedProduct(saved[0] as tf.Tensor3D, true);
          const at = (t: number): StepSaved => {
            const [h, r, v, hnb, n, d] = saved.slice(1 + 6 * t, 7 + 6 * t) as tf.Tensor3D[];
            return { h, r, v, hnb, n, d };
          };
          const g = tf.unstack(dy, 1) as tf.Tensor3D[]; // L x [2, B, H]
          const one = tf.scalar(1);
          const dR: tf.Tensor3D[] = new Array(l);
          const dV: tf.Tensor3D[] = new Array(l);
          const dN: tf.Tensor3D[] = new Array(l);
          const dHp: tf.Tensor3D[] = new Array(l);
          let delta: tf.Tensor3D = g[l - 1];
          for (let t = l - 1; t >= 0; t--) {
            const st = at(t);
            const [dr, dv, dan, dhp, prev] = tf.tidy(() => {
              const dn = tf.mul(delta, st.v);
              const dan = tanhGrad(st.n, dn, one);
              const dhnb = tf.mul(dan, st.r);
              const dr = sigmoidGrad(st.r, tf.mul(dan, st.hnb), one);
              const dv = sigmoidGrad(st.v, tf.mul(delta, st.d), one);
              const dhp = tf.concat([dr, dv, dhnb], 2) as tf.Tensor3D;
              if (t === 0) return [dr, dv, dan, dhp]; // the initial state is a constant
              const dh = tf.addN([delta, byWt(dhp), g[t - 1]]);
              return [dr, dv, dan, dhp, tf.sub(dh, dn)];
            }) as tf.Tensor3D[];
            if (delta !== g[l - 1]) delta.dispose();
            dR[t] = dr;
            dV[t] = dv;
            dN[t] = dan;
            dHp[t] = dhp;
            if (prev) delta = prev;
          }
          const sgn = gateSigns(hid);
          const dxq = tf.concat([dR, dV, dN].map((d) => tf.concat(d, 1)), 2);
          const dhpAll = tf.concat(dHp, 1); // [2, L*B, 3H]
          const hPrev = tf.concat(Array.from({ length: l }, (_, t) => at(t).h), 1);
          const dw = tf.mul(perDirection(hPrev, dhpAll, true, false), sgn);
          const db = tf.mul(tf.sum(dhpAll, 1), sgn);
          return [dxq, dw, db];
        }),
    };
  });
  return op(xq, wHh, bHh) as tf.Tensor4D;
}

/** +1 on the r and n columns, -1 on the z columns (r | z | n) of a [.., 3H] tensor. */
function gateSigns(hid: number): tf.Tensor1D {
  return tf.tensor1d(new Float32Array(3 * hid).fill(1).fill(-1, hid, 2 * hid));
}

/**
 * a -> a W (a Wᵀ with `transposed`) per direction for a fixed W [2, k, n], a [2, m, k]: one
 * BatchMatMul a call, except on wasm (see {@link perDirection}), where W is split (and
 * transposed) once, so that every call reuses the same two matrices, whose packed form
 * XNNPACK keeps between calls.
 */
function fixedProduct(w: tf.Tensor3D, transposed = false): (a: tf.Tensor3D) => tf.Tensor3D {
  if (tf.getBackend() !== "wasm") return (a) => tf.matMul(a, w, false, transposed);
  const [w0, w1] = tf.unstack(transposed ? tf.transpose(w, [0, 2, 1]) : w);
  return (a) => {
    const [a0, a1] = tf.unstack(a);
    return tf.stack([tf.matMul(a0, w0), tf.matMul(a1, w1)]) as tf.Tensor3D;
  };
}

/**
 * The product of each direction's matrices, `a` [2, m, k] by `b` [2, k, n] -> [2, m, n]:
 * one BatchMatMul, except on wasm, whose stock kernel is fast (XNNPACK) only for a batch of
 * one (a batch of 2 ran about 20x slower there), so the two products run apart.
 */
function perDirection(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false) {
  if (tf.getBackend() !== "wasm") return tf.matMul(a, b, transposeA, transposeB) as tf.Tensor3D;
  const [a0, a1] = tf.unstack(a), [b0, b1] = tf.unstack(b);
  return tf.stack([
    tf.matMul(a0, b0, transposeA, transposeB),
    tf.matMul(a1, b1, transposeA, transposeB),
  ]) as tf.Tensor3D;
}

/** dy (1 - y²): the gradient of y = tanh(a) with respect to a. */
function tanhGrad(y: tf.Tensor, dy: tf.Tensor, one: tf.Scalar): tf.Tensor {
  return nativeActivationGrad("tanh", y, dy) ?? tf.mul(dy, tf.sub(one, tf.square(y)));
}

/** dy y (1 - y): the gradient of y = sigmoid(a) with respect to a. */
function sigmoidGrad(y: tf.Tensor, dy: tf.Tensor, one: tf.Scalar): tf.Tensor {
  return nativeActivationGrad("sigmoid", y, dy) ?? tf.mul(dy, tf.mul(y, tf.sub(one, y)));
}

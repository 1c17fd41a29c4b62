/**
 * `Conv2D`, `Conv2DBackpropInput` and `Conv2DBackpropFilter` (NHWC, dilation 1) on the wasm
 * and cpu backends as im2col + OpenBLAS `sgemm`, plus `MaxPoolGrad` as a direct loop.
 *
 * For rows r = (n, oh, ow) of the output and columns c = (kh, kw, ci) of the kernel window
 * (the row-major order of a [KH, KW, Ci, Co] filter, so the filter is a [K, Co] matrix):
 *
 * - forward:        y[M, Co]  = cols[M, K] W[K, Co]
 * - filter grad:    dW[K, Co] = cols[M, K]^T dy[M, Co]
 * - input grad:     dcols[M, K] = dy[M, Co] W[K, Co]^T, scattered back (col2im) into dx
 *
 * The column matrix is built in chunks of rows in a scratch buffer outside the tensor heap
 * (about 8 MiB), so memory stays bounded whatever the batch; a 1x1 stride-1 unpadded conv
 * needs no columns at all. Gradients are summed chunk after chunk in a fixed order, so the
 * results are deterministic (and differ from the wasm kernels only in summation order).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Blas } from "./blas.ts";
import { type Memory, memoryOf } from "./memory.ts";

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Pad = tf.Conv2DAttrs["pad"];
type Rounding = tf.Conv2DAttrs["dimRoundingMode"];

/** Geometry of one NHWC convolution. */
interface Geometry {
  n: number;
  h: number;
  w: number;
  ci: number;
  kh: number;
  kw: number;
  co: number;
  ho: number;
  wo: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

/** Float32 elements of the im2col scratch buffer (8 MiB by default). */
let chunkElements = 1 << 21;
let scratch = new Float32Array(0);

/**
 * Sets the size (float32 elements) of the im2col scratch buffer, i.e. how many column-matrix
 * rows are built at a time; returns the previous size. Tests use a small one to exercise the
 * chunked paths on small tensors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setIm2colChunk } from "./conv.ts";
 * const old = setIm2colChunk(1000); // small chunks: the chunked paths on small tensors
 * try {
 *   // ... convolutions through the OpenBLAS kernels ...
 * } finally {
 *   assert.equal(setIm2colChunk(old), 1000);
 * }
 * ```
 */
export function setIm2colChunk(elements: number): number {
  const old = chunkElements;
  chunkElements = Math.max(1, Math.floor(elements));
  return old;
}

function scratchOf(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(n);
  return scratch;
}

/** The geometry, or null for what these kernels do not cover (NCHW, dilations). */
function geometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: Rounding,
  dataFormat: string | undefined,
  dilations: number | [number, number] | undefined,
): Geometry | null {
  if (dataFormat === "NCHW") return null;
  const d = dilations ?? 1;
  if (typeof d === "number" ? d !== 1 : d[0] !== 1 || d[1] !== 1) return null;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    "channelsLast",
  );
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    ci: info.inChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    co: info.outChannels,
    ho: info.outHeight,
    wo: info.outWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/** A 1x1, stride-1, unpadded conv: x itself is the column matrix. */
function pointwise(g: Geometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.top === 0 &&
    g.left === 0 && g.ho === g.h && g.wo === g.w;
}

/** Rows of the column matrix per chunk. */
function chunkRows(g: Geometry): number {
  const k = g.kh * g.kw * g.ci;
  return Math.max(1, Math.min(g.n * g.ho * g.wo, Math.floor(chunkElements / k)));
}

/** Fills `cols` with the window rows r0..r1 of x (zeros where the window leaves x). */
function im2col(g: Geometry, x: Float32Array, cols: Float32Array, r0: number, r1: number): void {
  const { h, w, ci, kh, kw, ho, wo, sh, sw, top, left } = g;
  const rowLen = w * ci, imgLen = h * rowLen, kwci = kw * ci;
  let d = 0;
  for (let r = r0; r < r1; r++) {
    const ow = r % wo;
    const t = (r - ow) / wo;
    const oh = t % ho;
    const base = ((t - oh) / ho) * imgLen;
    const ih0 = oh * sh - top, iw0 = ow * sw - left;
    const inside = iw0 >= 0 && iw0 + kw <= w;
    for (let i = 0; i < kh; i++) {
      const ih = ih0 + i;
      if (ih < 0 || ih >= h) {
        cols.fill(0, d, d + kwci);
        d += kwci;
        continue;
      }
      const rowBase = base + ih * rowLen;
      if (inside) {
        const s = rowBase + iw0 * ci;
        for (let e = 0; e < kwci; e++) cols[d + e] = x[s + e];
        d += kwci;
        continue;
      }
      for (let j = 0; j < kw; j++) {
        const iw = iw0 + j;
        if (iw < 0 || iw >= w) {
          for (let c = 0; c < ci; c++) cols[d + c] = 0;
        } else {
          const s = rowBase + iw * ci;
          for (let c = 0; c < ci; c++) cols[d + c] = x[s + c];
        }
        d += ci;
      }
    }
  }
}

/** Adds the window rows r0..r1 of `cols` back into dx (the adjoint of im2col). */
function col2im(g: Geometry, cols: Float32Array, dx: Float32Array, r0: number, r1: number): void {
  const { h, w, ci, kh, kw, ho, wo, sh, sw, top, left } = g;
  const rowLen = w * ci, imgLen = h * rowLen, kwci = kw * ci;
  let d = 0;
  for (let r = r0; r < r1; r++) {
    const ow = r % wo;
    const t = (r - ow) / wo;
    const oh = t % ho;
    const base = ((t - oh) / ho) * imgLen;
    const ih0 = oh * sh - top, iw0 = ow * sw - left;
    const inside = iw0 >= 0 && iw0 + kw <= w;
    for (let i = 0; i < kh; i++) {
      const ih = ih0 + i;
      if (ih < 0 || ih >= h) {
        d += kwci;
        continue;
      }
      const rowBase = base + ih * rowLen;
      if (inside) {
        const s = rowBase + iw0 * ci;
        for (let e = 0; e < kwci; e++) dx[s + e] += cols[d + e];
        d += kwci;
        continue;
      }
      for (let j = 0; j < kw; j++) {
        const iw = iw0 + j;
        if (iw >= 0 && iw < w) {
          const s = rowBase + iw * ci;
          for (let c = 0; c < ci; c++) dx[s + c] += cols[d + c];
        }
        d += ci;
      }
    }
  }
}

/** y = conv(x, W). */
function forward(blas: Blas, g: Geometry, x: Float32Array, f: Float32Array, y: Float32Array) {
  const m = g.n * g.ho * g.wo, k = g.kh * g.kw * g.ci;
  if (pointwise(g)) return blas.sgemm(false, false, m, g.co, k, 1, x, k, f, g.co, 0, y, g.co);
  const rows = chunkRows(g);
  const cols = scratchOf(rows * k);
  for (let r0 = 0; r0 < m; r0 += rows) {
    const r1 = Math.min(m, r0 + rows);
    im2col(g, x, cols, r0, r1);
    blas.sgemm(false, false, r1 - r0, g.co, k, 1, cols, k, f, g.co, 0, y.subarray(r0 * g.co), g.co);
  }
}

/** dW = cols^T dy. */
function filterGrad(blas: Blas, g: Geometry, x: Float32Array, dy: Float32Array, dw: Float32Array) {
  const m = g.n * g.ho * g.wo, k = g.kh * g.kw * g.ci;
  if (pointwise(g)) return blas.sgemm(true, false, k, g.co, m, 1, x, k, dy, g.co, 0, dw, g.co);
  const rows = chunkRows(g);
  const cols = scratchOf(rows * k);
  for (let r0 = 0; r0 < m; r0 += rows) {
    const r1 = Math.min(m, r0 + rows);
    im2col(g, x, cols, r0, r1);
    const dyc = dy.subarray(r0 * g.co);
    blas.sgemm(true, false, k, g.co, r1 - r0, 1, cols, k, dyc, g.co, r0 === 0 ? 0 : 1, dw, g.co);
  }
}

/** dx = col2im(dy W^T). */
function inputGrad(blas: Blas, g: Geometry, dy: Float32Array, f: Float32Array, dx: Float32Array) {
  const m = g.n * g.ho * g.wo, k = g.kh * g.kw * g.ci;
  if (pointwise(g)) return blas.sgemm(false, true, m, k, g.co, 1, dy, g.co, f, g.co, 0, dx, k);
  dx.fill(0);
  const rows = chunkRows(g);
  const cols = scratchOf(rows * k);
  for (let r0 = 0; r0 < m; r0 += rows) {
    const r1 = Math.min(m, r0 + rows);
    blas.sgemm(false, true, r1 - r0, k, g.co, 1, dy.subarray(r0 * g.co), g.co, f, g.co, 0, cols, k);
    col2im(g, cols, dx, r0, r1);
  }
}

/** Memory access when this kernel applies (float32 inputs on wasm/cpu), else null. */
function usable(backend: unknown, ...infos: tf.TensorInfo[]): Memory | null {
  if (infos.some((t) => t.dtype !== "float32")) return null;
  return memoryOf(backend as tf.KernelBackend);
}

/**
 * Kernel functions for the three conv kernels backed by OpenBLAS; each delegates to its
 * `fallback` (the previously registered kernel) for NCHW or dilated convolutions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { loadBlas } from "./blas.ts";
 * import { blasConvKernels } from "./conv.ts";
 * import { current, replace } from "./replace.ts";
 * await tf.setBackend("cpu");
 * const blas = loadBlas();
 * if (blas) {
 *   const k = blasConvKernels(blas, {
 *     conv: current("Conv2D", "cpu").kernelFunc,
 *     input: current("Conv2DBackpropInput", "cpu").kernelFunc,
 *     filter: current("Conv2DBackpropFilter", "cpu").kernelFunc,
 *   });
 *   replace("Conv2D", "cpu", k.conv);
 * }
 * const x = tf.ones([1, 3, 3, 1]) as tf.Tensor4D, w = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
 * const y = tf.conv2d(x, w, 1, "same");
 * assert.deepEqual(Array.from(await y.data()), [4, 6, 4, 6, 9, 6, 4, 6, 4]);
 * ```
 */
export function blasConvKernels(
  blas: Blas,
  fallback: { conv: tf.KernelFunc; input: tf.KernelFunc; filter: tf.KernelFunc },
): { conv: tf.KernelFunc; input: tf.KernelFunc; filter: tf.KernelFunc } {
  const conv: tf.KernelFunc = (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo, filter = args.inputs.filter as tf.TensorInfo;
    const a = args.attrs as unknown as tf.Conv2DAttrs;
    const mem = usable(args.backend, x, filter);
    const g = mem &&
      geometry(
        x.shape,
        filter.shape,
        a.strides,
        a.pad,
        a.dimRoundingMode,
        a.dataFormat,
        a.dilations,
      );
    if (!mem || !g) return fallback.conv(args);
    const out = mem.alloc([g.n, g.ho, g.wo, g.co]);
    forward(blas, g, mem.view(x), mem.view(filter), mem.view(out));
    return out;
  };
  const input: tf.KernelFunc = (args: KernelArgs) => {
    const dy = args.inputs.dy as tf.TensorInfo, filter = args.inputs.filter as tf.TensorInfo;
    const a = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const mem = usable(args.backend, dy, filter);
    const g = mem &&
      geometry(a.inputShape, filter.shape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat, 1);
    if (!mem || !g || g.ho !== dy.shape[1] || g.wo !== dy.shape[2]) return fallback.input(args);
    const out = mem.alloc([...a.inputShape]);
    inputGrad(blas, g, mem.view(dy), mem.view(filter), mem.view(out));
    return out;
  };
  const filter: tf.KernelFunc = (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo, dy = args.inputs.dy as tf.TensorInfo;
    const a = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const mem = usable(args.backend, x, dy);
    const g = mem &&
      geometry(x.shape, a.filterShape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat, 1);
    if (!mem || !g || g.ho !== dy.shape[1] || g.wo !== dy.shape[2]) return fallback.filter(args);
    const out = mem.alloc([...a.filterShape]);
    filterGrad(blas, g, mem.view(x), mem.view(dy), mem.view(out));
    return out;
  };
  return { conv, input, filter };
}

/**
 * A Conv2D gradient that calls the `Conv2DBackpropInput` / `Conv2DBackpropFilter` kernels
 * directly while `active()` holds (NHWC, dilation 1), else `previous` (the gradient
 * registered before, e.g. the patched one of src/backend/patches/).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { conv2dGradient } from "./conv.ts";
 * await tf.setBackend("cpu");
 * tf.registerGradient(conv2dGradient(tf.getGradient("Conv2D"), () => tf.getBackend() === "cpu"));
 * const x = tf.ones([1, 3, 3, 1]) as tf.Tensor4D;
 * const dw = tf.grad((w) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, "same")))(
 *   tf.ones([3, 3, 1, 1]) as tf.Tensor4D,
 * );
 * assert.deepEqual(Array.from(await dw.data()), [4, 6, 4, 6, 9, 6, 4, 6, 4]);
 * ```
 */
export function conv2dGradient(previous: tf.GradConfig, active: () => boolean): tf.GradConfig {
  return {
    kernelName: "Conv2D",
    inputsToSave: ["x", "filter"],
    gradFunc: (dy, saved, attrs) => {
      const a = attrs as unknown as tf.Conv2DAttrs;
      const d = a.dilations ?? 1;
      const dilated = typeof d === "number" ? d !== 1 : d[0] !== 1 || d[1] !== 1;
      if (!active() || a.dataFormat === "NCHW" || dilated) {
        return previous.gradFunc(dy, saved, attrs);
      }
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const common = { strides: a.strides, pad: a.pad, dimRoundingMode: a.dimRoundingMode };
      const attr = (extra: Record<string, unknown>) =>
        ({ ...common, dataFormat: "NHWC", ...extra }) as unknown as tf.NamedAttrMap;
      return {
        x: () =>
          tf.engine().runKernel(
            "Conv2DBackpropInput",
            { dy: dy as tf.Tensor, filter },
            attr({ inputShape: x.shape }),
          ) as tf.Tensor,
        filter: () =>
          tf.engine().runKernel(
            "Conv2DBackpropFilter",
            { x, dy: dy as tf.Tensor },
            attr({ filterShape: filter.shape }),
          ) as tf.Tensor,
      };
    },
  };
}

/**
 * `MaxPoolGrad` (NHWC) as one pass over the pooling windows: each window's gradient goes to
 * its first maximal input (the cpu kernel's and PyTorch's tie rule; padded cells never
 * win). Replaces the wasm kernel, which is slow and needs the shift workaround of src/backend/patches/max_pool_grad.ts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { maxPoolGradKernel } from "./conv.ts";
 * import { current, replace } from "./replace.ts";
 * await tf.setBackend("wasm");
 * replace("MaxPoolGrad", "wasm", maxPoolGradKernel(current("MaxPoolGrad", "wasm").kernelFunc));
 * const x = tf.tensor4d([-1, -2, -1, -4], [1, 2, 2, 1]);
 * const dx = tf.grad((x) => tf.sum(tf.maxPool(x as tf.Tensor4D, 2, 2, "valid")))(x);
 * assert.deepEqual(Array.from(await dx.data()), [1, 0, 0, 0]); // the first maximum wins
 * ```
 */
export function maxPoolGradKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const dy = args.inputs.dy as tf.TensorInfo, x = args.inputs.input as tf.TensorInfo;
    const a = args.attrs as unknown as tf.MaxPoolGradAttrs;
    const mem = usable(args.backend, dy, x);
    if (!mem || x.shape.length !== 4) return fallback(args);
    const info = tf.backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    if (info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2]) return fallback(args);
    const out = mem.alloc([...x.shape]);
    const xv = mem.view(x), dyv = mem.view(dy), dx = mem.view(out);
    dx.fill(0);
    const [n, h, w, c] = x.shape;
    const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
    const { filterHeight: fh, filterWidth: fw } = info;
    const { top, left } = info.padInfo;
    // Channels innermost: every window position is read as one contiguous run of c values.
    const bestV = new Float32Array(c), bestAt = new Int32Array(c);
    let o = 0;
    for (let b = 0; b < n; b++) {
      const img = b * h * w * c;
      for (let oh = 0; oh < ho; oh++) {
        const h0 = Math.max(0, oh * sh - top), h1 = Math.min(h, oh * sh - top + fh);
        for (let ow = 0; ow < wo; ow++, o += c) {
          const w0 = Math.max(0, ow * sw - left), w1 = Math.min(w, ow * sw - left + fw);
          if (h0 >= h1 || w0 >= w1) continue;
          let first = img + (h0 * w + w0) * c;
          for (let ch = 0; ch < c; ch++) {
            bestV[ch] = xv[first + ch];
            bestAt[ch] = first + ch;
          }
          for (let i = h0; i < h1; i++) {
            for (let j = i === h0 ? w0 + 1 : w0; j < w1; j++) {
              first = img + (i * w + j) * c;
              for (let ch = 0; ch < c; ch++) {
                const v = xv[first + ch];
                if (v > bestV[ch]) {
                  bestV[ch] = v;
                  bestAt[ch] = first + ch;
                }
              }
            }
          }
          for (let ch = 0; ch < c; ch++) dx[bestAt[ch]] += dyv[o + ch];
        }
      }
    }
    return out;
  };
}

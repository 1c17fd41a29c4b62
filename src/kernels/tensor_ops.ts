/**
 * Memory-bound wasm kernels rewritten as single passes over tensor memory, where the stock
 * wasm kernels are slow in the shapes the paper backbones produce (profiles in
 * bench/README.md):
 *
 * - `Sum`, `Mean`, `Max` over a block of consecutive axes that is not the innermost (batch
 *   norm statistics over [N, H, W], DGCNN's max over neighbours and pooling over points):
 *   the stock kernels first transpose the input into a copy;
 * - `Equal` with broadcasting (the gradient of `max` compares [B, N, k, C] with
 *   [B, N, 1, C]): the stock kernel computes an index per element;
 * - `GatherV2` (DGCNN's neighbour rows, batches): row copies;
 * - `Unpack` (the Bi-GRU's per-step slices): one copy per output.
 *
 * Each falls back to the stock kernel outside the shapes it covers. Equal, GatherV2, Unpack
 * and Max give identical results; Sum and Mean add in float32 in row order over the
 * reduced axes (the stock kernels' order after their transpose; last bits may differ).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Memory, memoryOf } from "./memory.ts";

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Numeric = "float32" | "int32" | "bool";

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function numeric(dtype: string): dtype is Numeric {
  return dtype === "float32" || dtype === "int32" || dtype === "bool";
}

function memOf(args: KernelArgs, ...infos: tf.TensorInfo[]): Memory | null {
  if (infos.some((t) => !numeric(t.dtype))) return null;
  return memoryOf(args.backend as tf.KernelBackend);
}

/** Strides of `shape` aligned right to `out` (0 along broadcast dimensions). */
function alignedStrides(shape: readonly number[], out: readonly number[]): number[] {
  const strides = new Array(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1, j = out.length - 1; i >= 0; i--, j--) {
    strides[j] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

/**
 * `Equal` with numpy broadcasting, as a loop whose innermost dimension is contiguous.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { current, replace } from "./replace.ts";
 * import { equalKernel } from "./tensor_ops.ts";
 * await tf.setBackend("wasm");
 * replace("Equal", "wasm", equalKernel(current("Equal", "wasm").kernelFunc));
 * const eq = tf.equal(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([1, 4])); // broadcast
 * assert.deepEqual(Array.from(await eq.data()), [1, 0, 0, 1]);
 * ```
 */
export function equalKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const a = args.inputs.a as tf.TensorInfo, b = args.inputs.b as tf.TensorInfo;
    const mem = memOf(args, a, b);
    if (!mem || a.dtype !== b.dtype) return fallback(args);
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = mem.allocOf(shape, "bool");
    const av = mem.typed(a), bv = mem.typed(b), ov = mem.typed(out);
    const dims = shape.length ? shape : [1];
    const as = alignedStrides(a.shape, dims), bs = alignedStrides(b.shape, dims);
    const rank = dims.length, inner = dims[rank - 1];
    const ai = as[rank - 1], bi = bs[rank - 1];
    const outer = inner === 0 ? 0 : prod(dims) / inner;
    const idx = new Array(rank).fill(0);
    let aOff = 0, bOff = 0;
    for (let o = 0; o < outer; o++) {
      const base = o * inner;
      for (let e = 0, ap = aOff, bp = bOff; e < inner; e++, ap += ai, bp += bi) {
        ov[base + e] = av[ap] === bv[bp] ? 1 : 0;
      }
      for (let d = rank - 2; d >= 0; d--) {
        idx[d]++;
        aOff += as[d];
        bOff += bs[d];
        if (idx[d] < dims[d]) break;
        aOff -= as[d] * dims[d];
        bOff -= bs[d] * dims[d];
        idx[d] = 0;
      }
    }
    return out;
  };
}

/** Elementwise float32 operations of {@linkcode smallBinaryKernel}. */
export type BinaryOp = "add" | "sub" | "mul" | "div";

/** Largest output (elements) {@linkcode smallBinaryKernel} computes itself. */
export const SMALL_BINARY_MAX = 4096;

/**
 * `Add`, `Sub`, `Multiply`, `RealDiv` on float32 tensors with at most
 * {@linkcode SMALL_BINARY_MAX} output elements (numpy broadcasting), as one JS loop. The
 * stock wasm kernels set up an XNNPACK operator per call, which costs more than the
 * arithmetic for the [B, C] logits and scalars of a method step (2x per call, measured).
 * Each result is the float32 rounding of the exact double result, which for one IEEE
 * add, subtract, multiply or divide equals the float32 operation: identical values
 * (tests/kernels_test.ts compares them bit for bit). Larger tensors go to the stock kernel.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { current, replace } from "./replace.ts";
 * import { smallBinaryKernel } from "./tensor_ops.ts";
 * await tf.setBackend("wasm");
 * replace("Add", "wasm", smallBinaryKernel("add", current("Add", "wasm").kernelFunc));
 * assert.deepEqual(Array.from(await tf.add([1, 2], [10, 20]).data()), [11, 22]);
 * ```
 */
export function smallBinaryKernel(op: BinaryOp, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const a = args.inputs.a as tf.TensorInfo, b = args.inputs.b as tf.TensorInfo;
    if (a.dtype !== "float32" || b.dtype !== "float32") return fallback(args);
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = prod(shape);
    if (n > SMALL_BINARY_MAX || n === 0) return fallback(args);
    const mem = memoryOf(args.backend as tf.KernelBackend);
    if (!mem) return fallback(args);
    const out = mem.alloc(shape);
    const av = mem.view(a), bv = mem.view(b), ov = mem.view(out);
    if (a.shape.length === b.shape.length && av.length === n && bv.length === n) {
      binaryLoop(op, ov, av, bv, n);
      return out;
    }
    if (bv.length === 1) {
      binaryScalarB(op, ov, av, bv[0], n);
      return out;
    }
    const dims = shape.length ? shape : [1];
    const as = alignedStrides(a.shape, dims), bs = alignedStrides(b.shape, dims);
    const rank = dims.length, idx = new Array(rank).fill(0);
    for (let o = 0; o < n; o++) {
      let ap = 0, bp = 0, rest = o;
      for (let d = rank - 1; d >= 0; d--) {
        idx[d] = rest % dims[d];
        rest = (rest - idx[d]) / dims[d];
        ap += idx[d] * as[d];
        bp += idx[d] * bs[d];
      }
      const x = av[ap], y = bv[bp];
      ov[o] = op === "add" ? x + y : op === "sub" ? x - y : op === "mul" ? x * y : x / y;
    }
    return out;
  };
}

function binaryLoop(
  op: BinaryOp,
  o: Float32Array,
  a: Float32Array,
  b: Float32Array,
  n: number,
): void {
  if (op === "add") { for (let i = 0; i < n; i++) o[i] = a[i] + b[i]; }
  else if (op === "sub") { for (let i = 0; i < n; i++) o[i] = a[i] - b[i]; }
  else if (op === "mul") { for (let i = 0; i < n; i++) o[i] = a[i] * b[i]; }
  else for (let i = 0; i < n; i++) o[i] = a[i] / b[i];
}

function binaryScalarB(op: BinaryOp, o: Float32Array, a: Float32Array, y: number, n: number): void {
  if (op === "add") { for (let i = 0; i < n; i++) o[i] = a[i] + y; }
  else if (op === "sub") { for (let i = 0; i < n; i++) o[i] = a[i] - y; }
  else if (op === "mul") { for (let i = 0; i < n; i++) o[i] = a[i] * y; }
  else for (let i = 0; i < n; i++) o[i] = a[i] / y;
}

/**
 * `GatherV2` without batch dimensions: out[o, i, :] = x[o, indices[i], :] by row copies.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { current, replace } from "./replace.ts";
 * import { gatherKernel } from "./tensor_ops.ts";
 * await tf.setBackend("wasm");
 * replace("GatherV2", "wasm", gatherKernel(current("GatherV2", "wasm").kernelFunc));
 * const rows = tf.gather(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([2, 0], "int32"));
 * assert.deepEqual(Array.from(await rows.data()), [5, 6, 1, 2]);
 * ```
 */
export function gatherKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo, indices = args.inputs.indices as tf.TensorInfo;
    const a = args.attrs as unknown as tf.GatherV2Attrs;
    const mem = memOf(args, x, indices);
    if (!mem || indices.dtype !== "int32" || (a.batchDims ?? 0) !== 0) return fallback(args);
    const axis = tf.util.parseAxisParam(a.axis, x.shape)[0];
    const n = x.shape[axis];
    const idx = mem.typed(indices) as Int32Array;
    for (let i = 0; i < idx.length; i++) if (idx[i] < 0 || idx[i] >= n) return fallback(args);
    const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const out = mem.allocOf(outShape, x.dtype as Numeric);
    const xv = mem.typed(x), ov = mem.typed(out), iv = mem.typed(indices) as Int32Array;
    const outer = prod(x.shape.slice(0, axis)), inner = prod(x.shape.slice(axis + 1));
    const m = iv.length;
    let d = 0;
    for (let o = 0; o < outer; o++) {
      const base = o * n * inner;
      for (let i = 0; i < m; i++, d += inner) {
        const s = base + iv[i] * inner;
        if (inner >= 16) ov.set(xv.subarray(s, s + inner), d);
        else for (let e = 0; e < inner; e++) ov[d + e] = xv[s + e];
      }
    }
    return out;
  };
}

/** The reduced block [outer, red, inner] when `axes` are consecutive and not innermost. */
function block(shape: readonly number[], axes: number[]): [number, number, number] | null {
  const sorted = [...new Set(axes)].sort((p, q) => p - q);
  if (!sorted.length) return null;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[0] + i) return null;
  const first = sorted[0], last = sorted[sorted.length - 1];
  const inner = prod(shape.slice(last + 1));
  if (inner <= 1) return null; // innermost reductions: the stock kernels need no transpose
  return [prod(shape.slice(0, first)), prod(shape.slice(first, last + 1)), inner];
}

/**
 * `Sum`, `Mean` or `Max` (float32) over consecutive, non-innermost axes, in one pass.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { current, replace } from "./replace.ts";
 * import { reduceKernel } from "./tensor_ops.ts";
 * await tf.setBackend("wasm");
 * replace("Sum", "wasm", reduceKernel("sum", current("Sum", "wasm").kernelFunc));
 * assert.deepEqual(Array.from(await tf.sum(tf.tensor2d([[1, 2], [3, 4]]), 0).data()), [4, 6]);
 * ```
 */
export function reduceKernel(op: "sum" | "mean" | "max", fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    const a = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const mem = memOf(args, x);
    if (!mem || x.dtype !== "float32") return fallback(args);
    const axes = tf.util.parseAxisParam(a.axis, x.shape);
    const blk = block(x.shape, axes);
    if (!blk || blk[1] === 0) return fallback(args);
    const [outer, red, inner] = blk;
    const set = new Set(axes);
    const outShape = a.keepDims
      ? x.shape.map((d, i) => (set.has(i) ? 1 : d))
      : x.shape.filter((_, i) => !set.has(i));
    const out = mem.alloc(outShape);
    const xv = mem.view(x), ov = mem.view(out);
    for (let o = 0; o < outer; o++) {
      const ob = o * inner;
      let base = o * red * inner;
      for (let e = 0; e < inner; e++) ov[ob + e] = xv[base + e];
      base += inner;
      if (op === "max") {
        for (let r = 1; r < red; r++, base += inner) {
          for (let e = 0; e < inner; e++) {
            const v = xv[base + e];
            if (v > ov[ob + e] || v !== v) ov[ob + e] = v;
          }
        }
      } else {
        for (let r = 1; r < red; r++, base += inner) {
          for (let e = 0; e < inner; e++) ov[ob + e] += xv[base + e];
        }
        if (op === "mean") { for (let e = 0; e < inner; e++) ov[ob + e] /= red; }
      }
    }
    return out;
  };
}

/**
 * `Unpack` (tf.unstack) along any axis, one copy per output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { current, replace } from "./replace.ts";
 * import { unpackKernel } from "./tensor_ops.ts";
 * await tf.setBackend("wasm");
 * replace("Unpack", "wasm", unpackKernel(current("Unpack", "wasm").kernelFunc));
 * const [a, b] = tf.unstack(tf.tensor2d([[1, 2], [3, 4]]), 1);
 * assert.deepEqual([Array.from(await a.data()), Array.from(await b.data())], [[1, 3], [2, 4]]);
 * ```
 */
export function unpackKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.value as tf.TensorInfo;
    const a = args.attrs as unknown as tf.UnpackAttrs;
    const mem = memOf(args, x);
    if (!mem) return fallback(args);
    const axis = tf.util.parseAxisParam(a.axis, x.shape)[0];
    const n = x.shape[axis];
    const shape = x.shape.filter((_, i) => i !== axis);
    const outs = Array.from({ length: n }, () => mem.allocOf(shape, x.dtype as Numeric));
    const xv = mem.typed(x);
    const outer = prod(x.shape.slice(0, axis)), inner = prod(x.shape.slice(axis + 1));
    for (let i = 0; i < n; i++) {
      const ov = mem.typed(outs[i]);
      for (let o = 0; o < outer; o++) {
        const s = (o * n + i) * inner;
        if (inner >= 16) ov.set(xv.subarray(s, s + inner), o * inner);
        else for (let e = 0; e < inner; e++) ov[o * inner + e] = xv[s + e];
      }
    }
    return outs;
  };
}

/**
 * `SplitV` (tf.split) as one copy per output (the stock wasm kernel runs a Slice per part).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { current, replace } from "./replace.ts";
 * import { splitKernel } from "./tensor_ops.ts";
 * await tf.setBackend("wasm");
 * replace("SplitV", "wasm", splitKernel(current("SplitV", "wasm").kernelFunc));
 * const [a, b] = tf.split(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), [1, 2], 1);
 * assert.deepEqual(await a.array(), [[1], [4]]);
 * assert.deepEqual(await b.array(), [[2, 3], [5, 6]]);
 * ```
 */
export function splitKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    const a = args.attrs as unknown as tf.SplitVAttrs;
    const mem = memOf(args, x);
    if (!mem) return fallback(args);
    const axis = tf.util.parseAxisParam(a.axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(
      x as tf.Tensor,
      a.numOrSizeSplits,
      axis,
    ) as number[];
    const outs = sizes.map((s) => {
      const shape = [...x.shape];
      shape[axis] = s;
      return mem.allocOf(shape, x.dtype as Numeric);
    });
    const xv = mem.typed(x);
    const outer = prod(x.shape.slice(0, axis)), inner = prod(x.shape.slice(axis + 1));
    const row = x.shape[axis] * inner;
    let start = 0;
    sizes.forEach((s, k) => {
      const ov = mem.typed(outs[k]);
      const len = s * inner;
      for (let o = 0; o < outer; o++) {
        const src = o * row + start;
        if (len >= 16) ov.set(xv.subarray(src, src + len), o * len);
        else for (let e = 0; e < len; e++) ov[o * len + e] = xv[src + e];
      }
      start += len;
    });
    return outs;
  };
}

/**
 * Name of the fused ReLU / leaky-ReLU gradient kernel registered on wasm and cpu.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { RELU_GRAD, reluGradKernel } from "./tensor_ops.ts";
 * await tf.setBackend("wasm");
 * tf.registerKernel({ kernelName: RELU_GRAD, backendName: "wasm", kernelFunc: reluGradKernel });
 * const dy = tf.tensor1d([1, 1]), x = tf.tensor1d([-1, 2]);
 * const dx = tf.engine().runKernel(RELU_GRAD, { dy, x }, { alpha: 0.5 }) as tf.Tensor;
 * assert.deepEqual(Array.from(await dx.data()), [0.5, 1]); // leaky ReLU, alpha 0.5
 * ```
 */
export const RELU_GRAD = "IbmlReluGrad";

/**
 * dx of ReLU (`alpha` 0) or leaky ReLU: dy * (x > 0 ? 1 : alpha) in one branch-free pass
 * (inputs `dy`, `x`; attribute `alpha`). The stock gradients run 3 kernels each (Step, Cast,
 * Multiply; or Greater, Multiply, Select). The same float32 products are computed
 * (dy * 1 = dy; dy * alpha rounded once), so the values are identical; a NaN x gives
 * dy * alpha, as the stock leaky-ReLU gradient does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { RELU_GRAD, reluGradKernel } from "./tensor_ops.ts";
 * await tf.setBackend("wasm");
 * tf.registerKernel({ kernelName: RELU_GRAD, backendName: "wasm", kernelFunc: reluGradKernel });
 * const dy = tf.tensor1d([3, 3]), x = tf.tensor1d([-1, 2]);
 * const dx = tf.engine().runKernel(RELU_GRAD, { dy, x }, { alpha: 0 }) as tf.Tensor;
 * assert.deepEqual(Array.from(await dx.data()), [0, 3]);
 * ```
 */
export const reluGradKernel: tf.KernelFunc = (args: KernelArgs) => {
  const dy = args.inputs.dy as tf.TensorInfo, x = args.inputs.x as tf.TensorInfo;
  const alpha = Math.fround((args.attrs as unknown as { alpha: number }).alpha);
  const mem = memoryOf(args.backend as tf.KernelBackend);
  if (!mem) throw new Error(`${RELU_GRAD}: backend memory is not addressable`);
  const out = mem.alloc([...x.shape]);
  reluGradLoop(mem.view(out), mem.view(x), mem.view(dy), alpha);
  return out;
};

/** The loop of {@linkcode reluGradKernel}: `+(v > 0)` compiles without a branch. */
function reluGradLoop(o: Float32Array, x: Float32Array, dy: Float32Array, alpha: number): void {
  const n = o.length;
  if (alpha === 0) {
    for (let i = 0; i < n; i++) o[i] = dy[i] * +(x[i] > 0);
  } else {
    const rest = 1 - alpha;
    for (let i = 0; i < n; i++) {
      const m = +(x[i] > 0);
      o[i] = dy[i] * (alpha + m * rest); // m = 1: dy * 1; m = 0: dy * alpha
    }
  }
}

/**
 * Relu and LeakyRelu gradients that run {@linkcode RELU_GRAD} while `active()` (float32),
 * else the previously registered gradient.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { RELU_GRAD, reluGradient, reluGradKernel } from "./tensor_ops.ts";
 * await tf.setBackend("wasm");
 * tf.registerKernel({ kernelName: RELU_GRAD, backendName: "wasm", kernelFunc: reluGradKernel });
 * tf.registerGradient(reluGradient("Relu", tf.getGradient("Relu"), () => true));
 * const dx = tf.grad((x) => tf.sum(tf.relu(x)))(tf.tensor1d([-1, 2]));
 * assert.deepEqual(Array.from(await dx.data()), [0, 1]);
 * ```
 */
export function reluGradient(
  kernelName: "Relu" | "LeakyRelu",
  previous: tf.GradConfig,
  active: () => boolean,
): tf.GradConfig {
  // Relu saves its OUTPUT, not its input: y > 0 exactly where x > 0, so the gradient is the
  // same bit for bit, and the input (a BatchNorm output, say) need not outlive the forward
  // pass (the next layer keeps y anyway), one activation-sized tensor less per ReLU.
  return {
    kernelName,
    ...(kernelName === "Relu" ? { outputsToSave: [true] } : { inputsToSave: ["x"] }),
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      if (!active() || x.dtype !== "float32" || (dy as tf.Tensor).dtype !== "float32") {
        return previous.gradFunc(dy, saved, attrs);
      }
      const alpha = kernelName === "Relu" ? 0 : (attrs as unknown as tf.LeakyReluAttrs).alpha;
      return {
        x: () =>
          tf.engine().runKernel(
            RELU_GRAD,
            { dy: dy as tf.Tensor, x },
            { alpha } as unknown as tf.NamedAttrMap,
          ) as tf.Tensor,
      };
    },
  };
}

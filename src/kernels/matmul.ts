/**
 * `BatchMatMul` for the wasm and cpu backends.
 *
 * - With OpenBLAS ({@link loadBlas}): one `cblas_sgemm` per batch entry, reading the
 *   operands straight from tensor memory (transposes are GEMM flags, no copies).
 * - Without it, on wasm: the stock kernel is fast only without transpose flags (XNNPACK);
 *   with `transposeA` or `transposeB` it runs a naive loop, 10-30x slower (measured
 *   229 ms against 19 ms for a 3136x32 by 32x512 product), and every MatMul gradient sets
 *   one of them. So the operand is transposed explicitly (a cheap copy) and the stock kernel
 *   runs without flags.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Blas } from "./blas.ts";
import { memoryOf } from "./memory.ts";

type KernelArgs = Parameters<tf.KernelFunc>[0];

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** Product of a shape's entries. */
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * A BatchMatMul kernel function backed by OpenBLAS for products of at least `minMacs`
 * multiply-adds (batch x m x n x k); delegates to `fallback` below that and for what it
 * does not cover (non-float32, general broadcasting of batch dimensions).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { loadBlas } from "./blas.ts";
 * import { blasBatchMatMul } from "./matmul.ts";
 * import { current, replace } from "./replace.ts";
 * await tf.setBackend("wasm");
 * const blas = loadBlas();
 * const stock = current("BatchMatMul", "wasm").kernelFunc;
 * if (blas) replace("BatchMatMul", "wasm", blasBatchMatMul(blas, stock, 0)); // 0: every product
 * const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
 * assert.deepEqual(Array.from(await y.data()), [11]);
 * ```
 */
export function blasBatchMatMul(
  blas: Blas,
  fallback: tf.KernelFunc,
  minMacs = 0,
): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    const { transposeA, transposeB } = attrs as unknown as MatMulAttrs;
    const mem = memoryOf(backend as tf.KernelBackend);
    if (!mem || a.dtype !== "float32" || b.dtype !== "float32") return fallback(args);
    const ra = a.shape.length, rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (k !== kb) {
      throw new Error(
        `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} ` +
          `and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
      );
    }
    const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
    const batchA = prod(outerA), batchB = prod(outerB);
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return fallback(args);
    const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
    if (prod(outer) !== Math.max(batchA, batchB)) return fallback(args);
    const batch = Math.max(batchA, batchB);
    if (batch * m * n * k < minMacs) return fallback(args);
    const out = mem.alloc([...outer, m, n]);
    const av = mem.view(a), bv = mem.view(b), cv = mem.view(out);
    const lda = transposeA ? m : k, ldb = transposeB ? k : n;
    if (k === 0) {
      cv.fill(0);
      return out;
    }
    for (let i = 0; i < batch; i++) {
      const aOff = batchA === 1 ? 0 : i * m * k;
      const bOff = batchB === 1 ? 0 : i * k * n;
      blas.sgemm(
        transposeA,
        transposeB,
        m,
        n,
        k,
        1,
        aOff ? av.subarray(aOff) : av,
        lda,
        bOff ? bv.subarray(bOff) : bv,
        ldb,
        0,
        i ? cv.subarray(i * m * n) : cv,
        n,
      );
    }
    return out;
  };
}

/**
 * The wasm BatchMatMul without BLAS: transposes a flagged operand explicitly (stock
 * `Transpose` kernel) and runs the stock kernel without transpose flags.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { untransposedBatchMatMul } from "./matmul.ts";
 * import { current, replace } from "./replace.ts";
 * await tf.setBackend("wasm");
 * const stock = current("BatchMatMul", "wasm").kernelFunc;
 * const transpose = current("Transpose", "wasm").kernelFunc;
 * replace("BatchMatMul", "wasm", untransposedBatchMatMul(stock, transpose));
 * const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3, 4]]), false, true); // b transposed
 * assert.deepEqual(Array.from(await y.data()), [11]);
 * ```
 */
export function untransposedBatchMatMul(
  stock: tf.KernelFunc,
  transpose: tf.KernelFunc,
): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = attrs as unknown as MatMulAttrs;
    if (!transposeA && !transposeB) return stock(args);
    const be = backend as tf.KernelBackend;
    const temps: tf.TensorInfo[] = [];
    const swapLast = (x: tf.TensorInfo): tf.TensorInfo => {
      const r = x.shape.length;
      const perm = [...Array(r).keys()];
      [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
      const t = transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
      temps.push(t);
      return t;
    };
    try {
      const a = transposeA ? swapLast(inputs.a as tf.TensorInfo) : inputs.a;
      const b = transposeB ? swapLast(inputs.b as tf.TensorInfo) : inputs.b;
      return stock({
        inputs: { a, b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temps) be.disposeData(t.dataId);
    }
  };
}

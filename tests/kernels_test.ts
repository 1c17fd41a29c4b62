/**
 * Equivalence tests for src/kernels/ (the fast kernels installed by selectBackend): every
 * replaced kernel is compared with STOCK tfjs results computed on cpu in the first test,
 * before anything is patched (Deno runs each test file in its own isolate). Then the fast
 * kernels run on wasm and on cpu, with OpenBLAS when the machine has it (the BLAS-free
 * wasm MatMul path is checked on its own), with a tiny im2col chunk so that the chunked
 * paths run too.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { selectBackend } from "../src/backend/mod.ts";
import { loadBlas } from "../src/kernels/blas.ts";
import { memoryOf } from "../src/kernels/memory.ts";
import { setIm2colChunk } from "../src/kernels/conv.ts";
import { untransposedBatchMatMul } from "../src/kernels/matmul.ts";
import { fastKernelStatus } from "../src/kernels/mod.ts";
import { fusedSgdStep } from "../src/optim/fused_sgd.ts";
import { crossEntropy } from "../src/optim/grads.ts";
import { SOFTMAX_CE } from "../src/kernels/cross_entropy.ts";
import { collect, relDiff, seeded, seededTensor } from "./numeric.ts";

// Send every MatMul to OpenBLAS (when the machine has it), not only the large ones, so that
// the small test matrices exercise the sgemm path; read once, when selectBackend installs.
Deno.env.set("IBML_BLAS_MIN_MACS", "0");

type Arrays = Record<string, Float32Array>;
type Shape4 = [number, number, number, number];

/** Loss with a non-uniform upstream gradient. */
function weighted(y: tf.Tensor, seed = 77): tf.Scalar {
  return tf.sum(tf.mul(y, seededTensor(y.shape, seed)));
}

function assertClose(got: Arrays, ref: Arrays, label: string, tol = 2e-5): void {
  for (const k of Object.keys(ref)) {
    const d = relDiff(got[k], ref[k]);
    assert.ok(d < tol, `${label} ${k}: relative difference ${d.toExponential(2)} >= ${tol}`);
  }
}

interface MatCase {
  name: string;
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
  /** Forward only (tfjs's MatMul gradient does not reduce broadcast batch dimensions). */
  forwardOnly?: boolean;
}

const MAT_CASES: MatCase[] = [
  { name: "2d", a: [7, 5], b: [5, 3], ta: false, tb: false },
  { name: "2d tA", a: [5, 7], b: [5, 3], ta: true, tb: false },
  { name: "2d tB", a: [7, 5], b: [3, 5], ta: false, tb: true },
  { name: "2d tA tB", a: [5, 7], b: [3, 5], ta: true, tb: true },
  { name: "batched", a: [3, 4, 6], b: [3, 6, 2], ta: false, tb: false },
  { name: "batched tB", a: [2, 3, 4, 6], b: [2, 3, 2, 6], ta: false, tb: true },
  { name: "broadcast b", a: [3, 4, 6], b: [6, 5], ta: false, tb: false, forwardOnly: true },
  { name: "broadcast a tA", a: [1, 6, 4], b: [3, 6, 5], ta: true, tb: false, forwardOnly: true },
];

function matGrads(c: MatCase): Arrays {
  return collect((): Record<string, tf.Tensor> => {
    const a = seededTensor(c.a, 1), b = seededTensor(c.b, 2);
    const y = tf.matMul(a, b, c.ta, c.tb);
    if (c.forwardOnly) return { y };
    const [da, db] = tf.grads((x: tf.Tensor, w: tf.Tensor) =>
      weighted(tf.matMul(x, w, c.ta, c.tb))
    )(
      [a, b],
    );
    return { y, da, db };
  });
}

interface ConvCase {
  name: string;
  x: Shape4;
  f: Shape4;
  stride: number | [number, number];
  pad: number | "same" | "valid";
}

const CONV_CASES: ConvCase[] = [
  {
    name: "7x7 s2 pad 3, 1 channel (ResNet stem)",
    x: [2, 13, 11, 1],
    f: [7, 7, 1, 4],
    stride: 2,
    pad: 3,
  },
  { name: "3x3 s1 pad 1", x: [2, 8, 7, 3], f: [3, 3, 3, 5], stride: 1, pad: 1 },
  { name: "3x3 s2 pad 1", x: [2, 9, 8, 4], f: [3, 3, 4, 6], stride: 2, pad: 1 },
  { name: "1x1 s1 (pointwise)", x: [2, 5, 6, 4], f: [1, 1, 4, 3], stride: 1, pad: 0 },
  { name: "1x1 s2", x: [2, 9, 9, 4], f: [1, 1, 4, 6], stride: 2, pad: 0 },
  { name: "3x3 same s2", x: [1, 10, 9, 3], f: [3, 3, 3, 4], stride: 2, pad: "same" },
  { name: "2x3 valid s[1,2]", x: [2, 7, 9, 2], f: [2, 3, 2, 3], stride: [1, 2], pad: "valid" },
];

function convGrads(c: ConvCase): Arrays {
  return collect(() => {
    const x = seededTensor(c.x, 3) as tf.Tensor4D, f = seededTensor(c.f, 4) as tf.Tensor4D;
    const conv = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
    const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => weighted(conv(a, b)))([x, f]);
    return { y: conv(x, f), dx, df };
  });
}

function transposeGrads(): Arrays {
  return collect(() => {
    const x = seededTensor([2, 4, 5, 6], 5) as tf.Tensor4D,
      f = seededTensor([3, 3, 3, 6], 6) as tf.Tensor4D;
    const ct = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [2, 8, 10, 3], 2, "same");
    const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => weighted(ct(a, b)))([x, f]);
    return { y: ct(x, f), dx, df };
  });
}

interface PoolCase {
  name: string;
  x: Shape4;
  size: number;
  stride: number;
  pad: number | "valid";
  shift: number;
}

const POOL_CASES: PoolCase[] = [
  { name: "3x3 s2 pad 1 (ResNet)", x: [2, 9, 8, 3], size: 3, stride: 2, pad: 1, shift: 0 },
  { name: "2x2 s2 (Img_FC)", x: [2, 8, 6, 4], size: 2, stride: 2, pad: "valid", shift: 0 },
  { name: "3x3 s1 all negative", x: [1, 5, 5, 2], size: 3, stride: 1, pad: "valid", shift: -2 },
];

function poolGrads(c: PoolCase): Arrays {
  return collect(() => {
    const x = tf.add(seededTensor(c.x, 7), c.shift) as tf.Tensor4D;
    const pool = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, c.size, c.stride, c.pad);
    const [dx] = tf.grads((a: tf.Tensor) => weighted(pool(a)))([x]);
    return { y: pool(x), dx };
  });
}

/** Reductions, broadcast Equal, gather, unstack (src/kernels/tensor_ops.ts) and their grads. */
function tensorOps(): Arrays {
  return collect(() => {
    const x = seededTensor([2, 3, 4, 5], 21);
    const y = tf.round(tf.mul(seededTensor([2, 3, 1, 5], 22), 2));
    const z = tf.round(tf.mul(seededTensor([2, 3, 4, 5], 23), 2));
    const idx = tf.tensor1d([2, 0, 2, 1], "int32");
    const ints = tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], "int32");
    const [dMax] = tf.grads((a: tf.Tensor) => weighted(tf.max(a, 2)))([x]);
    const [dMean] = tf.grads((a: tf.Tensor) => weighted(tf.mean(a, [0, 1, 2])))([x]);
    const [dGather] = tf.grads((a: tf.Tensor) => weighted(tf.gather(a, idx, 0)))([
      tf.reshape(x, [4, 30]),
    ]);
    const [dStack] = tf.grads((a: tf.Tensor) => weighted(tf.stack(tf.unstack(a, 1), 0)))([x]);
    const [dRelu] = tf.grads((a: tf.Tensor) => weighted(tf.relu(a)))([x]);
    const [dLeaky] = tf.grads((a: tf.Tensor) => weighted(tf.leakyRelu(a, 0.2)))([x]);
    const [dSplit] = tf.grads((a: tf.Tensor) => {
      const [p, q, r] = tf.split(a, [1, 3, 1], 3);
      return tf.add(weighted(p, 1), tf.add(weighted(q, 2), weighted(r, 3)));
    })([x]);
    return {
      sum012: tf.sum(x, [0, 1, 2]),
      sum1k: tf.sum(x, 1, true),
      mean12: tf.mean(x, [1, 2]),
      max2: tf.max(x, 2),
      max01k: tf.max(x, [0, 1], true),
      sumInner: tf.sum(x, 3),
      equal: tf.cast(tf.equal(z, y), "float32"),
      equalInt: tf.cast(tf.equal(tf.cast(z, "int32"), tf.cast(y, "int32")), "float32"),
      gather1: tf.gather(x, idx.slice(0, 3), 1),
      gatherInt: tf.cast(tf.gather(ints, tf.tensor1d([2, 2, 0], "int32")), "float32"),
      unstack1: tf.concat(tf.unstack(x, 1), 0),
      unstack3: tf.concat(tf.unstack(x, 3), 0),
      dMax,
      dMean,
      dGather,
      dStack,
      dRelu,
      dLeaky,
      dSplit,
      split: tf.concat(tf.split(x, [1, 2], 1).reverse(), 1),
    };
  });
}

/** Softmax cross-entropy and its gradient (wide range of logits, a constant row). */
function ceGrads(): Arrays {
  return tf.tidy(() => {
    const base = tf.mul(seededTensor([7, 5], 41), 6);
    const logits = tf.concat([
      base,
      tf.tensor2d([[80, -80, 0, 3, 79.5], [2, 2, 2, 2, 2]]),
    ]) as tf.Tensor2D;
    const labels = tf.tensor1d([0, 4, 2, 1, 3, 3, 0, 4, 1], "int32");
    const f = (z: tf.Tensor) => tf.mul(crossEntropy(z as tf.Tensor2D, labels), 1.7);
    const { value, grad } = tf.valueAndGrad(f)(logits);
    return { loss: value.dataSync() as Float32Array, dLogits: grad.dataSync() as Float32Array };
  });
}

const ref: {
  ce?: Arrays;
  mat: Arrays[];
  conv: Arrays[];
  transpose: Arrays;
  pool: Arrays[];
  ops: Arrays;
} = {
  mat: [],
  conv: [],
  transpose: {},
  pool: [],
  ops: {},
};

/** Stock wasm kernel functions, captured before installFastKernels wraps them. */
const stockKernels: {
  matMul?: tf.KernelFunc;
  transpose?: tf.KernelFunc;
  binary?: Record<string, tf.KernelFunc>;
} = {};

Deno.test("fast kernels: references from stock tfjs on cpu (before any patch)", async () => {
  stockKernels.matMul = tf.getKernel("BatchMatMul", "wasm")!.kernelFunc;
  stockKernels.transpose = tf.getKernel("Transpose", "wasm")!.kernelFunc;
  stockKernels.binary = Object.fromEntries(
    ["Add", "Sub", "Multiply", "RealDiv"].map((k) => [k, tf.getKernel(k, "wasm")!.kernelFunc]),
  );
  assert.ok(await tf.setBackend("cpu"));
  ref.mat = MAT_CASES.map(matGrads);
  ref.conv = CONV_CASES.map(convGrads);
  ref.transpose = transposeGrads();
  ref.pool = POOL_CASES.map(poolGrads);
  ref.ops = tensorOps();
  ref.ce = ceGrads();
});

Deno.test("fast kernels: MatMul, Conv2D (+ grads), MaxPoolGrad, reductions, gather match stock", async (t) => {
  const old = setIm2colChunk(40); // a few rows per chunk: every chunked path runs
  try {
    for (const backend of ["wasm", "cpu"] as const) {
      const choice = await selectBackend(backend);
      assert.equal(choice.name, backend);
      assert.match(choice.reason, /fast kernels/);
      await t.step(`${backend}: matMul with every transpose flag, batched, broadcast`, () => {
        MAT_CASES.forEach((c, i) => assertClose(matGrads(c), ref.mat[i], c.name));
      });
      await t.step(`${backend}: conv2d forward, input and filter gradients`, () => {
        CONV_CASES.forEach((c, i) => assertClose(convGrads(c), ref.conv[i], c.name));
        assertClose(transposeGrads(), ref.transpose, "conv2dTranspose");
      });
      await t.step(`${backend}: maxPool gradient`, () => {
        POOL_CASES.forEach((c, i) => assertClose(poolGrads(c), ref.pool[i], c.name));
      });
      await t.step(`${backend}: reductions, broadcast equal, gather, unstack (+ grads)`, () => {
        const got = tensorOps();
        assertClose(got, ref.ops, "tensor ops", 1e-6);
        // Documented as identical (src/kernels/tensor_ops.ts): bit for bit.
        for (
          const k of [
            "dRelu",
            "dLeaky",
            "equal",
            "equalInt",
            "gather1",
            "gatherInt",
            "unstack1",
            "unstack3",
            "split",
            "max2",
            "max01k",
          ]
        ) {
          assert.deepEqual(got[k], ref.ops[k], `${k} must be identical to stock`);
        }
      });
      await t.step(`${backend}: fused softmax cross-entropy and its gradient`, () => {
        assert.ok(tf.getKernel(SOFTMAX_CE, backend), "the fused kernel is registered");
        assertClose(ceGrads(), ref.ce!, "cross-entropy", 1e-6);
      });
    }
  } finally {
    setIm2colChunk(old);
  }
  const s = fastKernelStatus();
  assert.ok(s.enabled);
  assert.equal(s.blas, loadBlas() !== null);
});

Deno.test("fast kernels: the BLAS-free wasm MatMul (explicit transpose + stock) matches stock", async () => {
  await selectBackend("wasm"); // initialises wasm: the stock kernels' setup has run
  const kernelFunc = untransposedBatchMatMul(stockKernels.matMul!, stockKernels.transpose!);
  MAT_CASES.forEach((c, i) => {
    const got = collect(() => {
      const info = kernelFunc({
        inputs: { a: seededTensor(c.a, 1), b: seededTensor(c.b, 2) },
        backend: tf.backend(),
        attrs: { transposeA: c.ta, transposeB: c.tb },
      }) as tf.TensorInfo;
      return { y: tf.engine().makeTensorFromTensorInfo(info, tf.backend()) };
    });
    assertClose(got, { y: ref.mat[i].y }, `${c.name} (no BLAS)`);
  });
});

Deno.test("fast kernels: an in-place SGD update invalidates wasm's cached XNNPACK conv operators", async () => {
  // A dilated conv is not covered by the BLAS kernels: the stock XNNPACK kernel runs and
  // caches its packed filter by tensor id. After the filter variable is updated in place,
  // the next conv must see the new values.
  await selectBackend("wasm");
  const x = seededTensor([1, 9, 9, 2], 11) as tf.Tensor4D;
  const w = tf.variable(seededTensor([3, 3, 2, 3], 12));
  const v = tf.variable(tf.zeros([3, 3, 2, 3]));
  const g = seededTensor([3, 3, 2, 3], 13);
  const conv = () => tf.conv2d(x, w as tf.Tensor4D, 1, "valid", "NHWC", 2);
  const step = () =>
    assert.ok(fusedSgdStep([{ param: w, velocity: v, grad: g }], {
      lr: 0.5,
      momentum: 0.9,
      weightDecay: 0.1,
    }));
  step(); // w's buffer was shared with its initial tensor: copied on write
  const mem = memoryOf(tf.backend())!;
  assert.equal(mem.refCount(w), 1);
  conv().dispose(); // builds and caches the operator for w's (new) buffer
  step(); // in place
  assert.equal(mem.refCount(w), 1);
  const got = Float32Array.from(conv().dataSync());
  const wNow = Float32Array.from(w.dataSync());
  await selectBackend("cpu");
  const want = tf.tidy(() =>
    Float32Array.from(
      tf.conv2d(
        tf.tensor(x.dataSync(), x.shape) as tf.Tensor4D,
        tf.tensor(wNow, [3, 3, 2, 3]) as tf.Tensor4D,
        1,
        "valid",
        "NHWC",
        2,
      ).dataSync(),
    )
  );
  assert.ok(relDiff(got, want) < 1e-5, `stale operator: ${relDiff(got, want)}`);
  await selectBackend("wasm");
  tf.dispose([x, w, v, g]);
});

Deno.test("fast kernels: small wasm Add/Sub/Multiply/RealDiv are bit-identical to the stock kernels", async () => {
  await selectBackend("wasm");
  const special = [0, -0, 1e-40, -3e-39, 3.4e38, -3.4e38, Infinity, -Infinity, NaN, 1, -1, 0.1];
  const values = (shape: number[], seed: number) => {
    const v = seeded(shape.reduce((a, b) => a * b, 1), seed).map((x, i) =>
      i % 7 === 3 ? special[(i + seed) % special.length] : x * 10 ** ((i % 9) - 4)
    );
    return tf.tensor(v, shape);
  };
  const cases: [number[], number[]][] = [
    [[64, 6], [64, 6]],
    [[64, 6], []],
    [[], [64, 6]],
    [[64, 6], [1, 6]],
    [[64, 1], [64, 6]],
    [[3, 1, 5], [4, 1]],
    [[2, 3, 4], [3, 1]],
    [[80, 80], [80, 80]], // over the size limit: the stock kernel itself
  ];
  const bits = (t: tf.Tensor) => new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
  for (const [name, kernel] of Object.entries(stockKernels.binary!)) {
    for (const [i, [sa, sb]] of cases.entries()) {
      const a = values(sa, 3 + i), b = values(sb, 11 + i);
      const ours = tf.engine().runKernel(name, { a, b }) as tf.Tensor;
      const info = kernel({ inputs: { a, b }, backend: tf.backend(), attrs: {} }) as tf.TensorInfo;
      const stock = tf.engine().makeTensorFromTensorInfo(info, tf.backend());
      assert.deepEqual(ours.shape, stock.shape);
      const [x, y] = [bits(ours), bits(stock)];
      const nan = (t: tf.Tensor) => Array.from(t.dataSync()).map(Number.isNaN);
      assert.deepEqual(nan(ours), nan(stock), `${name} ${sa} ${sb}: NaN positions`);
      for (let k = 0; k < x.length; k++) {
        if (!Number.isNaN(ours.dataSync()[k])) {
          assert.equal(x[k], y[k], `${name} [${sa}] [${sb}] element ${k}`);
        }
      }
      tf.dispose([a, b, ours, stock]);
    }
  }
});

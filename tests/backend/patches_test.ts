/**
 * Tests for src/backend/patches/.
 *
 * The gradient patches are global to the tfjs instance, so the first test computes every
 * reference with STOCK tfjs on cpu (before anything installs a patch) and keeps the
 * results as plain Float32Arrays; only then are the patches installed and the same
 * gradients recomputed on wasm (and on cpu) for comparison. Deno runs each test module in
 * its own isolate, so no other test file can have patched this tfjs instance.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { selectBackend } from "../../src/backend/mod.ts";
import { installGradPatches } from "../../src/backend/patches/mod.ts";
import { TEST_ENGINE } from "../helpers.ts";
import { collect, relDiff, seededTensor } from "../numeric.ts";

type Shape4 = [number, number, number, number];
type Padding = tf.Conv2DAttrs["pad"];
type Grads = Record<string, Float32Array>;

/** Loss = sum(y * fixed random weights): a non-uniform dy exercises the gradients better. */
function weightedSum(y: tf.Tensor, seed = 99): tf.Scalar {
  return tf.sum(tf.mul(y, seededTensor(y.shape, seed)));
}

interface ConvCase {
  name: string;
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: Padding;
}

const CONV_CASES: ConvCase[] = [
  { name: "7x7 stride 2 same", x: [2, 11, 11, 3], filter: [7, 7, 3, 4], strides: 2, pad: "same" },
  { name: "3x3 stride 1 same", x: [2, 8, 8, 3], filter: [3, 3, 3, 5], strides: 1, pad: "same" },
  { name: "1x1 stride 2 valid", x: [2, 9, 9, 4], filter: [1, 1, 4, 6], strides: 2, pad: "valid" },
  { name: "3x3 stride 2 valid", x: [2, 10, 9, 3], filter: [3, 3, 3, 4], strides: 2, pad: "valid" },
  { name: "3x3 stride 1 valid", x: [1, 6, 7, 2], filter: [3, 3, 2, 3], strides: 1, pad: "valid" },
  {
    name: "4x4 strides [2,1] same (uneven padding)",
    x: [1, 9, 8, 2],
    filter: [4, 4, 2, 3],
    strides: [2, 1],
    pad: "same",
  },
  {
    name: "3x3 stride 1 explicit padding",
    x: [1, 6, 6, 2],
    filter: [3, 3, 2, 3],
    strides: 1,
    pad: [[0, 0], [1, 2], [0, 1], [0, 0]],
  },
  {
    name: "2x2 stride 1 pad 3 (stock dx fallback)",
    x: [1, 5, 5, 2],
    filter: [2, 2, 2, 3],
    strides: 1,
    pad: 3,
  },
];

function convGrads(c: ConvCase): Grads {
  return collect(() => {
    const x = seededTensor(c.x, 1) as tf.Tensor4D;
    const w = seededTensor(c.filter, 2) as tf.Tensor4D;
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      weightedSum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad))
    )([x, w]);
    tf.dispose([x, w]);
    return { dx, dw };
  });
}

/** tf.fused.conv2d (the tfjs-layers path) calls the Conv2DBackpropFilter kernel directly. */
function fusedConvGrads(): Grads {
  return collect(() => {
    const x = seededTensor([2, 9, 9, 3], 3) as tf.Tensor4D;
    const w = seededTensor([3, 3, 3, 4], 4) as tf.Tensor4D;
    const b = seededTensor([4], 5) as tf.Tensor1D;
    const [dx, dw, db] = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      weightedSum(
        tf.fused.conv2d({
          x: xx as tf.Tensor4D,
          filter: ww as tf.Tensor4D,
          bias: bb,
          strides: 2,
          pad: "same",
          activation: "relu",
        }),
      )
    )([x, w, b]);
    tf.dispose([x, w, b]);
    return { dx, dw, db };
  });
}

/** The conv2dTranspose gradient also calls the Conv2DBackpropFilter kernel. */
function convTransposeGrads(): Grads {
  return collect(() => {
    const x = seededTensor([2, 4, 4, 3], 6) as tf.Tensor4D;
    const w = seededTensor([3, 3, 2, 3], 7) as tf.Tensor4D; // [KH, KW, outC, inC]
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      weightedSum(
        tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [2, 8, 8, 2], 2, "same"),
      )
    )([x, w]);
    tf.dispose([x, w]);
    return { dx, dw };
  });
}

/** Axis-0 gather with duplicate indices (1-D and 2-D index tensors). */
function gatherGrads(): Grads {
  return collect(() => {
    const x = seededTensor([6, 4], 8);
    const idx1 = tf.tensor1d([0, 2, 2, 5, 0, 0, 1], "int32");
    const idx2 = tf.tensor2d([[3, 3], [1, 3]], [2, 2], "int32");
    const dx1 = tf.grad((a: tf.Tensor) => weightedSum(tf.gather(a, idx1)))(x);
    const dx2 = tf.grad((a: tf.Tensor) => weightedSum(tf.gather(a, idx2), 17))(x);
    tf.dispose([x, idx1, idx2]);
    return { dx1, dx2 };
  });
}

/** The stack-notes repro: the top-right 2x2 window (-0.12, -0.31, -0.47, -0.35) is all negative. */
const MAXPOOL_REPRO = [
  0.5,
  0.2,
  -0.12,
  -0.31,
  0.1,
  0.9,
  -0.47,
  -0.35,
  -0.8,
  0.3,
  0.7,
  0.05,
  0.4,
  -0.6,
  0.2,
  0.6,
];

function maxPoolGrads(): Grads {
  return collect(() => {
    const repro = tf.tensor4d(MAXPOOL_REPRO, [1, 4, 4, 1]);
    const mixed = seededTensor([2, 6, 6, 3], 9) as tf.Tensor4D;
    const negative = tf.sub(seededTensor([1, 5, 5, 2], 10), 2) as tf.Tensor4D; // all < 0
    const relu = tf.relu(seededTensor([1, 6, 6, 2], 11)) as tf.Tensor4D; // many zeros
    const grad = (x: tf.Tensor4D, size: number, stride: number, pad: "same" | "valid") =>
      tf.grad((a: tf.Tensor) => weightedSum(tf.maxPool(a as tf.Tensor4D, size, stride, pad)))(x);
    const out = {
      repro: grad(repro, 2, 2, "valid"),
      mixed2x2: grad(mixed, 2, 2, "valid"),
      mixed3x3s2: grad(mixed, 3, 2, "same"),
      negative3x3s1: grad(negative, 3, 1, "same"),
      negativeForward: tf.maxPool(negative, 3, 1, "same"),
      relu2x2: tf.mul(grad(relu, 2, 2, "valid"), tf.step(relu)), // as ReLU's gradient would
    };
    tf.dispose([repro, mixed, negative, relu]);
    return out;
  });
}

function assertClose(got: Grads, ref: Grads, label: string, tol = 1e-5): void {
  for (const key of Object.keys(ref)) {
    const d = relDiff(got[key], ref[key]);
    assert.ok(d < tol, `${label} ${key}: relative difference ${d.toExponential(2)} >= ${tol}`);
  }
}

Deno.test("patched gradients match the stock cpu gradients", async (t) => {
  // 1. References with stock tfjs on cpu. Nothing may patch tfjs before this point; the
  //    wasm backend still lacking Conv2DBackpropFilter proves it.
  assert.equal(tf.getKernel("Conv2DBackpropFilter", "wasm"), undefined, "already patched");
  assert.ok(await tf.setBackend("cpu"));
  const ref = {
    conv: CONV_CASES.map(convGrads),
    fused: fusedConvGrads(),
    transpose: convTransposeGrads(),
    gather: gatherGrads(),
    maxPool: maxPoolGrads(),
  };

  // The stock wasm MaxPoolGrad really is wrong for all-negative windows (pitfall 5), so
  // the maxPool comparison below does test the fix.
  assert.ok(await tf.setBackend("wasm"));
  const stockWasm = maxPoolGrads();
  assert.ok(relDiff(stockWasm.repro, ref.maxPool.repro) > 0.1, "stock wasm bug not reproduced");
  assert.ok(relDiff(stockWasm.negative3x3s1, ref.maxPool.negative3x3s1) > 0.1);

  // 2. Patch (twice: it must be idempotent), then recompute on wasm and on cpu.
  installGradPatches();
  installGradPatches();
  for (const backend of ["wasm", "cpu"] as const) {
    const choice = await selectBackend(backend);
    assert.equal(choice.name, backend);
    await t.step(`${backend}: conv2d input and filter gradients`, () => {
      CONV_CASES.forEach((c, i) => assertClose(convGrads(c), ref.conv[i], c.name));
    });
    await t.step(`${backend}: tf.fused.conv2d and conv2dTranspose gradients`, () => {
      assertClose(fusedConvGrads(), ref.fused, "fused");
      assertClose(convTransposeGrads(), ref.transpose, "conv2dTranspose");
    });
    await t.step(`${backend}: gather axis-0 gradient with duplicate indices`, () => {
      assertClose(gatherGrads(), ref.gather, "gather");
    });
    await t.step(`${backend}: maxPool gradients, including all-negative windows`, () => {
      assertClose(maxPoolGrads(), ref.maxPool, "maxPool");
    });
  }

  // 3. The native engine (IBML_TEST_ENGINE=tensorflow): no patch applies there (they hand
  //    it the stock gradients), and TensorFlow's own kernels must give the cpu numbers.
  if (TEST_ENGINE !== "tensorflow") return;
  assert.equal((await selectBackend("tensorflow")).name, "tensorflow");
  const tol = 1e-4; // oneDNN/Eigen sum in another order than tfjs-cpu
  await t.step("tensorflow: conv2d input and filter gradients ('same'/'valid')", () => {
    CONV_CASES.forEach((c, i) => {
      if (typeof c.pad === "string") assertClose(convGrads(c), ref.conv[i], c.name, tol);
    });
  });
  await t.step("tensorflow: explicit conv padding is TensorFlow's limit (models pad first)", () => {
    const c = CONV_CASES.find((c) => typeof c.pad !== "string")!;
    assert.throws(() => convGrads(c), /only 'valid' and 'same' padding/);
  });
  await t.step("tensorflow: tf.fused.conv2d and conv2dTranspose gradients", () => {
    assertClose(fusedConvGrads(), ref.fused, "fused", tol);
    assertClose(convTransposeGrads(), ref.transpose, "conv2dTranspose", tol);
  });
  await t.step("tensorflow: gather axis-0 gradient with duplicate indices", () => {
    assertClose(gatherGrads(), ref.gather, "gather", tol);
  });
  await t.step("tensorflow: maxPool gradients, including all-negative windows", () => {
    assertClose(maxPoolGrads(), ref.maxPool, "maxPool", tol);
  });
});

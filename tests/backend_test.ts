/**
 * Tests for src/backend.ts.
 *
 * The gradient patches are global to the tfjs instance, so the first test computes every
 * reference with STOCK tfjs on cpu (before anything installs a patch) and keeps the
 * results as plain Float32Arrays; only then are the patches installed and the same
 * gradients recomputed on wasm (and on cpu) for comparison. Deno runs each test module in
 * its own isolate, so no other test file can have patched this tfjs instance.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  BACKEND_REQUESTS,
  type BackendRequest,
  installGradPatches,
  noGrad,
  selectBackend,
} from "../src/backend.ts";
import { collect, relDiff, seededTensor } from "./numeric.ts";

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
});

Deno.test("selectBackend: auto falls back to wasm, tensorflow fails clearly, cpu works", async () => {
  assert.deepEqual([...BACKEND_REQUESTS], ["auto", "tensorflow", "wasm", "webgpu", "cpu"]);

  const auto = await selectBackend("auto");
  assert.equal(auto.name, "wasm");
  assert.equal(auto.requested, "auto");
  assert.equal(tf.getBackend(), "wasm");
  assert.match(auto.reason, /^wasm \(auto: no native binding: .*tfjs-node.*\)$/);
  assert.ok(!auto.reason.includes("\n"));

  await assert.rejects(selectBackend("tensorflow"), (err: Error) => {
    assert.match(err.message, /native binding is not installed/);
    assert.match(err.message, /npm install @tensorflow\/tfjs-node/);
    assert.match(err.message, /--backend wasm/);
    assert.ok(!err.message.includes("\n"));
    return true;
  });

  const cpu = await selectBackend("cpu");
  assert.deepEqual([cpu.name, cpu.requested, tf.getBackend()], ["cpu", "cpu", "cpu"]);
  const sum = tf.sum(tf.tensor1d([1, 2, 3]));
  assert.equal((await sum.data())[0], 6);
  sum.dispose();

  await assert.rejects(selectBackend("gpu" as BackendRequest), /unknown backend 'gpu'/);
  assert.equal((await selectBackend("wasm")).name, "wasm"); // switching back works
});

Deno.test("noGrad: gather indices from topk inside a gradient", async () => {
  await selectBackend("wasm");
  const before = tf.memory().numTensors;
  const points = seededTensor([8, 3], 12) as tf.Tensor2D;
  const k = 3;
  // Sum of squared distances to the k nearest points, found by topk of -distance.
  const knnLoss = (p: tf.Tensor2D, indices: tf.Tensor) => {
    const neighbours = tf.reshape(tf.gather(p, tf.reshape(indices, [-1])), [8, k, 3]);
    return tf.sum(tf.square(tf.sub(neighbours, tf.expandDims(p, 1))));
  };
  const nearest = (p: tf.Tensor2D) => {
    const sq = tf.sum(tf.square(p), 1, true);
    const dist = tf.add(tf.sub(sq, tf.mul(2, tf.matMul(p, p, false, true))), tf.transpose(sq));
    return tf.topk(tf.neg(dist), k).indices;
  };

  // Without noGrad the index computation lands on the tape and tf.grad throws "gradient
  // function not found for TopK" (not asserted here: a gradient that throws halfway leaks
  // the tensors it saved for the backward pass).
  const got = tf.grad((p: tf.Tensor) =>
    knnLoss(p as tf.Tensor2D, noGrad(() => nearest(p as tf.Tensor2D)))
  )(points);
  // Reference: the same indices computed up front, as a constant.
  const fixed = tf.tidy(() => nearest(points));
  const want = tf.grad((p: tf.Tensor) => knnLoss(p as tf.Tensor2D, fixed))(points);
  assert.ok(relDiff(await got.data() as Float32Array, await want.data() as Float32Array) < 1e-6);

  // noGrad restores the tape even when f throws.
  const depth = tf.engine().state.gradientDepth;
  assert.throws(() =>
    noGrad(() => {
      throw new Error("boom");
    }), /boom/);
  assert.equal(tf.engine().state.gradientDepth, depth);

  tf.dispose([points, got, fixed, want]);
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
});

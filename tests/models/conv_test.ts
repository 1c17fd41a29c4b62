import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "../assert.ts";
import { useTestEngine } from "../helpers.ts";
import { maxAbsDiff } from "./backbone_fixtures.ts";
import {
  Conv2d,
  conv2dSymmetric,
  Dense,
  DropoutStream,
  maxPool2d,
  torchUniform,
} from "../../src/models/conv.ts";
import { Rng } from "../../src/rng.ts";

function std(v: Float32Array): number {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
}

Deno.test("Conv2d: PyTorch symmetric padding (stride 2, pad 1 on an even input) and its gradient", async () => {
  await useTestEngine();
  const conv = new Conv2d("c", "encoder.x", new Rng(1), {
    inChannels: 2,
    outChannels: 3,
    size: 3,
    stride: 2,
    pad: 1,
  });
  const x = tf.randomNormal([2, 6, 6, 2], 0, 1, "float32", 1) as tf.Tensor4D;
  const y = conv.apply(x);
  assertEquals(y.shape, [2, 3, 3, 3]); // floor((6 + 2 - 3) / 2) + 1
  const manual = tf.conv2d(
    tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]),
    conv.kernel.variable as tf.Tensor4D,
    2,
    "valid",
  );
  assert(await maxAbsDiff(y, manual) < 1e-5, "differs from explicit symmetric padding");
  const gw = tf.variableGrads(() => tf.sum(tf.square(conv.apply(x))) as tf.Scalar);
  assertEquals(gw.grads[conv.kernel.variable.name].shape, [3, 3, 2, 3]);
  assertEquals(conv.params().map((p) => p.kind), ["kernel"]);
});

Deno.test("Conv2d/Dense init: kaiming fan-out std, torch-default bounds, zero bias, deterministic", async () => {
  await useTestEngine();
  const k = new Conv2d("c", "g", new Rng(2), { inChannels: 16, outChannels: 32, size: 3 });
  const kv = await k.kernel.variable.data() as Float32Array;
  assertAlmostEquals(std(kv), Math.sqrt(2 / (32 * 9)), 0.005);
  const t = new Conv2d("t", "g", new Rng(2), {
    inChannels: 16,
    outChannels: 8,
    size: 3,
    bias: true,
    init: "torch-default",
  });
  const bound = 1 / Math.sqrt(16 * 9);
  const tv = await t.kernel.variable.data() as Float32Array;
  assert(tv.every((v) => Math.abs(v) <= bound), "kernel outside U(+-1/sqrt(fan_in))");
  assertAlmostEquals(std(tv), bound / Math.sqrt(3), 0.004);
  assert((await t.bias!.variable.data()).every((v) => Math.abs(v) <= bound && v !== 0));
  const x = new Dense("d", "g", new Rng(3), 10, 4, { init: "xavier" });
  assert((await x.bias!.variable.data()).every((v) => v === 0), "xavier bias must start at 0");
  const again = new Conv2d("c2", "g", new Rng(2), { inChannels: 16, outChannels: 32, size: 3 });
  assertEquals(Array.from(await again.kernel.variable.data()), Array.from(kv));
  assert(torchUniform(new Rng(4), 100, 4).every((v) => Math.abs(v) <= 0.5));
});

Deno.test("Dense: applies over the last axis of any rank", async () => {
  await useTestEngine();
  const d = new Dense("d", "g", new Rng(5), 3, 2);
  const x = tf.randomNormal([2, 4, 3], 0, 1, "float32", 2);
  const y = d.apply(x);
  assertEquals(y.shape, [2, 4, 2]);
  const flat = d.apply(tf.reshape(x, [8, 3]) as tf.Tensor2D);
  assert(await maxAbsDiff(tf.reshape(y, [8, 2]), flat) < 1e-6);
});

Deno.test("maxPool2d: PyTorch padding (3x3, stride 2, pad 1) never picks a padded cell", async () => {
  await useTestEngine();
  const x = tf.tensor4d([-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -14, -15, -16], [
    1,
    4,
    4,
    1,
  ]);
  const y = maxPool2d(x, 3, 2, 1);
  assertEquals(y.shape, [1, 2, 2, 1]);
  // Windows cover rows/cols {-1..1} and {1..3}; all values < 0, so a zero pad would win.
  assertEquals(Array.from(await y.data()), [-1, -2, -5, -6]);
});

Deno.test("DropoutStream: seeded masks, PyTorch scaling, resumable counter", async () => {
  await useTestEngine();
  const a = new DropoutStream(new Rng(9));
  const b = new DropoutStream(new Rng(9));
  const x = tf.ones([1000]);
  a.next();
  b.next();
  const ya = await a.apply(x, 0.2, 0).data();
  assertEquals(Array.from(ya), Array.from(await b.apply(x, 0.2, 0).data()));
  assert(ya.every((v) => v === 0 || Math.abs(v - 1.25) < 1e-6), "kept values scale by 1/(1-p)");
  const dropped = ya.filter((v) => v === 0).length;
  assert(dropped > 150 && dropped < 250, `dropped ${dropped} of 1000 at p = 0.2`);
  const other = await a.apply(x, 0.2, 1).data();
  assert(other.some((v, i) => v !== ya[i]), "two layers of one pass share a mask");
  a.next();
  assert((await a.apply(x, 0.2, 0).data()).some((v, i) => v !== ya[i]), "mask did not change");
  assertEquals(Array.from(await a.counter.data()), [2]);
  // Restore: assigning the counter makes the stream continue from there.
  const c = new DropoutStream(new Rng(9));
  c.counter.assign(tf.scalar(1, "int32"));
  c.next();
  a.next();
  assertEquals(c.count, 2);
  b.next(); // b is at 2 as well
  assertEquals(
    Array.from(await c.apply(x, 0.2, 0).data()),
    Array.from(await b.apply(x, 0.2, 0).data()),
  );
  assertEquals(a.count, 3);
});

Deno.test("maxPool2d: padded pooling keeps the unpadded input for the backward pass, the gradient of pad + pool", async () => {
  await useTestEngine();
  // ReLU-like input with ties at zero and a maximum on the border.
  const values = Array.from(
    { length: 2 * 7 * 6 * 3 },
    (_, i) => Math.max(0, Math.sin(i * 1.7) * 3),
  );
  const x = tf.tensor4d(values, [2, 7, 6, 3]);
  const w = tf.tensor4d(Array.from({ length: 2 * 4 * 3 * 3 }, (_, i) => Math.cos(i)), [2, 4, 3, 3]);
  let saved: number[][] = [];
  const tape = () =>
    (tf.engine() as unknown as { state: { activeTape: { saved?: tf.Tensor[] }[] } }).state
      .activeTape;
  const got = tf.grad((v: tf.Tensor) => {
    const loss = tf.sum(tf.mul(maxPool2d(v as tf.Tensor4D, 3, 2, 1), w));
    saved = tape().flatMap((n) => (n.saved ?? []).map((t) => t.shape));
    return loss;
  })(x);
  // What is kept for the backward pass: never a padded [2, 9, 8, 3] copy.
  assert(!saved.some((s) => s[1] === 9 && s[2] === 8), `saved shapes ${JSON.stringify(saved)}`);
  const want = tf.grad((v: tf.Tensor) =>
    tf.sum(
      tf.mul(
        tf.maxPool(
          tf.pad(v as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]], -Infinity),
          3,
          2,
          "valid",
        ),
        w,
      ),
    )
  )(x);
  // wasm pools with explicit padding; the native engine with oneDNN's pool, whose gradient
  // sums a cell that is the maximum of overlapping windows in another order (last bits).
  assert(await maxAbsDiff(got, want) < 1e-6);
  tf.dispose([x, w, got, want]);
});

Deno.test("maxPool2d: the gradient goes to each window's first maximum, as TensorFlow's MaxPoolGrad sends it, bit for bit; on native without MaxPoolGrad", async () => {
  await useTestEngine();
  // ReLU-like input: whole windows of tied zeros and of tied positive values.
  const values = Array.from(
    { length: 3 * 8 * 6 * 4 },
    (_, i) => Math.max(0, Math.round(Math.sin(i * 0.9) * 2)),
  );
  const x = tf.tensor4d(values, [3, 8, 6, 4]);
  const w = tf.tensor4d(Array.from({ length: 3 * 4 * 3 * 4 }, (_, i) => Math.cos(i)), [3, 4, 3, 4]);
  const run = () =>
    tf.grad((v: tf.Tensor) => tf.sum(tf.mul(maxPool2d(v as tf.Tensor4D, 2, 2), w)))(x);
  const prof = await tf.profile(() => run());
  const got = run();
  const kernels = prof.kernels.map((k) => k.name);
  const want = tf.tidy(() => {
    const y = tf.maxPool(x, 2, 2, "valid");
    return tf.engine().runKernel(
      "MaxPoolGrad",
      { dy: w, input: x, output: y },
      { filterSize: 2, strides: 2, pad: "valid" } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
  });
  assertEquals(Array.from(await got.data()), Array.from(await want.data()));
  // Each window passes its gradient to one cell, never splits it among tied cells.
  const nonzero = (await got.data()).filter((v) => v !== 0).length;
  assert(nonzero <= w.size, `${nonzero} cells got a gradient from ${w.size} windows`);
  if (tf.getBackend() === "tensorflow") {
    assert(!kernels.includes("MaxPoolGrad"), `kernels: ${kernels.join(", ")}`);
  }
  tf.dispose([x, w, got, want]);
});

Deno.test("conv2dSymmetric: a padded stride-2 conv keeps the unpadded input for the backward pass, the gradients of pad + conv bit for bit", async () => {
  await useTestEngine();
  const x = tf.randomNormal([2, 7, 6, 3], 0, 1, "float32", 31) as tf.Tensor4D;
  const k = tf.randomNormal([3, 3, 3, 4], 0, 1, "float32", 32) as tf.Tensor4D;
  const w = tf.randomNormal([2, 4, 3, 4], 0, 1, "float32", 33);
  let saved: number[][] = [];
  const tape = () =>
    (tf.engine() as unknown as { state: { activeTape: { saved?: tf.Tensor[] }[] } }).state
      .activeTape;
  const got = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
    const loss = tf.sum(tf.mul(conv2dSymmetric(a as tf.Tensor4D, b as tf.Tensor4D, 2, 1), w));
    saved = tape().flatMap((n) => (n.saved ?? []).map((t) => t.shape));
    return loss;
  })([x, k]);
  assert(!saved.some((s) => s[1] === 9 && s[2] === 8), `saved shapes ${JSON.stringify(saved)}`);
  const want = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(
      tf.conv2d(
        tf.pad(a as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]]),
        b as tf.Tensor4D,
        2,
        "valid",
      ),
      w,
    ))
  )([x, k]);
  for (let i = 0; i < 2; i++) {
    // Native runs the same kernels (bitwise); wasm convolves with explicit padding.
    if (tf.getBackend() === "tensorflow") {
      assertEquals(Array.from(await got[i].data()), Array.from(await want[i].data()));
    } else assert(await maxAbsDiff(got[i], want[i]) < 1e-5);
  }
  tf.dispose([x, k, w, ...got, ...want]);
});

Deno.test("Conv2d with bias: on native one oneDNN conv-with-bias op, the output and all three gradients bit for bit those of conv + add", async () => {
  await useTestEngine();
  // Stride 1 "same" (Img_FC's layers) and a valid stride-2 conv; a padded stride-2 conv
  // has no TensorFlow padding mode and keeps conv + add.
  for (const [stride, pad, fused] of [[1, 1, true], [2, 0, true], [2, 1, false]] as const) {
    const conv = new Conv2d("c", "g", new Rng(5), {
      inChannels: 3,
      outChannels: 8,
      size: 3,
      stride,
      pad,
      bias: true,
      init: "torch-default",
    });
    const [kernel, bias] = conv.params().map((p) => p.variable);
    const x = tf.randomNormal([4, 9, 9, 3], 0, 1, "float32", 41) as tf.Tensor4D;
    const w = tf.randomNormal(conv.apply(x).shape, 0, 1, "float32", 42);
    const loss = (f: (a: tf.Tensor4D, k: tf.Tensor4D, b: tf.Tensor) => tf.Tensor) =>
      tf.grads((a: tf.Tensor, k: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(f(a as tf.Tensor4D, k as tf.Tensor4D, b), w))
      )([x, kernel, bias]);
    const prof = await tf.profile(() => conv.apply(x));
    const got = [conv.apply(x), ...loss((a) => conv.apply(a))];
    const want = [
      tf.add(conv2dSymmetric(x, kernel as tf.Tensor4D, stride, pad), bias),
      ...loss((a, k, b) => tf.add(conv2dSymmetric(a, k, stride, pad), b)),
    ];
    for (let i = 0; i < got.length; i++) {
      assertEquals(Array.from(await got[i].data()), Array.from(await want[i].data()), `#${i}`);
    }
    const kernels = prof.kernels.map((k) => k.name);
    const native = tf.getBackend() === "tensorflow";
    assertEquals(kernels.includes("IbmlConv2DBias"), native && fused, kernels.join(", "));
    assertEquals(kernels.includes("Add"), !(native && fused), kernels.join(", "));
    tf.dispose([x, w, ...got, ...want]);
    for (const p of conv.params()) p.variable.dispose();
  }
});

/** Whether two arrays hold the same numbers (a zero's sign aside), with the first difference. */
async function sameValues(a: tf.Tensor, b: tf.Tensor): Promise<string | null> {
  const [u, v] = [await a.data(), await b.data()];
  if (u.length !== v.length) return `lengths ${u.length} and ${v.length}`;
  const i = u.findIndex((x, j) => !(x === v[j] || (Number.isNaN(x) && Number.isNaN(v[j]))));
  return i < 0 ? null : `at ${i}: ${u[i]} vs ${v[i]}`;
}

Deno.test("maxPool2d and ReLU commute: relu(pool(x)) and pool(relu(x)) give the same values and gradients (2x2, and 3x3 stride 2 pad 1)", async () => {
  await useTestEngine();
  // Whole windows of negative values, ties at zero and among positive values.
  const values = Array.from(
    { length: 2 * 9 * 8 * 3 },
    (_, i) => Math.round(Math.sin(i * 0.7) * 3) / 2 - (i % 11 === 0 ? 5 : 0),
  );
  const x = tf.tensor4d(values, [2, 9, 8, 3]);
  for (const [size, stride, pad] of [[2, 2, 0], [3, 2, 1]] as const) {
    const after = (v: tf.Tensor) => tf.relu(maxPool2d(v as tf.Tensor4D, size, stride, pad));
    const before = (v: tf.Tensor) => maxPool2d(tf.relu(v) as tf.Tensor4D, size, stride, pad);
    const w = tf.randomNormal(after(x).shape, 0, 1, "float32", 7);
    const grad = (f: (v: tf.Tensor) => tf.Tensor) => tf.grad((v) => tf.sum(tf.mul(f(v), w)))(x);
    const [ya, yb, ga, gb] = [after(x), before(x), grad(after), grad(before)];
    assertEquals(await sameValues(ya, yb), null, `values, pool ${size}/${stride}/${pad}`);
    assertEquals(await sameValues(ga, gb), null, `gradients, pool ${size}/${stride}/${pad}`);
    assert((await ga.data()).some((v) => v !== 0));
    tf.dispose([w, ya, yb, ga, gb]);
  }
  x.dispose();
});

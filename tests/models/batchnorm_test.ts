import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { TEST_ENGINE, useTestEngine } from "../helpers.ts";
import { BatchNorm } from "../../src/models/batchnorm.ts";

Deno.test("BatchNorm: training uses batch statistics and updates running stats as PyTorch (momentum 0.1, unbiased variance)", async () => {
  await useTestEngine();
  const bn = new BatchNorm("bn", "encoder.x", 2);
  // channel 0: 1, 2, 3, 6 (mean 3, biased var 3.5, unbiased 14/3); channel 1: constant 5.
  const x = tf.tensor2d([[1, 5], [2, 5], [3, 5], [6, 5]]);
  const y = bn.apply(x, true);
  const v = await y.data();
  const s = Math.sqrt(3.5 + 1e-5);
  [1, 2, 3, 6].forEach((xi, i) => assertAlmostEquals(v[2 * i], (xi - 3) / s, 1e-5));
  for (let i = 0; i < 4; i++) assertAlmostEquals(v[2 * i + 1], 0, 1e-6);
  const rm = await bn.runningMean.data();
  const rv = await bn.runningVar.data();
  assertAlmostEquals(rm[0], 0.3, 1e-6);
  assertAlmostEquals(rm[1], 0.5, 1e-6);
  assertAlmostEquals(rv[0], 0.9 + 0.1 * 14 / 3, 1e-6);
  assertAlmostEquals(rv[1], 0.9, 1e-6);
  // A second step compounds: running = 0.9 running + 0.1 batch.
  tf.dispose(bn.apply(x, true));
  assertAlmostEquals((await bn.runningMean.data())[0], 0.9 * 0.3 + 0.3, 1e-6);
  tf.dispose([x, y]);
});

Deno.test("BatchNorm: eval uses the running statistics and leaves them alone", async () => {
  await useTestEngine();
  const bn = new BatchNorm("bn", "encoder.x", 3);
  bn.runningMean.assign(tf.tensor1d([1, -1, 0]));
  bn.runningVar.assign(tf.tensor1d([4, 1, 0.25]));
  bn.gamma.variable.assign(tf.tensor1d([2, 1, 1]));
  bn.beta.variable.assign(tf.tensor1d([0, 0, 1]));
  // 4D input [1, 1, 2, 3]: per-channel over every leading axis.
  const x = tf.tensor4d([[[[3, 0, 1], [1, -1, -1]]]]);
  const v = await bn.apply(x, false).data();
  const e = 1e-5;
  const want = [
    2 * 2 / Math.sqrt(4 + e),
    1 / Math.sqrt(1 + e),
    1 / Math.sqrt(0.25 + e) + 1,
    0,
    0,
    -1 / Math.sqrt(0.25 + e) + 1,
  ];
  want.forEach((w, i) => assertAlmostEquals(v[i], w, 1e-5));
  assertEquals(Array.from(await bn.runningMean.data()), [1, -1, 0]);
  assertEquals(bn.params().map((p) => [p.name, p.kind]), [["bn.gamma", "norm"], [
    "bn.beta",
    "norm",
  ]]);
  assertEquals(bn.buffers().length, 2);
});

Deno.test("BatchNorm: 4D training stats per channel over B*H*W; gradients reach x, gamma and beta", async () => {
  await useTestEngine();
  const bn = new BatchNorm("bn", "encoder.x", 2);
  const x = tf.randomNormal([2, 3, 3, 2], 1, 2, "float32", 3);
  const y = bn.apply(x, true);
  const { mean, variance } = tf.moments(y, [0, 1, 2]);
  const [m, s] = [await mean.data(), await variance.data()];
  for (let c = 0; c < 2; c++) {
    assertAlmostEquals(m[c], 0, 1e-5);
    assertAlmostEquals(s[c], 1, 1e-3);
  }
  const g = tf.grads((a: tf.Tensor) => tf.sum(tf.square(bn.apply(a, true))))([x]);
  assertEquals(g[0].shape, [2, 3, 3, 2]);
  const vg = tf.variableGrads(() =>
    tf.sum(
      tf.mul(bn.apply(x, true), tf.randomNormal([2, 3, 3, 2], 0, 1, "float32", 4)),
    ) as tf.Scalar
  );
  assertEquals(Object.keys(vg.grads).length, 2);
  assertThrows(() => bn.apply(tf.zeros([1, 2]), true), "more than one value per channel");
  assertThrows(() => bn.apply(tf.zeros([4, 3]), true), "expected 2 channels");
});

for (const fused of ["0", "1"]) {
  Deno.test(`BatchNorm: groups normalise each equal batch on its own and update the running stats batch after batch, as separate calls do (IBML_FUSED_BN=${fused})`, async () => {
    await useTestEngine();
    const x = tf.randomNormal([6, 3, 2, 4], 1, 2, "float32", 31);
    const w = tf.randomNormal([6, 3, 2, 4], 0, 1, "float32", 32);
    const run = (grouped: boolean) => {
      const bn = new BatchNorm("bn", "encoder.x", 4);
      bn.gamma.variable.assign(tf.randomUniform([4], 0.5, 1.5, "float32", 33));
      const normalise = (a: tf.Tensor) =>
        grouped
          ? bn.apply(a, true, 3)
          : tf.concat(tf.split(a, 3, 0).map((part) => bn.apply(part, true)), 0);
      const loss = (a: tf.Tensor) => tf.sum(tf.mul(normalise(a), w)) as tf.Scalar;
      const { value, grads } = tf.variableGrads(() => loss(x), [
        bn.gamma.variable,
        bn.beta.variable,
      ]);
      const dx = tf.grad(loss)(x);
      const y = normalise(x);
      return [value, grads[bn.gamma.variable.name], grads[bn.beta.variable.name], dx, y]
        .concat([bn.runningMean, bn.runningVar]).map((t) => Array.from(t.dataSync()));
    };
    Deno.env.set("IBML_FUSED_BN", fused);
    try {
      const [got, want] = [run(true), run(false)];
      ["loss", "dgamma", "dbeta", "dx", "y", "running mean", "running var"].forEach((name, i) =>
        got[i].forEach((v, j) =>
          assertAlmostEquals(v, want[i][j], 1e-5 * Math.abs(want[i][j]) + 1e-5, name)
        )
      );
      const bn = new BatchNorm("bn", "encoder.x", 4);
      // Per-batch statistics: each third of the output has mean 0 per channel (beta is 0).
      for (const part of tf.split(bn.apply(x, true, 3), 3, 0)) {
        (await tf.mean(part, [0, 1, 2]).data()).forEach((m) => assertAlmostEquals(m, 0, 1e-5));
      }
      // Evaluation is per sample: groups change nothing.
      assertEquals(bn.apply(x, false, 3).dataSync(), bn.apply(x, false).dataSync());
      assertThrows(() => bn.apply(x, true, 4), "into 4 equal batches");
    } finally {
      Deno.env.delete("IBML_FUSED_BN");
      tf.dispose([x, w]);
    }
  });
}

for (const shape of [[3, 5, 4, 6], [7, 5, 6], [9, 6]]) {
  Deno.test(`BatchNorm: the fused training op (native default) equals the composed one on [${shape}]: output, stats, gradients`, async () => {
    await useTestEngine();
    const x = tf.randomNormal(shape, 2, 3, "float32", 11);
    const w = tf.randomNormal(shape, 0, 1, "float32", 12);
    const run = (fused: "0" | "1") => {
      Deno.env.set("IBML_FUSED_BN", fused);
      try {
        const bn = new BatchNorm("bn", "encoder.x", 6);
        bn.gamma.variable.assign(tf.randomUniform([6], 0.5, 1.5, "float32", 13));
        bn.beta.variable.assign(tf.randomNormal([6], 0, 1, "float32", 14));
        const y = bn.apply(x, true);
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.mul(bn.apply(x, true), w)) as tf.Scalar,
          [bn.gamma.variable, bn.beta.variable],
        );
        const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(bn.apply(a, true), w)))(x);
        const out = [
          y,
          value,
          grads[bn.gamma.variable.name],
          grads[bn.beta.variable.name],
          dx,
          bn.runningMean,
          bn.runningVar,
        ].map((t) => Array.from(t.dataSync()));
        tf.dispose([y, value, dx, ...Object.values(grads)]);
        return out;
      } finally {
        Deno.env.delete("IBML_FUSED_BN");
      }
    };
    const [fused, composed] = [run("1"), run("0")];
    const names = ["y", "loss", "dgamma", "dbeta", "dx", "running mean", "running var"];
    fused.forEach((vals, i) => {
      const scale = Math.max(...composed[i].map(Math.abs), 1e-3);
      vals.forEach((v, j) => assertAlmostEquals(v, composed[i][j], 2e-5 * scale, names[i]));
    });
    tf.dispose([x, w]);
  });
}

Deno.test({
  name: `BatchNorm: the native training forward allocates no activation-sized temporaries${
    TEST_ENGINE === "tensorflow" ? "" : " (IGNORED: native engine only; deno task test:native)"
  }`,
  ignore: TEST_ENGINE !== "tensorflow",
  fn: async () => {
    await useTestEngine();
    const bn = new BatchNorm("bn", "encoder.x", 8);
    const x = tf.randomNormal([4, 6, 5, 8], 1, 2, "float32", 21);
    const profile = await tf.profile(() => tf.dispose(bn.apply(x, true)));
    // Kernels that wrote a tensor the size of x, other than views (Reshape): the composed
    // forward wrote five (Sub, Square, Sub, Multiply, Add); the fused op writes its output.
    const big = profile.kernels.filter((k) =>
      k.name !== "Reshape" && k.outputShapes.some((s) => s.reduce((a, b) => a * b, 1) === x.size)
    ).map((k) => k.name);
    assert(big.length <= 1, `activation-sized outputs: ${big.join(", ")}`);
    tf.dispose(x);
  },
});

import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals } from "./assert.ts";
import { makeParam } from "../src/models/params.ts";
import { clipGlobalNorm, gradsOf, scaleGradient, stopGradient } from "../src/optim/grads.ts";
import { useWasm } from "./helpers.ts";

Deno.test("grads: scaleGradient multiplies the backward pass only (number and tensor multipliers)", async () => {
  await useWasm();
  const w = makeParam("w", "head", "kernel", Float32Array.of(1, 2), [2]);
  const x = tf.tensor1d([3, 4]);
  for (const k of [2, tf.tensor1d([0.5, 3])]) {
    const r = gradsOf([w], () => {
      const kk = typeof k === "number" ? k : tf.mul(k, 1); // a multiplier created inside the loss scope
      const y = scaleGradient(tf.mul(x, w.variable), kk);
      return { loss: tf.sum(y) as tf.Scalar, aux: y };
    });
    assertEquals(Array.from(await r.aux.data()), [3, 8]); // forward unchanged
    const g = Array.from(await r.grads.get("w")!.data());
    assertEquals(g, typeof k === "number" ? [6, 8] : [1.5, 12]);
  }
});

Deno.test("grads: stopGradient blocks the gradient; clipGlobalNorm follows PyTorch", async () => {
  await useWasm();
  const a = makeParam("a", "enc", "kernel", Float32Array.of(2), [1]);
  const b = makeParam("b", "head", "kernel", Float32Array.of(3), [1]);
  const r = gradsOf([a, b], () => ({
    loss: tf.sum(tf.mul(stopGradient(tf.mul(a.variable, 5)), b.variable)) as tf.Scalar,
    aux: null,
  }));
  assertEquals(Array.from(await r.grads.get("a")!.data()), [0]);
  assertEquals(Array.from(await r.grads.get("b")!.data()), [10]);
  const clipped = clipGlobalNorm(new Map([["p", tf.tensor1d([3, 4])], ["q", tf.tensor1d([0])]]), 1);
  const p = await clipped.get("p")!.data();
  assertAlmostEquals(p[0], 3 / (5 + 1e-6), 1e-6);
  const kept = clipGlobalNorm(new Map([["p", tf.tensor1d([0.3, 0.4])]]), 1);
  assertEquals(Array.from(await kept.get("p")!.data()).map((v) => Math.round(v * 1e6) / 1e6), [
    0.3,
    0.4,
  ]);
});

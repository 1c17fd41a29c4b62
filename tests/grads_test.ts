import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "./assert.ts";
import { makeParam } from "../src/models/params.ts";
import {
  clipGlobalNorm,
  crossEntropy,
  gradsOf,
  scaleGradient,
  stopGradient,
} from "../src/optim/grads.ts";
import { fusedCrossEntropyAvailable } from "../src/kernels/cross_entropy.ts";
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

Deno.test("grads: crossEntropy is PyTorch's mean cross-entropy with its gradient; one fused kernel each way where they run (native: TensorFlow's own); NaN for a label out of range", async () => {
  await useWasm();
  const logits = tf.tensor2d([[2, -1, 0.5], [30, 31, -40], [0, 0, 0], [-3, 4, 1]]);
  const labels = tf.tensor1d([0, 1, 2, 1], "int32");
  // Reference in double precision: mean over rows of logsumexp(row) - row[label].
  const rows = await logits.array(), ys = await labels.array();
  const probs = rows.map((r) => {
    const m = Math.max(...r), z = r.reduce((s, v) => s + Math.exp(v - m), 0);
    return r.map((v) => Math.exp(v - m) / z);
  });
  const want = probs.reduce((s, p, i) => s - Math.log(p[ys[i]]), 0) / rows.length;
  const wantGrad = probs.flatMap((p, i) => p.map((v, j) => (v - (j === ys[i] ? 1 : 0)) / 4 * 1.5));
  const prof = await tf.profile(() => crossEntropy(logits, labels));
  const loss = crossEntropy(logits, labels);
  assertAlmostEquals((await loss.data())[0], want, 1e-6);
  const g = tf.grad((z: tf.Tensor) => tf.mul(crossEntropy(z as tf.Tensor2D, labels), 1.5))(logits);
  const got = await g.data();
  wantGrad.forEach((v, i) => assertAlmostEquals(got[i], v, 1e-6, `gradient ${i}`));
  if (tf.getBackend() === "tensorflow") assert(fusedCrossEntropyAvailable(logits, labels));
  if (fusedCrossEntropyAvailable(logits, labels)) {
    // One kernel (native: TensorFlow's op, then its Mean, with tfjs's Cast) instead of ~15.
    const kernels = prof.kernels.map((k) => k.name);
    assert(kernels.includes("IbmlSoftmaxCrossEntropy") && kernels.length <= 3, `${kernels}`);
  }
  const bad = crossEntropy(logits, tf.tensor1d([0, 3, 0, 0], "int32"));
  assert(Number.isNaN((await bad.data())[0]), "a label outside [0, C) gives NaN");
  tf.dispose([logits, labels, loss, g, bad]);
});

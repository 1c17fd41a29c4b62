import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { selectBackend } from "../../src/backend/mod.ts";
import { noGrad } from "../../src/backend/no_grad.ts";
import { relDiff, seededTensor } from "../numeric.ts";

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

/**
 * Shared checks for the backbone tests: one SGD step must change every trainable variable.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { assert } from "../assert.ts";
import type { Param } from "../../src/models/params.ts";
import { disposeGrads, gradsOf } from "../../src/optim/grads.ts";
import { Sgd } from "../../src/optim/sgd.ts";

/**
 * Runs one SGD step (lr 0.1, momentum 0.9, no weight decay) on an MSE loss of the features
 * `forward()` returns against a fixed random target, and asserts that every parameter got a
 * gradient and changed.
 */
export async function assertSgdStepChangesAll(
  params: Param[],
  forward: () => tf.Tensor2D,
): Promise<void> {
  const before = await Promise.all(params.map((p) => p.variable.data() as Promise<Float32Array>));
  const { loss, grads } = gradsOf(params, () => {
    const f = forward();
    const target = tf.randomNormal(f.shape, 0, 1, "float32", 7);
    return { loss: tf.mean(tf.square(tf.sub(f, target))) as tf.Scalar, aux: null };
  });
  const missing = params.filter((p) => !grads.has(p.name)).map((p) => p.name);
  assert(missing.length === 0, `no gradient for ${missing.join(", ")}`);
  const opt = new Sgd(params, { momentum: 0.9, weightDecay: 0 });
  opt.step(grads, 0.1);
  disposeGrads(grads);
  loss.dispose();
  opt.dispose();
  const unchanged: string[] = [];
  for (let i = 0; i < params.length; i++) {
    const after = await params[i].variable.data() as Float32Array;
    if (after.every((v, j) => v === before[i][j])) unchanged.push(params[i].name);
  }
  assert(unchanged.length === 0, `SGD step left unchanged: ${unchanged.join(", ")}`);
}

/** Max |a - b| over two tensors' values. */
export async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = [await a.data(), await b.data()];
  assert(x.length === y.length, `sizes differ: ${x.length} vs ${y.length}`);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

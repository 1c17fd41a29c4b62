/**
 * Checks the native engine in a fresh process: selects `--backend tensorflow`, trains a
 * small conv + dense model for five SGD steps and fails unless the loss falls, and (on a
 * CPU) runs ibml's own ops (src/kernels/custom_ops.ts) once against the stock ones. Prints
 * the backend line. Run by `deno task setup-native`; usable alone:
 * `deno run -A scripts/check_native.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../src/backend/mod.ts";
import { customOpsBackend, loadCustomOps } from "../src/kernels/custom_ops.ts";
import { nativeCpuBackend } from "../src/kernels/native_ops.ts";
import { maxPool2d, reluMaxPool2 } from "../src/models/conv.ts";

const choice = await selectBackend("tensorflow");
const x = tf.randomNormal([8, 12, 12, 3], 0, 1, "float32", 1) as tf.Tensor4D;
const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], "int32"), 4);
const w1 = tf.variable(tf.randomNormal([3, 3, 3, 8], 0, 0.3, "float32", 2)) as tf.Variable<
  tf.Rank.R4
>;
const w2 = tf.variable(tf.randomNormal([8, 4], 0, 0.3, "float32", 3));
const optimizer = tf.train.sgd(0.1);
const losses: number[] = [];
for (let i = 0; i < 5; i++) {
  const loss = optimizer.minimize(() => {
    const h = tf.relu(tf.conv2d(x, w1, 1, "same"));
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    return tf.losses.softmaxCrossEntropy(labels, tf.matMul(pooled, w2));
  }, true) as tf.Scalar;
  losses.push(loss.dataSync()[0]);
  loss.dispose();
}
if (choice.name !== "tensorflow" || !(losses[4] < losses[0])) {
  console.error(`native check failed: backend ${choice.name}, losses ${losses.join(", ")}`);
  Deno.exit(1);
}
if (nativeCpuBackend()) {
  // ibml's ops: loaded, and the same numbers as the stock pool and ReLU.
  if (!customOpsBackend()) {
    console.error(`native check failed: ${loadCustomOps().note}`);
    Deno.exit(1);
  }
  const ours = reluMaxPool2(x).dataSync();
  const stock = tf.relu(maxPool2d(x, 2, 2)).dataSync();
  const same = ours.every((v, i) => Object.is(v, stock[i]));
  if (!same) {
    console.error("native check failed: ibml's max pool + ReLU differs from the stock ops");
    Deno.exit(1);
  }
}
console.log(`loss ${losses[0].toFixed(4)} -> ${losses[4].toFixed(4)} over 5 steps`);
console.log(`backend: ${choice.reason}`);

/**
 * ibml's own TensorFlow ops (src/kernels/custom_ops.ts, built by setup-native) against the
 * stock ops they replace, bit for bit: `reluMaxPool2` (src/models/conv.ts) against
 * `relu(maxPool2d(x, 2, 2))`, values and gradients, with ties, odd sizes and NaN; the SGD op
 * is compared by tests/native_sgd_test.ts. Native suite only (the library runs in
 * TensorFlow); there the library must be open, so a setup without it fails here. With
 * `IBML_CUSTOM_OPS=0` (the native suite's second pass) the stock ops run and the tests check
 * that nothing else changes.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "./assert.ts";
import { TEST_ENGINE, useTestEngine } from "./helpers.ts";
import { customOpsBackend, loadCustomOps } from "../src/kernels/custom_ops.ts";
import { maxPool2d, reluMaxPool2 } from "../src/models/conv.ts";

const NATIVE_ONLY = TEST_ENGINE === "tensorflow" ? "" : " (IGNORED: native engine only)";

/** Whether this run should have the library open (not with IBML_CUSTOM_OPS=0). */
const WANTED = Deno.env.get("IBML_CUSTOM_OPS") !== "0";

/** The number of cells that differ (Object.is: NaN equals NaN, 0 differs from -0). */
function differing(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

/** Output and input gradient of `f` for the upstream gradient `dy`. */
function run(
  f: (x: tf.Tensor4D) => tf.Tensor4D,
  x: tf.Tensor4D,
  dy: tf.Tensor,
): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const y = f(x).dataSync() as Float32Array;
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor4D), dy)))(x);
    return [y, g.dataSync() as Float32Array];
  });
}

const stock = (x: tf.Tensor4D) => tf.relu(maxPool2d(x, 2, 2));

Deno.test({
  name: "custom ops: reluMaxPool2 is relu(maxPool2d(x, 2, 2)) bit for bit, values and gradient" +
    NATIVE_ONLY,
  ignore: TEST_ENGINE !== "tensorflow",
  fn: async () => {
    await useTestEngine();
    assertEquals(
      customOpsBackend() !== null,
      WANTED,
      `ibml's ops on the native engine: ${loadCustomOps().note}`,
    );
    // Img_FC's two layers, an odd size (the last row and column are dropped), 3 channels (no
    // full vector of lanes), and values on a coarse grid so that windows hold ties.
    const shapes: [number, number, number, number][] = [
      [32, 30, 30, 96],
      [32, 15, 15, 64],
      [2, 5, 7, 3],
      [3, 9, 4, 21],
    ];
    for (const shape of shapes) {
      const x = tf.tidy(() => tf.round(tf.randomNormal(shape, 0, 2, "float32", 7))) as tf.Tensor4D;
      const dy = tf.randomNormal(
        [shape[0], shape[1] >> 1, shape[2] >> 1, shape[3]],
        0,
        1,
        "float32",
        9,
      );
      const [y1, g1] = run(reluMaxPool2, x, dy);
      const [y2, g2] = run(stock, x, dy);
      assertEquals(differing(y1, y2), 0, `values, [${shape}]`);
      assertEquals(differing(g1, g2), 0, `gradients, [${shape}]`);
      assert(g1.some((v) => v !== 0), "some gradient flows");
      tf.dispose([x, dy]);
    }
  },
});

Deno.test({
  name: "custom ops: reluMaxPool2 treats NaN as the stock pool does (it never wins)" + NATIVE_ONLY,
  ignore: TEST_ENGINE !== "tensorflow",
  fn: async () => {
    await useTestEngine();
    // Windows (one per sample): a NaN first, a NaN last, no NaN, all negative with a NaN,
    // only NaN. oneDNN's pool skips NaN (measured: 1, 4, 6, 0, 0 after the ReLU).
    const windows = tf.tensor4d(
      [NaN, 1, -1, -2, 2, 3, 4, NaN, -1, -2, -5, 6, -3, NaN, -7, -8, NaN, NaN, NaN, NaN],
      [5, 2, 2, 1],
    );
    const dy = tf.ones([5, 1, 1, 1]);
    const [y1, g1] = run(reluMaxPool2, windows, dy);
    const [y2, g2] = run(stock, windows, dy);
    assertEquals(Array.from(y1).map(String), Array.from(y2).map(String));
    assertEquals(Array.from(y1), [1, 4, 6, 0, 0]);
    assertEquals(Array.from(g1).map(String), Array.from(g2).map(String));
    tf.dispose([windows, dy]);
  },
});

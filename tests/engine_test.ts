/**
 * Tests for src/kernels/engine.ts's tape patches on the engine under test
 * (`IBML_TEST_ENGINE`): the shared saves and the eager backward pass's Add.
 */
import * as tf from "@tensorflow/tfjs";
import { assertEquals } from "./assert.ts";
import { TEST_ENGINE, useTestEngine } from "./helpers.ts";

/** Tensors the tape nodes of `kernelName` keep for the backward pass, recorded inside f. */
function savedBy(
  kernelName: string,
  f: (x: tf.Tensor4D) => tf.Scalar,
): { shapes: number[][]; grad: number[] } {
  let shapes: number[][] = [];
  const x = tf.variable(tf.tensor4d([1, -2, 3, 0.5, -1, 2, 4, -3], [1, 2, 2, 2]));
  const { grads, value } = tf.variableGrads(() => {
    const tape = (tf.engine() as unknown as {
      state: { activeTape: { kernelName: string; saved?: tf.Tensor[] }[] };
    }).state.activeTape;
    const loss = f(x);
    shapes = tape.filter((n) => n.kernelName === kernelName)
      .flatMap((n) => (n.saved ?? []).map((t) => t.shape));
    return loss;
  }, [x]);
  const out = { shapes, grad: Array.from(grads[x.name].dataSync()) };
  tf.dispose([x, value, ...Object.values(grads)]);
  return out;
}

Deno.test("engine: Add of equal shapes keeps no inputs for the backward pass on native, the same gradient everywhere", async () => {
  await useTestEngine();
  const w = tf.tensor4d([0.5, -1, 2, 1, 3, -0.25, 1, 2], [1, 2, 2, 2]);
  const residual = (x: tf.Tensor) =>
    tf.sum(tf.mul(tf.add(tf.relu(x), tf.square(x)), w)) as tf.Scalar;
  const got = savedBy("Add", residual);
  // Native: nothing kept (the inputs were only read for their shapes); wasm: stock tfjs.
  assertEquals(got.shapes, TEST_ENGINE === "tensorflow" ? [] : [[1, 2, 2, 2], [1, 2, 2, 2]]);
  // d/dx sum(w (relu(x) + x^2)) = w (1[x > 0] + 2x)
  const xs = [1, -2, 3, 0.5, -1, 2, 4, -3];
  const ws = [0.5, -1, 2, 1, 3, -0.25, 1, 2];
  assertEquals(got.grad, xs.map((v, i) => Math.fround(ws[i] * ((v > 0 ? 1 : 0) + 2 * v))));
  // A broadcast Add keeps the stock gradient (a sum over the broadcast axis).
  const bias = tf.tensor1d([1, 2]);
  const broadcast = savedBy("Add", (x) => tf.sum(tf.mul(tf.add(x, bias), w)) as tf.Scalar);
  assertEquals(broadcast.shapes, [[1, 2, 2, 2], [2]]);
  assertEquals(broadcast.grad, ws);
  tf.dispose([w, bias]);
});

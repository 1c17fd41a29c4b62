/**
 * Tests for src/kernels/engine.ts's tape patches on the engine under test
 * (`IBML_TEST_ENGINE`): the shared saves and the eager backward pass (its Add, and when it
 * releases a node).
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

Deno.test("engine: on native the backward pass releases each node once done, also a node with a constant input", async () => {
  await useTestEngine();
  const n = 4096;
  const w = tf.variable(tf.randomNormal([n], 0, 1, "float32", 3));
  const factors = [2, 0.5, 3, 0.25].map((v) => tf.scalar(v));
  // The identity at the chain's start records the tensor bytes alive when its gradient runs,
  // the last node of the backward pass: every later node is done by then.
  let lastBytes = 0;
  const probe = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => {
      lastBytes = tf.memory().numBytes;
      return tf.clone(dy);
    },
  }));
  const before = tf.memory().numBytes;
  const { value, grads } = tf.variableGrads(() => {
    let h = probe(w) as tf.Tensor;
    // Multiply's second input is a constant: the backward pass asks only for the first's
    // gradient, and that must be enough to release the node (its saved input and its dy).
    for (const c of factors) h = tf.relu(tf.mul(h, c));
    return tf.sum(h) as tf.Scalar;
  }, [w]);
  const alive = (lastBytes - before) / (4 * n);
  // Eager (native, or IBML_EAGER_BACKPROP=1): the probe's dy and its gradient (measured 2);
  // stock tfjs keeps every node's saved inputs and gradients to the end (wasm: measured 19).
  const flag = Deno.env.get("IBML_EAGER_BACKPROP");
  const eager = flag === "1" || (flag !== "0" && TEST_ENGINE === "tensorflow");
  if (eager) assertEquals(alive < 3, true, `${alive} x n floats alive`);
  else assertEquals(alive >= 8, true, `${alive} x n floats alive`);
  // d/dw sum(relu(... relu(2w) ...)) = 0.75 where every factor's product stays positive
  const g = grads[w.name].dataSync(), x = w.dataSync();
  for (let i = 0; i < n; i++) assertEquals(g[i], x[i] > 0 ? 0.75 : 0);
  tf.dispose([w, value, ...factors, ...Object.values(grads)]);
});

import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { useTestEngine } from "../helpers.ts";
import { assertSgdStepChangesAll } from "./backbone_fixtures.ts";
import { ImgFcEncoder } from "../../src/models/img_fc.ts";
import { conv2dSymmetric, maxPool2d } from "../../src/models/conv.ts";
import { countParams } from "../../src/models/params.ts";
import { Rng } from "../../src/rng.ts";

Deno.test("Img_FC: 1,664,192 parameters, [B, 30, 30, 3] -> [B, 512] (non-negative), one SGD step changes every variable", async () => {
  await useTestEngine();
  const enc = new ImgFcEncoder("image", [30, 30, 3], new Rng(1));
  console.log(`Img_FC parameters: ${countParams(enc.params())}`);
  assertEquals(countParams(enc.params()), 1_664_192);
  assertEquals(enc.params().map((p) => p.variable.shape), [
    [3, 3, 3, 96],
    [96],
    [3, 3, 96, 64],
    [64],
    [3136, 512],
    [512],
  ]);
  const x = tf.randomNormal([2, 30, 30, 3], 0, 1, "float32", 1);
  const y = enc.forward(x, true);
  assertEquals(y.shape, [2, 512]);
  assert((await y.data()).every((v) => v >= 0), "ReLU output");
  await assertSgdStepChangesAll(enc.params(), () => enc.forward(x, true));
  assertThrows(() => new ImgFcEncoder("image", [3, 3, 3], new Rng(1)), "too small");
});

Deno.test("Img_FC: PyTorch default init bounds; same seed, same init; other seed, other init", async () => {
  await useTestEngine();
  const [a, b, c] = [1, 1, 2].map((s) => new ImgFcEncoder("image", [30, 30, 3], new Rng(s)));
  for (let i = 0; i < a.params().length; i++) {
    const va = await a.params()[i].variable.data();
    assertEquals(Array.from(va), Array.from(await b.params()[i].variable.data()));
    assert((await c.params()[i].variable.data()).some((v, j) => v !== va[j]));
  }
  const bound1 = 1 / Math.sqrt(27);
  assert((await a.params()[0].variable.data()).every((v) => Math.abs(v) <= bound1));
  const boundFc = 1 / Math.sqrt(3136);
  assert((await a.params()[5].variable.data()).every((v) => Math.abs(v) <= boundFc));
});

Deno.test("Img_FC: the ReLU after each pool gives the official order's features and gradients (conv, ReLU, pool)", async () => {
  await useTestEngine();
  const enc = new ImgFcEncoder("image", [30, 30, 3], new Rng(3));
  const vars = enc.params().map((p) => p.variable);
  const [k1, b1, k2, b2, w3, b3] = vars;
  const official = (x: tf.Tensor4D) => {
    const layer = (h: tf.Tensor4D, k: tf.Tensor, b: tf.Tensor) =>
      maxPool2d(tf.relu(tf.add(conv2dSymmetric(h, k as tf.Tensor4D, 1, 1), b)), 2, 2);
    const h = layer(layer(x, k1, b1), k2, b2);
    return tf.relu(tf.add(tf.matMul(tf.reshape(h, [h.shape[0], -1]), w3), b3));
  };
  const x = tf.randomNormal([4, 30, 30, 3], 0, 1, "float32", 11) as tf.Tensor4D;
  const w = tf.randomNormal([4, 512], 0, 1, "float32", 12);
  const grads = (f: (x: tf.Tensor4D) => tf.Tensor) =>
    tf.grads((..._vars: tf.Tensor[]) => tf.sum(tf.mul(f(x), w)))(vars); // the same tensors, used by f
  const got = [enc.forward(x, true), ...grads((v) => enc.forward(v, true))];
  const want = [official(x), ...grads(official)];
  for (let i = 0; i < got.length; i++) {
    const [a, b] = [await got[i].data(), await want[i].data()];
    const j = a.findIndex((v, n) => v !== b[n]); // === : a zero's sign may differ
    assertEquals(j, -1, `output ${i} at ${j}: ${a[j]} vs ${b[j]}`);
  }
  tf.dispose([x, w, ...got, ...want]);
});

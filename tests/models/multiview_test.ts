import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { useTestEngine } from "../helpers.ts";
import { assertSgdStepChangesAll, maxAbsDiff } from "./backbone_fixtures.ts";
import { MultiViewEncoder } from "../../src/models/multiview.ts";
import { countParams } from "../../src/models/params.ts";
import { Rng } from "../../src/rng.ts";

Deno.test("multi-view encoder: 11,440,192 parameters, views [B, V, H, W, 3] -> [B, 512], one SGD step changes every variable", async () => {
  await useTestEngine();
  const enc = new MultiViewEncoder("image", new Rng(1));
  console.log(`multi-view encoder parameters: ${countParams(enc.params())}`);
  assertEquals(countParams(enc.params()), 11_440_192);
  assertEquals(enc.buffers().length, 42); // 20 trunk BNs + bn6, two stats each
  const views = tf.randomNormal([2, 2, 32, 32, 3], 0, 1, "float32", 1);
  const y = enc.forward(views, false);
  assertEquals(y.shape, [2, 512]);
  assert((await y.data()).every((v) => v >= 0), "mean of ReLU features");
  const each = tf.unstack(views, 1).map((v) => enc.forward(tf.expandDims(v, 1), false));
  assert(await maxAbsDiff(y, tf.div(tf.addN(each), 2)) < 1e-5, "mean of the per-view features");
  const bn6Mean = enc.buffers()[40];
  const oneView = tf.slice(views, [0, 0, 0, 0, 0], [2, 1, 32, 32, 3]); // keeps the test fast
  await assertSgdStepChangesAll(enc.params(), () => enc.forward(oneView, true));
  assert((await bn6Mean.data()).some((v) => v !== 0));
  assertThrows(() => enc.forward(tf.zeros([2, 32, 32, 3]), false), "expected views");
});

import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { useTestEngine } from "../helpers.ts";
import { assertSgdStepChangesAll, maxAbsDiff } from "./backbone_fixtures.ts";
import { MultiViewEncoder } from "../../src/models/multiview.ts";
import { countParams, type Param } from "../../src/models/params.ts";
import { disposeGrads, gradsOf } from "../../src/optim/grads.ts";
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

Deno.test("multi-view encoder: training with the views as one batch equals the official per-view passes: features, running statistics, gradients", async () => {
  await useTestEngine();
  const views = tf.randomNormal([2, 3, 32, 32, 3], 0, 1, "float32", 5);
  const target = tf.randomNormal([2, 512], 0, 1, "float32", 6);
  const batched = new MultiViewEncoder("image", new Rng(3));
  const perView = new MultiViewEncoder("image", new Rng(3)); // the same weights
  const run = (params: Param[], forward: () => tf.Tensor) =>
    gradsOf(params, () => {
      const f = forward();
      return { loss: tf.mean(tf.square(tf.sub(f, target))) as tf.Scalar, aux: f };
    });
  const a = run(batched.params(), () => batched.forward(views, true));
  // The official order: each view through the trunk, linear1 and bn6 as its own batch.
  const b = run(perView.params(), () => {
    const each = tf.unstack(views, 1).map((v) => perView.forward(tf.expandDims(v, 1), true));
    return tf.div(tf.addN(each), each.length);
  });
  const fd = await maxAbsDiff(a.aux, b.aux);
  assert(fd < 1e-4, `features: ${fd}`); // float noise only: BN over 2 values amplifies it
  for (const [i, buf] of batched.buffers().entries()) {
    const d = await maxAbsDiff(buf, perView.buffers()[i]);
    assert(d < 1e-4, `running statistic ${i}: ${d}`);
  }
  for (const p of batched.params()) {
    const [g, h] = [a.grads.get(p.name)!, b.grads.get(p.name)!];
    const scale = Array.from(await h.data()).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    const d = await maxAbsDiff(g, h);
    // + 1e-5: linear1's bias feeds a BN, so its exact gradient is 0 and both are float noise.
    assert(d <= 1e-3 * scale + 1e-5, `gradient of ${p.name}: ${d} (scale ${scale})`);
  }
  disposeGrads(a.grads);
  disposeGrads(b.grads);
  tf.dispose([a.loss, b.loss, a.aux, b.aux, views, target]);
});

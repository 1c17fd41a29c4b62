import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { useTestEngine } from "../helpers.ts";
import { assertSgdStepChangesAll, maxAbsDiff } from "./backbone_fixtures.ts";
import { DgcnnEncoder, EdgeConv, knnIndices } from "../../src/models/dgcnn.ts";
import { countParams } from "../../src/models/params.ts";
import { Rng } from "../../src/rng.ts";

Deno.test("knnIndices: hand-checked neighbours (self first), per cloud, never on the tape", async () => {
  await useTestEngine();
  // Points on the x axis at 0, 1, 3, 7, 15; the second cloud is the first reversed.
  const xs = [0, 1, 3, 7, 15];
  const cloud = (order: number[]) => order.map((i) => [xs[i], 0, 0]);
  const x = tf.tensor3d([cloud([0, 1, 2, 3, 4]), cloud([4, 3, 2, 1, 0])]);
  const idx = knnIndices(x, 3);
  assertEquals(idx.dtype, "int32");
  assertEquals(await idx.array(), [
    [[0, 1, 2], [1, 0, 2], [2, 1, 0], [3, 2, 1], [4, 3, 2]],
    [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 2], [4, 3, 2]],
  ]);
  assertThrows(() => knnIndices(x, 6), "only 5 points");
  // Inside a gradient the indices are not differentiated (topk has no gradient).
  const g = tf.grad((a: tf.Tensor) =>
    tf.sum(tf.gather(tf.reshape(a, [10, 3]), tf.reshape(knnIndices(a as tf.Tensor3D, 2), [-1])))
  )(x);
  assertEquals(g.shape, [2, 5, 3]);
});

Deno.test("EdgeConv: equals max_j LReLU(BN(W [x_j - x_i; x_i])) computed by hand (eval mode)", async () => {
  await useTestEngine();
  const ec = new EdgeConv("e", "encoder.points", new Rng(3), 2, 3);
  const pts = [[0, 0], [1, 0.2], [0.3, 2], [2.5, 1.1], [-1, 0.7], [0.4, -1.6]];
  const x = tf.tensor3d([pts]);
  const y = await ec.apply(x, 3, false).array();
  const w = await ec.kernel.variable.array() as number[][]; // [4, 3]
  const d2 = (a: number[], b: number[]) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2;
  const s = 1 / Math.sqrt(1 + 1e-5);
  pts.forEach((xi, i) => {
    const nbrs = pts.map((_, j) => j).sort((a, b) => d2(xi, pts[a]) - d2(xi, pts[b])).slice(0, 3);
    for (let o = 0; o < 3; o++) {
      let best = -Infinity;
      for (const j of nbrs) {
        const e = [pts[j][0] - xi[0], pts[j][1] - xi[1], xi[0], xi[1]];
        const v = e.reduce((acc, ev, r) => acc + ev * w[r][o], 0) * s;
        best = Math.max(best, v > 0 ? v : 0.2 * v);
      }
      assertAlmostEquals(y[0][i][o], best, 1e-5, `point ${i} channel ${o}`);
    }
  });
});

Deno.test("DGCNN (IBML variant): 1,143,424 parameters, [B, N, 3] -> [B, 512], one SGD step changes every variable", async () => {
  await useTestEngine();
  const enc = new DgcnnEncoder("points", new Rng(1));
  console.log(`DGCNN parameters: ${countParams(enc.params())}`);
  assertEquals(countParams(enc.params()), 1_143_424);
  assertEquals([enc.k, enc.dropout, enc.outDim], [20, 0.2, 512]);
  const x = tf.randomNormal([2, 24, 3], 0, 1, "float32", 1);
  assertEquals(enc.forward(x, false).shape, [2, 512]);
  await assertSgdStepChangesAll(enc.params(), () => enc.forward(x, true));
  assertThrows(() => enc.forward(tf.zeros([2, 24, 3, 1]), false), "expected points");
});

Deno.test("DGCNN: seeded dropout (train differs per pass, eval is deterministic) and exact resume from buffers", async () => {
  await useTestEngine();
  const opts = { k: 4 };
  const a = new DgcnnEncoder("points", new Rng(7), opts);
  const b = new DgcnnEncoder("points", new Rng(7), opts);
  const x = tf.randomNormal([4, 10, 3], 0, 1, "float32", 2);
  assert(await maxAbsDiff(a.forward(x, false), a.forward(x, false)) === 0);
  const t1 = a.forward(x, true);
  const t2 = a.forward(x, true);
  assert(await maxAbsDiff(t1, t2) > 0, "dropout masks must change between passes");
  assertEquals(a.drop.count, 2);
  // b resumes from a's buffers (BN running stats + dropout counter): same next pass.
  b.buffers().forEach((v, i) => v.assign(a.buffers()[i]));
  assert(await maxAbsDiff(a.forward(x, true), b.forward(x, true)) === 0, "resume must be exact");
  assertEquals(b.drop.count, 3);
  const c = new DgcnnEncoder("points", new Rng(7), opts);
  assertEquals(
    Array.from(await c.params()[0].variable.data()),
    Array.from(await a.params()[0].variable.data()),
  );
});

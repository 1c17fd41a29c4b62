import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { useTestEngine } from "../helpers.ts";
import { assertSgdStepChangesAll, maxAbsDiff } from "./backbone_fixtures.ts";
import { BiGruEncoder, maskKey } from "../../src/models/bigru.ts";
import { countParams } from "../../src/models/params.ts";
import { Rng } from "../../src/rng.ts";

Deno.test("Bi-GRU: 2,500,608 parameters at 300 -> 512, PyTorch default init bounds", async () => {
  await useTestEngine();
  const enc = new BiGruEncoder("text", 300, 512, new Rng(1));
  console.log(`Bi-GRU parameters: ${countParams(enc.params())}`);
  assertEquals(countParams(enc.params()), 2_500_608);
  assertEquals(enc.outDim, 512);
  const bound = 1 / Math.sqrt(512);
  for (const p of enc.params()) {
    assert((await p.variable.data()).every((v) => Math.abs(v) <= bound), `${p.name} out of bounds`);
  }
  assertEquals(enc.params().map((p) => p.kind), [
    "kernel",
    "kernel",
    "bias",
    "bias",
    "kernel",
    "kernel",
    "bias",
    "bias",
  ]);
});

Deno.test("Bi-GRU: equals PyTorch's GRU equations run by hand (3 steps, directions averaged, mean-pooled)", async () => {
  await useTestEngine();
  const enc = new BiGruEncoder("text", 2, 3, new Rng(2));
  const seq = [[0.5, -1.2], [1.5, 0.3], [-0.7, 0.9]];
  const y = await enc.encode(tf.tensor3d([seq]), tf.ones([1, 3])).data();
  const ps = await Promise.all(enc.params().map((p) => p.variable.array()));
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const run = (d: number, order: number[]) => {
    const [wIh, wHh, bIh, bHh] = ps.slice(4 * d, 4 * d + 4) as [
      number[][],
      number[][],
      number[],
      number[],
    ];
    let h = [0, 0, 0];
    const out: number[][] = [];
    for (const t of order) {
      const gx = (g: number) => seq[t].reduce((a, v, i) => a + v * wIh[i][g], 0) + bIh[g];
      const gh = (g: number) => h.reduce((a, v, i) => a + v * wHh[i][g], 0) + bHh[g];
      h = [0, 1, 2].map((j) => {
        const r = sig(gx(j) + gh(j));
        const z = sig(gx(3 + j) + gh(3 + j));
        const n = Math.tanh(gx(6 + j) + r * gh(6 + j));
        return (1 - z) * n + z * h[j];
      });
      out[t] = h;
    }
    return out;
  };
  const [f, b] = [run(0, [0, 1, 2]), run(1, [2, 1, 0])];
  for (let j = 0; j < 3; j++) {
    const want = [0, 1, 2].reduce((a, t) => a + (f[t][j] + b[t][j]) / 2, 0) / 3;
    assertAlmostEquals(y[j], want, 1e-6);
  }
});

Deno.test("Bi-GRU masking: a padded sequence gives exactly the unpadded sequence's features", async () => {
  await useTestEngine();
  const enc = new BiGruEncoder("text", 4, 5, new Rng(3));
  const short = tf.randomNormal([1, 3, 4], 0, 1, "float32", 1) as tf.Tensor3D;
  const long = tf.randomNormal([1, 6, 4], 0, 1, "float32", 2) as tf.Tensor3D;
  const garbage = tf.mul(tf.randomNormal([1, 3, 4], 0, 1, "float32", 3), 50);
  const batch = tf.concat([tf.concat([short, garbage], 1), long], 0) as tf.Tensor3D; // [2, 6, 4]
  const mask = tf.tensor2d([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]]);
  const padded = enc.forward(batch, true, { text: batch, [maskKey("text")]: mask });
  assertEquals(padded.shape, [2, 5]);
  const alone = enc.encode(short, tf.ones([1, 3]));
  const longAlone = enc.encode(long, tf.ones([1, 6]));
  const rows = tf.unstack(padded);
  assert(await maxAbsDiff(rows[0], tf.squeeze(alone)) < 1e-6, "padding leaked into the features");
  assert(await maxAbsDiff(rows[1], tf.squeeze(longAlone)) < 1e-6);
  // The padding gets no gradient either.
  const gx = tf.grad((a: tf.Tensor) => tf.sum(enc.encode(a as tf.Tensor3D, mask)))(batch);
  const g = await gx.array() as number[][][];
  assert(g[0].slice(3).flat().every((v) => v === 0), "gradient reached the padding");
  assertThrows(() => enc.forward(batch, true), "text_mask");
});

Deno.test("Bi-GRU: one SGD step changes every variable; same seed, same init", async () => {
  await useTestEngine();
  const enc = new BiGruEncoder("text", 6, 8, new Rng(4));
  const x = tf.randomNormal([3, 5, 6], 0, 1, "float32", 5) as tf.Tensor3D;
  const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]]);
  await assertSgdStepChangesAll(enc.params(), () => enc.encode(x, mask));
  const [a, b] = [
    new BiGruEncoder("text", 6, 8, new Rng(9)),
    new BiGruEncoder("text", 6, 8, new Rng(9)),
  ];
  for (let i = 0; i < a.params().length; i++) {
    assertEquals(
      Array.from(await a.params()[i].variable.data()),
      Array.from(await b.params()[i].variable.data()),
    );
  }
});

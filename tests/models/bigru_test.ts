import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { ENGINE_TOL, useTestEngine } from "../helpers.ts";
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

/**
 * The reference: PyTorch's GRU written step by step with tfjs ops and differentiated by
 * tfjs's autodiff (the encoder's implementation before its hand-written gradient).
 * `ps` are the encoder's parameters in `params()` order.
 */
function referenceEncode(ps: tf.Tensor[], x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  const [b, l, inDim] = x.shape;
  const hid = ps[1].shape[0];
  const flat = tf.reshape(x, [b * l, inDim]);
  const dirs = [ps.slice(0, 4), ps.slice(4, 8)];
  const proj = ([wIh, , bIh]: tf.Tensor[]) =>
    tf.unstack(tf.reshape(tf.add(tf.matMul(flat, wIh as tf.Tensor2D), bIh), [b, l, 3 * hid]), 1);
  const step = ([, wHh, , bHh]: tf.Tensor[], xp: tf.Tensor, h: tf.Tensor, m: tf.Tensor) => {
    const hp = tf.add(tf.matMul(h as tf.Tensor2D, wHh as tf.Tensor2D), bHh);
    const [xr, xz, xn] = tf.split(xp, 3, 1);
    const [hr, hz, hn] = tf.split(hp, 3, 1);
    const r = tf.sigmoid(tf.add(xr, hr));
    const z = tf.sigmoid(tf.add(xz, hz));
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    const next = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
    return tf.add(h, tf.mul(m, tf.sub(next, h)));
  };
  const [xf, xb] = dirs.map(proj);
  const ms = tf.unstack(tf.reshape(mask, [b, l, 1]), 1);
  const outF: tf.Tensor[] = [], outB: tf.Tensor[] = [];
  let [hf, hb]: tf.Tensor[] = [tf.zeros([b, hid]), tf.zeros([b, hid])];
  for (let t = 0; t < l; t++) {
    outF[t] = hf = step(dirs[0], xf[t], hf, ms[t]);
    const s = l - 1 - t;
    outB[s] = hb = step(dirs[1], xb[s], hb, ms[s]);
  }
  const sum = tf.addN(outF.map((f, t) => tf.mul(tf.add(f, outB[t]), ms[t])));
  return tf.div(tf.div(sum, 2), tf.maximum(tf.sum(mask, 1, true), 1)) as tf.Tensor2D;
}

/** max |a - b| / max |b|. */
async function relErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const scale = (await tf.max(tf.abs(b)).data())[0];
  return await maxAbsDiff(a, b) / Math.max(scale, 1e-30);
}

Deno.test("Bi-GRU: output and every gradient (8 parameters and the input) equal autodiff of the step-by-step GRU, with padding", async () => {
  await useTestEngine();
  const [b, l, inDim, hid] = [5, 7, 6, 8];
  const enc = new BiGruEncoder("text", inDim, hid, new Rng(11));
  const ps = enc.params().map((p) => p.variable);
  const x = tf.randomNormal([b, l, inDim], 0, 1, "float32", 12) as tf.Tensor3D;
  // Full length, padded, a single token, a hole inside (a masked step keeps h), and empty.
  const mask = tf.tensor2d([
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 0, 0, 0],
    [1, 0, 0, 0, 0, 0, 0],
    [1, 1, 0, 1, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 0],
  ]);
  const weights = tf.randomNormal([b, hid], 0, 1, "float32", 13);
  const loss = (f: () => tf.Tensor2D) => () => tf.sum(tf.mul(f(), weights)) as tf.Scalar;
  const tol = 1e-5 * ENGINE_TOL;
  const got = enc.encode(x, mask), want = referenceEncode(ps, x, mask);
  const errs: Record<string, number> = { output: await relErr(got, want) };
  const gotG = tf.variableGrads(loss(() => enc.encode(x, mask)), ps).grads;
  const wantG = tf.variableGrads(loss(() => referenceEncode(ps, x, mask)), ps).grads;
  for (const p of enc.params()) {
    errs[p.name] = await relErr(gotG[p.variable.name], wantG[p.variable.name]);
  }
  const dx = (f: (a: tf.Tensor3D) => tf.Tensor2D) =>
    tf.grad((a: tf.Tensor) => loss(() => f(a as tf.Tensor3D))())(x);
  errs.input = await relErr(
    dx((a) => enc.encode(a, mask)),
    dx((a) => referenceEncode(ps, a, mask)),
  );
  console.log(Object.entries(errs).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(", "));
  assertEquals(Object.keys(errs).length, 10);
  for (const [k, v] of Object.entries(errs)) assert(v <= tol, `${k}: relative error ${v} > ${tol}`);
});

Deno.test("Bi-GRU: inference, parameter gradients and input gradient leave no tensor behind", async () => {
  await useTestEngine();
  const enc = new BiGruEncoder("text", 6, 8, new Rng(14));
  const x = tf.randomNormal([3, 5, 6], 0, 1, "float32", 15) as tf.Tensor3D;
  const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]]);
  const before = tf.memory().numTensors;
  enc.encode(x, mask).dispose();
  const loss = () => tf.sum(enc.encode(x, mask)) as tf.Scalar;
  const { value, grads } = tf.variableGrads(loss, enc.params().map((p) => p.variable));
  tf.dispose([value, ...Object.values(grads)]);
  tf.grad((a: tf.Tensor) => tf.sum(enc.encode(a as tf.Tensor3D, mask)))(x).dispose();
  assertEquals(tf.memory().numTensors, before);
});

import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import type { Batch, DatasetInfo } from "../../src/data/types.ts";
import { mmpareto, paretoCombine, paretoWeights } from "../../src/methods/mmpareto.ts";
import type { StepContext } from "../../src/methods/types.ts";
import { DgcnnEncoder } from "../../src/models/dgcnn.ts";
import { MlpEncoder } from "../../src/models/mlp.ts";
import { Rng, seedFor } from "../../src/rng.ts";
import { runOne } from "../../src/runner/run_one.ts";
import { crossEntropy, type Grads, gradsOf } from "../../src/optim/grads.ts";
import type { Sgd } from "../../src/optim/sgd.ts";
import { stepLr } from "../../src/optim/schedule.ts";
import { tinyToyMethod, toyBatch4 } from "./pace_fixtures.ts";
import { readCsv, tempOut, tinyConfig, useWasm } from "../helpers.ts";
import { trainStep } from "../../src/train/step.ts";

const T = 1e-5;

async function values(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

function grads(entries: Record<string, number[]>): Grads {
  return new Map(Object.entries(entries).map(([k, v]) => [k, tf.tensor1d(v)]));
}

function disposeAll(...maps: Grads[]): void {
  for (const m of maps) for (const t of m.values()) t.dispose();
}

const ENC = { audio: ["encoder.audio.0.kernel", "encoder.audio.0.bias"] };

Deno.test("mmpareto: cos > 0 gives weights (0.5, 0.5) and grad = gamma (g_mm + g_u)", async () => {
  await useWasm();
  // Encoder tensors: g_mm = ([1, 2], [1]), g_u = ([1, 0], [2]); dot = 1 + 2 = 3 > 0.
  const gMm = grads({ "encoder.audio.0.kernel": [1, 2], "encoder.audio.0.bias": [1] });
  const gU = grads({ "encoder.audio.0.kernel": [1, 0], "encoder.audio.0.bias": [2] });
  const { grads: out, stats } = paretoCombine(gMm, gU, ENC, 1.5);
  // cos = 3 / (sqrt(6) * sqrt(5))
  assertAlmostEquals((await values(stats.audio.cos))[0], 3 / Math.sqrt(30), T);
  assertAlmostEquals((await values(stats.audio.wMm))[0], 0.5, T);
  assertAlmostEquals((await values(stats.audio.wUni))[0], 0.5, T);
  // g_new = g_mm + g_u = g_sum, so r = 1 and grad = 1.5 g_sum.
  const k = await values(out.get("encoder.audio.0.kernel")!);
  [3, 3].forEach((v, i) => assertAlmostEquals(k[i], v, T));
  assertAlmostEquals((await values(out.get("encoder.audio.0.bias")!))[0], 4.5, T);
  // gamma is a parameter: gamma 2 doubles the summed gradient.
  const two = paretoCombine(gMm, gU, ENC, 2);
  assertAlmostEquals((await values(two.grads.get("encoder.audio.0.bias")!))[0], 6, T);
  disposeAll(gMm, gU, out, two.grads);
  for (const s of [stats.audio, two.stats.audio]) tf.dispose([s.cos, s.wMm, s.wUni]);
});

Deno.test("mmpareto: a conflicting pair gets the closed-form min-norm weights and the per-tensor rescale", async () => {
  await useWasm();
  // Tensor A: g_mm = [3, 0], g_u = [-1, 2]; tensor B: g_mm = [1], g_u = [-1].
  // v11 = 9 + 1 = 10, v12 = -3 - 1 = -4, v22 = 5 + 1 = 6; cos = -4 / sqrt(60) < 0.
  // c = (v22 - v12) / (v11 + v22 - 2 v12) = 10 / 24; w_mm = 5/12, w_u = 7/12.
  const gMm = grads({ "encoder.audio.0.kernel": [3, 0], "encoder.audio.0.bias": [1] });
  const gU = grads({ "encoder.audio.0.kernel": [-1, 2], "encoder.audio.0.bias": [-1] });
  const { grads: out, stats } = paretoCombine(gMm, gU, ENC, 1.5);
  assertAlmostEquals((await values(stats.audio.cos))[0], -4 / Math.sqrt(60), T);
  assertAlmostEquals((await values(stats.audio.wMm))[0], 5 / 12, T);
  assertAlmostEquals((await values(stats.audio.wUni))[0], 7 / 12, T);
  // A: g_new = 2(5/12)[3, 0] + 2(7/12)[-1, 2] = [4/3, 7/3]; g_sum = [2, 2];
  //    r = |g_sum| / |g_new| = sqrt(8) / sqrt(65/9) > 1 -> grad = 1.5 r g_new.
  const r = Math.sqrt(8) / Math.sqrt(16 / 9 + 49 / 9);
  const k = await values(out.get("encoder.audio.0.kernel")!);
  assertAlmostEquals(k[0], 1.5 * r * 4 / 3, T);
  assertAlmostEquals(k[1], 1.5 * r * 7 / 3, T);
  // B: g_new = 2(5/12) - 2(7/12) = -1/3; g_sum = 0 -> r = 0 < 1 -> grad = 1.5 g_new = -0.5.
  assertAlmostEquals((await values(out.get("encoder.audio.0.bias")!))[0], -0.5, T);
  disposeAll(gMm, gU, out);
  tf.dispose([stats.audio.cos, stats.audio.wMm, stats.audio.wUni]);
});

Deno.test("mmpareto: the solver's clamps (0.999 / 0.001) match _min_norm_element_from2", async () => {
  await useWasm();
  const s = (x: number) => tf.scalar(x);
  const w = async (cos: number, v11: number, v12: number, v22: number) => {
    const [a, b] = paretoWeights(s(cos), s(v11), s(v12), s(v22));
    const out = [(await a.data())[0], (await b.data())[0]];
    tf.dispose([a, b]);
    return out;
  };
  assertEquals((await w(-0.1, 0, 0, 4)).map((x) => Math.round(x * 1000)), [999, 1]); // v12 >= v11
  assertEquals((await w(-0.1, 4, 0, 0)).map((x) => Math.round(x * 1000)), [1, 999]); // v12 >= v22
  const [wm, wu] = await w(-0.5, 4, -1, 1); // c = (1 + 1) / (4 + 1 + 2) = 2/7
  assertAlmostEquals(wm, 2 / 7, T);
  assertAlmostEquals(wu, 5 / 7, T);
  assertEquals(await w(0.3, 4, -1, 1), [0.5, 0.5]); // cos decides, not the dot products
});

Deno.test("mmpareto: heads keep the summed-loss gradient; zero gradients give no NaN", async () => {
  await useWasm();
  const gMm = grads({
    "encoder.audio.0.kernel": [0, 0],
    "encoder.audio.0.bias": [0],
    "head.fc.kernel": [1, -2],
  });
  const gU = grads({
    "encoder.audio.0.kernel": [1, 2],
    "encoder.audio.0.bias": [0],
    "head.audio.kernel": [0.5, 0.25],
    "head.fc.kernel": [1, 1], // a head in both maps is summed
  });
  const { grads: out, stats } = paretoCombine(gMm, gU, ENC, 1.5);
  assertEquals(await values(out.get("head.audio.kernel")!), [0.5, 0.25]);
  assertEquals(await values(out.get("head.fc.kernel")!), [2, -1]);
  // g_mm = 0: cos = 0 (not > 0) -> min-norm with v12 = 0 >= v11 = 0 -> c = 0.999; the kernel's
  // g_new = 0.002 g_u, r = 500, grad = 1.5 g_u; the all-zero bias stays 0 (no 0/0).
  assertEquals(await values(stats.audio.cos), [0]);
  const k = await values(out.get("encoder.audio.0.kernel")!);
  assertAlmostEquals(k[0], 1.5, 1e-4);
  assertAlmostEquals(k[1], 3, 1e-4);
  assertEquals(await values(out.get("encoder.audio.0.bias")!), [0]);
  // Both gradients zero everywhere: finite zeros.
  const z1 = grads({ "encoder.audio.0.kernel": [0, 0], "encoder.audio.0.bias": [0] });
  const z2 = grads({ "encoder.audio.0.kernel": [0, 0], "encoder.audio.0.bias": [0] });
  const zero = paretoCombine(z1, z2, ENC, 1.5);
  for (const g of zero.grads.values()) assert((await values(g)).every((v) => v === 0), "zeros");
  for (const v of Object.values(zero.stats.audio)) {
    assert((await values(v)).every(Number.isFinite), "finite stats");
  }
  disposeAll(gMm, gU, out, z1, z2, zero.grads);
  for (const st of [stats.audio, zero.stats.audio]) tf.dispose([st.cos, st.wMm, st.wUni]);
});

Deno.test("mmpareto: one trainStep applies paretoCombine(grad L_mm, grad sum L_m) in one optimizer step", async () => {
  await useWasm();
  const method = tinyToyMethod(mmpareto, 3);
  const batch = toyBatch4();
  const params = method.params();
  const names = params.map((p) => p.name);
  assert(names.includes("head.fc.kernel") && names.includes("head.audio.kernel"), "three heads");
  // Independent reference from the same (unchanged) parameters.
  const v = (n: string) => params.find((p) => p.name === n)!.variable as tf.Tensor;
  const lin = (f: tf.Tensor2D, n: string) =>
    tf.add(tf.matMul(f, v(`${n}.kernel`) as tf.Tensor2D), v(`${n}.bias`)) as tf.Tensor2D;
  // One-layer MLP encoders (hidden []): relu(x K + b).
  const enc = (x: tf.Tensor, m: string) => tf.relu(lin(x as tf.Tensor2D, `encoder.${m}.0`));
  const fwd = () => {
    const fa = enc(batch.inputs.audio, "audio"), fv = enc(batch.inputs.visual, "visual");
    return {
      mm: crossEntropy(lin(tf.concat([fa, fv], 1), "head.fc"), batch.labels),
      a: crossEntropy(lin(fa, "head.audio"), batch.labels),
      v: crossEntropy(lin(fv, "head.visual"), batch.labels),
    };
  };
  const gMm = gradsOf(params, () => ({ loss: fwd().mm, aux: null }));
  const gU = gradsOf(params, () => {
    const l = fwd();
    return { loss: tf.add(l.a, l.v) as tf.Scalar, aux: null };
  });
  const gAll = gradsOf(params, () => {
    const l = fwd();
    return { loss: tf.addN([l.mm, l.a, l.v]) as tf.Scalar, aux: null };
  });
  const encoders = {
    audio: names.filter((n) => n.startsWith("encoder.audio")),
    visual: names.filter((n) => n.startsWith("encoder.visual")),
  };
  const expected = paretoCombine(gMm.grads, gU.grads, encoders, 1.5);

  const calls: Map<string, Float32Array>[] = [];
  const recorder = {
    step(g: Grads, lr: number) {
      assertEquals(lr, 0.01);
      calls.push(new Map([...g].map(([k, t]) => [k, t.dataSync() as Float32Array])));
    },
  } as unknown as Sgd;
  const ctx: StepContext = {
    epoch: 0,
    step: 0,
    iteration: 0,
    epochs: 2,
    stepsPerEpoch: 1,
    lr: 0.01,
    optimizer: recorder,
    share: 1,
    protocolEpoch: 0,
    seed: (...p) => seedFor(0, ...p),
  };
  const before = tf.memory().numTensors;
  const out = await trainStep(method, batch, ctx);
  assertEquals(calls.length, 1);
  const got = calls[0];
  assertEquals([...got.keys()].sort(), [...names].sort());
  for (const [name, g] of expected.grads) {
    const e = await values(g);
    const a = Array.from(got.get(name)!);
    e.forEach((x, i) => assertAlmostEquals(a[i], x, 1e-5, name));
  }
  // Heads: exactly grad (L_mm + L_a + L_v).
  for (const h of ["head.fc.kernel", "head.fc.bias", "head.audio.kernel", "head.visual.bias"]) {
    const e = await values(gAll.grads.get(h)!);
    e.forEach((x, i) => assertAlmostEquals(got.get(h)![i], x, 1e-5, h));
  }
  // Logged loss = L_mm + L_a + L_v; logs carry cosine and weights per encoder.
  assertAlmostEquals((await out.loss.data())[0], (await gAll.loss.data())[0], 1e-5);
  for (const k of ["cos_audio", "w_mm_visual", "w_uni_audio", "conflict_visual", "loss_mm"]) {
    assert(k in (out.logs ?? {}), `log ${k}`);
  }
  const cosA = out.logs!.cos_audio as tf.Scalar;
  assertAlmostEquals((await cosA.data())[0], (await expected.stats.audio.cos.data())[0], 1e-5);
  // The step returns exactly what the trainer disposes: nothing else is left behind.
  tf.dispose([out.loss, out.fused, ...Object.values(out.unimodal)]);
  for (const t of Object.values(out.logs ?? {})) if (typeof t !== "number") t.dispose();
  assertEquals(tf.memory().numTensors, before);
  for (const r of [gMm, gU, gAll]) disposeAll(r.grads);
  disposeAll(expected.grads);
  method.dispose();
});

Deno.test("mmpareto: constant lr 2 x train.lr by default (official 2e-3), lr_scale, StepLR with lr_schedule=step; option checks", async () => {
  await useWasm();
  // Default lr_scale 2: the official constant 2e-3 at the paper profile's base 1e-3.
  const m = tinyToyMethod(mmpareto, 3);
  assertEquals([0, 1, 99].map((e) => m.learningRate!(e, 0.001, 100)), [0.002, 0.002, 0.002]);
  m.dispose();
  const s = tinyToyMethod(mmpareto, 3, ["method.lr_schedule=step"]);
  assertEquals(s.learningRate!(80, 0.001, 100), stepLr(0.002, 70, 0.1, 100, 100, 80));
  s.dispose();
  const x1 = tinyToyMethod(mmpareto, 3, ["method.lr_scale=1"]); // the shared base lr
  assertEquals([0, 99].map((e) => x1.learningRate!(e, 0.001, 100)), [0.001, 0.001]);
  x1.dispose();
  assertThrows(() => tinyToyMethod(mmpareto, 3, ["method.lr_scale=0"]), "lr_scale");
  assertThrows(() => tinyToyMethod(mmpareto, 3, ["method.lr_schedule=cosine"]), "lr_schedule");
  assertThrows(() => tinyToyMethod(mmpareto, 3, ["method.head_init=zeros"]), "head_init");
  // torch-default head init: U(-1/sqrt(in), 1/sqrt(in)) for kernels and (non-zero) biases.
  const t = tinyToyMethod(mmpareto, 3, ["method.head_init=torch-default"]);
  for (const p of t.params().filter((q) => q.group === "head")) {
    const bound = 1 / Math.sqrt(p.name.startsWith("head.fc") ? 8 : 4);
    const vals = await values(p.variable);
    assert(vals.every((x) => Math.abs(x) <= bound), `${p.name} within the bound`);
    assert(vals.some((x) => x !== 0), `${p.name} not zero`);
  }
  t.dispose();
});

Deno.test("mmpareto: a short run writes a complete record with cosine and weights per encoder", async () => {
  await useWasm();
  const { dir, summary } = await runOne({
    config: tinyConfig("mmpareto", 2),
    out: await tempOut(),
    backend: "wasm",
  });
  for (const f of ["config.json", "epochs.csv", "summary.json", "method.csv"]) {
    await Deno.stat(`${dir}/${f}`);
  }
  const rows = await readCsv(`${dir}/method.csv`);
  assertEquals(rows.length, 2);
  assertEquals(Object.keys(rows[0]), [
    "epoch",
    "cos_audio",
    "w_mm_audio",
    "w_uni_audio",
    "conflict_audio",
    "cos_visual",
    "w_mm_visual",
    "w_uni_visual",
    "conflict_visual",
    "loss_mm",
    "loss_audio",
    "loss_visual",
  ]);
  for (const r of rows) for (const v of Object.values(r)) assert(Number.isFinite(Number(v)), v);
  for (const r of rows) {
    assertAlmostEquals(Number(r.w_mm_audio) + Number(r.w_uni_audio), 1, 1e-6);
  }
  const epochs = await readCsv(`${dir}/epochs.csv`);
  // Constant 2 x train.lr (the quick profile's base 1e-2).
  assertEquals(epochs.map((r) => Number(r.lr)), [0.02, 0.02]);
  assert(Number.isFinite(Number((summary as unknown as Record<string, unknown>).ratio_mean ?? 0)));
});

/** A DGCNN (dropout 0.2) that keeps a host copy of every train-mode output. */
class RecordingDgcnn extends DgcnnEncoder {
  /** Train-mode outputs, in call order. */
  readonly trainOutputs: Float32Array[] = [];
  override forward(x: tf.Tensor, training: boolean): tf.Tensor2D {
    const f = super.forward(x, training);
    if (training) this.trainOutputs.push(f.dataSync().slice() as Float32Array);
    return f;
  }
}

Deno.test("mmpareto: the two tapes' train-mode forwards are bit-identical on DGCNN with dropout; one mask per step", async () => {
  await useWasm();
  const config = tinyConfig("mmpareto", 2);
  const info: DatasetInfo = {
    name: "toy",
    modalities: ["image", "points"],
    strong: "points",
    lazy: "image",
    numClasses: 3,
    hasVal: false,
    inputShapes: { image: [2], points: [10, 3] },
    kind: "synthetic",
  };
  const dgcnn = new RecordingDgcnn("points", new Rng(5), { k: 4, embDims: 16, outDim: 8 });
  const method = mmpareto.create({
    info,
    config,
    params: config.method,
    numTrain: 4,
    trainLabels: new Int32Array([0, 1, 2, 0]),
    rng: new Rng(3),
    makeEncoder: (m, rng) => m === "points" ? dgcnn : new MlpEncoder(m, 2, [], 8, rng),
  });
  const batch: Batch = {
    inputs: {
      image: tf.tensor2d([[0.3, -0.2], [1, 1], [-0.5, 0.7], [0.9, -1]]),
      points: tf.randomNormal([4, 10, 3], 0, 1, "float32", 11),
    },
    labels: tf.tensor1d([0, 1, 2, 0], "int32"),
    indices: tf.tensor1d([0, 1, 2, 3], "int32"),
    size: 4,
  };
  const sgd = { step() {} } as unknown as Sgd;
  for (let s = 0; s < 2; s++) {
    const out = await trainStep(method, batch, {
      epoch: 0,
      step: s,
      iteration: s,
      epochs: 2,
      stepsPerEpoch: 2,
      lr: 0.01,
      optimizer: sgd,
      share: 1,
      protocolEpoch: 0,
      seed: (...p) => seedFor(0, ...p),
    });
    tf.dispose([out.loss, out.fused, ...Object.values(out.unimodal)]);
    for (const t of Object.values(out.logs ?? {})) if (typeof t !== "number") t.dispose();
  }
  // Two forwards per step (tape 1: L_mm, tape 2: sum L_m), the same dropout mask in both.
  const outs = dgcnn.trainOutputs;
  assertEquals(outs.length, 4);
  for (const s of [0, 1]) {
    const [a, b] = [outs[2 * s], outs[2 * s + 1]];
    const diff = a.reduce((mx, v, i) => Math.max(mx, Math.abs(v - b[i])), 0);
    assertEquals(diff, 0, `step ${s}: the two tapes' forwards differ by ${diff}`);
  }
  // The dropout counter advances once per step (a fresh mask each step, none reused).
  assertEquals(dgcnn.drop.count, 2);
  method.dispose();
});

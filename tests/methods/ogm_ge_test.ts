import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { buildFusionModel } from "../../src/methods/common.ts";
import { bioLoss, BioRecords, disposeStrengths } from "../../src/methods/ibml.ts";
import {
  bioOgmGe,
  inClosedWindow,
  modulateGrads,
  ogmCoefficients,
  ogmGe,
  requireTwoModalities,
} from "../../src/methods/ogm_ge.ts";
import type { Method } from "../../src/methods/types.ts";
import type { MethodEntry } from "../../src/methods/entry.ts";
import { makeParam, type Param } from "../../src/models/params.ts";
import { seedFor } from "../../src/rng.ts";
import type { ConfigValue } from "../../src/config/types.ts";
import { crossEntropy, disposeGrads, type Grads, gradsOf } from "../../src/optim/grads.ts";
import {
  checkWindowedRun,
  epochTensorCounts,
  toyBatch,
  toyContext,
  toyStepCtx,
} from "./pace_fixtures.ts";
import { tinyConfig, useWasm } from "../helpers.ts";
import { trainStep } from "../../src/train/step.ts";

const MODS = ["audio", "visual"];

/** Unimodal logits with p(y = 0) = 0.75 (logits [ln 3, 0]) or 0.5 (logits [0, 0]). */
function logits(p75: boolean, rows = 2): tf.Tensor2D {
  return tf.tile(tf.tensor2d([[p75 ? Math.log(3) : 0, 0]]), [rows, 1]) as tf.Tensor2D;
}

async function num(t: tf.Tensor): Promise<number> {
  return (await t.data())[0];
}

Deno.test("ogm-ge: coefficient for ratios below, above and exactly 1 (Eq. 10 as coded: tanh(alpha*rho))", async () => {
  await useWasm();
  const y = tf.tensor1d([0, 0], "int32");
  const alpha = 0.8;
  // s_a = 0.75 + 0.75 = 1.5, s_v = 0.5 + 0.5 = 1: rho_v = 2/3 < 1 -> audio suppressed with rho_a = 1.5.
  const below = ogmCoefficients({ audio: logits(true), visual: logits(false) }, y, MODS, alpha);
  assertAlmostEquals(await num(below.rho.visual), 2 / 3, 1e-6);
  assertAlmostEquals(await num(below.rho.audio), 1.5, 1e-6);
  assertAlmostEquals(await num(below.k.audio), 1 - Math.tanh(0.8 * 1.5), 1e-6); // 0.16630
  assertAlmostEquals(await num(below.k.visual), 1, 0);
  // Swapped: rho_v = 1.5 > 1 -> visual suppressed.
  const above = ogmCoefficients({ audio: logits(false), visual: logits(true) }, y, MODS, alpha);
  assertAlmostEquals(await num(above.k.visual), 1 - Math.tanh(1.2), 1e-6);
  assertAlmostEquals(await num(above.k.audio), 1, 0);
  // Exactly 1: the official else-branch suppresses modality 1 (audio) with 1 - tanh(alpha).
  const tie = ogmCoefficients({ audio: logits(true), visual: logits(true) }, y, MODS, alpha);
  assertAlmostEquals(await num(tie.rho.visual), 1, 0);
  assertAlmostEquals(await num(tie.k.audio), 1 - Math.tanh(0.8), 1e-6); // 0.33596
  assertAlmostEquals(await num(tie.k.visual), 1, 0);
});

/** Fixed parameters: kernels (rank 2 and a conv-like rank 4), biases, a head. */
function fixedParams(): Param[] {
  const p = (name: string, group: string, kind: "kernel" | "bias", shape: number[]) =>
    makeParam(name, group, kind, new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  return [
    p("encoder.audio.0.kernel", "encoder.audio", "kernel", [3, 2]),
    p("encoder.audio.0.bias", "encoder.audio", "bias", [2]),
    p("encoder.audio.conv", "encoder.audio", "kernel", [1, 1, 2, 2]),
    p("encoder.visual.0.kernel", "encoder.visual", "kernel", [2, 2]),
    p("encoder.visual.0.bias", "encoder.visual", "bias", [2]),
    p("head.fc.kernel", "head", "kernel", [4, 2]),
    p("head.fc.bias", "head", "bias", [2]),
  ];
}

function fixedGrads(params: Param[]): Grads {
  const g: Grads = new Map();
  params.forEach((p, i) => {
    const n = p.variable.size;
    g.set(
      p.name,
      tf.tensor(Array.from({ length: n }, (_, j) => (i + 1) * (j + 1)), p.variable.shape),
    );
  });
  return g;
}

Deno.test("ogm-ge: only the weight kernels (rank >= 2) of the dominant encoder are scaled", async () => {
  await useWasm();
  const params = fixedParams();
  const k = { audio: tf.scalar(0.25), visual: tf.scalar(1) };
  const before = fixedGrads(params);
  const ref = new Map([...before].map(([n, g]) => [n, Array.from(g.dataSync())]));
  const seed = (...p: (string | number)[]) => seedFor(1, ...p);
  const out = modulateGrads(before, params, k, { noise: false, minRank: 2, seed });
  const scaled = new Set(["encoder.audio.0.kernel", "encoder.audio.conv"]);
  for (const [name, g] of out) {
    const f = scaled.has(name) ? 0.25 : 1;
    assertEquals(Array.from(await g.data()), ref.get(name)!.map((v) => v * f), name);
  }
  disposeGrads(out);
  // grad_min_rank = 4: only the conv-like (4-D) kernel, the official `len(grad.size()) == 4`.
  const out4 = modulateGrads(fixedGrads(params), params, k, { noise: false, minRank: 4, seed });
  for (const [name, g] of out4) {
    const f = name === "encoder.audio.conv" ? 0.25 : 1;
    assertEquals(Array.from(await g.data()), ref.get(name)!.map((v) => v * f), name);
  }
  disposeGrads(out4);
  for (const p of params) p.variable.dispose();
});

Deno.test("ogm-ge: GE noise has std = unbiased std of the unscaled gradient + 1e-8, on both encoders' kernels", async () => {
  await useWasm();
  const shape = [200, 100];
  const mk = (name: string, group: string, kind: "kernel" | "bias", s: number[]) =>
    makeParam(name, group, kind, new Float32Array(s.reduce((a, b) => a * b, 1)), s);
  const params = [
    mk("encoder.audio.k", "encoder.audio", "kernel", shape),
    mk("encoder.visual.k", "encoder.visual", "kernel", shape),
    mk("encoder.visual.b", "encoder.visual", "bias", [100]),
    mk("head.k", "head", "kernel", [4, 2]),
  ];
  // Gradients with a known spread: values 0..3 repeating -> unbiased std over 20000 values.
  const vals = Float32Array.from({ length: 20000 }, (_, i) => i % 4);
  const m = 1.5, n = vals.length;
  const sigma = Math.sqrt(vals.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1)) + 1e-8;
  const grads: Grads = new Map([
    ["encoder.audio.k", tf.tensor(vals, shape)],
    ["encoder.visual.k", tf.tensor(vals, shape)],
    ["encoder.visual.b", tf.ones([100])],
    ["head.k", tf.ones([4, 2])],
  ]);
  const k = { audio: tf.scalar(0.5), visual: tf.scalar(1) };
  const seed = (...p: (string | number)[]) => seedFor(3, ...p);
  const out = modulateGrads(grads, params, k, { noise: true, minRank: 2, seed });
  for (const [name, kk] of [["encoder.audio.k", 0.5], ["encoder.visual.k", 1]] as const) {
    const eps = Float32Array.from(
      await tf.sub(out.get(name)!, tf.mul(tf.tensor(vals, shape), kk)).data(),
    );
    // Exactly the seeded unit draw times sigma...
    const unit = await tf.randomNormal(shape, 0, 1, "float32", seed("ge", name)).data();
    for (let i = 0; i < 50; i++) assertAlmostEquals(eps[i], unit[i] * sigma, 1e-4, name);
    // ...so the sample std of the noise is sigma (20000 draws: within 2%).
    const mean = eps.reduce((s, v) => s + v, 0) / n;
    const sd = Math.sqrt(eps.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
    assertAlmostEquals(sd / sigma, 1, 0.02, `${name} noise std`);
  }
  assertEquals(Array.from(await out.get("encoder.visual.b")!.data()), new Array(100).fill(1));
  assertEquals(Array.from(await out.get("head.k")!.data()), new Array(8).fill(1));
  disposeGrads(out);
  for (const p of params) p.variable.dispose();
});

Deno.test("ogm-ge: the modulation window is inclusive in protocol epochs [0, 50]", () => {
  assertEquals([0, 50, 50.5, 51].map((e) => inClosedWindow(e, 0, 50)), [true, true, false, false]);
  // 20-epoch run: protocol epoch = e * 100 / 20, so 0-based epochs 0..10 modulate.
  const active = Array.from({ length: 20 }, (_, e) => inClosedWindow((e * 100) / 20, 0, 50));
  assertEquals(active.filter(Boolean).length, 11);
  assertEquals(active[10], true);
  assertEquals(active[11], false);
});

// ---- one training step of the method, against gradients computed by hand on a twin model ----

/** Parameter values by name. */
async function snapshot(params: Param[]): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const p of params) out.set(p.name, Float32Array.from(await p.variable.data()));
  return out;
}

/** Unbiased std of an array (the official `grad.std()`). */
function ustd(v: Float32Array): number {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
}

/**
 * Runs one trainStep (SGD lr 1, no momentum/decay, so delta = -g_applied) and checks every
 * parameter delta against hand-modulated gradients of `loss` on a twin model.
 */
async function checkStep(
  entry: MethodEntry,
  sets: Record<string, ConfigValue>,
  protocolEpoch: number,
  expect: "ogm-ge" | "ogm" | "none",
  loss: (
    out: ReturnType<ReturnType<typeof buildFusionModel>["forward"]>,
    y: tf.Tensor1D,
  ) => tf.Scalar,
  prepare?: (m: Method) => void,
): Promise<{ lossValue: number; method: Method }> {
  const method = entry.create(toyContext(entry, sets));
  prepare?.(method);
  const twin = buildFusionModel(toyContext(entry, sets), "concat", "split");
  const batch = toyBatch();
  const r = gradsOf(twin.params(), () => {
    const out = twin.forward(batch.inputs, true);
    return { loss: loss(out, batch.labels), aux: { unimodal: out.unimodal } };
  });
  const alpha = Number(toyContext(entry, sets).params.alpha);
  const c = ogmCoefficients(r.aux.unimodal, batch.labels, MODS, alpha);
  const k = { audio: await num(c.k.audio), visual: await num(c.k.visual) };
  assert(Math.min(k.audio, k.visual) < 1, "one modality is suppressed");
  const before = await snapshot(method.params());
  const ctx = toyStepCtx(method, protocolEpoch);
  const out = await trainStep(method, batch, ctx);
  const lossValue = await num(out.loss);
  assertAlmostEquals(lossValue, await num(r.loss), 1e-5, "loss");
  const after = await snapshot(method.params());
  for (const p of twin.params()) {
    const g = Float32Array.from(await r.grads.get(p.name)!.data());
    const delta = after.get(p.name)!.map((v, i) => before.get(p.name)![i] - v); // = g_applied
    const m = p.group.slice("encoder.".length);
    const kernel = p.group.startsWith("encoder.") && p.variable.rank >= 2;
    let want = Array.from(g);
    if (kernel && expect !== "none") {
      want = want.map((v) => v * k[m as "audio" | "visual"]);
      if (expect === "ogm-ge") {
        const unit = await tf.randomNormal(
          p.variable.shape,
          0,
          1,
          "float32",
          ctx.seed("ge", p.name),
        )
          .data();
        const sigma = ustd(g) + 1e-8;
        want = want.map((v, i) => v + unit[i] * sigma);
      }
    }
    for (let i = 0; i < want.length; i++) {
      assertAlmostEquals(delta[i], want[i], 1e-4, `${p.name}[${i}]`);
    }
  }
  for (const t of [out.loss, out.fused, ...Object.values(out.unimodal)]) t.dispose();
  for (const v of Object.values(out.logs ?? {})) if (typeof v !== "number") v.dispose();
  disposeGrads(r.grads);
  twin.dispose();
  return { lossValue, method };
}

Deno.test("ogm-ge: refuses datasets without exactly two modalities and unknown modulation modes", () => {
  assertThrows(() => requireTwoModalities("ogm-ge", ["a", "b", "c"]), "two modalities");
  requireTwoModalities("ogm-ge", ["a", "b"]);
  assertThrows(
    () => ogmGe.create(toyContext(ogmGe, { modulation: "OGM_GE" })),
    'method.modulation must be one of ogm-ge, ogm, none (got "OGM_GE")',
  );
});

const ceZ = (out: { fused: tf.Tensor2D }, y: tf.Tensor1D) => crossEntropy(out.fused, y);

Deno.test("ogm-ge: one step applies k_m and GE noise to kernel gradients (modulation=ogm-ge, ogm, none)", async () => {
  await useWasm();
  (await checkStep(ogmGe, {}, 10, "ogm-ge", ceZ)).method.dispose();
  (await checkStep(ogmGe, { modulation: "ogm" }, 10, "ogm", ceZ)).method.dispose();
  (await checkStep(ogmGe, { modulation: "none" }, 10, "none", ceZ)).method.dispose();
  // Outside the window (protocol epoch 51 > 50): plain gradients.
  (await checkStep(ogmGe, {}, 51, "none", ceZ)).method.dispose();
  // grad_min_rank = 4: the MLP has no 4-D kernel, so nothing is modulated.
  (await checkStep(ogmGe, { grad_min_rank: 4 }, 10, "none", ceZ)).method.dispose();
  // The window and alpha are config values.
  (await checkStep(ogmGe, { window_start: 20 }, 10, "none", ceZ)).method.dispose();
  (await checkStep(ogmGe, { window_end: 5 }, 10, "none", ceZ)).method.dispose();
  (await checkStep(ogmGe, { alpha: 2.5, modulation: "ogm" }, 10, "ogm", ceZ)).method.dispose();
});

Deno.test("bio+ogm-ge: L_mib from the records replaces CE(z) inside BIO's window, then OGM modulates", async () => {
  await useWasm();
  // Records: audio confident and right, visual wrong -> a_a > 1 > a_v: L_mib = CE(z) + CE(g_v).
  const rec = {
    audio: tf.tensor2d([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1]]),
    visual: tf.tensor2d([[0.2, 0.6, 0.2], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4]]),
  };
  const ref = new BioRecords(MODS, 3, 3);
  ref.records.audio.assign(rec.audio);
  ref.records.visual.assign(rec.visual);
  const batch = toyBatch();
  const s = ref.strengths(batch, 1);
  assert((await num(s.a.audio)) > 1 && (await num(s.a.visual)) < 1, "audio recorded stronger");
  const restore = (m: Method) => m.restore!({ json: null, tensors: rec });
  const { method } = await checkStep(
    bioOgmGe,
    { modulation: "ogm" },
    10,
    "ogm",
    (out, y) => bioLoss(out, y, s),
    restore,
  );
  // The records now hold this step's softmax of the split logits (not the restored values).
  const recorded = await method.state!().tensors.visual.array() as number[][];
  assert(Math.abs(recorded[0][1] - 0.6) > 1e-3, "records updated by the step");
  for (const row of recorded) assertAlmostEquals(row.reduce((a, b) => a + b, 0), 1, 1e-5);
  method.dispose();
  // Outside BIO's window (protocol epoch 95 >= 90) the loss is CE(z); OGM's own window is over.
  (await checkStep(bioOgmGe, {}, 95, "none", ceZ, restore)).method.dispose();
  // BIO's window is a config value: bio_window_end = 5 turns L_mib off at protocol epoch 10.
  (await checkStep(bioOgmGe, { bio_window_end: 5, modulation: "ogm" }, 10, "ogm", ceZ, restore))
    .method.dispose();
  disposeStrengths(s);
  ref.dispose();
});

// ---- short runs ----

async function checkRun(method: string, columns: string[]): Promise<void> {
  // 4 epochs: protocol epochs 0, 25, 50, 75 -> the inclusive window [0, 50] covers three.
  const { dir } = await checkWindowedRun(method, columns);
  const cfg = JSON.parse(await Deno.readTextFile(`${dir}/config.json`)).config;
  assertEquals(cfg.method.alpha, 0.8, "CREMA-D alpha");
}

Deno.test("ogm-ge and bio+ogm-ge: short runs write a complete record with finite numbers", async () => {
  await useWasm();
  await checkRun("ogm-ge", ["k_audio", "k_visual", "rho_audio", "rho_visual", "active"]);
  await checkRun("bio+ogm-ge", [
    "k_audio",
    "k_visual",
    "rho_audio",
    "rho_visual",
    "active",
    "a_audio",
    "a_visual",
    "bio_audio",
    "bio_visual",
  ]);
});

Deno.test("ogm-ge and bio+ogm-ge: no tensor leak across epochs", async () => {
  await useWasm();
  for (const m of ["ogm-ge", "bio+ogm-ge"]) {
    const counts = await epochTensorCounts(tinyConfig(m, 4));
    assertEquals(counts[3], counts[1], `${m}: ${counts.join(",")}`);
  }
});

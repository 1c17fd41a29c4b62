import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "../assert.ts";
import type { Batch, DatasetInfo } from "../../src/data/types.ts";
import {
  bioLoss,
  BioRecords,
  disposeStrengths,
  inWindow,
  tcmNoise,
  tcmViews,
} from "../../src/methods/ibml.ts";
import type { StepContext } from "../../src/methods/types.ts";
import { seedFor } from "../../src/rng.ts";
import { crossEntropy } from "../../src/optim/grads.ts";
import { ibmlWarmupLr } from "../../src/optim/schedule.ts";
import { useWasm } from "../helpers.ts";
import { createWith, TestEncoder } from "./pace_fixtures.ts";

/** A batch of the given inputs with labels y and split positions 0..B-1. */
function batchOf(inputs: Record<string, tf.Tensor>, y: number[]): Batch {
  return {
    inputs,
    labels: tf.tensor1d(y, "int32"),
    indices: tf.tensor1d(y.map((_, i) => i), "int32"),
    size: y.length,
  };
}

function stepCtx(epoch = 1): StepContext {
  return {
    epoch,
    step: 0,
    iteration: 0,
    epochs: 100,
    stepsPerEpoch: 1,
    lr: 0.1,
    optimizer: null as never,
    share: 1,
    protocolEpoch: epoch,
    seed: (...p) => seedFor(7, ...p),
  };
}

// Records (C = 3), labels [0, 2]:
//   audio : [.7 .2 .1] (correct), [.1 .1 .8] (correct)  -> rho~_a = 0.7 + 0.8 = 1.5
//   visual: [.2 .5 .3] (wrong),   [.3 .3 .4] (correct)  -> rho~_v = 0.2 + 0.4 = 0.6
//   a_a = 2 * 1.5 / 2.1 = 1.428571, a_v = 2 * 0.6 / 2.1 = 0.571429
function fixedRecords(): BioRecords {
  const bio = new BioRecords(["audio", "visual"], 2, 3);
  bio.records.audio.assign(tf.tensor2d([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]));
  bio.records.visual.assign(tf.tensor2d([[0.2, 0.5, 0.3], [0.3, 0.3, 0.4]]));
  return bio;
}

Deno.test("ibml: rho~_m, a_m and correct_m from the records (step 1)", async () => {
  await useWasm();
  const bio = fixedRecords();
  const b = batchOf({ audio: tf.zeros([2, 4]), visual: tf.zeros([2, 4]) }, [0, 2]);
  const s = bio.strengths(b, 1);
  assertAlmostEquals((await s.a.audio.data())[0], 2 * 1.5 / 2.1, 1e-6);
  assertAlmostEquals((await s.a.visual.data())[0], 2 * 0.6 / 2.1, 1e-6);
  assertEquals(Array.from(await s.correct.audio.data()), [1, 1]);
  assertEquals(Array.from(await s.correct.visual.data()), [0, 1]);
  disposeStrengths(s);
  // Epoch 0: one-hot labels stand in for the records -> balanced, all correct.
  const s0 = bio.strengths(b, 0);
  assertAlmostEquals((await s0.a.audio.data())[0], 1, 1e-7);
  assertEquals(Array.from(await s0.correct.visual.data()), [1, 1]);
  disposeStrengths(s0);
  bio.dispose();
});

Deno.test("ibml: L_mib = CE(z) + CE(g_lazy) when imbalanced, CE(z) when balanced (Eq. 12)", async () => {
  await useWasm();
  const y = tf.tensor1d([0, 2], "int32");
  const out = {
    features: {},
    fused: tf.tensor2d([[2, 0, 0], [0, 1, 1]]),
    unimodal: {
      audio: tf.tensor2d([[1, 0, 0], [0, 0, 1]]),
      visual: tf.tensor2d([[0, 1, 0], [0, 0, 0.5]]),
    },
  };
  const ceZ = (await crossEntropy(out.fused, y).data())[0];
  const ceV = (await crossEntropy(out.unimodal.visual, y).data())[0];
  // Hand values: CE(z) = mean(-log softmax) = (-(2 - log(e^2 + 2)) - (1 - log(1 + 2e))) / 2
  const hand = (-(2 - Math.log(Math.exp(2) + 2)) - (1 - Math.log(1 + 2 * Math.E))) / 2;
  assertAlmostEquals(ceZ, hand, 1e-5);
  const imbalanced = { a: { audio: tf.scalar(1.4), visual: tf.scalar(0.6) }, correct: {} };
  assertAlmostEquals((await bioLoss(out, y, imbalanced).data())[0], ceZ + ceV, 1e-5);
  const balanced = { a: { audio: tf.scalar(1), visual: tf.scalar(1) }, correct: {} };
  assertAlmostEquals((await bioLoss(out, y, balanced).data())[0], ceZ, 1e-6);
});

Deno.test("ibml: TCM noises only correct samples of the stronger modality, with one shared field", async () => {
  await useWasm();
  const bio = fixedRecords();
  const xa = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]]);
  const xv = tf.tensor2d([[1, 1, 1, 1], [2, 2, 2, 2]]);
  const b = batchOf({ audio: xa, visual: xv }, [0, 2]);
  const s = bio.strengths(b, 1);
  // lambda = 1: p = min(a, 1) / 1 = 1 for audio (a = 1.43), so every correct audio sample is noised.
  const { inputs, noised } = tcmNoise(b, s, 1, stepCtx());
  const da = await tf.sub(inputs.audio, xa).array() as number[][];
  assert(da[0].some((v) => v !== 0), "audio sample 0 is correct and must be noised");
  for (let j = 0; j < 4; j++) {
    assertAlmostEquals(da[0][j], da[1][j], 1e-5, "one field shared by all samples");
  }
  assertEquals(await tf.sub(inputs.visual, xv).array(), [[0, 0, 0, 0], [0, 0, 0, 0]]);
  assertAlmostEquals((await noised.audio.data())[0], 1, 0);
  assertAlmostEquals((await noised.visual.data())[0], 0, 0);
  // A wrong recorded prediction is never noised: make visual the stronger one.
  bio.records.audio.assign(tf.tensor2d([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]]));
  bio.records.visual.assign(tf.tensor2d([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]]));
  const s2 = bio.strengths(b, 1); // rho_a = 0.5, rho_v = 1.0: visual stronger; visual sample 0 wrong
  const r2 = tcmNoise(b, s2, 1, stepCtx());
  const dv = await tf.sub(r2.inputs.visual, xv).array() as number[][];
  assertEquals(dv[0], [0, 0, 0, 0]);
  assert(dv[1].some((v) => v !== 0), "visual sample 1 is correct and must be noised");
  bio.dispose();
});

Deno.test("ibml: TCM probability p = min(a_m, lambda)/lambda and noise std = unbiased batch std", async () => {
  await useWasm();
  const B = 20000, C = 2;
  const bio = new BioRecords(["audio", "visual"], B, C);
  // audio records: all correct with p(y) = 0.9; visual: p(y) = 0.3 -> a_a = 2*.9/1.2 = 1.5.
  const y = new Array(B).fill(0);
  bio.records.audio.assign(tf.tile(tf.tensor2d([[0.9, 0.1]]), [B, 1]));
  bio.records.visual.assign(tf.tile(tf.tensor2d([[0.3, 0.7]]), [B, 1]));
  const x = tf.mul(tf.randomNormal([B, 8], 0, 1, "float32", 3), 2.5);
  const b = batchOf({ audio: x, visual: tf.zeros([B, 8]) }, y);
  const s = bio.strengths(b, 1);
  const { inputs, noised } = tcmNoise(b, s, 10, stepCtx());
  assertAlmostEquals((await noised.audio.data())[0], 1.5 / 10, 0.01); // p = 0.15
  const diff = await tf.sub(inputs.audio, x).array() as number[][];
  const field = diff.find((r) => r.some((v) => v !== 0))!;
  // Field std ~ batch std (2.5); 8 values only, so check the field against its own draw:
  const std = Math.sqrt((await tf.moments(x).variance.data())[0] * (B * 8) / (B * 8 - 1));
  const unit = await tf.randomNormal([8], 0, 1, "float32", stepCtx().seed("tcm-field", "audio"))
    .data();
  for (let j = 0; j < 8; j++) assertAlmostEquals(field[j], unit[j] * std, 1e-4);
  bio.dispose();
});

Deno.test("ibml: modulation window and warmup schedule follow the official code", () => {
  assertEquals([0, 1, 89, 90].map((e) => inWindow(e, 0, 90)), [false, true, true, false]);
  const lr0 = 1e-3;
  const used = (k: number) => ibmlWarmupLr(lr0, k, 100, 100);
  assertAlmostEquals(used(0), 1e-3, 1e-12);
  assertAlmostEquals(used(2), 1.5e-3, 1e-12);
  assertAlmostEquals(used(18), 9.5e-3, 1e-12);
  assertAlmostEquals(used(19), 1e-2, 1e-12);
  assertAlmostEquals(used(35), 1e-2, 1e-12);
  assertAlmostEquals(used(36), 1e-3, 1e-12);
  assertAlmostEquals(used(70), 1e-3, 1e-12);
  assertAlmostEquals(used(71), 1e-4, 1e-12);
});

/** Unbiased std of all elements of `x`. */
async function unbiasedStd(x: tf.Tensor): Promise<number> {
  return Math.sqrt((await tf.moments(x).variance.data())[0] * x.size / (x.size - 1));
}

Deno.test("ibml: ModelNet40 TCM noises views 1-2 only, one field with view 1's std, independent masks", async () => {
  await useWasm();
  const B = 400, H = 3, C = 3; // 4 views per sample
  const bio = new BioRecords(["image", "points"], B, 2);
  // image recorded correct with p(y) 0.9, points 0.3: a_image = 1.5 > 1, image is noised.
  bio.records.image.assign(tf.tile(tf.tensor2d([[0.9, 0.1]]), [B, 1]));
  bio.records.points.assign(tf.tile(tf.tensor2d([[0.3, 0.7]]), [B, 1]));
  // Views with very different spreads, so the std of view 1 differs from the std of all.
  const views = [1, 4, 9, 16].map((s, v) =>
    tf.mul(tf.randomNormal([B, 1, H, H, C], 0, 1, "float32", 20 + v), s)
  );
  const x = tf.concat(views, 1);
  const b = batchOf({ image: x, points: tf.zeros([B, 5, 3]) }, new Array(B).fill(0));
  const s = bio.strengths(b, 1);
  // lambda 2: p = 0.75, so a shared mask would noise both views of the same samples.
  const { inputs, noised } = tcmNoise(b, s, 2, stepCtx(), { image: [0, 1] });
  const d = await tf.sub(inputs.image, x).array() as number[][][][][];
  const hit = (k: number, v: number) => d[k][v].flat(2).some((e) => e !== 0);
  for (let k = 0; k < B; k++) {
    assert(!hit(k, 2) && !hit(k, 3), `sample ${k}: views 3-4 are never noised`);
  }
  const m0 = Array.from({ length: B }, (_, k) => hit(k, 0));
  const m1 = Array.from({ length: B }, (_, k) => hit(k, 1));
  const share = (m: boolean[]) => m.filter(Boolean).length / B;
  assertAlmostEquals(share(m0), 0.75, 0.07);
  assertAlmostEquals(share(m1), 0.75, 0.07);
  assert(m0.some((h, k) => h !== m1[k]), "the two views have independent masks");
  // The same field on both views, of one view's shape, scaled by view 1's std.
  const k0 = m0.findIndex((h, k) => h && m1[k]);
  const [f0, f1] = [d[k0][0].flat(2), d[k0][1].flat(2)];
  f0.forEach((v, j) => assertAlmostEquals(v, f1[j], 1e-3 * Math.abs(v) + 1e-4));
  const std1 = await unbiasedStd(tf.slice(x, [0, 0], [B, 1]));
  const unit = await tf.randomNormal(
    [H, H, C],
    0,
    1,
    "float32",
    stepCtx().seed("tcm-field", "image"),
  )
    .data();
  const field = d[k0][0].flat(2);
  field.forEach((v, j) => assertAlmostEquals(v, unit[j] * std1, 1e-3 * std1));
  assertAlmostEquals((await noised.image.data())[0], 0.75, 0.07);
  bio.dispose();
});

Deno.test("ibml: text TCM takes the std over the batch's shortest-length prefix (not the zero padding)", async () => {
  await useWasm();
  const B = 3, L = 6, E = 4;
  const bio = new BioRecords(["text", "image"], B, 2);
  bio.records.text.assign(tf.tile(tf.tensor2d([[0.9, 0.1]]), [B, 1]));
  bio.records.image.assign(tf.tile(tf.tensor2d([[0.3, 0.7]]), [B, 1]));
  // Lengths 2, 6, 4: padded with zeros after each text's length.
  const lengths = [2, 6, 4];
  const mask = tf.tensor2d(lengths.map((n) => Array.from({ length: L }, (_, j) => j < n ? 1 : 0)));
  const raw = tf.add(tf.mul(tf.randomNormal([B, L, E], 0, 1, "float32", 5), 3), 1);
  const text = tf.mul(raw, tf.expandDims(mask, 2));
  const b = batchOf({ text, text_mask: mask, image: tf.zeros([B, 2]) }, [0, 0, 0]);
  const s = bio.strengths(b, 1);
  const { inputs } = tcmNoise(b, s, 1, stepCtx()); // p = 1: every sample noised
  // The mask is passed through untouched.
  assertEquals(await inputs.text_mask.array(), await mask.array());
  const d = await tf.sub(inputs.text, text).array() as number[][][];
  const std = await unbiasedStd(tf.slice(text, [0, 0, 0], [B, 2, E])); // cap[:, :min(len)]
  const unit = await tf.randomNormal([L, E], 0, 1, "float32", stepCtx().seed("tcm-field", "text"))
    .data();
  d[1].flat().forEach((v, j) => assertAlmostEquals(v, unit[j] * std, 1e-4 * std));
  bio.dispose();
});

Deno.test("ibml: TCM views are ModelNet40's multi-view image input only", () => {
  const info = (name: string, shapes: Record<string, number[]>): DatasetInfo => ({
    name,
    modalities: Object.keys(shapes),
    strong: Object.keys(shapes)[0],
    lazy: Object.keys(shapes)[1],
    numClasses: 2,
    hasVal: false,
    inputShapes: shapes,
    kind: "synthetic",
  });
  assertEquals(tcmViews(info("modelnet40", { image: [4, 112, 112, 3], points: [1024, 3] })), {
    image: [0, 1],
  });
  // The quick profile's stand-in features, and CREMA-D's frames (also [T, H, W, C]): whole.
  assertEquals(tcmViews(info("modelnet40", { image: [64], points: [64] })), {});
  assertEquals(tcmViews(info("crema-d", { audio: [257, 188, 1], visual: [3, 224, 224, 3] })), {});
});

Deno.test("ibml: base lr is the official 1e-3 in every profile (warm-up peak 1e-2), whatever train.lr", async () => {
  await useWasm();
  const enc = { audio: new TestEncoder("audio", 2), visual: new TestEncoder("visual", 2) };
  // The quick profile's train.lr is 1e-2 (the trainer passes it as `base`).
  for (const base of [1e-2, 1e-3]) {
    const m = createWith("ibml", enc, 3, [], 100);
    const lrs = Array.from({ length: 100 }, (_, e) => m.learningRate!(e, base, 100));
    assertAlmostEquals(lrs[0], 1e-3, 1e-12);
    assertAlmostEquals(Math.max(...lrs), 1e-2, 1e-12); // 10 x the official base
    assertAlmostEquals(lrs[50], 1e-3, 1e-12);
    assertAlmostEquals(lrs[99], 1e-4, 1e-12);
    m.dispose();
  }
  const custom = createWith("ibml", enc, 3, ["method.base_lr=5e-4", "method.warmup=false"], 100);
  assertAlmostEquals(custom.learningRate!(0, 1e-2, 100), 5e-4, 1e-12);
  assertAlmostEquals(custom.learningRate!(70, 1e-2, 100), 5e-5, 1e-12);
  custom.dispose();
});

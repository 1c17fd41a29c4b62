import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "../assert.ts";
import type { Batch } from "../../src/data/types.ts";
import {
  bioLoss,
  BioRecords,
  disposeStrengths,
  inWindow,
  tcmNoise,
} from "../../src/methods/ibml.ts";
import type { StepContext } from "../../src/methods/types.ts";
import { seedFor } from "../../src/rng.ts";
import { crossEntropy } from "../../src/train/grads.ts";
import { ibmlWarmupLr } from "../../src/train/schedule.ts";
import { useWasm } from "../helpers.ts";

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

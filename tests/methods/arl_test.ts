import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "../assert.ts";
import { loadDataset } from "../../src/data/registry.ts";
import { disposeBatch } from "../../src/data/types.ts";
import {
  arl,
  arlDatasetDefaults,
  arlGrads,
  arlOmega,
  type OmegaMode,
} from "../../src/methods/arl.ts";
import type { StepContext, StepOutput } from "../../src/methods/types.ts";
import { ConcatHead } from "../../src/models/fusion.ts";
import { MlpEncoder } from "../../src/models/mlp.ts";
import { FusionModel } from "../../src/models/model.ts";
import { Rng, seedFor } from "../../src/rng.ts";
import { runOne } from "../../src/runner/run_one.ts";
import type { RunConfig } from "../../src/config/types.ts";
import { resolveConfig } from "../../src/resolve/resolve_config.ts";
import { crossEntropy, disposeGrads, type Grads, gradsOf } from "../../src/optim/grads.ts";
import { Sgd } from "../../src/optim/sgd.ts";
import { type EpochRow, type ResumeState, train } from "../../src/train/trainer.ts";
import { readCsv, tempOut, tinyConfig, useWasm } from "../helpers.ts";
import { methodContext } from "../../src/methods/context.ts";
import { trainStep } from "../../src/train/step.ts";

async function values(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

Deno.test("arl: omega from known logits (hand-computed)", async () => {
  await useWasm();
  // g_a = [[2, 0], [0, -1]], g_v = [[0.5, 0], [0, 0]] (B = 2, C = 2), T = 8.
  //  M_a = mean|col0| + mean|col1| = 1 + 0.5 = 1.5, M_v = 0.25 + 0 = 0.25
  //  -> m^_a = 1.5 / 1.75 = 6/7, m^_v = 1/7.
  //  H_a = mean(H([2, 0]), H([0, -1])) = mean(0.365334, 0.582203) = 0.473768
  //  H_v = mean(H([0.5, 0]), ln 2) = mean(0.662848, 0.693147) = 0.677998
  //  H^_a = 0.411341, H^_v = 0.588659 (no clamp); u = (1/H^) renormalised = (0.588659, 0.411341)
  //  omega = softmax(8 [m^_v u_a, m^_a u_v]) = softmax([0.672753, 2.820624]) = (0.104530, 0.895470)
  const ga = tf.tensor2d([[2, 0], [0, -1]]), gv = tf.tensor2d([[0.5, 0], [0, 0]]);
  const s = arlOmega([ga, gv], 8);
  const mag = await values(s.magnitude), u = await values(s.inverseEntropy);
  const w = await values(s.omega);
  assertAlmostEquals(mag[0], 6 / 7, 1e-6);
  assertAlmostEquals(mag[1], 1 / 7, 1e-6);
  assertAlmostEquals(u[0], 0.5886590, 1e-5);
  assertAlmostEquals(u[1], 0.4113410, 1e-5);
  assertAlmostEquals(w[0], 0.1045303, 1e-5);
  assertAlmostEquals(w[1], 0.8954697, 1e-5);
  // T = 1 (the official code's logged `weight_2`): softmax([0.084094, 0.352578]).
  const w1 = await values(arlOmega([ga, gv], 1).omega);
  assertAlmostEquals(w1[0], 1 / (1 + Math.exp(0.352578 - 0.084094)), 1e-5);

  // Clamp: a confident audio (H_a ~ 0) gets H^_a = max(~0, 0.3) = 0.3, H^_v = ~1:
  //  u = (1/0.3, 1) / (1/0.3 + 1) = (10/13, 3/13); m^ = (1, 0) since g_v = 0.
  //  omega = softmax(8 [0 * 10/13, 1 * 3/13]) -> omega_a = 1 / (1 + e^(24/13)) = 0.136325
  const c = arlOmega([tf.tensor2d([[20, 0]]), tf.tensor2d([[0, 0]])], 8);
  assertAlmostEquals((await values(c.inverseEntropy))[0], 10 / 13, 1e-5);
  assertAlmostEquals((await values(c.omega))[0], 1 / (1 + Math.exp(24 / 13)), 1e-5);
  // Without the clamp (h_min 0) the confident modality takes all of u.
  const c0 = arlOmega([tf.tensor2d([[20, 0]]), tf.tensor2d([[0, 0]])], 8, 0);
  assert((await values(c0.inverseEntropy))[0] > 0.999, "u_a -> 1 without the clamp");
  // All-zero logits: no 0/0 (the guard), balanced magnitudes of 0 -> omega = (0.5, 0.5).
  const z = arlOmega([tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([2, 3]) as tf.Tensor2D], 8);
  assertEquals((await values(z.omega)).map((v) => Math.round(v * 1e6) / 1e6), [0.5, 0.5]);
});

/** A tiny two-modality model: audio 3 -> 4 features, visual 2 -> 4 features, 3 classes. */
function tinyModel(): FusionModel {
  const rng = new Rng(5);
  const enc = {
    audio: new MlpEncoder("audio", 3, [], 4, rng),
    visual: new MlpEncoder("visual", 2, [], 4, rng),
  };
  const head = new ConcatHead(["audio", "visual"], { audio: 4, visual: 4 }, 3, rng, "zero-pad");
  head.fc.bias!.variable.assign(tf.tensor1d([0.1, 0.2, -0.3]));
  return new FusionModel(enc, head);
}
const INPUTS = () => ({
  audio: tf.tensor2d([[1, -2, 0.5], [0.3, 0.8, -1], [2, 1, 1], [0.1, 0.2, 0.3]]),
  visual: tf.tensor2d([[0.5, 1], [-1, 2], [1.5, -0.5], [1, 1]]),
});
const LABELS = () => tf.tensor1d([0, 2, 1, 1], "int32");

/** Gradients of L_f + weight * sum_m L_m without any multiplier (the reference). */
function plainGrads(model: FusionModel, weight: number): Grads {
  const y = LABELS();
  return gradsOf(model.params(), () => {
    const out = model.forward(INPUTS(), true);
    const uni = tf.add(crossEntropy(out.unimodal.audio, y), crossEntropy(out.unimodal.visual, y));
    return {
      loss: tf.add(crossEntropy(out.fused, y), tf.mul(weight, uni)) as tf.Scalar,
      aux: null,
    };
  }).grads;
}

async function assertScaled(
  got: Grads,
  ref: Grads,
  model: FusionModel,
  k: Record<string, number>,
  msg: string,
): Promise<void> {
  for (const p of model.params()) {
    const scale = p.group.startsWith("encoder.") ? k[p.group.slice(8)] : 1;
    const a = await values(got.get(p.name)!), b = await values(ref.get(p.name)!);
    for (let i = 0; i < a.length; i++) {
      assertAlmostEquals(
        a[i],
        scale * b[i],
        1e-5 * Math.max(1, Math.abs(b[i])),
        `${msg} ${p.name}[${i}]`,
      );
    }
  }
}

Deno.test("arl: the (1 + w_m) multiplier reaches the encoder gradients (scaleGradient), heads untouched", async () => {
  await useWasm();
  const model = tinyModel();
  const ref4 = plainGrads(model, 4), ref1 = plainGrads(model, 1);
  for (const m of model.modalities) {
    const g = model.encoderParams(m).map((p) => tf.sum(tf.abs(ref4.get(p.name)!)));
    assert((await values(tf.addN(g)))[0] > 1e-2, `non-trivial ${m} encoder gradient`);
  }
  const previous = tf.tensor1d([0.2, 0.7]);
  const run = (mode: OmegaMode, active: boolean) =>
    arlGrads(model, INPUTS(), LABELS(), { active, gamma: 4, T: 8, hMin: 0.3, mode, previous });

  // lagged: w = the previous iteration's omega -> x1.2 audio, x1.7 visual.
  const lag = run("lagged", true);
  await assertScaled(lag.grads, ref4, model, { audio: 1.2, visual: 1.7 }, "lagged");
  assertEquals((await values(lag.multiplier)).map((v) => Math.round(v * 1e6) / 1e6), [1.2, 1.7]);
  // current: w = this batch's omega, from the zero-pad logits of the same forward pass.
  const cur = run("current", true);
  const w = await values(arlOmega([cur.unimodal.audio, cur.unimodal.visual], 8).omega);
  assertEquals(await values(cur.omega), w);
  await assertScaled(cur.grads, ref4, model, { audio: 1 + w[0], visual: 1 + w[1] }, "current");
  // off: the released code's stale 0.5 for both -> x1.5.
  const off = run("off", true);
  await assertScaled(off.grads, ref4, model, { audio: 1.5, visual: 1.5 }, "off");
  // Before the start epoch: no multiplier at all, and gamma = 1.
  const pre = run("lagged", false);
  await assertScaled(pre.grads, ref1, model, { audio: 1, visual: 1 }, "before start");
  assertEquals(await values(pre.multiplier), [1, 1]);
  for (const r of [lag, cur, off, pre]) disposeGrads(r.grads);
  disposeGrads(ref4);
  disposeGrads(ref1);
  model.dispose();
});

Deno.test("arl: gamma weights the unimodal losses after the start epoch only", async () => {
  await useWasm();
  const model = tinyModel();
  const previous = tf.tensor1d([0.5, 0.5]);
  for (const active of [false, true]) {
    const r = arlGrads(model, INPUTS(), LABELS(), {
      active,
      gamma: 4,
      T: 8,
      hMin: 0.3,
      mode: "lagged",
      previous,
    });
    const lf = (await values(r.lossFused))[0];
    const la = (await values(r.lossUnimodal.audio))[0],
      lv = (await values(r.lossUnimodal.visual))[0];
    assertAlmostEquals((await values(r.loss))[0], lf + (active ? 4 : 1) * (la + lv), 1e-5);
    disposeGrads(r.grads);
  }
  model.dispose();
});

/** Builds the method from a resolved config on its (tiny, synthetic) dataset. */
async function methodFor(cfg: RunConfig) {
  const dataset = await loadDataset(cfg);
  const method = arl.create(methodContext(cfg, dataset.info, dataset.train));
  return { dataset, method };
}

async function logsOf(out: StepOutput): Promise<Record<string, number>> {
  const r: Record<string, number> = {};
  for (const [k, v] of Object.entries(out.logs ?? {})) {
    r[k] = typeof v === "number" ? v : (await v.data())[0];
    if (typeof v !== "number") v.dispose();
  }
  tf.dispose([out.loss, out.fused, ...Object.values(out.unimodal)]);
  return r;
}

Deno.test("arl: start epoch in protocol epochs; lagged omega feeds the next step's multiplier", async () => {
  await useWasm();
  const cfg = tinyConfig("arl", 20);
  const { dataset, method } = await methodFor(cfg);
  const optimizer = new Sgd(method.params(), { momentum: 0.9, weightDecay: 1e-4 });
  const step = async (epoch: number, s: number) => {
    const batch = dataset.train.batch(new Int32Array([s, s + 1, s + 2, s + 3]), {
      train: true,
      seed: s,
    });
    const ctx: StepContext = {
      epoch,
      step: s,
      iteration: s,
      epochs: 20,
      stepsPerEpoch: 4,
      lr: 0.01,
      optimizer,
      share: 1,
      protocolEpoch: (epoch * 100) / 20,
      seed: (...p) => seedFor(0, ...p),
    };
    const logs = await logsOf(await trainStep(method, batch, ctx));
    disposeBatch(batch);
    return logs;
  };
  // 20 epochs: epoch 1 is protocol epoch 5 (not > start 5), epoch 2 is protocol epoch 10.
  const a = await step(1, 0);
  assertEquals([a.gamma_phase, a.multiplier_audio, a.multiplier_visual], [0, 1, 1]);
  const b = await step(2, 4); // first gamma-phase step: the 0.5 written in the step before
  assertEquals(b.gamma_phase, 1);
  assertAlmostEquals(b.multiplier_audio, 1.5, 1e-7);
  assertAlmostEquals(b.multiplier_visual, 1.5, 1e-7);
  const c = await step(2, 8); // now 1 + the omega of step b
  assertAlmostEquals(c.multiplier_audio, 1 + b.omega_audio, 1e-6);
  assertAlmostEquals(c.multiplier_visual, 1 + b.omega_visual, 1e-6);
  assertAlmostEquals(b.omega_audio + b.omega_visual, 1, 1e-6);
  // The loss of a gamma-phase step is L_f + gamma (L_a + L_v).
  assertEquals(cfg.method.gamma, 4);
  optimizer.dispose();
  method.dispose();
  dataset.dispose();
});

Deno.test("arl: official per-dataset gamma and T; reconstructed marker", () => {
  assertEquals(arlDatasetDefaults("crema-d"), { gamma: 4, T: 8 });
  assertEquals(arlDatasetDefaults("ave"), { gamma: 5, T: 4 });
  assertEquals(arlDatasetDefaults("vggsound50"), { gamma: 1, T: 4 });
  const c = resolveConfig({ method: "arl", dataset: "ave", sets: ["method.omega=current"] });
  assertEquals([c.method.gamma, c.method.T, c.method.start, c.method.clip_norm], [5, 4, 5, 40]);
  assertEquals(c.method.omega, "current");
});

Deno.test("arl: a short run writes a complete record marked reconstructed, gamma phase scaled", async () => {
  await useWasm();
  const out = await tempOut();
  // 4 epochs with start 30: protocol epochs 0, 25 (plain), 50, 75 (gamma phase).
  const cfg = tinyConfig("arl", 4, ["method.start=30"]);
  const { dir, summary } = await runOne({ config: cfg, out, backend: "wasm" });
  for (const f of ["config.json", "epochs.csv", "summary.json", "method.csv"]) {
    await Deno.stat(`${dir}/${f}`);
  }
  assertEquals((summary as unknown as Record<string, unknown>).reconstructed, true);
  const onDisk = JSON.parse(await Deno.readTextFile(`${dir}/summary.json`));
  assertEquals(onDisk.reconstructed, true);
  const rows = await readCsv(`${dir}/method.csv`);
  assertEquals(Object.keys(rows[0]), [
    "epoch",
    "omega_audio",
    "omega_visual",
    "multiplier_audio",
    "multiplier_visual",
    "gamma_phase",
    "loss_fusion",
    "loss_audio",
    "loss_visual",
    "grad_norm",
  ]);
  assertEquals(rows.map((r) => Number(r.gamma_phase)), [0, 0, 1, 1]);
  assertEquals(rows.map((r) => Number(r.multiplier_audio) > 1), [false, false, true, true]);
  for (const r of rows) for (const v of Object.values(r)) assert(Number.isFinite(Number(v)), v);
  assert(Number.isFinite(summary.final.fusion) && Number.isFinite(summary.ratio_mean), "finite");
});

Deno.test("arl: no tensor leak, and resume restores the lagged weights exactly", async () => {
  await useWasm();
  const cfg = tinyConfig("arl", 4, ["method.start=10"]);
  const full = await methodFor(cfg);
  const counts: number[] = [];
  const rowsFull = (await train({
    config: cfg,
    dataset: full.dataset,
    method: full.method,
    sink: { epochDone: () => Promise.resolve(void counts.push(tf.memory().numTensors)) },
  })).rows;
  assertEquals(counts[3], counts[1], counts.join(","));
  full.method.dispose();
  full.dataset.dispose();

  // Stop after epoch 2 (inside the gamma phase), then resume from that checkpoint.
  const part = await methodFor(cfg);
  let saved: ResumeState | null = null;
  await train({
    config: cfg,
    dataset: part.dataset,
    method: part.method,
    sink: {
      epochDone: (state, checkpoint) => {
        if (state.rows.length === 2) {
          const tensors = Object.fromEntries(
            Object.entries(checkpoint()).map(([k, t]) => [k, tf.clone(t)]),
          );
          saved = { epochsDone: 2, tensors, state: structuredClone(state) };
          return Promise.reject(new Error("stop"));
        }
        return Promise.resolve();
      },
    },
  }).catch((e) => assertEquals((e as Error).message, "stop"));
  part.method.dispose();
  part.dataset.dispose();
  assert(saved !== null, "a checkpoint after epoch 2");
  const res = await methodFor(cfg);
  const rowsRes =
    (await train({ config: cfg, dataset: res.dataset, method: res.method, resume: saved }))
      .rows;
  const strip = (rows: EpochRow[]) => rows.map(({ wall_s: _w, ...r }) => r);
  assertEquals(strip(rowsRes), strip(rowsFull));
  res.method.dispose();
  res.dataset.dispose();
});

Deno.test("arl: clip_norm 40 bounds the update, MultiStepLR stepped at epoch start (switches)", async () => {
  await useWasm();
  const update = async (sets: string[]) => {
    const cfg = tinyConfig("arl", 20, ["method.gamma=3000", ...sets]);
    const { dataset, method } = await methodFor(cfg);
    const before = method.params().map((p) => Float32Array.from(p.variable.dataSync()));
    const optimizer = new Sgd(method.params(), { momentum: 0, weightDecay: 0 });
    const batch = dataset.train.batch(new Int32Array([0, 1, 2, 3, 4, 5]), { train: true, seed: 3 });
    const ctx: StepContext = {
      epoch: 10,
      step: 0,
      iteration: 0,
      epochs: 20,
      stepsPerEpoch: 1,
      lr: 1,
      optimizer,
      share: 1,
      protocolEpoch: 50,
      seed: (...p) => seedFor(0, ...p),
    };
    const logs = await logsOf(await trainStep(method, batch, ctx));
    let sq = 0;
    method.params().forEach((p, i) => {
      const now = p.variable.dataSync();
      for (let j = 0; j < now.length; j++) sq += (before[i][j] - now[j]) ** 2;
    });
    disposeBatch(batch);
    optimizer.dispose();
    method.dispose();
    dataset.dispose();
    return { norm: Math.sqrt(sq), logged: logs.grad_norm };
  };
  const clipped = await update([]);
  const raw = await update(["method.clip_norm=0"]);
  assert(raw.logged > 40, `raw norm must exceed 40 (got ${raw.logged})`);
  assertAlmostEquals(raw.norm, raw.logged, 1e-3 * raw.logged);
  assertAlmostEquals(clipped.norm, 40, 1e-3);

  const lrOf = (sets: string[]) => {
    const cfg = resolveConfig({ method: "arl", dataset: "crema-d", profile: "paper", sets });
    const m = arl.create({
      info: { modalities: ["audio", "visual"], numClasses: 6 } as never,
      config: cfg,
      params: cfg.method,
      numTrain: 0,
      trainLabels: new Int32Array(),
      rng: new Rng(1),
      makeEncoder: (mod, rng) => new MlpEncoder(mod, 2, [], 2, rng),
    });
    const lrs = [68, 69, 70].map((e) => m.learningRate!(e, 1e-3, 100));
    m.dispose();
    return lrs;
  };
  const close = (a: number[], b: number[]) =>
    a.forEach((v, i) => assertAlmostEquals(v, b[i], 1e-12));
  close(lrOf([]), [1e-3, 1e-4, 1e-4]);
  close(lrOf(["method.sched_at_start=false"]), [1e-3, 1e-3, 1e-4]);
});

Deno.test("arl: under micro-batches every slice of a step uses the previous STEP's omega (not the previous slice's)", async () => {
  await useWasm();
  // One step per epoch (64 samples, batch 64) in slices of 16; gamma phase from the start.
  const cfg = tinyConfig("arl", 3, ["data.train_size=64", "method.start=-1"]);
  const dataset = await loadDataset(cfg);
  const method = arl.create(methodContext(cfg, dataset.info, dataset.train));
  const result = await train({ config: cfg, dataset, method, microBatch: 16 });
  const rows = result.methodRows;
  // Step 1 uses the initial 0.5; step e uses 1 + the omega of step e - 1 (its batch's omega,
  // logged as the size-weighted mean over the slices).
  for (const m of ["audio", "visual"]) {
    assertAlmostEquals(rows[0][`multiplier_${m}`], 1.5, 1e-6);
    for (const e of [1, 2]) {
      assertAlmostEquals(
        rows[e][`multiplier_${m}`],
        1 + rows[e - 1][`omega_${m}`],
        1e-5,
        `epoch ${e + 1} ${m}: multiplier vs 1 + the previous step's omega`,
      );
    }
  }
  const saved = await method.state!().tensors.previous_weights.data();
  assertAlmostEquals(saved[0], rows[2].omega_audio, 1e-5);
  method.dispose();
  dataset.dispose();
});

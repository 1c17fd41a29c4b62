import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../assert.ts";
import { loadDataset } from "../../src/data/registry.ts";
import { type Batch, disposeBatch } from "../../src/data/types.ts";
import { buildFusionModel } from "../../src/methods/common.ts";
import type { MethodEntry } from "../../src/methods/entry.ts";
import { bioLoss, BioRecords, disposeStrengths } from "../../src/methods/ibml.ts";
import {
  bioPmr,
  classSums,
  distanceLogits,
  meanEntropy,
  pmr,
  pmrWeights,
  Prototypes,
  updatePrototypes,
} from "../../src/methods/pmr.ts";
import type { EpochContext, Method } from "../../src/methods/types.ts";
import type { FusionOutput } from "../../src/models/model.ts";
import type { ConfigValue, RunConfig } from "../../src/config/types.ts";
import { crossEntropy, disposeGrads, gradsOf } from "../../src/optim/grads.ts";
import { train, type TrainerState } from "../../src/train/trainer.ts";
import {
  checkWindowedRun,
  epochTensorCounts,
  toyBatch,
  toyContext,
  toyStepCtx,
} from "./pace_fixtures.ts";
import { tinyConfig, useWasm } from "../helpers.ts";
import { methodContext } from "../../src/methods/context.ts";
import { trainStep } from "../../src/train/step.ts";

const MODS = ["audio", "visual"];

async function num(t: tf.Tensor): Promise<number> {
  return (await t.data())[0];
}

async function close(t: tf.Tensor, want: number[][], tol: number, msg: string): Promise<void> {
  const got = await t.array() as number[][];
  assertEquals(got.length, want.length, msg);
  got.forEach((row, i) =>
    row.forEach((v, j) => assertAlmostEquals(v, want[i][j], tol, `${msg}[${i}][${j}]`))
  );
}

function batchOf(audio: number[][], y: number[]): Batch {
  return {
    inputs: {
      audio: tf.tensor2d(audio),
      visual: tf.tensor2d(audio.map((r) => r.map((v) => 10 * v))),
    },
    labels: tf.tensor1d(y, "int32"),
    indices: tf.tensor1d(y.map((_, i) => i), "int32"),
    size: y.length,
  };
}

Deno.test("pmr: prototypes are class means of a known feature set, across batches; absent class is not NaN", async () => {
  await useWasm();
  // C = 3; class 2 never appears in the sample.
  const { sums, counts } = classSums(
    tf.tensor2d([[1, 2], [3, 4], [5, 6]]),
    tf.tensor1d([0, 0, 1], "int32"),
    3,
  );
  await close(sums, [[4, 6], [5, 6], [0, 0]], 0, "sums");
  assertEquals(Array.from(await counts.data()), [2, 1, 0]);
  const first = updatePrototypes(null, sums, counts, null);
  await close(first, [[2, 3], [5, 6], [0, 0]], 1e-6, "P (absent class: zeros, not 0/0)");
  // The Prototypes class over two batches (identity "encoder"): means over both batches.
  const protos = new Prototypes(MODS, { audio: 2, visual: 2 }, 3);
  const identity = (x: Record<string, tf.Tensor>) => x as Record<string, tf.Tensor2D>;
  protos.update(
    identity,
    [batchOf([[1, 2], [3, 4]], [0, 0]), batchOf([[5, 6], [7, 8]], [0, 1])],
    null,
  );
  await close(protos.protos.audio, [[3, 4], [7, 8], [0, 0]], 1e-6, "audio P");
  await close(protos.protos.visual, [[30, 40], [70, 80], [0, 0]], 1e-5, "visual P");
  // Later update where class 1 is absent: it keeps its previous prototype (momentum 0 here).
  protos.update(identity, [batchOf([[0, 0], [2, 2]], [0, 2])], 0);
  await close(protos.protos.audio, [[0, 0], [7, 8], [2, 2]], 1e-6, "audio P, class 1 kept");
  for (const v of await protos.protos.audio.data()) assert(Number.isFinite(v), "no NaN");
  protos.dispose();
});

Deno.test("pmr: momentum update P = (1 - mu) P_new + mu P_old", async () => {
  await useWasm();
  const old = tf.tensor2d([[1, 1], [2, 2]]);
  const sums = tf.tensor2d([[6, 3], [0, 0]]), counts = tf.tensor1d([3, 0]);
  // Class 0: P_new = [2, 1] -> 0.75 * [2, 1] + 0.25 * [1, 1]; class 1 absent -> stays [2, 2].
  await close(updatePrototypes(old, sums, counts, 0.25), [[1.75, 1], [2, 2]], 1e-6, "momentum");
  await close(updatePrototypes(old, sums, counts, null), [[2, 1], [2, 2]], 1e-6, "no momentum");
});

Deno.test("pmr: distance logits are -||f - P_c||_2, finite gradient at zero distance", async () => {
  await useWasm();
  const f = tf.tensor2d([[0, 0], [3, 4]]);
  const P = tf.tensor2d([[0, 0], [3, 0], [0, 4]]);
  await close(distanceLogits(f, P), [[0, -3, -4], [-5, -4, -3]], 1e-5, "sim");
  const g = tf.grad((x: tf.Tensor) => tf.sum(distanceLogits(x as tf.Tensor2D, P)))(f);
  for (const v of await g.data()) assert(Number.isFinite(v), "finite gradient");
  // d/df of -(|f - P_0| + |f - P_1| + |f - P_2|) at f = [3, 4]: -(3,4)/5 - (0,4)/4 - (3,0)/3.
  const row = (await g.array() as number[][])[1];
  assertAlmostEquals(row[0], -(0.6 + 0 + 1), 1e-5);
  assertAlmostEquals(row[1], -(0.8 + 1 + 0), 1e-5);
});

Deno.test("pmr: the slower modality gets the prototype loss with weight alpha; none at rho^p = 1", async () => {
  await useWasm();
  const y = tf.tensor1d([0, 0], "int32");
  const sure = tf.tensor2d([[0, -Math.log(3)], [0, -Math.log(3)]]); // p(y) = 0.75
  const unsure = tf.tensor2d([[0, 0], [0, 0]]); // p(y) = 0.5
  // audio ahead: rho^p = 1.5 / 1 > 1 -> visual gets alpha (official lam), audio 0 (beta).
  const a = pmrWeights({ audio: sure, visual: unsure }, y, MODS, 2);
  assertAlmostEquals(await num(a.ratio), 1.5, 1e-6);
  assertEquals([await num(a.w.audio), await num(a.w.visual)], [0, 2]);
  const v = pmrWeights({ audio: unsure, visual: sure }, y, MODS, 2);
  assertAlmostEquals(await num(v.ratio), 1 / 1.5, 1e-6);
  assertEquals([await num(v.w.audio), await num(v.w.visual)], [2, 0]);
  const t = pmrWeights({ audio: sure, visual: sure }, y, MODS, 2);
  assertEquals([await num(t.ratio), await num(t.w.audio), await num(t.w.visual)], [1, 0, 0]);
  // PER's entropy: uniform over 2 classes -> ln 2.
  assertAlmostEquals(await num(meanEntropy(unsure)), Math.log(2), 1e-6);
});

// ---- one training step of the method against a twin model ----

/** Fixed prototypes [3 classes, 4 features] per modality. */
const PROTOS = {
  audio: [[0.5, 0.1, 0.0, 0.3], [0.0, 0.9, 0.2, 0.1], [0.3, 0.3, 0.3, 0.3]],
  visual: [[0.2, 0.0, 0.4, 0.1], [0.6, 0.1, 0.0, 0.0], [0.1, 0.5, 0.2, 0.2]],
};

/**
 * One trainStep with the prototypes restored to PROTOS; checks the loss against
 * `base(out) + w_a CE(sim_a) + w_v CE(sim_v) - per terms` computed by hand on a twin model,
 * and the parameter update against its gradient (SGD lr 1 without momentum: delta = -g).
 */
async function checkStep(
  entry: MethodEntry,
  sets: Record<string, ConfigValue>,
  protocolEpoch: number,
  expected: (out: FusionOutput, y: tf.Tensor1D, sims: Record<string, tf.Tensor2D>) => tf.Scalar,
  records?: Record<string, tf.Tensor2D>,
): Promise<Record<string, number>> {
  const method = entry.create(toyContext(entry, sets));
  method.restore!({
    json: { prototypes_ready: true },
    tensors: {
      proto_audio: tf.tensor2d(PROTOS.audio),
      proto_visual: tf.tensor2d(PROTOS.visual),
      ...(records ? { record_audio: records.audio, record_visual: records.visual } : {}),
    },
  });
  const twin = buildFusionModel(toyContext(entry, sets), "concat", "split");
  const batch = toyBatch();
  const r = gradsOf(twin.params(), () => {
    const out = twin.forward(batch.inputs, true);
    const sims = {
      audio: distanceLogits(out.features.audio, tf.tensor2d(PROTOS.audio)),
      visual: distanceLogits(out.features.visual, tf.tensor2d(PROTOS.visual)),
    };
    return { loss: expected(out, batch.labels, sims), aux: {} };
  });
  const before = new Map<string, Float32Array>();
  for (const p of method.params()) before.set(p.name, Float32Array.from(await p.variable.data()));
  const out = await trainStep(method, batch, toyStepCtx(method, protocolEpoch));
  assertAlmostEquals(await num(out.loss), await num(r.loss), 1e-5, "loss");
  for (const p of method.params()) {
    const g = await r.grads.get(p.name)!.data();
    const now = await p.variable.data();
    for (let i = 0; i < g.length; i++) {
      assertAlmostEquals(before.get(p.name)![i] - now[i], g[i], 1e-4, `${p.name}[${i}]`);
    }
  }
  const logs: Record<string, number> = {};
  for (const [k, v] of Object.entries(out.logs ?? {})) {
    logs[k] = typeof v === "number" ? v : await num(v);
    if (typeof v !== "number") v.dispose();
  }
  for (const t of [out.loss, out.fused, ...Object.values(out.unimodal)]) t.dispose();
  disposeGrads(r.grads);
  twin.dispose();
  method.dispose();
  return logs;
}

/** rho^p of the twin's first forward (decides which modality is slower). */
async function protoRatio(): Promise<number> {
  const twin = buildFusionModel(toyContext(pmr), "concat", "split");
  const b = toyBatch();
  const f = twin.encode(b.inputs, true);
  const sims = {
    audio: distanceLogits(f.audio, tf.tensor2d(PROTOS.audio)),
    visual: distanceLogits(f.visual, tf.tensor2d(PROTOS.visual)),
  };
  const ratio = await num(pmrWeights(sims, b.labels, MODS, 1).ratio);
  twin.dispose();
  return ratio;
}

Deno.test("pmr: one step optimises CE(z) + alpha CE(sim_slow) inside the window, CE(z) outside", async () => {
  await useWasm();
  const ratio = await protoRatio();
  assert(ratio !== 1, "the toy batch is imbalanced");
  const slow = ratio > 1 ? "visual" : "audio";
  const alpha = 2;
  const logs = await checkStep(
    pmr,
    {},
    10,
    (out, y, sims) =>
      tf.add(crossEntropy(out.fused, y), tf.mul(alpha, crossEntropy(sims[slow], y))),
  );
  assertAlmostEquals(logs.proto_ratio, ratio, 1e-5);
  assertEquals([logs.w_audio, logs.w_visual], slow === "visual" ? [0, 2] : [2, 0]);
  assertEquals(logs.active, 1);
  // Outside the window [0, 70] (protocol epoch 71): CE(z) only, weights logged as 0.
  const out = await checkStep(pmr, {}, 71, (o, y) => crossEntropy(o.fused, y));
  assertEquals([out.w_audio, out.w_visual, out.active], [0, 0, 0]);
  // The window is a config value.
  await checkStep(pmr, { window_end: 5 }, 10, (o, y) => crossEntropy(o.fused, y));
  await checkStep(pmr, { window_start: 20 }, 10, (o, y) => crossEntropy(o.fused, y));
  // alpha is a config value.
  await checkStep(
    pmr,
    { alpha: 0.5 },
    10,
    (o, y, sims) => tf.add(crossEntropy(o.fused, y), tf.mul(0.5, crossEntropy(sims[slow], y))),
  );
});

Deno.test("pmr: per=true subtracts per_mu * mean entropy of the dominant modality early on", async () => {
  await useWasm();
  const ratio = await protoRatio();
  const slow = ratio > 1 ? "visual" : "audio", dominant = ratio > 1 ? "audio" : "visual";
  const sets = { per: true, per_mu: 0.3, per_epochs: 10 };
  const logs = await checkStep(
    pmr,
    sets,
    10,
    (out, y, sims) =>
      tf.sub(
        tf.add(crossEntropy(out.fused, y), tf.mul(2, crossEntropy(sims[slow], y))),
        tf.mul(0.3, meanEntropy(sims[dominant])),
      ),
  );
  assertAlmostEquals(logs[`per_${dominant}`], 0.3, 1e-7);
  assertEquals(logs[`per_${slow}`], 0);
  // After the early stage (protocol epoch 11 > 0 + 10): no PER.
  await checkStep(
    pmr,
    sets,
    11,
    (out, y, sims) => tf.add(crossEntropy(out.fused, y), tf.mul(2, crossEntropy(sims[slow], y))),
  );
});

Deno.test("bio+pmr: L_mib from the records replaces CE(z) inside BIO's window", async () => {
  await useWasm();
  const ratio = await protoRatio();
  const slow = ratio > 1 ? "visual" : "audio";
  const records = {
    audio: tf.tensor2d([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1]]),
    visual: tf.tensor2d([[0.2, 0.6, 0.2], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4]]),
  };
  const ref = new BioRecords(MODS, 3, 3);
  ref.records.audio.assign(records.audio);
  ref.records.visual.assign(records.visual);
  const s = ref.strengths(toyBatch(), 1);
  assert((await num(s.a.visual)) < 1, "visual recorded weaker");
  const logs = await checkStep(
    bioPmr,
    {},
    10,
    (out, y, sims) => tf.add(bioLoss(out, y, s), tf.mul(2, crossEntropy(sims[slow], y))),
    records,
  );
  assertEquals([logs.bio_audio, logs.bio_visual], [0, 1]);
  // Outside BIO's window (protocol epoch 95) and PMR's (> 70): CE(z).
  await checkStep(bioPmr, {}, 95, (out, y) => crossEntropy(out.fused, y), records);
  // bio_window_end = 5: CE(z) + the prototype loss at protocol epoch 10.
  await checkStep(
    bioPmr,
    { bio_window_end: 5 },
    10,
    (out, y, sims) => tf.add(crossEntropy(out.fused, y), tf.mul(2, crossEntropy(sims[slow], y))),
    records,
  );
  disposeStrengths(s);
  ref.dispose();
});

Deno.test("pmr: prototypes before epoch 0 and after epoch 0 replace, after epoch >= 1 use momentum", async () => {
  await useWasm();
  const method = pmr.create(toyContext(pmr, { momentum_coef: 0.5 }));
  const b1 = () => [batchOf3([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 1, 2])];
  const b2 = () => [batchOf3([[2, 1, 0], [1, 2, 1], [0, 1, 2]], [0, 1, 2])];
  const ctx = (epoch: number, batches: () => Batch[]): EpochContext => ({
    epoch,
    epochs: 100,
    protocolEpoch: epoch,
    seed: () => 0,
    trainBatches: () => batches(),
  });
  const protos = async () => await method.state!().tensors.proto_audio.array() as number[][];
  // The sample size is `proto_fraction` of the training batches (0.1 by default).
  const fractions: number[] = [];
  const probe = pmr.create(toyContext(pmr, { proto_fraction: 0.25 }));
  await probe.onTrainStart!({ ...ctx(-1, b1), trainBatches: (f) => (fractions.push(f), b1()) });
  assertEquals(fractions, [0.25]);
  probe.dispose();
  await method.onTrainStart!(ctx(-1, b1));
  const p1 = await protos();
  await method.onEpochEnd!(ctx(0, b2)); // official `epoch <= 0`: no momentum
  const p2 = await protos();
  await method.onEpochEnd!(ctx(0, b1));
  assertEquals(await protos(), p1, "epoch 0 replaces");
  await method.onEpochEnd!(ctx(1, b2)); // momentum 0.5 with the previous (p1)
  const p3 = await protos();
  p3.forEach((row, c) =>
    row.forEach((v, j) => assertAlmostEquals(v, 0.5 * p2[c][j] + 0.5 * p1[c][j], 1e-6))
  );
  assert(JSON.stringify(p1) !== JSON.stringify(p2), "different samples give different prototypes");
  assertEquals(method.state!().json, { prototypes_ready: true });
  method.dispose();
});

function batchOf3(audio: number[][], y: number[]): Batch {
  return {
    inputs: { audio: tf.tensor2d(audio), visual: tf.tensor2d(audio.map((r) => r.slice(0, 2))) },
    labels: tf.tensor1d(y, "int32"),
    indices: tf.tensor1d(y.map((_, i) => i), "int32"),
    size: y.length,
  };
}

// ---- short runs ----

const PMR_COLUMNS = [
  "proto_ratio",
  "w_audio",
  "w_visual",
  "loss_proto_audio",
  "loss_proto_visual",
  "per_audio",
  "per_visual",
  "active",
];

async function checkRun(method: string, columns: string[]): Promise<void> {
  // 4 epochs: protocol epochs 0, 25, 50, 75 -> the inclusive window [0, 70] covers three.
  const { rows } = await checkWindowedRun(method, columns);
  for (const r of rows.slice(0, 3)) assertEquals(Number(r.w_audio) + Number(r.w_visual) <= 2, true);
}

Deno.test("pmr and bio+pmr: short runs write a complete record with finite numbers", async () => {
  await useWasm();
  await checkRun("pmr", PMR_COLUMNS);
  await checkRun("bio+pmr", [...PMR_COLUMNS, "a_audio", "a_visual", "bio_audio", "bio_visual"]);
});

Deno.test("pmr and bio+pmr: no tensor leak across epochs (per on)", async () => {
  await useWasm();
  for (const m of ["pmr", "bio+pmr"]) {
    const counts = await epochTensorCounts(tinyConfig(m, 4, ["method.per=true"]));
    assertEquals(counts[3], counts[1], `${m}: ${counts.join(",")}`);
  }
});

/** Creates the method of `cfg` on its dataset. */
async function setup(cfg: RunConfig) {
  const dataset = await loadDataset(cfg);
  const method = (cfg.method.name === "pmr" ? pmr : bioPmr).create(
    methodContext(cfg, dataset.info, dataset.train),
  );
  return { dataset, method };
}

Deno.test("bio+pmr: resuming from the epoch-2 checkpoint (prototypes, records) gives the same epochs", async () => {
  await useWasm();
  for (const m of ["bio+pmr"]) {
    const cfg = tinyConfig(m, 4, ["method.momentum_coef=0.5"]);
    const full = await setup(cfg);
    const ref = await train({ config: cfg, dataset: full.dataset, method: full.method });
    full.method.dispose();
    full.dataset.dispose();

    const part = await setup(cfg);
    let saved: { tensors: Record<string, tf.Tensor>; state: TrainerState } | null = null;
    await assertRejects(() =>
      train({
        config: cfg,
        dataset: part.dataset,
        method: part.method,
        sink: {
          epochDone(state, checkpoint) {
            if (state.rows.length < 2) return Promise.resolve();
            const tensors = Object.fromEntries(
              Object.entries(checkpoint()).map(([k, t]) => [k, t.clone()]),
            );
            saved = { tensors, state: structuredClone(state) };
            return Promise.reject(new Error("stop after epoch 2"));
          },
        },
      }), "stop after epoch 2");
    part.method.dispose();
    part.dataset.dispose();

    const again = await setup(cfg);
    const { tensors, state } = saved!;
    const resumed = await train({
      config: cfg,
      dataset: again.dataset,
      method: again.method,
      resume: { epochsDone: 2, tensors, state },
    });
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ wall_s: _w, ...r }) => r);
    assertEquals(strip(resumed.rows), strip(ref.rows), m);
    assertEquals(resumed.methodRows, ref.methodRows, m);
    again.method.dispose();
    again.dataset.dispose();
    for (const t of Object.values(tensors)) t.dispose();
  }
});

Deno.test("pmr: prototypes come from augmented training batches (the official train loader), encoded in eval mode", async () => {
  await useWasm();
  // 1. PMR asks the trainer for augmented batches, before epoch 0 and after every epoch.
  const asked: unknown[] = [];
  const method = pmr.create(toyContext(pmr, {}));
  const b = () => [batchOf3([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 1, 2])];
  const ctx = (epoch: number): EpochContext => ({
    epoch,
    epochs: 100,
    protocolEpoch: epoch,
    seed: () => 0,
    trainBatches: (_f, _p, opts) => (asked.push(opts), b()),
  });
  await method.onTrainStart!(ctx(-1));
  await method.onEpochEnd!(ctx(0));
  assertEquals(asked, [{ augment: true }, { augment: true }]);
  method.dispose();
  // 2. The trainer then draws those batches with the training augmentation on.
  const cfg = tinyConfig("pmr", 1);
  const dataset = await loadDataset(cfg);
  const modes: boolean[] = [];
  const draw = dataset.train.batch.bind(dataset.train);
  dataset.train.batch = (idx, opts) => (modes.push(opts.train), draw(idx, opts));
  const probe: Method = {
    name: "probe",
    modalities: ["audio"],
    params: () => [],
    buffers: () => [],
    plan: () => {
      throw new Error("not trained");
    },
    predict: () => ({ fused: null, unimodal: {} }),
    onTrainStart(e) {
      for (const batch of e.trainBatches(0.5, "probe", { augment: true })) disposeBatch(batch);
      for (const batch of e.trainBatches(0.5, "probe")) disposeBatch(batch);
      return Promise.reject(new Error("stop"));
    },
    dispose() {},
  };
  await train({ config: cfg, dataset, method: probe }).catch((e) =>
    assertEquals((e as Error).message, "stop")
  );
  assertEquals(modes, [true, true, false, false]);
  dataset.dispose();
});

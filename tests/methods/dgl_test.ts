import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "../assert.ts";
import { loadDataset } from "../../src/data/registry.ts";
import { disposeBatch } from "../../src/data/types.ts";
import { dgl, dglGrads } from "../../src/methods/dgl.ts";
import type { StepContext } from "../../src/methods/types.ts";
import { ConcatHead } from "../../src/models/fusion.ts";
import { MlpEncoder } from "../../src/models/mlp.ts";
import { FusionModel } from "../../src/models/model.ts";
import { Rng, seedFor } from "../../src/rng.ts";
import { runOne } from "../../src/runner/run_one.ts";
import type { RunConfig } from "../../src/config/types.ts";
import { resolveConfig } from "../../src/resolve/resolve_config.ts";
import { crossEntropy, disposeGrads, gradsOf } from "../../src/optim/grads.ts";
import { Sgd } from "../../src/optim/sgd.ts";
import { epochTensorCounts } from "./pace_fixtures.ts";
import { readCsv, tempOut, tinyConfig, useWasm } from "../helpers.ts";
import { methodContext } from "../../src/methods/context.ts";
import { trainStep } from "../../src/train/step.ts";

/** A tiny two-modality model: audio 3 -> 4 features, visual 2 -> 4 features, 3 classes. */
function tinyModel(): FusionModel {
  const rng = new Rng(11);
  const enc = {
    audio: new MlpEncoder("audio", 3, [], 4, rng),
    visual: new MlpEncoder("visual", 2, [], 4, rng),
  };
  const head = new ConcatHead(["audio", "visual"], { audio: 4, visual: 4 }, 3, rng, "zero-pad");
  // A non-zero bias so that the zero-pad logits carry it.
  head.fc.bias!.variable.assign(tf.tensor1d([0.3, -0.2, 0.1]));
  return new FusionModel(enc, head);
}

const INPUTS = () => ({
  audio: tf.tensor2d([[1, -2, 0.5], [0.3, 0.8, -1], [2, 1, 1]]),
  visual: tf.tensor2d([[0.5, 1], [-1, 2], [1.5, -0.5]]),
});
const LABELS = () => tf.tensor1d([0, 2, 1], "int32");

async function values(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

async function assertClose(a: tf.Tensor, b: tf.Tensor, tol: number, msg: string): Promise<void> {
  const [x, y] = [await values(a), await values(b)];
  assertEquals(x.length, y.length, msg);
  for (let i = 0; i < x.length; i++) assertAlmostEquals(x[i], y[i], tol, `${msg}[${i}]`);
}

Deno.test("dgl: encoder grads = grad of alpha*(CE(g_a)+CE(g_v)), head grads = grad of CE(z) on detached features", async () => {
  await useWasm();
  const model = tinyModel();
  const inputs = INPUTS(), y = LABELS(), alpha = 4;
  const r = dglGrads(model, inputs, y, alpha);
  const encParams = model.modalities.flatMap((m) => model.encoderParams(m));
  const headParams = model.head.params();
  assertEquals(
    [...r.grads.keys()].sort(),
    [...encParams, ...headParams].map((p) => p.name).sort(),
    "every parameter gets exactly one gradient",
  );

  // Reference 1: the unimodal objective written out by hand (zero-pad: f_m W_m + b),
  // differentiated w.r.t. the encoders.
  const W = headParams.find((p) => p.kind === "kernel")!.variable;
  const b = headParams.find((p) => p.kind === "bias")!.variable;
  const refEnc = gradsOf(encParams, () => {
    const fa = model.encoders.audio.forward(inputs.audio, true);
    const fv = model.encoders.visual.forward(inputs.visual, true);
    const ga = tf.add(tf.matMul(fa, tf.slice(W, [0, 0], [4, 3])), b) as tf.Tensor2D;
    const gv = tf.add(tf.matMul(fv, tf.slice(W, [4, 0], [4, 3])), b) as tf.Tensor2D;
    const loss = tf.mul(alpha, tf.add(crossEntropy(ga, y), crossEntropy(gv, y))) as tf.Scalar;
    return { loss, aux: null };
  });
  for (const p of encParams) {
    await assertClose(r.grads.get(p.name)!, refEnc.grads.get(p.name)!, 1e-5, p.name);
  }

  // Reference 2: CE(z) on features computed outside the tape (= detached), w.r.t. the head.
  const f = tf.concat([
    model.encoders.audio.forward(inputs.audio, true),
    model.encoders.visual.forward(inputs.visual, true),
  ], 1);
  const refHead = gradsOf(headParams, () => ({
    loss: crossEntropy(tf.add(tf.matMul(f, W), b) as tf.Tensor2D, y),
    aux: null,
  }));
  for (const p of headParams) {
    await assertClose(r.grads.get(p.name)!, refHead.grads.get(p.name)!, 1e-6, p.name);
  }
  // Hand value of the bias gradient: mean_b(softmax(z_b) - onehot(y_b)).
  const z = await tf.add(tf.matMul(f, W), b).array() as number[][];
  const yy = [0, 2, 1];
  const hand = [0, 1, 2].map((c) =>
    z.reduce((s, row, k) => {
      const e = row.map(Math.exp), sum = e.reduce((u, v) => u + v, 0);
      return s + (e[c] / sum - (yy[k] === c ? 1 : 0)) / 3;
    }, 0)
  );
  const gb = await values(r.grads.get(headParams.find((p) => p.kind === "bias")!.name)!);
  for (let c = 0; c < 3; c++) assertAlmostEquals(gb[c], hand[c], 1e-6, `bias grad ${c}`);

  // The unimodal terms do reach the head in a joint backward: DGL's head gradient must differ.
  const joint = gradsOf(headParams, () => {
    const out = model.forward(inputs, true);
    const uni = tf.add(crossEntropy(out.unimodal.audio, y), crossEntropy(out.unimodal.visual, y));
    return { loss: tf.add(crossEntropy(out.fused, y), tf.mul(alpha, uni)) as tf.Scalar, aux: null };
  });
  const diff = tf.sub(joint.grads.get(headParams[1].name)!, r.grads.get(headParams[1].name)!);
  assert((await values(tf.abs(diff))).some((v) => v > 1e-3), "the joint head gradient differs");

  // Logged losses: CE(z) and each CE(g_m).
  assertAlmostEquals(
    (await values(r.lossFused))[0],
    (await values(crossEntropy(r.fused, y)))[0],
    1e-6,
  );
  for (const g of [r, refEnc, refHead, joint]) disposeGrads(g.grads);
  model.dispose();
});

/** Builds a method from a resolved config on its (tiny, synthetic) dataset. */
async function methodFor(cfg: RunConfig) {
  const dataset = await loadDataset(cfg);
  const method = dgl.create(methodContext(cfg, dataset.info, dataset.train));
  return { dataset, method };
}

/** One trainStep with plain SGD (lr 1, no momentum, no decay): returns the update per param. */
async function updateOf(cfg: RunConfig): Promise<Map<string, Float32Array>> {
  const { dataset, method } = await methodFor(cfg);
  const before = new Map(
    method.params().map((p) => [p.name, Float32Array.from(p.variable.dataSync())]),
  );
  const optimizer = new Sgd(method.params(), { momentum: 0, weightDecay: 0 });
  const batch = dataset.train.batch(new Int32Array([0, 1, 2, 3, 4, 5, 6, 7]), {
    train: true,
    seed: 1,
  });
  const ctx: StepContext = {
    epoch: 0,
    step: 0,
    iteration: 0,
    epochs: 1,
    stepsPerEpoch: 1,
    lr: 1,
    optimizer,
    share: 1,
    protocolEpoch: 0,
    seed: (...p) => seedFor(0, ...p),
  };
  const out = await trainStep(method, batch, ctx);
  const delta = new Map<string, Float32Array>();
  for (const p of method.params()) {
    const now = p.variable.dataSync();
    delta.set(p.name, before.get(p.name)!.map((v, i) => v - now[i]));
  }
  tf.dispose([out.loss, out.fused, ...Object.values(out.unimodal)]);
  for (const v of Object.values(out.logs ?? {})) if (typeof v !== "number") v.dispose();
  disposeBatch(batch);
  optimizer.dispose();
  method.dispose();
  dataset.dispose();
  return delta;
}

function norm(d: Map<string, Float32Array>): number {
  let s = 0;
  for (const a of d.values()) for (const v of a) s += v * v;
  return Math.sqrt(s);
}

Deno.test("dgl: global-norm clipping at 40 (PyTorch clip_grad_norm_), off with clip_norm=0", async () => {
  await useWasm();
  // A large alpha pushes the encoder gradients far above norm 40.
  const big = ["method.alpha=2000"];
  const raw = await updateOf(tinyConfig("dgl", 1, [...big, "method.clip_norm=0"]));
  const clipped = await updateOf(tinyConfig("dgl", 1, big));
  const n = norm(raw);
  assert(n > 80, `the raw gradient norm must exceed 40 (got ${n})`);
  assertAlmostEquals(norm(clipped), 40, 1e-3);
  for (const [name, d] of raw) {
    const c = clipped.get(name)!;
    for (let i = 0; i < d.length; i += 7) {
      assertAlmostEquals(c[i], d[i] * 40 / (n + 1e-6), 1e-5, name);
    }
  }
  // Below 40 the update is untouched.
  const small = await updateOf(tinyConfig("dgl", 1, ["method.alpha=0.5", "method.clip_norm=0"]));
  const smallClipped = await updateOf(tinyConfig("dgl", 1, ["method.alpha=0.5"]));
  assert(norm(small) < 40, `small norm expected (got ${norm(small)})`);
  for (const [name, d] of small) {
    const c = smallClipped.get(name)!;
    for (let i = 0; i < d.length; i++) assertAlmostEquals(c[i], d[i], 1e-7, name);
  }
});

Deno.test("dgl: official lr 2e-3 (lr_scale 2) with MultiStepLR stepped at epoch start", () => {
  const paper = resolveConfig({ method: "dgl", dataset: "crema-d", profile: "paper" });
  assertEquals(paper.method.alpha, 4);
  assertEquals(paper.method.clip_norm, 40);
  const m = dgl.create({
    info: { modalities: ["audio", "visual"], numClasses: 6 } as never,
    config: paper,
    params: paper.method,
    numTrain: 0,
    trainLabels: new Int32Array(),
    rng: new Rng(1),
    makeEncoder: (mod, rng) => new MlpEncoder(mod, 2, [], 2, rng),
  });
  const lr = (e: number) => m.learningRate!(e, paper.train.lr, 100);
  assertAlmostEquals(lr(0), 2e-3, 1e-12);
  assertAlmostEquals(lr(68), 2e-3, 1e-12);
  assertAlmostEquals(lr(69), 2e-4, 1e-12); // scheduler.step() at the start of epoch 69
  // Short runs: the one-epoch lead is one protocol epoch (20 epochs: e -> 5e, 5e + 1 >= 70).
  assertAlmostEquals(m.learningRate!(13, 1e-3, 20), 2e-3, 1e-12);
  assertAlmostEquals(m.learningRate!(14, 1e-3, 20), 2e-4, 1e-12);
  m.dispose();
  const endCfg = resolveConfig({
    method: "dgl",
    dataset: "crema-d",
    profile: "paper",
    sets: ["method.sched_at_start=false", "method.lr_scale=1"],
  });
  const m2 = dgl.create({
    info: { modalities: ["audio", "visual"], numClasses: 6 } as never,
    config: endCfg,
    params: endCfg.method,
    numTrain: 0,
    trainLabels: new Int32Array(),
    rng: new Rng(1),
    makeEncoder: (mod, rng) => new MlpEncoder(mod, 2, [], 2, rng),
  });
  assertAlmostEquals(m2.learningRate!(69, 1e-3, 100), 1e-3, 1e-12);
  assertAlmostEquals(m2.learningRate!(70, 1e-3, 100), 1e-4, 1e-12);
  m2.dispose();
});

Deno.test("dgl: a short run writes a complete record with the unimodal and fusion losses", async () => {
  await useWasm();
  const out = await tempOut();
  const { dir, summary } = await runOne({ config: tinyConfig("dgl", 2), out, backend: "wasm" });
  for (const f of ["config.json", "epochs.csv", "summary.json", "method.csv"]) {
    await Deno.stat(`${dir}/${f}`);
  }
  const rows = await readCsv(`${dir}/method.csv`);
  assertEquals(Object.keys(rows[0]), [
    "epoch",
    "loss_fusion",
    "loss_audio",
    "loss_visual",
    "grad_norm",
    "clipped",
  ]);
  assertEquals(rows.length, 2);
  for (const r of rows) for (const v of Object.values(r)) assert(Number.isFinite(Number(v)), v);
  for (const v of [summary.final.fusion, summary.final.audio, summary.final.visual]) {
    assert(Number.isFinite(v), "finite accuracies");
  }
  assert(Number.isFinite(summary.ratio_mean), "finite ratio");
  const epochs = await readCsv(`${dir}/epochs.csv`);
  assertAlmostEquals(Number(epochs[0].lr), 0.02, 1e-12); // quick profile lr 0.01 * lr_scale 2
});

Deno.test("dgl: no tensor leak across epochs", async () => {
  await useWasm();
  const counts = await epochTensorCounts(tinyConfig("dgl", 4));
  assertEquals(counts[3], counts[1], counts.join(","));
});

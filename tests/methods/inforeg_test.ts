import { tinyConfig, useWasm } from "../helpers.ts";
import { loadDataset } from "../../src/data/registry.ts";
import { methodContext } from "../../src/methods/context.ts";
import { getMethodEntry } from "../../src/methods/registry.ts";
import { train } from "../../src/train/trainer.ts";
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import {
  addProximal,
  fisherTraceStep,
  infoRegBetas,
  primeWindowChange,
  scaledWindow,
} from "../../src/methods/inforeg.ts";
import { makeParam } from "../../src/models/params.ts";
import { crossEntropy } from "../../src/optim/grads.ts";
import { rho } from "../../src/optim/metrics.ts";
import {
  batchOf,
  checkShortRun,
  createWith,
  logValue,
  paramValues,
  SpySgd,
  stepCtx,
  TestEncoder,
} from "./pace_fixtures.ts";
import { trainStep } from "../../src/train/step.ts";

const scalar = (t: tf.Tensor) => t.dataSync()[0];
const C = { strong: 0.95, lazy: 0.1 };

Deno.test("inforeg: beta rules on both sides of the score gap, and a closed gate", async () => {
  await useWasm();
  const betas = (s: number, l: number, gate = true) => {
    const b = infoRegBetas(tf.scalar(s), tf.scalar(l), gate, C);
    return [scalar(b.strong), scalar(b.lazy)];
  };
  // Strong ahead by 30 (tanh saturates): beta_s = 0.95 e^{tanh 30} = 0.95 e, beta_l = 0.
  const [s1, l1] = betas(40, 10);
  assertAlmostEquals(s1, 0.95 * Math.E, 1e-5);
  assertAlmostEquals(l1, 0, 0);
  // Strong ahead by 0.3: 0.95 e^{tanh 0.3}.
  assertAlmostEquals(betas(10.5, 10.2)[0], 0.95 * Math.exp(Math.tanh(0.3)), 1e-5);
  // Lazy ahead by 0.3: beta_l = 0.1 e^{tanh 0.3}, beta_s = 0.
  const [s2, l2] = betas(10.2, 10.5);
  assertAlmostEquals(s2, 0, 0);
  assertAlmostEquals(l2, 0.1 * Math.exp(Math.tanh(0.3)), 1e-6);
  // Equal scores, or the gate closed: both 0.
  assertEquals(betas(7, 7), [0, 0]);
  assertEquals(betas(40, 10, false), [0, 0]);
  assertEquals(betas(10, 40, false), [0, 0]);
});

/** The official main.py computation, transcribed literally (list of ten zeros, slices). */
function officialK(history: number[], window = 10): number {
  const list = [...new Array(window).fill(0), ...history];
  if (history.length === 0) return 1;
  const tr1 = list.slice(-window).reduce((a, b) => a + b, 0) / window;
  const tr2 = list.slice(-window - 1, -1).reduce((a, b) => a + b, 0) / window;
  return (tr1 - tr2) / tr1;
}

Deno.test("inforeg: prime-learning-window statistic k from a known Fisher-trace history", () => {
  // e = 0: k = 1; e = 1: T_0 / T_0 = 1; e = 2: T_1 / (T_0 + T_1).
  assertAlmostEquals(primeWindowChange([], 10), 1, 0);
  assertAlmostEquals(primeWindowChange([4], 10), 1, 1e-12);
  assertAlmostEquals(primeWindowChange([4, 1], 10), 0.2, 1e-12);
  // A rising-then-falling trace over 14 epochs, window 10.
  const h = [1, 3, 6, 8, 7, 5, 4, 3, 2, 2, 1.5, 1, 1, 0.5];
  for (let e = 0; e <= h.length; e++) {
    assertAlmostEquals(primeWindowChange(h.slice(0, e), 10), officialK(h.slice(0, e)), 1e-12);
  }
  // e = 11 (history T_0..T_10): k = (T_10 - T_0) / sum(T_1..T_10) = 0.5 / 41.5.
  assertAlmostEquals(primeWindowChange(h.slice(0, 11), 10), 0.5 / 41.5, 1e-12);
  // e = 12: (T_11 - T_1) / sum(T_2..T_11) = -2 / 39.5 -> the gate (k > 0.05) closes.
  assertAlmostEquals(primeWindowChange(h.slice(0, 12), 10), -2 / 39.5, 1e-12);
  // Scaled window 2 (a 20-epoch run): k_3 = (T_2 - T_0) / (T_1 + T_2).
  assertAlmostEquals(primeWindowChange([1, 2, 3], 2), 0.4, 1e-12);
  // An all-zero trace: the official code divides by zero; here the gate is closed.
  assertAlmostEquals(primeWindowChange([0, 0], 10), 0, 0);
  // Window scaling: 10 protocol epochs of 100, at least 1.
  assertEquals([100, 50, 20, 5, 3].map((E) => scaledWindow(10, E, 100)), [10, 5, 2, 1, 1]);
});

Deno.test("inforeg: proximal gradient g + beta (theta - theta0); Fisher trace = sum of mean g^2 of kernels", async () => {
  await useWasm();
  const w = makeParam(
    "encoder.audio.0.kernel",
    "encoder.audio",
    "kernel",
    Float32Array.from([1, 2, 3, 4]),
    [2, 2],
  );
  const b = makeParam("encoder.audio.0.bias", "encoder.audio", "bias", Float32Array.from([5]), [1]);
  const anchors = new Map<string, tf.Tensor>([
    [w.name, tf.tensor2d([[0, 2], [1, 5]])],
    [b.name, tf.tensor1d([4])],
  ]);
  const grads = new Map<string, tf.Tensor>([
    [w.name, tf.tensor2d([[0.1, 0.2], [0.3, 0.4]])],
    [b.name, tf.tensor1d([1])],
    ["head.fc.kernel", tf.tensor2d([[7]])],
  ]);
  const out = addProximal(grads, [w, b], anchors, tf.scalar(2));
  // theta - theta0 = [[1, 0], [2, -1]] and [1]; beta = 2.
  assertEquals(Array.from(out.get(w.name)!.dataSync()).map((v) => +v.toFixed(5)), [
    2.1,
    0.2,
    4.3,
    -1.6,
  ]);
  assertAlmostEquals(out.get(b.name)!.dataSync()[0], 3, 1e-6);
  assertAlmostEquals(out.get("head.fc.kernel")!.dataSync()[0], 7, 0);
  // Trace: kernels only: mean([0.1, 0.2, 0.3, 0.4]^2) = 0.3 / 4 = 0.075 (the bias is ignored).
  const raw = new Map<string, tf.Tensor>([[w.name, tf.tensor2d([[0.1, 0.2], [0.3, 0.4]])], [
    b.name,
    tf.tensor1d([9]),
  ]]);
  assertAlmostEquals(scalar(fisherTraceStep(raw, [w, b])), 0.075, 1e-7);
});

function encoders() {
  return {
    audio: new TestEncoder("audio", 2, { kernel: [[0.3, -0.4], [0.8, 0.1]], bias: [0.2, -0.1] }),
    visual: new TestEncoder("visual", 2, { kernel: [[-0.5, 0.6], [0.2, 0.9]], bias: [0.1, 0.3] }),
  };
}
const X = { audio: [[1, 2], [0.5, -1], [2, 0]], visual: [[-1, 0.5], [2, 1], [0, 1]] };
const Y = [0, 2, 1];

Deno.test("inforeg: in the method, the applied gradient gains beta_m (theta - theta_epoch_start) per encoder", async () => {
  await useWasm();
  // Two methods; B has both betas forced to 0 and gets A's parameters before every step, so
  // the difference of the applied gradients isolates A's proximal term.
  const a = createWith("inforeg", encoders(), 3);
  const b = createWith("inforeg", encoders(), 3, ["method.beta_strong=0", "method.beta_lazy=0"]);
  const sync = () => {
    for (const p of b.params()) {
      tf.tidy(() =>
        p.variable.assign(tf.clone(a.params().find((q) => q.name === p.name)!.variable))
      );
    }
  };
  const optA = new SpySgd(a), optB = new SpySgd(b);
  const batch = batchOf(X, Y);
  /** One step of both; checks A's gradient = B's + beta_m (theta - anchor) on encoder m. */
  const check = async (o: { epoch: number; step: number }, anchor: Map<string, Float32Array>) => {
    sync();
    const theta = paramValues(a);
    const ctx = { ...o, iteration: 10 * o.epoch + o.step, lr: 0.5 };
    const out = await trainStep(a, batch, stepCtx(optA, ctx));
    await trainStep(b, batch, stepCtx(optB, ctx));
    const beta = { audio: logValue(out.logs!.beta_audio), visual: logValue(out.logs!.beta_visual) };
    assertAlmostEquals(logValue(out.logs!.gate), 1, 0);
    assert(beta.audio > 0 || beta.visual > 0, "one modality must be regulated");
    assert(beta.audio === 0 || beta.visual === 0, "only the modality ahead is regulated");
    let moved = 0;
    const gA = optA.seen[optA.seen.length - 1], gB = optB.seen[optB.seen.length - 1];
    for (const [k, g] of gA) {
      const m = k.startsWith("encoder.audio")
        ? "audio"
        : k.startsWith("encoder.visual")
        ? "visual"
        : null;
      g.forEach((v, i) => {
        const d = theta.get(k)![i] - anchor.get(k)![i];
        assertAlmostEquals(v, gB.get(k)![i] + (m ? beta[m] * d : 0), 1e-5, `${k}[${i}]`);
        if (m && Math.abs(beta[m] * d) > 1e-4) moved++;
      });
    }
    return { out, moved };
  };
  const start0 = paramValues(a);
  // Epoch 0, step 0: theta = theta0 -> no proximal contribution at all.
  const s0 = await check({ epoch: 0, step: 0 }, start0);
  assertEquals(s0.moved, 0);
  // The loss is CE(z) + CE(g_a) + CE(g_v) on split logits.
  const want = scalar(crossEntropy(s0.out.fused, batch.labels)) +
    scalar(crossEntropy(s0.out.unimodal.audio, batch.labels)) +
    scalar(crossEntropy(s0.out.unimodal.visual, batch.labels));
  assertAlmostEquals(scalar(s0.out.loss), want, 1e-5);
  // Steps 1 and 2: the anchor stays theta at the START of the epoch (not the last step).
  assert((await check({ epoch: 0, step: 1 }, start0)).moved > 0, "non-trivial proximal term");
  assert((await check({ epoch: 0, step: 2 }, start0)).moved > 0, "non-trivial proximal term");
  // A new epoch re-anchors: step 0 of epoch 1 has no proximal term, step 1 uses the new anchor.
  const start1 = paramValues(a);
  assertEquals((await check({ epoch: 1, step: 0 }, start1)).moved, 0);
  assert((await check({ epoch: 1, step: 1 }, start1)).moved > 0, "non-trivial proximal term");
  a.dispose();
  b.dispose();
});

Deno.test("inforeg: the epoch's trace is the sum of the steps' traces; the gate follows the history", async () => {
  await useWasm();
  // 20 epochs -> window 2. History [1, 2, 3] before epoch 3: k = (3 - 1) / (2 + 3) = 0.4 > 0.05.
  const m = createWith("inforeg", encoders(), 3, [], 20);
  assertEquals(m.summaryExtras, { inforeg_window_epochs: 2 });
  const opt = new SpySgd(m);
  const batch = batchOf(X, Y);
  const o0 = await trainStep(m, batch, stepCtx(opt, { epoch: 0, step: 0 }));
  const o1 = await trainStep(m, batch, stepCtx(opt, { epoch: 0, step: 1, iteration: 1 }));
  assertAlmostEquals(logValue(o0.logs!.k), 1, 0);
  await m.onEpochEnd!({} as never);
  const json = m.state!().json as { history: number[] };
  assertAlmostEquals(json.history[0], logValue(o0.logs!.fim) + logValue(o1.logs!.fim), 1e-6);
  m.restore!({ json: { history: [1, 2, 3] }, tensors: {} });
  const o2 = await trainStep(m, batch, stepCtx(opt, { epoch: 3, step: 0, iteration: 6 }));
  assertAlmostEquals(logValue(o2.logs!.k), 0.4, 1e-12);
  assertAlmostEquals(logValue(o2.logs!.gate), 1, 0);
  // History [1, 3, 1]: k = (1 - 1) / (3 + 1) = 0 -> gate closed, no regulation at all.
  m.restore!({ json: { history: [1, 3, 1] }, tensors: {} });
  const o3 = await trainStep(m, batch, stepCtx(opt, { epoch: 4, step: 0, iteration: 7 }));
  assertAlmostEquals(logValue(o3.logs!.gate), 0, 0);
  assertAlmostEquals(logValue(o3.logs!.beta_audio) + logValue(o3.logs!.beta_visual), 0, 0);
  m.dispose();
  assertThrows(() => createWith("inforeg", encoders(), 3, ["method.strong=text"]), "method.strong");
});

Deno.test("inforeg: options strong, window, threshold reach the method", async () => {
  await useWasm();
  const batch = batchOf(X, Y);
  // strong=visual: visual's trace gates and its beta uses beta_strong (0.95).
  const m = createWith("inforeg", encoders(), 3, ["method.strong=visual", "method.window=20"], 20);
  assertEquals(m.logNames, ["beta_visual", "beta_audio", "gate", "k", "fim"]);
  assertEquals(m.summaryExtras, { inforeg_window_epochs: 4 });
  const opt = new SpySgd(m);
  const o = await trainStep(m, batch, stepCtx(opt));
  const sA = scalar(rho(o.unimodal.audio, batch.labels));
  const sV = scalar(rho(o.unimodal.visual, batch.labels));
  const want = infoRegBetas(tf.scalar(sV), tf.scalar(sA), true, C);
  assertAlmostEquals(logValue(o.logs!.beta_visual), scalar(want.strong), 1e-6);
  assertAlmostEquals(logValue(o.logs!.beta_audio), scalar(want.lazy), 1e-6);
  // threshold 0.5 closes the gate at k = 0.4 (history [1, 2, 3], window 2).
  const t = createWith("inforeg", encoders(), 3, ["method.threshold=0.5"], 20);
  t.restore!({ json: { history: [1, 2, 3] }, tensors: {} });
  const ot = await trainStep(t, batch, stepCtx(new SpySgd(t), { epoch: 3 }));
  assertAlmostEquals(logValue(ot.logs!.k), 0.4, 1e-12);
  assertAlmostEquals(logValue(ot.logs!.gate), 0, 0);
  m.dispose();
  t.dispose();
});

Deno.test("inforeg: short training run on the crema-d stand-in writes a complete record", async () => {
  await useWasm();
  await checkShortRun("inforeg");
});

Deno.test("inforeg: lr = lr_scale x train.lr with lr_scale 2 (official 2e-3 at the paper base 1e-3), harness StepLR", async () => {
  await useWasm();
  const m = createWith("inforeg", encoders(), 3, [], 100);
  assertAlmostEquals(m.learningRate!(0, 1e-3, 100), 2e-3, 1e-12);
  assertAlmostEquals(m.learningRate!(69, 1e-3, 100), 2e-3, 1e-12);
  assertAlmostEquals(m.learningRate!(70, 1e-3, 100), 2e-4, 1e-12);
  m.dispose();
  const one = createWith("inforeg", encoders(), 3, ["method.lr_scale=1"], 100);
  assertAlmostEquals(one.learningRate!(0, 1e-3, 100), 1e-3, 1e-12);
  one.dispose();
  assertThrows(() => createWith("inforeg", encoders(), 3, ["method.lr_scale=0"]), "lr_scale");
});

Deno.test("inforeg: under micro-batches the Fisher trace is taken once per step, on the accumulated gradient", async () => {
  await useWasm();
  // With both betas 0 InfoReg has no batch coupling on the quick profile's MLPs, so slices of
  // 16 must give the whole-batch run: the same parameters and the same trace history.
  const cfg = tinyConfig("inforeg", 2, ["method.beta_strong=0", "method.beta_lazy=0"]);
  const run = async (micro: number) => {
    const dataset = await loadDataset(cfg);
    const method = getMethodEntry("inforeg").create(
      methodContext(cfg, dataset.info, dataset.train),
    );
    const result = await train({ config: cfg, dataset, method, microBatch: micro });
    const history = (method.state!().json as { history: number[] }).history;
    const params = method.params().map((p) => Array.from(p.variable.dataSync()));
    method.dispose();
    dataset.dispose();
    return { history, params, rows: result.methodRows };
  };
  const whole = await run(0), micro = await run(16);
  whole.history.forEach((h, e) =>
    assertAlmostEquals(micro.history[e], h, 1e-4 * Math.abs(h), `epoch ${e + 1} trace`)
  );
  whole.rows.forEach((r, e) =>
    assertAlmostEquals(micro.rows[e].fim, r.fim, 1e-4 * Math.abs(r.fim))
  );
  whole.params.forEach((p, i) =>
    p.forEach((v, j) => assertAlmostEquals(micro.params[i][j], v, 1e-4 + 1e-4 * Math.abs(v)))
  );
});

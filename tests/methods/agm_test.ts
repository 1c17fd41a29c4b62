import { tinyConfig, useWasm } from "../helpers.ts";
import { loadDataset } from "../../src/data/registry.ts";
import { methodContext } from "../../src/methods/context.ts";
import { getMethodEntry } from "../../src/methods/registry.ts";
import { train } from "../../src/train/trainer.ts";
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "../assert.ts";
import {
  agmClip,
  agmCoefficients,
  agmContributions,
  AgmState,
  contributionLoss,
  modulatedOutput,
} from "../../src/methods/agm.ts";
import { ConcatHead } from "../../src/models/fusion.ts";
import { FusionModel } from "../../src/models/model.ts";
import { Rng } from "../../src/rng.ts";
import { crossEntropy, gradsOf } from "../../src/optim/grads.ts";
import {
  batchOf,
  checkShortRun,
  createWith,
  logValue,
  setParam,
  SpySgd,
  stepCtx,
  TestEncoder,
} from "./pace_fixtures.ts";
import { trainStep } from "../../src/train/step.ts";

const E = Math.E;
const scalar = (t: tf.Tensor) => t.dataSync()[0];

function near(a: unknown, e: unknown, tol: number, msg: string): void {
  const actual = a as number[][], expected = e as number[][];
  expected.forEach((row, i) =>
    row.forEach((v, j) => assertAlmostEquals(actual[i][j], v, tol, `${msg}[${i}][${j}]`))
  );
}

/** A fusion model over the given encoders with a fixed concat head (kernel rows a then v). */
function model(encoders: Record<string, TestEncoder>, kernel: number[][], bias: number[]) {
  const dims = Object.fromEntries(Object.entries(encoders).map(([m, e]) => [m, e.outDim]));
  const head = new ConcatHead(Object.keys(encoders), dims, bias.length, new Rng(1));
  head.fc.kernel.variable.assign(tf.tensor2d(kernel));
  head.fc.bias!.variable.assign(tf.tensor1d(bias));
  return new FusionModel(encoders, head);
}

const W = [[1, -1, 0.5], [0, 2, 1], [2, 0, -1], [-1, 1, 3]];
const B = [0.5, -0.2, 0.3];
const X = { audio: [[1, 2], [0.5, -1]], visual: [[-1, 0.5], [2, 1]] };

Deno.test("agm: contributions m_a = (T - f(0,v) + f(a,0))/2 sum to T; zeroed passes in eval mode", async () => {
  await useWasm();
  const enc = { audio: new TestEncoder("audio", 2), visual: new TestEncoder("visual", 2) };
  const net = model(enc, W, B);
  const b = batchOf(X, [0, 2]);
  const c = agmContributions(net, b.inputs, true);
  // Identity encoders: f(a, 0) = x_a W_a + b, f(0, v) = x_v W_v + b, so m_a = x_a W_a + b/2.
  const xa = tf.tensor2d(X.audio), xv = tf.tensor2d(X.visual);
  const wa = tf.tensor2d(W.slice(0, 2)), wv = tf.tensor2d(W.slice(2));
  const half = tf.mul(tf.tensor1d(B), 0.5);
  near(
    await c.contributions.audio.array(),
    await tf.add(tf.matMul(xa, wa), half).array(),
    1e-5,
    "m_a",
  );
  near(
    await c.contributions.visual.array(),
    await tf.add(tf.matMul(xv, wv), half).array(),
    1e-5,
    "m_v",
  );
  const T = await net.head.fuse(net.encode(b.inputs, true)).array();
  near(await c.fused.array(), T, 1e-5, "T");
  near(
    await tf.add(c.contributions.audio, c.contributions.visual).array(),
    T,
    1e-5,
    "m_a + m_v = T",
  );
  // The modulated output equals T in the forward pass, whatever the scales.
  near(
    await modulatedOutput(c.contributions, { audio: 0.3, visual: 4 }).array(),
    T,
    1e-5,
    "out = T",
  );
  // Each encoder: the full pass in the requested mode, then two eval-mode passes; the extra
  // passes see eval mode even when the full pass trains (official net.eval()).
  enc.audio.modes.length = enc.visual.modes.length = 0;
  agmContributions(net, b.inputs, true);
  assertEquals(enc.audio.modes, [true, false, false]);
  assertEquals(enc.visual.modes, [true, false, false]);
  enc.audio.modes.length = 0;
  agmContributions(net, b.inputs, false);
  assertEquals(enc.audio.modes, [false, false, false]);
});

/** tanh encoders with parameters (so the zeroed passes still depend on them via the bias). */
function tanhModel() {
  const enc = {
    audio: new TestEncoder("audio", 2, { kernel: [[0.3, -0.4], [0.8, 0.1]], bias: [0.2, -0.1] }),
    visual: new TestEncoder("visual", 2, { kernel: [[-0.5, 0.6], [0.2, 0.9]], bias: [0.1, 0.3] }),
  };
  return model(enc, W, B);
}

Deno.test("agm: the gradient of CE(out) is each contribution's gradient scaled by k_m (finite differences)", async () => {
  await useWasm();
  const net = tanhModel();
  const b = batchOf(X, [0, 2]);
  const k = { audio: 0.3, visual: 2.5 };
  const params = net.params();
  const r = gradsOf(params, () => {
    const c = agmContributions(net, b.inputs, true);
    return { loss: crossEntropy(modulatedOutput(c.contributions, k), b.labels), aux: c };
  });
  // dL/dout at the current point (out = T): G = (softmax(T) - onehot(y)) / B, held fixed.
  const G = tf.tidy(() => tf.div(tf.sub(tf.softmax(r.aux.fused), tf.oneHot(b.labels, 3)), b.size));
  // Phi(theta) = sum_m k_m <G, m_m(theta)>: its gradient is what the hooks must produce.
  const phi = () =>
    tf.tidy(() => {
      const c = agmContributions(net, b.inputs, true);
      return scalar(tf.addN(
        Object.entries(k).map(([m, km]) => tf.mul(km, tf.sum(tf.mul(G, c.contributions[m])))),
      ));
    });
  const eps = 1e-2;
  let checked = 0;
  for (const p of params) {
    const g = r.grads.get(p.name)!.dataSync();
    const base = p.variable.dataSync().slice();
    for (let i = 0; i < base.length; i++) {
      const at = (d: number) => {
        const v = base.slice();
        v[i] += d;
        p.variable.assign(tf.tensor(v, p.variable.shape));
        return phi();
      };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      p.variable.assign(tf.tensor(base, p.variable.shape));
      assertAlmostEquals(g[i], fd, 2e-3, `${p.name}[${i}]`);
      checked++;
    }
  }
  assertEquals(checked, 2 * (4 + 2) + 4 * 3 + 3);
  // The scales matter for the encoders: with k = 1 the gradient is plain CE(T)'s.
  const one = gradsOf(params, () => {
    const c = agmContributions(net, b.inputs, true);
    return {
      loss: crossEntropy(modulatedOutput(c.contributions, { audio: 1, visual: 1 }), b.labels),
      aux: null,
    };
  });
  const plain = gradsOf(params, () => ({
    loss: crossEntropy(net.head.fuse(net.encode(b.inputs, true)), b.labels),
    aux: null,
  }));
  for (const p of params) {
    const a = one.grads.get(p.name)!.dataSync(), q = plain.grads.get(p.name)!.dataSync();
    a.forEach((v, i) => assertAlmostEquals(v, q[i], 1e-6, `k=1 ${p.name}`));
  }
  const ga = r.grads.get("encoder.audio.0.kernel")!.dataSync();
  const pa = plain.grads.get("encoder.audio.0.kernel")!.dataSync();
  assert(ga.some((v, i) => Math.abs(v - pa[i]) > 1e-4), "k != 1 must change the encoder gradient");
});

Deno.test("agm: S_m caps each term at -log(1e-8); coefficients k = exp(alpha min(r* - r, cap))", async () => {
  await useWasm();
  // Row 0: p(y) = softmax([0, 0])[0] = 0.5 -> log 2; row 1: p(y) ~ e^-40 -> capped at -log 1e-8.
  const z = tf.tensor2d([[0, 0], [40, 0]]);
  const S = scalar(contributionLoss(z, tf.tensor1d([0, 1], "int32")));
  assertAlmostEquals(S, (Math.log(2) - Math.log(1e-8)) / 2, 1e-4);
  // S = (0.5, 1.5), running means (1.0, 1.2):
  // r_a = e^1, r_v = e^-1, r*_a = e^0.2, r*_v = e^-0.2.
  const c = agmCoefficients(
    { audio: tf.scalar(0.5), visual: tf.scalar(1.5) },
    { audio: tf.scalar(1.0), visual: tf.scalar(1.2) },
    1.5,
    10,
  );
  assertAlmostEquals(scalar(c.r.audio), E, 1e-5);
  assertAlmostEquals(scalar(c.rStar.visual), Math.exp(-0.2), 1e-6);
  assertAlmostEquals(scalar(c.k.audio), Math.exp(1.5 * (Math.exp(0.2) - E)), 1e-5);
  assertAlmostEquals(scalar(c.k.visual), Math.exp(1.5 * (Math.exp(-0.2) - Math.exp(-1))), 1e-5);
  // The cap: r*_a - r_a = e^3 - 1 > 10 -> k_a = exp(1.5 * 10).
  const capped = agmCoefficients(
    { audio: tf.scalar(1), visual: tf.scalar(1) },
    { audio: tf.scalar(0), visual: tf.scalar(3) },
    1.5,
    10,
  );
  assertAlmostEquals(scalar(capped.k.audio) / Math.exp(15), 1, 1e-5);
});

Deno.test("agm: coefficients use the running means BEFORE this iteration's update", async () => {
  await useWasm();
  const st = new AgmState(["audio", "visual"]);
  const S = (a: number, v: number) => ({ audio: tf.scalar(a), visual: tf.scalar(v) });
  // t = 1: running means start at 0 -> r* = 1; then S^ = S_1.
  const c1 = st.next(S(1, 2), 1, 1.5, 10);
  assertAlmostEquals(scalar(c1.rStar.audio), 1, 1e-7);
  assertAlmostEquals(scalar(c1.k.audio), Math.exp(1.5 * (1 - E)), 1e-5);
  assertAlmostEquals(scalar(st.running.audio), 1, 1e-7);
  assertAlmostEquals(scalar(st.running.visual), 2, 1e-7);
  // t = 2: r*_a = exp(S^_v - S^_a) = e from S_1; then S^ = (S_1 + S_2)/2 = (2, 1.5).
  const c2 = st.next(S(3, 1), 2, 1.5, 10);
  assertAlmostEquals(scalar(c2.rStar.audio), E, 1e-5);
  assertAlmostEquals(scalar(c2.k.audio), Math.exp(1.5 * (E - Math.exp(-2))), 1e-4);
  assertAlmostEquals(scalar(st.running.audio), 2, 1e-6);
  assertAlmostEquals(scalar(st.running.visual), 1.5, 1e-6);
  // t = 3: S^ <- S^ 2/3 + S_3/3.
  st.next(S(5, 0), 3, 1.5, 10);
  assertAlmostEquals(scalar(st.running.audio), 3, 1e-6);
  assertAlmostEquals(scalar(st.running.visual), 1, 1e-6);
  st.dispose();
});

Deno.test("agm: trainStep applies k from the old means, logs them, keeps the last scales outside the window", async () => {
  await useWasm();
  const enc = { audio: new TestEncoder("audio", 2), visual: new TestEncoder("visual", 2) };
  const method = createWith("agm", enc, 3, ["method.window_start=50", "method.window_end=100"]);
  setParam(method, "head.fc.kernel", W);
  setParam(method, "head.fc.bias", B);
  const opt = new SpySgd(method);
  const b = batchOf(X, [0, 2]);
  // Iteration 1 at protocol epoch 0: outside the window -> hooks keep their initial scale 1.
  const o1 = await trainStep(method, b, stepCtx(opt, { iteration: 0, lr: 0.01 }));
  const S1 = { a: logValue(o1.logs!.loss_audio), v: logValue(o1.logs!.loss_visual) };
  // S_a from the contributions of this step (identity encoders: split logits).
  const ceA = scalar(contributionLoss(o1.unimodal.audio, b.labels));
  assertAlmostEquals(S1.a, ceA, 1e-6);
  assertAlmostEquals(logValue(o1.logs!.k_audio), Math.exp(1.5 * (1 - Math.exp(S1.v - S1.a))), 1e-4);
  assertAlmostEquals(logValue(o1.logs!.scale_audio), 1, 0);
  assertAlmostEquals(logValue(o1.logs!.running_audio), S1.a, 1e-6);
  // Iteration 2 inside the window: r* from S^ = S_1; the hook takes k.
  const o2 = await trainStep(
    method,
    b,
    stepCtx(opt, { iteration: 1, protocolEpoch: 60, lr: 0.01 }),
  );
  const S2 = { a: logValue(o2.logs!.loss_audio), v: logValue(o2.logs!.loss_visual) };
  const k2 = Math.exp(1.5 * (Math.exp(S1.v - S1.a) - Math.exp(S2.v - S2.a)));
  assertAlmostEquals(logValue(o2.logs!.k_audio), k2, 1e-4);
  assertAlmostEquals(logValue(o2.logs!.scale_audio), k2, 1e-4);
  assertAlmostEquals(logValue(o2.logs!.running_audio), (S1.a + S2.a) / 2, 1e-5);
  // Iteration 3 outside again: k is computed (and the means updated) but the scale stays k2.
  const o3 = await trainStep(method, b, stepCtx(opt, { iteration: 2, lr: 0.01 }));
  assertAlmostEquals(logValue(o3.logs!.scale_audio), k2, 1e-4);
  assert(Math.abs(logValue(o3.logs!.k_audio) - k2) > 1e-6, "a fresh k differs from the held one");
  // A step's fused output is T = m_a + m_v, and its unimodal logits are the contributions.
  near(
    await o3.fused.array(),
    await tf.add(o3.unimodal.audio, o3.unimodal.visual).array(),
    1e-5,
    "T",
  );
  method.dispose();
});

Deno.test("agm: clip to global norm 1 only when some head-kernel gradient element exceeds 1", async () => {
  await useWasm();
  const grads = (k: number[][], e: number[]) =>
    new Map<string, tf.Tensor>([["head.fc.kernel", tf.tensor2d(k)], [
      "encoder.audio.0.kernel",
      tf.tensor1d(e),
    ]]);
  // |1.5| > 1: global norm sqrt(1.5^2 + 2^2) = 2.5 -> everything times 1 / (2.5 + 1e-6).
  const a = agmClip(grads([[1.5, 0]], [2, 0]), "head.fc.kernel", 1, 1);
  assertAlmostEquals(scalar(a.clipped), 1, 0);
  assertAlmostEquals(a.grads.get("head.fc.kernel")!.dataSync()[0], 0.6, 1e-5);
  assertAlmostEquals(a.grads.get("encoder.audio.0.kernel")!.dataSync()[0], 0.8, 1e-5);
  // A negative element below -1 triggers too.
  assertAlmostEquals(
    scalar(agmClip(grads([[-1.2, 0]], [0, 0]), "head.fc.kernel", 1, 1).clipped),
    1,
    0,
  );
  // All head elements within [-1, 1]: no clip even though the global norm is 10.
  const c = agmClip(grads([[0.9, -1]], [10, 0]), "head.fc.kernel", 1, 1);
  assertAlmostEquals(scalar(c.clipped), 0, 0);
  assertAlmostEquals(c.grads.get("encoder.audio.0.kernel")!.dataSync()[0], 10, 1e-6);
  assertAlmostEquals(c.grads.get("head.fc.kernel")!.dataSync()[1], -1, 1e-7);
  // Triggered with a norm already below max_norm: coefficient min(1, ...) = 1.
  const d = agmClip(grads([[1.1, 0]], [0, 0]), "head.fc.kernel", 1, 5);
  assertAlmostEquals(d.grads.get("head.fc.kernel")!.dataSync()[0], 1.1, 1e-6);
});

Deno.test("agm: options alpha, cap, clip_threshold, clip_norm reach the method", async () => {
  await useWasm();
  const enc = { audio: new TestEncoder("audio", 2), visual: new TestEncoder("visual", 2) };
  const sets = [
    "method.alpha=2",
    "method.cap=-0.5",
    "method.clip_threshold=0",
    "method.clip_norm=0.001",
  ];
  const method = createWith("agm", enc, 3, sets);
  setParam(method, "head.fc.kernel", W);
  setParam(method, "head.fc.bias", B);
  const opt = new SpySgd(method);
  const o = await trainStep(method, batchOf(X, [0, 2]), stepCtx(opt));
  // r* = 1 at t = 1; min(1 - r, -0.5) <= -0.5 for both modalities.
  const S = { a: logValue(o.logs!.loss_audio), v: logValue(o.logs!.loss_visual) };
  const k = (rs: number) => Math.exp(2 * Math.min(1 - rs, -0.5));
  assertAlmostEquals(logValue(o.logs!.k_audio), k(Math.exp(S.v - S.a)), 1e-5);
  assertAlmostEquals(logValue(o.logs!.k_visual), k(Math.exp(S.a - S.v)), 1e-5);
  // Threshold 0: any non-zero head gradient clips; the applied global norm is then 0.001.
  assertAlmostEquals(logValue(o.logs!.clipped), 1, 0);
  let sq = 0;
  for (const g of opt.seen[0].values()) for (const v of g) sq += v * v;
  assertAlmostEquals(Math.sqrt(sq), 0.001, 1e-6);
  method.dispose();
});

Deno.test("agm: short training run on the crema-d stand-in writes a complete record", async () => {
  await useWasm();
  await checkShortRun("agm");
});

/**
 * An identity encoder that, like the Bi-GRU, needs an auxiliary input (`<m>_mask`) from the
 * batch's full inputs: it multiplies the features by the mask and throws without it.
 */
class MaskedEncoder extends TestEncoder {
  override forward(x: tf.Tensor, training: boolean, inputs?: Record<string, tf.Tensor>) {
    const mask = inputs?.[`${this.modality}_mask`];
    if (!mask) throw new Error(`${this.modality}: the inputs lack '${this.modality}_mask'`);
    super.forward(x, training);
    return tf.mul(x, mask) as tf.Tensor2D;
  }
}

Deno.test("agm: the zeroed passes keep the batch's auxiliary inputs (text_mask) and zero only one modality", async () => {
  await useWasm();
  const enc = { audio: new TestEncoder("audio", 2), visual: new MaskedEncoder("visual", 2) };
  const net = model(enc, W, B);
  const b = batchOf(X, [0, 2]);
  const mask = tf.tensor2d([[1, 0], [1, 1]]);
  const inputs = { ...b.inputs, visual_mask: mask };
  const c = agmContributions(net, inputs, true);
  // Identity encoders, the visual one masked: f(0, v) = (x_v * mask) W_v + b, so
  // m_v = (x_v * mask) W_v + b/2 and m_a = x_a W_a + b/2.
  const xv = tf.mul(tf.tensor2d(X.visual), mask);
  const half = tf.mul(tf.tensor1d(B), 0.5);
  near(
    await c.contributions.visual.array(),
    await tf.add(tf.matMul(xv, tf.tensor2d(W.slice(2))), half).array(),
    1e-5,
    "m_v",
  );
  near(
    await c.contributions.audio.array(),
    await tf.add(tf.matMul(tf.tensor2d(X.audio), tf.tensor2d(W.slice(0, 2))), half).array(),
    1e-5,
    "m_a",
  );
});

Deno.test("agm: under micro-batches the cumulative means S^ take one update per optimizer step, on whole-batch S", async () => {
  await useWasm();
  // 240 samples, batch 64: 4 steps per epoch; slices of 16.
  const cfg = tinyConfig("agm", 1);
  const dataset = await loadDataset(cfg);
  const method = getMethodEntry("agm").create(methodContext(cfg, dataset.info, dataset.train));
  const result = await train({ config: cfg, dataset, method, microBatch: 16 });
  const saved = method.state!();
  // loss_<m> in method.csv is the epoch mean over steps of the step's (whole-batch) S_m; after
  // one epoch of t = 1..4 updates S^ = (S_1 + ... + S_4) / 4, i.e. exactly that mean.
  for (const m of ["audio", "visual"]) {
    const running = (await saved.tensors[`running_${m}`].data())[0];
    const mean = result.methodRows[0][`loss_${m}`];
    assertAlmostEquals(
      running,
      mean,
      1e-5,
      `S^_${m} ${running} vs the mean of the steps' S ${mean}`,
    );
  }
  method.dispose();
  dataset.dispose();
});

import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import {
  fuseLogits,
  fusionWeights,
  mla,
  mlaAlpha,
  projectKernelGrad,
  projectorUpdate,
} from "../../src/methods/mla.ts";
import type { Method, StepContext } from "../../src/methods/types.ts";
import { seedFor } from "../../src/rng.ts";
import { runOne } from "../../src/runner/run_one.ts";
import { crossEntropy, type Grads, gradsOf } from "../../src/optim/grads.ts";
import { Sgd } from "../../src/optim/sgd.ts";
import { tinyToyMethod, toyBatch4 } from "./pace_fixtures.ts";
import { readCsv, tempOut, tinyConfig, useWasm } from "../helpers.ts";
import { loadDataset } from "../../src/data/registry.ts";
import { methodContext } from "../../src/methods/context.ts";
import { getMethodEntry } from "../../src/methods/registry.ts";
import type { RunConfig } from "../../src/config/types.ts";
import { train } from "../../src/train/trainer.ts";
import { trainStep } from "../../src/train/step.ts";

const T = 1e-5;

async function values(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

function close(actual: number[], expected: number[], tol = T, msg = ""): void {
  assertEquals(actual.length, expected.length, `${msg} length`);
  expected.forEach((e, i) => assertAlmostEquals(actual[i], e, tol, `${msg}[${i}]`));
}

// Features [[1, 0], [3, 2]]: r = [2, 1]; P = I: k = [2, 1]^T, r k = 5; alpha = 0.1:
// P' = I - [[4, 2], [2, 1]] / 5.1, then divided by its Frobenius norm.
function handProjector(): number[] {
  const p = [1 - 4 / 5.1, -2 / 5.1, -2 / 5.1, 1 - 1 / 5.1];
  const fro = Math.sqrt(p.reduce((s, x) => s + x * x, 0));
  return p.map((x) => x / fro);
}

Deno.test("mla: projector update on a known feature mean, Frobenius normalisation", async () => {
  await useWasm();
  const P = tf.eye(2) as tf.Tensor2D;
  const f = tf.tensor2d([[1, 0], [3, 2]]);
  const next = projectorUpdate(P, f, 0.1);
  const got = await values(next);
  close(got, handProjector(), T, "P");
  assertAlmostEquals(Math.sqrt(got.reduce((s, x) => s + x * x, 0)), 1, T, "|P|_F");
  // A second update from the normalised P: k = P r^T, P - k k^T / (alpha + r k), normalised.
  const p = handProjector();
  const k = [p[0] * 2 + p[1] * 1, p[2] * 2 + p[3] * 1];
  const rk = 2 * k[0] + 1 * k[1];
  const q = [0, 1, 2, 3].map((i) => p[i] - k[i >> 1] * k[i & 1] / (0.05 + rk));
  const qf = Math.sqrt(q.reduce((s, x) => s + x * x, 0));
  const next2 = projectorUpdate(next, f, 0.05);
  close(await values(next2), q.map((x) => x / qf), T, "P2");
  tf.dispose([P, f, next, next2]);
  // alpha schedule 0.1^(1 + i/N).
  assertAlmostEquals(mlaAlpha(0.1, 0, 4), 0.1, 1e-12);
  assertAlmostEquals(mlaAlpha(0.1, 2, 4), Math.pow(0.1, 1.5), 1e-12);
});

Deno.test("mla: projected head gradient: replace P g, additive g + P g, off g", async () => {
  await useWasm();
  const p = handProjector();
  const P = tf.tensor2d(p, [2, 2]);
  // Kernel gradient K [D=2, C=3] (torch's grad_W P^T = (P grad_K)^T).
  const g = tf.tensor2d([[1, 2, 3], [-1, 0, 4]]);
  const Pg = [0, 1].flatMap((i) =>
    [0, 1, 2].map((c) => p[2 * i] * [1, 2, 3][c] + p[2 * i + 1] * [-1, 0, 4][c])
  );
  close(await values(projectKernelGrad(g, P, "replace")), Pg, T, "replace");
  const gFlat = [1, 2, 3, -1, 0, 4];
  close(await values(projectKernelGrad(g, P, "additive")), Pg.map((x, i) => x + gFlat[i]), T);
  close(await values(projectKernelGrad(g, P, "off")), gFlat, 0, "off");
  tf.dispose([P, g]);
});

Deno.test("mla: entropy fusion weights per sample and per batch; fixed weights", async () => {
  await useWasm();
  const za = [[2, 0], [0, 0], [1, 3]];
  const zv = [[0, 0], [1, -1], [0, 0.5]];
  const logits = { audio: tf.tensor2d(za), visual: tf.tensor2d(zv) };
  const entropy = (ps: number[]) => -ps.reduce((s, p) => s + p * Math.log(p), 0);
  const softmax = (xs: number[]) => {
    const e = xs.map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };
  // Per sample: H over classes; w_m = exp(max H - H_m) / sum_j exp(max H - H_j).
  const hA = za.map((r) => entropy(softmax(r))), hV = zv.map((r) => entropy(softmax(r)));
  const wA = hA.map((h, k) => {
    const mx = Math.max(h, hV[k]);
    return Math.exp(mx - h) / (Math.exp(mx - h) + Math.exp(mx - hV[k]));
  });
  const ws = fusionWeights(logits, "entropy-sample", [0.55, 0.45]);
  assertEquals(ws.audio.shape, [3, 1]);
  close(await values(ws.audio), wA, T, "sample audio");
  close(await values(ws.visual), wA.map((w) => 1 - w), T, "sample visual");
  // Sample 0: audio is confident (H_a < ln 2 = H_v) and gets the larger weight.
  assert(wA[0] > 0.5, "lower entropy, larger weight");
  // Per batch (official, softmax over dim 0): one weight per modality.
  const col = (z: number[][], c: number) => softmax(z.map((r) => r[c]));
  const hBatch = (z: number[][]) => entropy([...col(z, 0), ...col(z, 1)]);
  const hBa = hBatch(za), hBv = hBatch(zv);
  const mx = Math.max(hBa, hBv);
  const wBa = Math.exp(mx - hBa) / (Math.exp(mx - hBa) + Math.exp(mx - hBv));
  const wb = fusionWeights(logits, "entropy-batch", [0.55, 0.45]);
  assertEquals(wb.audio.shape, []);
  close(await values(wb.audio), [wBa], T, "batch audio");
  close(await values(wb.visual), [1 - wBa], T, "batch visual");
  const zb = fuseLogits(logits, "entropy-batch", [0.55, 0.45]);
  close(await values(zb), za.flatMap((r, k) => r.map((x, c) => wBa * x + (1 - wBa) * zv[k][c])));
  const zs = fuseLogits(logits, "entropy-sample", [0.55, 0.45]);
  close(
    await values(zs),
    za.flatMap((r, k) => r.map((x, c) => wA[k] * x + (1 - wA[k]) * zv[k][c])),
  );
  // Fixed: 0.55 z_a + 0.45 z_v (official main(av_alpha=0.55)), or any given weights.
  const zf = fuseLogits(logits, "fixed", [0.55, 0.45]);
  close(await values(zf), za.flatMap((r, k) => r.map((x, c) => 0.55 * x + 0.45 * zv[k][c])));
  const zh = fuseLogits(logits, "fixed", [0.5, 0.5]);
  close(await values(zh), za.flatMap((r, k) => r.map((x, c) => 0.5 * (x + zv[k][c]))));
  tf.dispose([
    ...Object.values(ws),
    ...Object.values(wb),
    zb,
    zs,
    zf,
    zh,
    ...Object.values(logits),
  ]);
});

interface Call {
  grads: Map<string, number[]>;
  /** Parameter values when the step was called (before it is applied). */
  params: Map<string, number[]>;
}

/** A real SGD that records each step's gradients and the parameters it saw. */
class RecordingSgd extends Sgd {
  calls: Call[] = [];
  constructor(private readonly method: Method) {
    super(method.params(), { momentum: 0.9, weightDecay: 1e-4 });
  }
  override step(grads: Grads, lr: number): void {
    const read = (t: tf.Tensor) => Array.from(t.dataSync());
    this.calls.push({
      grads: new Map([...grads].map(([k, t]) => [k, read(t)])),
      params: new Map(this.method.params().map((p) => [p.name, read(p.variable)])),
    });
    super.step(grads, lr);
  }
}

function stepCtx(optimizer: Sgd, step = 0): StepContext {
  return {
    epoch: 0,
    step,
    iteration: step,
    epochs: 2,
    stepsPerEpoch: 4,
    lr: 0.05,
    optimizer,
    share: 1,
    protocolEpoch: 0,
    seed: (...p) => seedFor(0, ...p),
  };
}

/** grad of CE(relu(x K_e + b_e) K_h + b_h) for the head kernel, from recorded values. */
function headKernelGrad(call: Call, x: tf.Tensor2D, m: string, y: tf.Tensor1D) {
  const t = (name: string, shape: number[]) => tf.tensor(call.params.get(name)!, shape);
  const f = tf.relu(
    tf.add(
      tf.matMul(x, t(`encoder.${m}.0.kernel`, [x.shape[1], 4]) as tf.Tensor2D),
      t(`encoder.${m}.0.bias`, [4]),
    ),
  ) as tf.Tensor2D;
  const kernel = tf.variable(t("head.shared.kernel", [4, 3]));
  const bias = tf.variable(t("head.shared.bias", [3]));
  const r = gradsOf(
    [
      { name: "k", group: "head", kind: "kernel", variable: kernel },
      { name: "b", group: "head", kind: "bias", variable: bias },
    ],
    () => ({ loss: crossEntropy(tf.add(tf.matMul(f, kernel), bias) as tf.Tensor2D, y), aux: null }),
  );
  const out = { f, g: r.grads.get("k")! as tf.Tensor2D, gb: r.grads.get("b")! };
  tf.dispose([kernel, bias, r.loss]);
  return out;
}

Deno.test("mla: two optimizer steps per batch, audio then visual through one shared head", async () => {
  await useWasm();
  const method = tinyToyMethod(mla, 5); // defaults: projection replace, coast on
  const opt = new RecordingSgd(method);
  const batch = toyBatch4();
  const before = tf.memory().numTensors;
  const out = await trainStep(method, batch, stepCtx(opt));
  // Logs: per-modality losses, and the logged loss 0.55 L_a + 0.45 L_v.
  const la = (await values(out.logs!.loss_audio as tf.Scalar))[0];
  const lv = (await values(out.logs!.loss_visual as tf.Scalar))[0];
  assertAlmostEquals((await values(out.loss))[0], 0.55 * la + 0.45 * lv, 1e-6);
  tf.dispose([out.loss, out.fused, ...Object.values(out.unimodal)]);
  for (const t of Object.values(out.logs ?? {})) if (typeof t !== "number") t.dispose();
  assertEquals(tf.memory().numTensors, before, "no tensor left behind");
  assertEquals(opt.calls.length, 2);
  const enc = (m: string) => [`encoder.${m}.0.kernel`, `encoder.${m}.0.bias`];
  const head = ["head.shared.kernel", "head.shared.bias"];
  // Step 1 (audio): audio encoder + head. Step 2 (visual): visual encoder + head, and the audio
  // encoder with zero gradients (torch 1.8 zero_grad: one more momentum/decay update).
  assertEquals([...opt.calls[0].grads.keys()].sort(), [...enc("audio"), ...head].sort());
  assertEquals(
    [...opt.calls[1].grads.keys()].sort(),
    [...enc("visual"), ...head, ...enc("audio")].sort(),
  );
  for (const n of enc("audio")) {
    assert(opt.calls[1].grads.get(n)!.every((v) => v === 0), `${n} coasts with zeros`);
  }
  // The visual step sees the head as updated by the audio step.
  const h0 = opt.calls[0].params.get("head.shared.kernel")!;
  const h1 = opt.calls[1].params.get("head.shared.kernel")!;
  assert(h0.some((v, i) => v !== h1[i]), "head changed between the two steps");
  // Step 1 is the run's first modality step (exp_count 0): no projection, the plain gradient.
  const a = headKernelGrad(
    opt.calls[0],
    batch.inputs.audio as tf.Tensor2D,
    "audio",
    batch.labels,
  );
  close(opt.calls[0].grads.get("head.shared.kernel")!, await values(a.g), 1e-5, "audio step");
  // Step 2: P <- update(I, mean f_v, alpha = 0.1^(1 + 0/4)), head grad P g.
  const v = headKernelGrad(
    opt.calls[1],
    batch.inputs.visual as tf.Tensor2D,
    "visual",
    batch.labels,
  );
  const P = projectorUpdate(tf.eye(4) as tf.Tensor2D, v.f, 0.1);
  const Pg = projectKernelGrad(v.g, P, "replace");
  close(opt.calls[1].grads.get("head.shared.kernel")!, await values(Pg), 1e-5, "visual step");
  // The bias gradient is never projected.
  close(opt.calls[1].grads.get("head.shared.bias")!, await values(v.gb), 1e-5, "bias");
  const s = method.state!();
  close(await values(s.tensors.P), await values(P), 1e-6, "P kept");
  assertEquals(s.json, { expCount: 2 });
  tf.dispose([a.f, a.g, a.gb, v.f, v.g, v.gb, P, Pg]);

  // coast=false: the visual step updates only the visual encoder and the head.
  const plain = tinyToyMethod(mla, 5, ["method.coast=false", "method.projection=off"]);
  const opt2 = new RecordingSgd(plain);
  const out2 = await trainStep(plain, batch, stepCtx(opt2));
  assertEquals([...opt2.calls[1].grads.keys()].sort(), [...enc("visual"), ...head].sort());
  const v2 = headKernelGrad(
    opt2.calls[1],
    batch.inputs.visual as tf.Tensor2D,
    "visual",
    batch.labels,
  );
  close(opt2.calls[1].grads.get("head.shared.kernel")!, await values(v2.g), 1e-5, "off");
  tf.dispose([out2.loss, out2.fused, ...Object.values(out2.unimodal), v2.f, v2.g]);
  for (const t of Object.values(out2.logs ?? {})) if (typeof t !== "number") t.dispose();
  method.dispose();
  plain.dispose();
});

Deno.test("mla: additive projection and the projector state survive state()/restore()", async () => {
  await useWasm();
  const method = tinyToyMethod(mla, 5, ["method.projection=additive"]);
  const opt = new RecordingSgd(method);
  const batch = toyBatch4();
  for (let s = 0; s < 2; s++) {
    const out = await trainStep(method, batch, stepCtx(opt, s));
    tf.dispose([out.loss, out.fused, ...Object.values(out.unimodal)]);
    for (const t of Object.values(out.logs ?? {})) if (typeof t !== "number") t.dispose();
  }
  // Step 4 (visual of batch 2): additive g + P g, P after 3 updates (the first step skips).
  const call = opt.calls[3];
  const v = headKernelGrad(call, batch.inputs.visual as tf.Tensor2D, "visual", batch.labels);
  const saved = method.state!();
  const Pnow = await values(saved.tensors.P);
  const expected = projectKernelGrad(v.g, tf.tensor2d(Pnow, [4, 4]), "additive");
  close(call.grads.get("head.shared.kernel")!, await values(expected), 1e-5, "additive");
  assertEquals(saved.json, { expCount: 4 });
  // A fresh method restored from the state continues with the same P and counter.
  const copy = tinyToyMethod(mla, 5, ["method.projection=additive"]);
  copy.restore!({ json: saved.json, tensors: { P: tf.tensor2d(Pnow, [4, 4]) } });
  const back = copy.state!();
  close(await values(back.tensors.P), Pnow, 0, "restored P");
  assertEquals(back.json, { expCount: 4 });
  tf.dispose([v.f, v.g, expected]);
  method.dispose();
  copy.dispose();
});

Deno.test("mla: option checks", async () => {
  await useWasm();
  assertThrows(() => tinyToyMethod(mla, 5, ["method.projection=project"]), "projection");
  assertThrows(() => tinyToyMethod(mla, 5, ["method.fusion=mean"]), "fusion");
  assertThrows(() => tinyToyMethod(mla, 5, ["method.fixed_weights=1"]), "fixed_weights");
  const m = tinyToyMethod(mla, 5, ["method.fusion=fixed", "method.fixed_weights=0.5,0.5"]);
  const batch = toyBatch4();
  const p = m.predict(batch.inputs);
  const z = tf.tidy(() => tf.mul(tf.add(p.unimodal.audio, p.unimodal.visual), 0.5));
  close(await values(p.fused!), await values(z), 1e-6, "fixed 0.5/0.5 prediction");
  tf.dispose([p.fused!, ...Object.values(p.unimodal), z]);
  m.dispose();
});

Deno.test("mla: short runs write a complete record with per-modality step losses", async () => {
  await useWasm();
  for (
    const sets of [
      [],
      ["method.projection=off", "method.fusion=entropy-batch"],
      ["method.projection=additive", "method.fusion=fixed", "method.fixed_weights=0.5,0.5"],
    ]
  ) {
    const { dir } = await runOne({
      config: tinyConfig("mla", 2, sets),
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
      "loss_audio",
      "loss_visual",
      "proj_ratio_audio",
      "proj_ratio_visual",
    ]);
    for (const r of rows) for (const v of Object.values(r)) assert(Number.isFinite(Number(v)), v);
    if (sets.includes("method.projection=off")) assertEquals(rows[1].proj_ratio_visual, "1");
    const epochs = await readCsv(`${dir}/epochs.csv`);
    for (const r of epochs) {
      for (const k of ["train_loss", "test_acc_fusion", "test_acc_audio", "test_acc_visual"]) {
        assert(Number.isFinite(Number(r[k])), `${k} ${r[k]}`);
      }
    }
  }
});

/** Trains `cfg` through the trainer (micro-batch size `micro`; 0 = whole batches). */
async function trainedParams(cfg: RunConfig, micro: number) {
  const dataset = await loadDataset(cfg);
  const method = getMethodEntry(cfg.method.name).create(
    methodContext(cfg, dataset.info, dataset.train),
  );
  const result = await train({ config: cfg, dataset, method, microBatch: micro });
  const params: Record<string, Float32Array> = {};
  for (const p of method.params()) params[p.name] = await p.variable.data() as Float32Array;
  const state = method.state!();
  const P = await state.tensors.P.data() as Float32Array;
  method.dispose();
  dataset.dispose();
  return { params, P, rows: result.rows };
}

Deno.test("mla: under micro-batches each modality's step is applied before the next modality's pass (= whole batches)", async () => {
  await useWasm();
  // MLA has no batch coupling on the quick profile's MLPs (no batch norm; the projector reads
  // the whole batch's mean feature), so slices of 16 must give the whole-batch trajectory:
  // the audio update first, then the visual pass through the updated head.
  for (const projection of ["replace", "off"]) {
    const cfg = tinyConfig("mla", 2, [`method.projection=${projection}`]);
    const whole = await trainedParams(cfg, 0);
    const micro = await trainedParams(cfg, 16);
    let worst = 0;
    for (const [name, a] of Object.entries(whole.params)) {
      const b = micro.params[name];
      let diff = 0, norm = 0;
      for (let i = 0; i < a.length; i++) {
        diff = Math.max(diff, Math.abs(a[i] - b[i]));
        norm = Math.max(norm, Math.abs(a[i]));
      }
      worst = Math.max(worst, diff / Math.max(norm, 1e-6));
    }
    assert(worst < 1e-4, `${projection}: largest relative parameter difference ${worst}`);
    const pDiff = whole.P.reduce((m, v, i) => Math.max(m, Math.abs(v - micro.P[i])), 0);
    assert(pDiff < 1e-4, `${projection}: projector differs by ${pDiff}`);
    for (const [i, row] of whole.rows.entries()) {
      const other = micro.rows[i];
      assert(
        Math.abs(row.train_loss - other.train_loss) < 1e-4,
        `${projection}: loss ${row.train_loss} vs ${other.train_loss}`,
      );
      assertEquals(row.test_acc_fusion, other.test_acc_fusion);
    }
  }
});

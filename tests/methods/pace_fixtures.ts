/**
 * Fixtures of the method tests: a tiny encoder with known weights that records the
 * `training` flags it is called with, a method context built around it, fixed batches, a
 * step context, and the short-training-run record check (mmcosine / agm / inforeg); the toy
 * two-modality dataset, its contexts and batches (ogm-ge, pmr, mmpareto, mla step tests);
 * the record and tensor-count checks of the short runs (ogm-ge, pmr).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../assert.ts";
import type { Batch, DatasetInfo } from "../../src/data/types.ts";
import { methodContext } from "../../src/methods/context.ts";
import type { MethodEntry } from "../../src/methods/entry.ts";
import { getMethodEntry } from "../../src/methods/registry.ts";
import type { Method, MethodContext, StepContext } from "../../src/methods/types.ts";
import type { Encoder } from "../../src/models/encoder.ts";
import { MlpEncoder } from "../../src/models/mlp.ts";
import { makeParam, type Param } from "../../src/models/params.ts";
import { loadDataset } from "../../src/data/registry.ts";
import { Rng, seedFor } from "../../src/rng.ts";
import { runOne } from "../../src/runner/run_one.ts";
import type { ConfigValue, RunConfig } from "../../src/config/types.ts";
import { Sgd } from "../../src/optim/sgd.ts";
import { type ResumeState, train } from "../../src/train/trainer.ts";
import { readCsv, tempOut, tinyConfig } from "../helpers.ts";

/**
 * f = x (identity, no parameters) or f = tanh(x W + b) with given W [in, out] and b.
 * Records every `training` flag it receives.
 */
export class TestEncoder implements Encoder {
  /** `training` flags of every forward call, in order. */
  readonly modes: boolean[] = [];
  #params: Param[] = [];

  /** Identity when `weights` is null (outDim = inDim). */
  constructor(
    readonly modality: string,
    readonly outDim: number,
    weights: { kernel: number[][]; bias: number[] } | null = null,
  ) {
    if (weights) {
      const inDim = weights.kernel.length;
      this.#params = [
        makeParam(
          `encoder.${modality}.0.kernel`,
          `encoder.${modality}`,
          "kernel",
          Float32Array.from(weights.kernel.flat()),
          [inDim, outDim],
        ),
        makeParam(
          `encoder.${modality}.0.bias`,
          `encoder.${modality}`,
          "bias",
          Float32Array.from(weights.bias),
          [outDim],
        ),
      ];
    }
  }

  /** Features [B, outDim]. */
  forward(x: tf.Tensor, training: boolean): tf.Tensor2D {
    this.modes.push(training);
    if (!this.#params.length) return tf.clone(x) as tf.Tensor2D;
    const [w, b] = this.#params.map((p) => p.variable);
    return tf.tidy(() => tf.tanh(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b)));
  }

  /** The kernel and bias (none for the identity). */
  params(): Param[] {
    return this.#params;
  }

  /** No buffers. */
  buffers(): tf.Variable[] {
    return [];
  }
}

/** Builds a method around given encoders (modalities audio, visual; audio strong). */
export function createWith(
  method: string,
  encoders: Record<string, TestEncoder>,
  numClasses: number,
  sets: string[] = [],
  epochs = 20,
): Method {
  const config = tinyConfig(method, epochs, sets);
  const modalities = Object.keys(encoders);
  const info: DatasetInfo = {
    name: "test",
    modalities,
    strong: modalities[0],
    lazy: modalities[1],
    numClasses,
    hasVal: false,
    inputShapes: Object.fromEntries(modalities.map((m) => [m, [encoders[m].outDim]])),
    kind: "synthetic",
  };
  const ctx: MethodContext = {
    info,
    config,
    params: config.method as Record<string, ConfigValue>,
    numTrain: 8,
    trainLabels: new Int32Array(8),
    rng: new Rng(seedFor(0, "init")),
    makeEncoder: (m) => encoders[m],
  };
  return getMethodEntry(method).create(ctx);
}

/** Sets a parameter (by logical name) to given values. */
export function setParam(method: Method, name: string, values: number[] | number[][]): void {
  const p = method.params().find((q) => q.name === name);
  if (!p) throw new Error(`no parameter ${name}`);
  tf.tidy(() => p.variable.assign(tf.tensor(values as number[], p.variable.shape)));
}

/** A batch of the given inputs with labels y and split positions 0..B-1. */
export function batchOf(inputs: Record<string, number[][]>, y: number[]): Batch {
  return {
    inputs: Object.fromEntries(Object.entries(inputs).map(([m, x]) => [m, tf.tensor2d(x)])),
    labels: tf.tensor1d(y, "int32"),
    indices: tf.tensor1d(y.map((_, i) => i), "int32"),
    size: y.length,
  };
}

/** A step context (protocol epoch = epoch in a 100-epoch run). */
export function stepCtx(
  optimizer: Sgd,
  o: { epoch?: number; step?: number; iteration?: number; lr?: number; protocolEpoch?: number } =
    {},
): StepContext {
  const epoch = o.epoch ?? 0;
  return {
    epoch,
    step: o.step ?? 0,
    iteration: o.iteration ?? 0,
    epochs: 100,
    stepsPerEpoch: 1,
    lr: o.lr ?? 0.1,
    optimizer,
    share: 1,
    protocolEpoch: o.protocolEpoch ?? epoch,
    seed: (...p) => seedFor(7, ...p),
  };
}

/** An Sgd that keeps a copy of the gradients of every step it applies. */
export class SpySgd extends Sgd {
  /** Host copies of each step's gradients, by parameter name. */
  readonly seen: Map<string, Float32Array>[] = [];

  /** Plain SGD (no momentum, no decay) unless told otherwise. */
  constructor(method: Method, momentum = 0, weightDecay = 0) {
    super(method.params(), { momentum, weightDecay });
  }

  /** Records, then steps. */
  override step(grads: Map<string, tf.Tensor>, lr: number): void {
    this.seen.push(new Map([...grads].map(([k, g]) => [k, g.dataSync() as Float32Array])));
    super.step(grads, lr);
  }
}

/** Host values of a method's parameters by name. */
export function paramValues(method: Method): Map<string, Float32Array> {
  return new Map(method.params().map((p) => [p.name, p.variable.dataSync() as Float32Array]));
}

/** Reads a scalar log (number or tensor). */
export function logValue(v: tf.Scalar | number | undefined): number {
  if (v === undefined) throw new Error("missing log");
  return typeof v === "number" ? v : v.dataSync()[0];
}

/**
 * A short training run (2 epochs, tiny crema-d stand-in) through runOne: asserts a
 * complete record with finite numbers and method.csv with `epoch` + the method's log
 * columns; then trains 4 epochs directly and asserts a flat tensor count, and that a run
 * stopped after epoch 2 and resumed from its checkpoint gives the same numbers.
 */
export async function checkShortRun(method: string, sets: string[] = []): Promise<void> {
  const cfg = tinyConfig(method, 2, sets);
  const { dir, summary } = await runOne({ config: cfg, out: await tempOut(), backend: "wasm" });
  const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  assertEquals(config.config.method, cfg.method);
  const rows = await readCsv(`${dir}/epochs.csv`);
  assertEquals(rows.length, 2);
  for (const r of rows) {
    for (const k of ["train_loss", "test_acc_fusion", "test_acc_audio", "test_acc_visual"]) {
      assert(Number.isFinite(Number(r[k])), `${method}: epochs.csv ${k} = ${r[k]}`);
    }
  }
  for (const v of [summary.final.fusion, summary.final.audio, summary.final.visual]) {
    assert(typeof v === "number" && Number.isFinite(v), `${method}: summary ${v}`);
  }
  assert(Number.isFinite(summary.ratio_mean), `${method}: ratio_mean ${summary.ratio_mean}`);
  const dataset = await loadDataset(cfg);
  const m = getMethodEntry(method).create(methodContext(cfg, dataset.info, dataset.train));
  const mrows = await readCsv(`${dir}/method.csv`);
  assertEquals(mrows.length, 2);
  assertEquals(Object.keys(mrows[0]), ["epoch", ...(m.logNames ?? [])]);
  for (const r of mrows) {
    for (const [k, v] of Object.entries(r)) {
      assert(Number.isFinite(Number(v)), `${method}: method.csv ${k} = ${v}`);
    }
  }
  const counts: number[] = [];
  const longer: RunConfig = { ...cfg, epochs: 4 };
  const full = await train({
    config: longer,
    dataset,
    method: m,
    sink: { epochDone: () => Promise.resolve(void counts.push(tf.memory().numTensors)) },
  });
  m.dispose();
  assertEquals(counts[3], counts[1], `${method}: tensor counts ${counts.join(",")}`);

  // Resume: stop after epoch 2 with its checkpoint, continue in a fresh method; same numbers.
  const fresh = () =>
    getMethodEntry(method).create(methodContext(longer, dataset.info, dataset.train));
  let saved: ResumeState | null = null;
  const first = fresh();
  await train({
    config: longer,
    dataset,
    method: first,
    sink: {
      epochDone(state, checkpoint) {
        if (state.rows.length === 2) {
          const tensors = Object.fromEntries(
            Object.entries(checkpoint()).map(([k, t]) => [k, t.clone()]),
          );
          saved = { epochsDone: 2, tensors, state: structuredClone(state) };
          return Promise.reject(new Error("stop"));
        }
        return Promise.resolve();
      },
    },
  }).catch((e) => assertEquals((e as Error).message, "stop"));
  first.dispose();
  assert(saved, "no checkpoint captured");
  const second = fresh();
  const resumed = await train({ config: longer, dataset, method: second, resume: saved });
  second.dispose();
  dataset.dispose();
  const strip = (rows: Record<string, unknown>[]) => rows.map(({ wall_s: _w, ...r }) => r);
  assertEquals(strip(resumed.rows), strip(full.rows), `${method}: resumed epochs differ`);
  assertEquals(resumed.methodRows, full.methodRows, `${method}: resumed method.csv differs`);
}

// ---- the toy two-modality dataset of the step tests (ogm-ge, pmr, mmpareto, mla) ----

/** Toy dataset facts: audio 3 wide (strong), visual 2 wide, 3 classes. */
export const TOY_INFO: DatasetInfo = {
  name: "toy",
  modalities: ["audio", "visual"],
  strong: "audio",
  lazy: "visual",
  numClasses: 3,
  hasVal: false,
  inputShapes: { audio: [3], visual: [2] },
  kind: "synthetic",
};

/**
 * A context of `entry` on the 3-sample toy set whose model is identical every time it is
 * built (fixed rng 11, MLP encoders [5] -> 4 features); `sets` override the defaults.
 */
export function toyContext(
  entry: MethodEntry,
  sets: Record<string, ConfigValue> = {},
): MethodContext {
  const params = { ...entry.params.defaults({ name: "toy" } as never, "quick"), ...sets };
  return {
    info: TOY_INFO,
    config: null as never,
    params,
    numTrain: 3,
    trainLabels: Int32Array.from([0, 2, 1]),
    rng: new Rng(11),
    makeEncoder: (m, rng) => new MlpEncoder(m, m === "audio" ? 3 : 2, [5], 4, rng),
  };
}

/** The 3-sample toy batch of {@linkcode toyContext} (labels 0, 2, 1). */
export function toyBatch(): Batch {
  return {
    inputs: {
      audio: tf.tensor2d([[1, -2, 0.5], [0.3, 0.8, -1], [2, 1, 1]]),
      visual: tf.tensor2d([[0.5, 1], [-1, 2], [1.5, -0.5]]),
    },
    labels: tf.tensor1d([0, 2, 1], "int32"),
    indices: tf.tensor1d([0, 1, 2], "int32"),
    size: 3,
  };
}

/** A step context at `protocolEpoch` with plain SGD at lr 1 (update = -gradient). */
export function toyStepCtx(method: Method, protocolEpoch: number, epoch = 1): StepContext {
  return {
    epoch,
    step: 0,
    iteration: 0,
    epochs: 100,
    stepsPerEpoch: 1,
    lr: 1,
    optimizer: new Sgd(method.params(), { momentum: 0, weightDecay: 0 }),
    share: 1,
    protocolEpoch,
    seed: (...p) => seedFor(5, "step", ...p),
  };
}

/**
 * `entry` built on the 4-sample toy set with the tiny config's parameters (`sets` as
 * `--set`): MLP encoders without hidden layers, 4 features, init rng `seed`.
 */
export function tinyToyMethod(entry: MethodEntry, seed: number, sets: string[] = []): Method {
  const config = tinyConfig(entry.name, 2, sets);
  return entry.create({
    info: TOY_INFO,
    config,
    params: config.method,
    numTrain: 4,
    trainLabels: new Int32Array([0, 1, 2, 0]),
    rng: new Rng(seed),
    makeEncoder: (m, rng) => new MlpEncoder(m, TOY_INFO.inputShapes[m][0], [], 4, rng),
  });
}

/** The 4-sample toy batch of {@linkcode tinyToyMethod} (labels 0, 1, 2, 0). */
export function toyBatch4(): Batch {
  return {
    inputs: {
      audio: tf.tensor2d([[1, 0.5, -1], [0.2, -0.3, 0.8], [-1, 1, 0.1], [0.4, 0.4, 0.4]]),
      visual: tf.tensor2d([[0.3, -0.2], [1, 1], [-0.5, 0.7], [0.9, -1]]),
    },
    labels: tf.tensor1d([0, 1, 2, 0], "int32"),
    indices: tf.tensor1d([0, 1, 2, 3], "int32"),
    size: 4,
  };
}

// ---- short runs of the two-modality pace methods (ogm-ge, pmr) ----

/**
 * A 4-epoch run of `method` through runOne: a complete record, method.csv with `epoch` +
 * `columns` and finite values, an inclusive window covering protocol epochs 0, 25, 50 (not
 * 75), finite summary accuracies. Returns method.csv's rows and the run folder.
 */
export async function checkWindowedRun(
  method: string,
  columns: string[],
): Promise<{ rows: Record<string, string>[]; dir: string }> {
  const out = await tempOut();
  const { dir, summary } = await runOne({ config: tinyConfig(method, 4), out, backend: "wasm" });
  for (const f of ["config.json", "epochs.csv", "summary.json", "method.csv"]) {
    await Deno.stat(`${dir}/${f}`);
  }
  const rows = await readCsv(`${dir}/method.csv`);
  assertEquals(Object.keys(rows[0]), ["epoch", ...columns]);
  assertEquals(rows.length, 4);
  for (const r of rows) {
    for (const v of Object.values(r)) assert(Number.isFinite(Number(v)), `${method}: ${v}`);
  }
  assertEquals(rows.map((r) => r.active), ["1", "1", "1", "0"]);
  for (
    const v of [summary.final.fusion, summary.final.audio, summary.final.visual, summary.ratio_mean]
  ) {
    assert(Number.isFinite(v), `${method}: finite summary`);
  }
  return { rows, dir };
}

/** The backend's tensor count after each epoch of training `cfg`'s method with `cfg`. */
export async function epochTensorCounts(cfg: RunConfig): Promise<number[]> {
  const dataset = await loadDataset(cfg);
  const method = getMethodEntry(cfg.method.name).create(
    methodContext(cfg, dataset.info, dataset.train),
  );
  const counts: number[] = [];
  await train({
    config: cfg,
    dataset,
    method,
    sink: { epochDone: () => Promise.resolve(void counts.push(tf.memory().numTensors)) },
  });
  method.dispose();
  dataset.dispose();
  return counts;
}

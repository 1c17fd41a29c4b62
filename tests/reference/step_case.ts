/**
 * The TypeScript side of the step-equivalence suite: builds a method exactly as a run does
 * (registry entry, resolved configuration, the trainer's step context and PyTorch-semantics
 * SGD), trains it for a few epochs on a tiny fixed dataset, and records everything the
 * PyTorch port needs to replay the same steps: the initial weights and buffers, the training
 * split, each step's batch positions, every random draw the method made (regenerated from
 * the seeds it asked for, see `draws.ts`), the dropout masks of the conv encoder, and the
 * batches the epoch-end hooks sampled. It also records what it computed per step (lr, loss,
 * the method's logs, every parameter and buffer after the step) for the comparison.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Batch, DatasetInfo, Split } from "../../src/data/types.ts";
import { getMethodEntry } from "../../src/methods/registry.ts";
import type { EpochContext, Method, MethodContext } from "../../src/methods/types.ts";
import type { Encoder } from "../../src/models/encoder.ts";
import { MlpEncoder } from "../../src/models/mlp.ts";
import { Rng, seedFor } from "../../src/rng.ts";
import type { ConfigValue, RunConfig } from "../../src/config/types.ts";
import { resolveConfig } from "../../src/resolve/resolve_config.ts";
import { stepLr } from "../../src/optim/schedule.ts";
import { Sgd } from "../../src/optim/sgd.ts";
import { stepContext } from "../../src/train/trainer.ts";
import { ConvBnEncoder, dropoutMasks } from "./conv_bn_encoder.ts";
import { type Draw, regenerateDraw, type SeedCall } from "./draws.ts";
import { trainStep } from "../../src/train/step.ts";

/** Which encoders a case uses. */
export type EncoderKind = "mlp" | "conv";

/** One case of the suite: a method, an encoder kind, and the switches it runs with. */
export interface CaseSpec {
  /** Registry name of the method. */
  method: string;
  /** Small MLP encoders, or the conv + BatchNorm encoder. */
  encoder: EncoderKind;
  /** `--set` assignments (official switches, short windows that cross epoch boundaries). */
  sets: string[];
  /** Epochs (= protocol epochs, so epoch marks are the official ones). */
  epochs: number;
  /** A label for the case, e.g. "ibml/conv". */
  id: string;
  /**
   * Options for the port, for variants of an official update (e.g. MLA's GSPlugin with its
   * guard fixed); absent for the official update itself.
   */
  port?: Record<string, string | number | boolean>;
}

/** A float tensor on the wire: shape and values. */
export interface WireTensor {
  /** Shape. */
  shape: number[];
  /** Row-major values. */
  data: number[];
}

/** What one side computed in one step. */
export interface StepResult {
  /** Learning rate used in this step. */
  lr: number;
  /** The optimised loss. */
  loss: number;
  /** The method's per-step logs. */
  logs: Record<string, number>;
  /** Every parameter after the step, by name. */
  params: Record<string, number[]>;
  /** Every named buffer after the step (BatchNorm running statistics). */
  buffers: Record<string, number[]>;
}

/** Everything the port gets for one case (the TS results stay on this side). */
export interface CaseInput {
  /** The case label. */
  id: string;
  /** Registry name of the method (the port file is its name with `-`/`+` as `_`). */
  method: string;
  /** Encoder kind. */
  encoder: EncoderKind;
  /** The method's resolved hyper-parameters. */
  params: Record<string, ConfigValue>;
  /** The port's variant options ({@linkcode CaseSpec.port}). */
  port_options: Record<string, string | number | boolean>;
  /** Protocol facts. */
  train: {
    lr: number;
    momentum: number;
    weight_decay: number;
    lr_step: number;
    lr_gamma: number;
    epochs: number;
    protocol_epochs: number;
    batch_size: number;
    steps_per_epoch: number;
  };
  /** Modalities in fusion order. */
  modalities: string[];
  /** The strong modality. */
  strong: string;
  /** The lazy modality. */
  lazy: string;
  /** Number of classes. */
  num_classes: number;
  /** Per-sample input shape per modality (NHWC for the conv encoder). */
  input_shapes: Record<string, number[]>;
  /** The training split: inputs per modality [N, ...shape] and labels. */
  data: { inputs: Record<string, WireTensor>; labels: number[] };
  /** Initial parameters and buffers, by name. */
  init: { params: Record<string, WireTensor>; buffers: Record<string, WireTensor> };
  /** Per step: epoch, step, the batch's split positions and the random draws. */
  steps: { epoch: number; step: number; indices: number[]; draws: Draw[] }[];
  /** Epoch-end hook calls (epoch -1 = before training) and the batches they sampled. */
  epoch_end: { epoch: number; batches: number[][] }[];
  /** Dropout keep masks per modality, by 1-based training pass (conv encoder only). */
  dropout_masks: Record<string, number[][]>;
}

/** A recorded case: the port's input and the TypeScript side's results. */
export interface RecordedCase {
  /** The port's input. */
  input: CaseInput;
  /** What the harness computed, per step. */
  ts: StepResult[];
}

const NUM_CLASSES = 3;
const NUM_TRAIN = 24;
const BATCH = 8;
const FEATURE_DIM = 8;
const MLP_SHAPES: Record<string, number[]> = { audio: [10], visual: [7] };
const CONV_SHAPES: Record<string, number[]> = { audio: [6, 6, 1], visual: [5, 5, 2] };

/**
 * The resolved configuration of a case: batch 8, lr 0.1, StepLR every 2 epochs, protocol
 * epochs = epochs (so every epoch mark is the official one), MLP hidden 12, features 8.
 *
 * @example
 * ```ts ignore
 * caseConfig({ id: "sum/mlp", method: "sum", encoder: "mlp", sets: [], epochs: 3 }).train.lr; // 0.1
 * ```
 */
export function caseConfig(spec: CaseSpec): RunConfig {
  return resolveConfig({
    method: spec.method,
    dataset: "crema-d",
    epochs: spec.epochs,
    sets: [
      `train.batch_size=${BATCH}`,
      `train.protocol_epochs=${spec.epochs}`,
      "train.lr=0.1",
      "train.lr_step=2",
      "train.micro_batch=0",
      "model.hidden=12",
      `model.feature_dim=${FEATURE_DIM}`,
      ...spec.sets,
    ],
  });
}

function toWire(t: tf.Tensor): WireTensor {
  return { shape: t.shape, data: Array.from(t.dataSync()) };
}

/** A fixed split: standard-normal inputs, balanced labels, no augmentation. */
function makeSplit(shapes: Record<string, number[]>): {
  split: Split;
  host: Record<string, Float32Array>;
} {
  const rng = new Rng(seedFor("step-equivalence", "data"));
  const labels = new Int32Array(NUM_TRAIN).map((_, i) => i % NUM_CLASSES);
  const host: Record<string, Float32Array> = {};
  for (const [m, shape] of Object.entries(shapes)) {
    const d = shape.reduce((a, b) => a * b, 1);
    const x = rng.normalArray(NUM_TRAIN * d, 1);
    // A class-dependent shift so the modalities carry (unequal) signal.
    const strength = m === "audio" ? 0.9 : 0.3;
    for (let i = 0; i < NUM_TRAIN; i++) x[i * d + (labels[i] % d)] += strength * 3;
    host[m] = x;
  }
  const split: Split = {
    size: NUM_TRAIN,
    labels,
    batch(indices: Int32Array): Batch {
      const inputs: Record<string, tf.Tensor> = {};
      for (const [m, shape] of Object.entries(shapes)) {
        const d = shape.reduce((a, b) => a * b, 1);
        const v = new Float32Array(indices.length * d);
        indices.forEach((k, r) => v.set(host[m].subarray(k * d, (k + 1) * d), r * d));
        inputs[m] = tf.tensor(v, [indices.length, ...shape], "float32");
      }
      return {
        inputs,
        labels: tf.tensor1d(Array.from(indices, (k) => labels[k]), "int32"),
        indices: tf.tensor1d(Array.from(indices), "int32"),
        size: indices.length,
      };
    },
  };
  return { split, host };
}

function disposeBatch(b: Batch): void {
  tf.dispose([...Object.values(b.inputs), b.labels, b.indices]);
}

async function scalarOf(v: tf.Scalar | number): Promise<number> {
  return typeof v === "number" ? v : (await v.data())[0];
}

/**
 * Runs one case on the current tfjs backend and records it.
 *
 * @example
 * ```ts ignore
 * const rec = await recordCase({ id: "sum/mlp", method: "sum", encoder: "mlp", sets: [], epochs: 3 });
 * ```
 */
export async function recordCase(spec: CaseSpec): Promise<RecordedCase> {
  const config = caseConfig(spec);
  const shapes = spec.encoder === "conv" ? CONV_SHAPES : MLP_SHAPES;
  const modalities = Object.keys(shapes);
  const info: DatasetInfo = {
    name: "crema-d",
    modalities,
    strong: "audio",
    lazy: "visual",
    numClasses: NUM_CLASSES,
    hasVal: false,
    inputShapes: shapes,
    kind: "synthetic",
  };
  const { split, host } = makeSplit(shapes);
  const encoders: Encoder[] = [];
  const ctx: MethodContext = {
    info,
    config,
    params: config.method,
    numTrain: NUM_TRAIN,
    trainLabels: split.labels,
    rng: new Rng(seedFor(config.seed, "init")),
    makeEncoder: (m, rng) => {
      const shape = shapes[m];
      const enc = spec.encoder === "conv"
        ? new ConvBnEncoder(m, shape[2], FEATURE_DIM, rng)
        : new MlpEncoder(m, shape[0], config.model.hidden, FEATURE_DIM, rng);
      encoders.push(enc);
      return enc;
    },
  };
  const method = getMethodEntry(spec.method).create(ctx);
  perturbConstantParams(method);
  try {
    return await runCase(spec, config, info, split, host, method, encoders);
  } finally {
    method.dispose();
  }
}

/**
 * Adds seeded N(0, 0.1^2) noise to every parameter initialised to a constant (biases at 0,
 * BatchNorm gamma 1 / beta 0), identically on both sides (the port loads these weights), so
 * that a bias or norm parameter treated wrongly (e.g. decayed without a gradient, or the
 * wrong share of the bias in split logits) cannot hide behind a zero.
 */
function perturbConstantParams(method: Method): void {
  const rng = new Rng(seedFor("step-equivalence", "perturb"));
  for (const p of method.params()) {
    const v = p.variable.dataSync() as Float32Array;
    if (v.every((x) => x === v[0])) {
      const noise = rng.normalArray(v.length, 0.1);
      const t = tf.tensor(v.map((x, i) => x + noise[i]), p.variable.shape, "float32");
      p.variable.assign(t);
      t.dispose();
    }
  }
}

function namedBuffers(encoders: Encoder[]): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const e of encoders) if (e instanceof ConvBnEncoder) Object.assign(out, e.namedBuffers());
  return out;
}

async function runCase(
  spec: CaseSpec,
  config: RunConfig,
  info: DatasetInfo,
  split: Split,
  host: Record<string, Float32Array>,
  method: Method,
  encoders: Encoder[],
): Promise<RecordedCase> {
  const E = config.epochs, B = config.train.batch_size, N = split.size;
  const stepsPerEpoch = Math.ceil(N / B);
  const protocol = config.train.protocol_epochs;
  const params = method.params();
  const buffers = namedBuffers(encoders);
  const input: CaseInput = {
    id: spec.id,
    method: spec.method,
    encoder: spec.encoder,
    params: { ...config.method },
    port_options: { ...spec.port },
    train: {
      lr: config.train.lr,
      momentum: config.train.momentum,
      weight_decay: config.train.weight_decay,
      lr_step: config.train.lr_step,
      lr_gamma: config.train.lr_gamma,
      epochs: E,
      protocol_epochs: protocol,
      batch_size: B,
      steps_per_epoch: stepsPerEpoch,
    },
    modalities: info.modalities,
    strong: info.strong,
    lazy: info.lazy,
    num_classes: info.numClasses,
    input_shapes: info.inputShapes,
    data: {
      inputs: Object.fromEntries(
        Object.entries(host).map((
          [m, v],
        ) => [m, { shape: [N, ...info.inputShapes[m]], data: Array.from(v) }]),
      ),
      labels: Array.from(split.labels),
    },
    init: {
      params: Object.fromEntries(params.map((p) => [p.name, toWire(p.variable)])),
      buffers: Object.fromEntries(Object.entries(buffers).map(([k, v]) => [k, toWire(v)])),
    },
    steps: [],
    epoch_end: [],
    dropout_masks: {},
  };
  if (spec.encoder === "conv") {
    for (const m of info.modalities) {
      // Enough passes for every training forward the official step makes (at most 2 per
      // step and modality), generated once from the twin stream.
      input.dropout_masks[m] = dropoutMasks(m, B, FEATURE_DIM, 2 * E * stepsPerEpoch + 2);
    }
  }
  const optimizer = new Sgd(params, {
    momentum: config.train.momentum,
    weightDecay: config.train.weight_decay,
  });
  const ts: StepResult[] = [];
  const epochContext = (epoch: number): EpochContext => ({
    epoch,
    epochs: E,
    protocolEpoch: (epoch * protocol) / E,
    seed: (...purpose) => seedFor(config.seed, "epoch-end", epoch, ...purpose),
    trainBatches: function* (fraction, purpose) {
      const order = new Rng(seedFor(config.seed, purpose, epoch)).permutation(N);
      const steps = Math.max(1, Math.round(Math.ceil(N / B) * fraction));
      const rec = { epoch, batches: [] as number[][] };
      input.epoch_end.push(rec);
      for (let s = 0; s < steps; s++) {
        const idx = order.subarray(s * B, Math.min(N, (s + 1) * B));
        if (idx.length === 0) break;
        rec.batches.push(Array.from(idx));
        yield split.batch(idx, { train: false, seed: 0 });
      }
    },
  });
  try {
    await method.onTrainStart?.(epochContext(-1));
    for (let epoch = 0; epoch < E; epoch++) {
      const lr = method.learningRate?.(epoch, config.train.lr, E) ??
        stepLr(config.train.lr, config.train.lr_step, config.train.lr_gamma, E, protocol, epoch);
      const order = new Rng(seedFor(config.seed, "shuffle", epoch)).permutation(N);
      for (let step = 0; step < stepsPerEpoch; step++) {
        const idx = order.subarray(step * B, Math.min(N, (step + 1) * B));
        const batch = split.batch(idx, { train: true, seed: 0 });
        const base = stepContext(config, { epoch, step, stepsPerEpoch, lr, optimizer });
        const calls: SeedCall[] = [];
        const out = await trainStep(method, batch, {
          ...base,
          seed: (...purpose) => {
            const s = base.seed(...purpose);
            calls.push({ purpose, seed: s });
            return s;
          },
        });
        const logs: Record<string, number> = {};
        for (const [k, v] of Object.entries(out.logs ?? {})) logs[k] = await scalarOf(v);
        const result: StepResult = {
          lr,
          loss: await scalarOf(out.loss),
          logs,
          params: Object.fromEntries(
            params.map((p) => [p.name, Array.from(p.variable.dataSync())]),
          ),
          buffers: Object.fromEntries(
            Object.entries(buffers).map(([k, v]) => [k, Array.from(v.dataSync())]),
          ),
        };
        ts.push(result);
        input.steps.push({
          epoch,
          step,
          indices: Array.from(idx),
          draws: calls.map((c) => regenerateDraw(c, { batch, params })),
        });
        tf.dispose([out.loss, out.fused, ...Object.values(out.unimodal)]);
        for (const v of Object.values(out.logs ?? {})) if (typeof v !== "number") v.dispose();
        disposeBatch(batch);
      }
      await method.onEpochEnd?.(epochContext(epoch));
    }
  } finally {
    optimizer.dispose();
  }
  return { input, ts };
}

/**
 * The training loop, {@linkcode train}: configuration at the top, then one loop in which
 * every stage of a step is visible in order:
 *
 *   lr     the epoch's learning rate (src/optim/schedule.ts, or the method's own schedule)
 *   data   the step's shuffled (and augmented) batch
 *   step   one training step (src/train/step.ts `trainStep`): the method's forward + loss
 *          (its tapes, src/methods/<name>.ts `plan`), backward, the method's gradient change,
 *          `optimizer.step(grads, lr)`; over micro-batches when asked
 *   log    loss, train accuracy, discrepancy ratio and the method's own logs, summed on the
 *          backend and read back once per epoch
 *
 * then the epoch end: the method's epoch hook, evaluation, the epoch row, the checkpoint.
 * The trainer knows neither method internals nor file layouts.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset, Split } from "../data/types.ts";
import { type Batch, disposeBatch } from "../data/types.ts";
import type { EpochContext, Method, StepContext, StepOutput } from "../methods/types.ts";
import { Rng, seedFor } from "../rng.ts";
import type { RunConfig } from "../config/types.ts";
import { correctCount, discrepancyRatio } from "../optim/metrics.ts";
import { configuredStepLr } from "../optim/schedule.ts";
import { Sgd } from "../optim/sgd.ts";
import { disposeSliceOutput, type StepOptimizer } from "../optim/micro_batch.ts";
import { trainStep } from "./step.ts";
import { EpochSums, type StepValue } from "./epoch_sums.ts";

/** One row of epochs.csv (accuracies are fractions; null where a run has no such output). */
export interface EpochRow {
  /** 1-based epoch. */
  epoch: number;
  /** Learning rate used in this epoch. */
  lr: number;
  /** Mean training loss over samples. */
  train_loss: number;
  /** Training accuracy of the fused logits (train mode, as trained). */
  train_acc_fusion: number;
  /** Test accuracy of the fused prediction (null for unimodal runs). */
  test_acc_fusion: number | null;
  /** Test accuracy per modality (key `test_acc_<m>`). */
  [key: string]: number | null;
}

/** Per-sample log-probabilities on the training set (Figures 3 and 6). */
export interface InfoSamples {
  /** Class of each sample. */
  labels: Int32Array;
  /** log softmax(z)[y] per sample. */
  fused: Float32Array;
  /** log softmax(g_m)[y] per sample and modality. */
  unimodal: Record<string, Float32Array>;
}

/** What the trainer resumes from. */
export interface ResumeState {
  /** Finished epochs. */
  epochsDone: number;
  /** Tensors saved by the sink (param/, opt/, buffer/, method/ prefixes). */
  tensors: Record<string, tf.Tensor>;
  /** Trainer state saved with them. */
  state: TrainerState;
}

/** Trainer state kept in checkpoints. */
export interface TrainerState {
  /** Rows so far. */
  rows: EpochRow[];
  /** method.csv rows so far. */
  methodRows: Record<string, number>[];
  /** Sum and count of per-iteration discrepancy ratios. */
  ratioSum: number;
  /** Number of iterations with a ratio. */
  ratioCount: number;
  /** Method JSON state. */
  methodJson: unknown;
}

/** Where epoch results go (the run recorder, or nothing in tests). */
export interface TrainSink {
  /** Called after every epoch with the rows so far and a checkpoint to write. */
  epochDone(state: TrainerState, checkpoint: () => Record<string, tf.Tensor>): Promise<void>;
  /** Called at the 1-based epochs listed in `train.info_epochs`. */
  info?(epoch: number, samples: InfoSamples): Promise<void>;
}

/** Result of a training run. */
export interface TrainResult {
  /** All epoch rows. */
  rows: EpochRow[];
  /** All method.csv rows. */
  methodRows: Record<string, number>[];
  /** Mean discrepancy ratio over all training iterations (null without two modalities). */
  ratioMean: number | null;
}

/** Training stopped on a non-finite loss (exit code 1). */
export class NonFiniteLossError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "NonFiniteLossError";
  }
}

/** Options of {@linkcode train}. */
export interface TrainOptions {
  /** Resolved configuration. */
  config: RunConfig;
  /** Loaded dataset. */
  dataset: Dataset;
  /** Method (owns the model). */
  method: Method;
  /** Receives rows and checkpoints. */
  sink?: TrainSink;
  /** Resume state from a checkpoint. */
  resume?: ResumeState | null;
  /** Progress output (one line per epoch). */
  log?: (line: string) => void;
  /**
   * Micro-batch size (src/optim/micro_batch.ts `resolveMicroBatch`); default: the config's
   * `train.micro_batch` when it is a number, else whole batches.
   */
  microBatch?: number;
}

/** Counts of correct predictions over a split, read back once. */
async function evaluate(
  method: Method,
  split: Split,
  batchSize: number,
): Promise<Record<string, number | null>> {
  const sums: Record<string, tf.Scalar> = {};
  const add = (key: string, t: tf.Scalar) => {
    const prev = sums[key];
    sums[key] = prev ? tf.add(prev, t) : t;
    if (prev) {
      prev.dispose();
      t.dispose();
    }
  };
  for (let start = 0; start < split.size; start += batchSize) {
    const idx = new Int32Array(Math.min(batchSize, split.size - start)).map((_, i) => start + i);
    const batch = split.batch(idx, { train: false, seed: 0 });
    const counts = tf.tidy(() => {
      const p = method.predict(batch.inputs);
      const c: Record<string, tf.Scalar> = {};
      if (p.fused) c.fusion = correctCount(p.fused, batch.labels);
      for (const [m, g] of Object.entries(p.unimodal)) c[m] = correctCount(g, batch.labels);
      return c;
    });
    for (const [k, t] of Object.entries(counts)) add(k, t);
    disposeBatch(batch);
  }
  const out: Record<string, number | null> = { fusion: null };
  for (const [k, t] of Object.entries(sums)) {
    out[k] = (await t.data())[0] / split.size;
    t.dispose();
  }
  return out;
}

/** Per-sample log-probabilities of the true class on a split, eval mode. */
async function infoSamples(method: Method, split: Split, batchSize: number): Promise<InfoSamples> {
  const fused = new Float32Array(split.size);
  const unimodal: Record<string, Float32Array> = {};
  for (let start = 0; start < split.size; start += batchSize) {
    const idx = new Int32Array(Math.min(batchSize, split.size - start)).map((_, i) => start + i);
    const batch = split.batch(idx, { train: false, seed: 0 });
    const parts = tf.tidy(() => {
      const p = method.predict(batch.inputs);
      const onehot = tf.oneHot(batch.labels, (p.fused ?? Object.values(p.unimodal)[0]).shape[1]);
      const pick = (z: tf.Tensor2D) => tf.sum(tf.mul(tf.logSoftmax(z), onehot), 1);
      const r: Record<string, tf.Tensor> = {};
      if (p.fused) r.__fused = pick(p.fused);
      for (const [m, g] of Object.entries(p.unimodal)) r[m] = pick(g);
      return r;
    });
    for (const [k, t] of Object.entries(parts)) {
      const v = await t.data() as Float32Array;
      if (k === "__fused") fused.set(v, start);
      else (unimodal[k] ??= new Float32Array(split.size)).set(v, start);
      t.dispose();
    }
    disposeBatch(batch);
  }
  return { labels: split.labels, fused, unimodal };
}

/**
 * Trains `method` on `dataset` for `config.epochs` epochs (or the rest of them when
 * resuming) and returns the per-epoch rows.
 *
 * @example
 * ```ts ignore
 * // not run: loads a dataset and trains whole epochs (seconds)
 * const result = await train({ config, dataset, method, log: console.error });
 * ```
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { config, dataset, method } = opts;
  const { info } = dataset;
  const E = config.epochs, B = config.train.batch_size, N = dataset.train.size;
  const stepsPerEpoch = Math.ceil(N / B); // the last partial batch is kept (drop_last=False)
  const protocol = config.train.protocol_epochs;
  const optimizer = new Sgd(method.params(), {
    momentum: config.train.momentum,
    weightDecay: config.train.weight_decay,
  });
  const twoModal = method.modalities.length >= 2;
  const micro = opts.microBatch ??
    (typeof config.train.micro_batch === "number" ? config.train.micro_batch : 0);
  const state: TrainerState = {
    rows: [],
    methodRows: [],
    ratioSum: 0,
    ratioCount: 0,
    methodJson: null,
  };
  let start = 0;
  if (opts.resume) {
    restoreInto(opts.resume, method, optimizer);
    Object.assign(state, structuredClone(opts.resume.state));
    start = opts.resume.epochsDone;
  }
  // Epoch-end information; epoch -1 stands for "before the first epoch" (onTrainStart).
  const epochContext = (epoch: number): EpochContext => ({
    epoch,
    epochs: E,
    protocolEpoch: (epoch * protocol) / E,
    seed: (...purpose) => seedFor(config.seed, "epoch-end", epoch, ...purpose),
    trainBatches: (fraction, purpose, o) =>
      sampleBatches(dataset.train, B, fraction, seedFor(config.seed, purpose, epoch), o?.augment),
  });
  if (start === 0) await method.onTrainStart?.(epochContext(-1));

  for (let epoch = start; epoch < E; epoch++) {
    const t0 = performance.now();
    // lr: the method's own schedule, else StepLR on train.lr (src/optim/schedule.ts).
    const lr = method.learningRate?.(epoch, config.train.lr, E) ??
      configuredStepLr(config.train, config.train.lr, E, epoch);
    const order = new Rng(seedFor(config.seed, "shuffle", epoch)).permutation(N);
    const sums = new EpochSums();
    let lastNote = t0;

    for (let step = 0; step < stepsPerEpoch; step++) {
      // data: the step's batch, shuffled per epoch, augmented with a per-step seed.
      const idx = order.subarray(step * B, Math.min(N, (step + 1) * B));
      const batch = dataset.train.batch(idx, {
        train: true,
        seed: seedFor(config.seed, "batch", epoch, step),
      });
      const ctx = stepContext(config, { epoch, step, stepsPerEpoch, lr, optimizer });
      // step: the method's forward + loss, backward, the method's gradient change,
      // optimizer.step(grads, lr) (src/train/step.ts), on the whole batch or on micro-batches.
      const out = trainStep(method, batch, ctx, micro);
      // log: the step's loss, accuracy, ratio and method logs, summed on the backend.
      logStep(sums, out, batch, twoModal ? info : null);
      disposeSliceOutput(out);
      disposeBatch(batch);
      // Slow steps (paper backbones on a CPU): a progress line at most once a minute.
      const now = performance.now();
      if (now - lastNote >= 60_000 && step + 1 < stepsPerEpoch) {
        lastNote = now;
        opts.log?.(
          `  epoch ${epoch + 1}: step ${step + 1}/${stepsPerEpoch} (${
            ((now - t0) / 1000 / (step + 1)).toFixed(1)
          } s/step)`,
        );
      }
    }

    await method.onEpochEnd?.(epochContext(epoch));

    // Evaluation is per sample (running BN statistics), so smaller batches change nothing
    // but memory; only MLA's non-default `fusion=entropy-batch` depends on the eval batch.
    const evalB = micro > 0
      ? Math.min(config.train.eval_batch_size, micro)
      : config.train.eval_batch_size;
    const test = await evaluate(method, dataset.test, evalB);
    const val = dataset.val ? await evaluate(method, dataset.val, evalB) : null;
    const s = await sums.read();
    const trainLoss = s.loss.sum / s.loss.count;
    if (!Number.isFinite(trainLoss)) {
      optimizer.dispose();
      throw new NonFiniteLossError(
        `training loss is ${trainLoss} in epoch ${epoch + 1} (method ${method.name}, lr ${lr}); ` +
          `lower the learning rate (--set train.lr=${
            config.train.lr / 10
          }); no summary was written`,
      );
    }
    const row: EpochRow = {
      epoch: epoch + 1,
      lr,
      train_loss: trainLoss,
      train_acc_fusion: s.correct.sum / N,
      test_acc_fusion: test.fusion ??
        (method.modalities.length === 1 ? test[method.modalities[0]] : null),
    };
    for (const m of info.modalities) row[`test_acc_${m}`] = test[m] ?? null;
    if (twoModal) {
      row.ratio_mean = s.ratio.sum / s.ratio.count;
      state.ratioSum += s.ratio.sum;
      state.ratioCount += s.ratio.count;
    } else {
      row.ratio_mean = null;
    }
    if (val) row.val_acc_fusion = val.fusion ?? val[method.modalities[0]];
    row.wall_s = (performance.now() - t0) / 1000;
    state.rows.push(row);
    if (method.logNames?.length) {
      const mrow: Record<string, number> = { epoch: epoch + 1 };
      for (const k of method.logNames) mrow[k] = s[k] ? s[k].sum / s[k].count : NaN;
      state.methodRows.push(mrow);
    }
    state.methodJson = method.state?.().json ?? null;
    opts.log?.(formatRow(row, E, info.modalities));

    if (config.train.info_epochs.includes(epoch + 1) && opts.sink?.info) {
      await opts.sink.info(epoch + 1, await infoSamples(method, dataset.train, evalB));
    }
    await opts.sink?.epochDone(state, () => checkpointTensors(method, optimizer));
  }
  optimizer.dispose();
  return {
    rows: state.rows,
    methodRows: state.methodRows,
    ratioMean: twoModal && state.ratioCount > 0 ? state.ratioSum / state.ratioCount : null,
  };
}

/**
 * The {@linkcode StepContext} of training step `step` of epoch `epoch` (0-based): the
 * trainer's iteration count, the protocol epoch, and the per-step seeds
 * `seedFor(config.seed, "step", epoch, step, ...purpose)`.
 *
 * @example
 * ```ts
 * import { stepContext } from "./trainer.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 *
 * const config = resolveConfig({ method: "concat", dataset: "crema-d", epochs: 20 });
 * const optimizer = { step: () => {} };
 * const ctx = stepContext(config, { epoch: 2, step: 3, stepsPerEpoch: 10, lr: 0.01, optimizer });
 * ctx.iteration; // 23
 * ctx.protocolEpoch; // 10 (epoch 2 of 20 in the 100-epoch protocol)
 * ```
 */
export function stepContext(
  config: RunConfig,
  at: { epoch: number; step: number; stepsPerEpoch: number; lr: number; optimizer: StepOptimizer },
): StepContext {
  const { epoch, step, stepsPerEpoch } = at;
  const E = config.epochs;
  return {
    epoch,
    step,
    iteration: epoch * stepsPerEpoch + step,
    epochs: E,
    stepsPerEpoch,
    lr: at.lr,
    optimizer: at.optimizer,
    share: 1,
    protocolEpoch: (epoch * config.train.protocol_epochs) / E,
    seed: (...purpose) => seedFor(config.seed, "step", epoch, step, ...purpose),
  };
}

/**
 * Adds one step's loss (weighted by the batch size), correct count, discrepancy ratio
 * (two-modality runs: `info` given) and the method's logs to the epoch sums.
 */
function logStep(
  sums: EpochSums,
  out: StepOutput,
  batch: Batch,
  info: { strong: string; lazy: string } | null,
): void {
  const correct = correctCount(out.fused, batch.labels);
  const ratio = info ? discrepancyRatio(out.unimodal, batch.labels, info.strong, info.lazy) : null;
  sums.addStep([
    ["loss", out.loss, batch.size],
    ["correct", correct, 1],
    ...(ratio ? [["ratio", ratio, 1] as StepValue] : []),
    ...Object.entries(out.logs ?? {}).map(([k, v]): StepValue => [k, v, 1]),
  ]);
  correct.dispose();
  ratio?.dispose();
}

/** Seeded sample of `fraction` of the training batches (augmented if `augment`). */
function* sampleBatches(
  split: Split,
  B: number,
  fraction: number,
  seed: number,
  augment = false,
): Iterable<Batch> {
  const order = new Rng(seed).permutation(split.size);
  const steps = Math.max(1, Math.round(Math.ceil(split.size / B) * fraction));
  for (let s = 0; s < steps; s++) {
    const idx = order.subarray(s * B, Math.min(split.size, (s + 1) * B));
    if (idx.length === 0) break;
    yield split.batch(idx, { train: augment, seed: augment ? seedFor(seed, "augment", s) : seed });
  }
}

/** The tensors a checkpoint stores. */
function checkpointTensors(method: Method, optimizer: Sgd): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const p of method.params()) out[`param/${p.name}`] = p.variable;
  method.buffers().forEach((b, i) => (out[`buffer/${i}`] = b));
  for (const [name, v] of optimizer.state()) out[`opt/${name}`] = v;
  for (const [k, t] of Object.entries(method.state?.().tensors ?? {})) out[`method/${k}`] = t;
  return out;
}

/** Loads checkpoint tensors back into the method and optimizer. */
function restoreInto(resume: ResumeState, method: Method, optimizer: Sgd): void {
  const get = (key: string) => {
    const t = resume.tensors[key];
    if (!t) {
      throw new Error(
        `checkpoint is missing tensor '${key}'; delete the run folder's checkpoint to restart`,
      );
    }
    return t;
  };
  for (const p of method.params()) p.variable.assign(get(`param/${p.name}`));
  method.buffers().forEach((b, i) => b.assign(get(`buffer/${i}`)));
  for (const [name, v] of optimizer.state()) v.assign(get(`opt/${name}`));
  if (method.restore) {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(resume.tensors)) {
      if (k.startsWith("method/")) tensors[k.slice(7)] = t;
    }
    method.restore({ json: resume.state.methodJson, tensors });
  }
}

function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? "  -  " : (100 * v).toFixed(1).padStart(5);
}

/** One progress line per epoch. */
function formatRow(row: EpochRow, epochs: number, modalities: string[]): string {
  const mods = modalities.map((m) => `${m} ${pct(row[`test_acc_${m}`])}`).join("  ");
  const ratio = row.ratio_mean === null ? "" : `  ratio ${(row.ratio_mean as number).toFixed(2)}`;
  return `epoch ${String(row.epoch).padStart(3)}/${epochs}  lr ${row.lr.toExponential(2)}  loss ${
    row.train_loss.toFixed(4)
  }  test fusion ${pct(row.test_acc_fusion)}  ${mods}${ratio}  (${
    (row.wall_s as number).toFixed(1)
  } s)`;
}

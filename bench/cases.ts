/**
 * The models the step-time benchmark trains, each as a ready-to-step closure: the
 * quick-profile MLP fusion model under the real `concat` and `ibml` methods (a real training
 * step, src/train/step.ts, on a real batch, plus the trainer's per-step metric work), and the
 * paper backbones (encoder + linear classification head + cross-entropy + the harness's
 * PyTorch-semantics SGD). bench/torch_reference.py builds the same architectures.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { loadDataset } from "../src/data/registry.ts";
import { type Batch, disposeBatch } from "../src/data/types.ts";
import { getMethodEntry } from "../src/methods/registry.ts";
import { BiGruEncoder, maskKey } from "../src/models/bigru.ts";
import { DgcnnEncoder } from "../src/models/dgcnn.ts";
import type { Encoder } from "../src/models/encoder.ts";
import { makeEncoder } from "../src/models/factory.ts";
import { ImgFcEncoder } from "../src/models/img_fc.ts";
import { Linear } from "../src/models/linear.ts";
import { countParams, type Param } from "../src/models/params.ts";
import { MultiViewEncoder } from "../src/models/multiview.ts";
import { ResNet18Encoder } from "../src/models/resnet18.ts";
import { Rng, seedFor } from "../src/rng.ts";
import { resolveConfig } from "../src/resolve/resolve_config.ts";
import { crossEntropy, disposeGrads, gradsOf } from "../src/optim/grads.ts";
import { correctCount, discrepancyRatio } from "../src/optim/metrics.ts";
import { disposeSliceOutput } from "../src/optim/micro_batch.ts";
import { Sgd } from "../src/optim/sgd.ts";
import { stepContext } from "../src/train/trainer.ts";
import { EpochSums, type StepValue } from "../src/train/epoch_sums.ts";
import { trainStep as methodStep } from "../src/train/step.ts";

/** One benchmark model, built and ready to step. */
export interface CaseRunner {
  /** Trainable parameter count (must equal PyTorch's). */
  params: number;
  /** One training step; resolves once its loss is on the host. */
  step(): Promise<number>;
  /** Frees every tensor the case owns. */
  dispose(): void;
}

/** A benchmark model description. */
export interface BenchCase {
  /** Short name used by `--models` and in the tables. */
  name: string;
  /** Batch size (the paper's, for the backbone cases). */
  batch: number;
  /**
   * Micro-batch size on the wasm engine, whose 4 GiB heap cannot hold the whole paper
   * batch (gradient accumulation, one SGD step per batch, as `train.micro_batch: auto`
   * does); absent where the whole batch fits. Other engines always run whole batches.
   */
  wasmMicro?: number;
  /** One line: architecture and input size. */
  description: string;
  /** Builds the model and its fixed batch (call after the backend is set). */
  setup(): Promise<CaseRunner>;
}

/** SGD settings of every case (the paper protocol: momentum 0.9, weight decay 1e-4). */
const SGD = { momentum: 0.9, weightDecay: 1e-4 };
const LR = 0.01;

/** Deterministic N(0, 1) values. */
function normal(rng: Rng, n: number): Float32Array {
  return rng.normalArray(n, 1);
}

/** Random labels in [0, classes). */
function labels(rng: Rng, n: number, classes: number): tf.Tensor1D {
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.floor(rng.uniform() * classes) % classes;
  return tf.tensor1d(y, "int32");
}

/**
 * The quick-profile fusion model under a real method: one training step (src/train/step.ts) on
 * the first batch of the crema-d stand-in (epoch 1 of 30: inside IBML's modulation window, with
 * records), followed by the trainer's per-step metric work (correct count, discrepancy
 * ratio, running sums on the backend).
 */
function methodCase(method: "concat" | "ibml"): BenchCase {
  return {
    name: `mlp-${method}`,
    batch: 64,
    description: `quick profile: 2 x MLP 64-128-64 + concat head (6 classes), ${method}`,
    async setup() {
      const cfg = resolveConfig({ method, dataset: "crema-d", epochs: 30 });
      const dataset = await loadDataset(cfg);
      const m = getMethodEntry(method).create({
        info: dataset.info,
        config: cfg,
        params: cfg.method,
        numTrain: dataset.train.size,
        trainLabels: dataset.train.labels,
        rng: new Rng(seedFor(cfg.seed, "init")),
        makeEncoder: (mod, rng) => makeEncoder(cfg, dataset.info, mod, rng),
      });
      const optimizer = new Sgd(m.params(), SGD);
      const B = cfg.train.batch_size;
      const order = new Rng(seedFor(cfg.seed, "shuffle", 1)).permutation(dataset.train.size);
      const stepsPerEpoch = Math.ceil(dataset.train.size / B);
      const epoch = 1;
      // The trainer's running sums (src/train/epoch_sums.ts).
      const sums = new EpochSums();
      let iteration = 0;
      const { strong, lazy } = dataset.info;
      return {
        params: countParams(m.params()),
        async step() {
          const step = iteration % stepsPerEpoch;
          const idx = order.subarray(step * B, Math.min(dataset.train.size, (step + 1) * B));
          const batch: Batch = dataset.train.batch(idx, { train: true, seed: iteration });
          const ctx = stepContext(cfg, { epoch, step, stepsPerEpoch, lr: LR, optimizer });
          iteration++;
          const out = methodStep(m, batch, ctx);
          // The trainer's per-step work (src/train/trainer.ts): metrics summed on the backend.
          const correct = correctCount(out.fused, batch.labels);
          const ratio = discrepancyRatio(out.unimodal, batch.labels, strong, lazy);
          sums.addStep([
            ["loss", out.loss, batch.size],
            ["correct", correct, 1],
            ["ratio", ratio, 1],
            ...Object.entries(out.logs ?? {}).map(([k, v]): StepValue => [k, v, 1]),
          ]);
          correct.dispose();
          ratio.dispose();
          const loss = (await out.loss.data())[0];
          disposeSliceOutput(out);
          disposeBatch(batch);
          return loss;
        },
        dispose() {
          sums.dispose();
          optimizer.dispose();
          m.dispose();
          dataset.dispose();
        },
      };
    },
  };
}

/** Builds the input tensors of a backbone case (kept on the backend). */
type InputMaker = (rng: Rng) => { x: tf.Tensor; extra?: Record<string, tf.Tensor> };

/** The micro-batch size a case runs with on the active engine (0: whole batches). */
export function microBatchOf(c: { batch: number; wasmMicro?: number }): number {
  return tf.getBackend() === "wasm" && c.wasmMicro && c.wasmMicro < c.batch ? c.wasmMicro : 0;
}

/**
 * One training step of `params` on a fixed batch: forward + cross-entropy + gradients +
 * SGD. With `micro` > 0 the batch runs as consecutive slices whose gradients are summed
 * with weights n_slice / B before ONE SGD step (the trainer's gradient accumulation).
 */
function trainStep(
  params: Param[],
  optimizer: Sgd,
  batch: number,
  micro: number,
  loss: (start: number, size: number) => tf.Scalar,
): number {
  if (micro === 0) {
    const r = gradsOf(params, () => ({ loss: loss(0, batch), aux: null }));
    optimizer.step(r.grads, LR);
    disposeGrads(r.grads);
    const value = r.loss.dataSync()[0];
    r.loss.dispose();
    return value;
  }
  const sum = new Map<string, tf.Tensor>();
  let total = 0;
  for (let start = 0; start < batch; start += micro) {
    const n = Math.min(micro, batch - start);
    const r = gradsOf(params, () => ({ loss: loss(start, n), aux: null }));
    for (const [name, g] of r.grads) {
      const prev = sum.get(name);
      const scaled = tf.mul(g, n / batch);
      sum.set(name, prev ? tf.add(prev, scaled) : scaled);
      if (prev) {
        prev.dispose();
        scaled.dispose();
      }
    }
    disposeGrads(r.grads);
    total += r.loss.dataSync()[0] * n / batch;
    r.loss.dispose();
  }
  optimizer.step(sum, LR);
  disposeGrads(sum);
  return total;
}

/** Slices [start, start + n) of a tensor along the batch axis (the tensor itself if whole). */
function rows<T extends tf.Tensor>(t: T, start: number, n: number, batch: number): T {
  return start === 0 && n === batch ? t : tf.slice(t, start, n) as T;
}

/**
 * A paper backbone with a linear classification head: forward in training mode,
 * cross-entropy, gradients of every parameter, one SGD step, on a fixed batch (in
 * micro-batches on wasm where {@link BenchCase.wasmMicro} says so).
 */
function backboneCase(
  name: string,
  batch: number,
  classes: number,
  description: string,
  makeEncoderFn: (rng: Rng) => Encoder,
  inputs: InputMaker,
  wasmMicro?: number,
): BenchCase {
  return {
    name,
    batch,
    wasmMicro,
    description,
    setup() {
      const rng = new Rng(seedFor(0, "bench", name));
      const encoder = makeEncoderFn(rng);
      const head = new Linear("head", "head", encoder.outDim, classes, rng);
      const params: Param[] = [...encoder.params(), ...head.params()];
      const optimizer = new Sgd(params, SGD);
      const { x, extra } = inputs(rng);
      const y = labels(rng, batch, classes);
      const micro = microBatchOf({ batch, wasmMicro });
      const forward = (encoder.forward as (
        x: tf.Tensor,
        training: boolean,
        inputs?: Record<string, tf.Tensor>,
      ) => tf.Tensor2D).bind(encoder);
      return Promise.resolve({
        params: countParams(params),
        step() {
          return Promise.resolve(trainStep(params, optimizer, batch, micro, (start, n) => {
            const xs = rows(x, start, n, batch);
            const all: Record<string, tf.Tensor> = { input: xs };
            for (const [k, v] of Object.entries(extra ?? {})) all[k] = rows(v, start, n, batch);
            return crossEntropy(head.apply(forward(xs, true, all)), rows(y, start, n, batch));
          }));
        },
        dispose() {
          optimizer.dispose();
          for (const p of params) p.variable.dispose();
          for (const b of encoder.buffers()) b.dispose();
          tf.dispose([x, y, ...Object.values(extra ?? {})]);
        },
      });
    },
  };
}

/**
 * The paper-profile CREMA-D model step: an audio ResNet18 (1 channel, 257x188 log-STFT)
 * and a visual ResNet18 (3 frames of 224x224, features averaged over the frames), their
 * 512-d features concatenated into a 1024-6 head, at the paper batch of 64: the step the
 * paper profile runs (concat fusion), in micro-batches of 4 on wasm.
 */
function cremaStepCase(): BenchCase {
  const batch = 64;
  const wasmMicro = 4;
  return {
    name: "crema-d",
    batch,
    wasmMicro,
    description:
      "CREMA-D paper step: audio ResNet18 (257x188x1) + visual ResNet18 (3 x 224x224x3) + head 1024-6",
    setup() {
      const rng = new Rng(seedFor(0, "bench", "crema-d"));
      const audio = new ResNet18Encoder("audio", 1, rng);
      const visual = new ResNet18Encoder("visual", 3, rng);
      const head = new Linear("head", "head", 1024, 6, rng);
      const params: Param[] = [...audio.params(), ...visual.params(), ...head.params()];
      const optimizer = new Sgd(params, SGD);
      const a = tf.tensor(normal(rng, batch * 257 * 188), [batch, 257, 188, 1]);
      const v = tf.tensor(normal(rng, batch * 3 * 224 * 224 * 3), [batch, 3, 224, 224, 3]);
      const y = labels(rng, batch, 6);
      const micro = microBatchOf({ batch, wasmMicro });
      return Promise.resolve({
        params: countParams(params),
        step() {
          return Promise.resolve(trainStep(params, optimizer, batch, micro, (start, n) => {
            const fa = audio.forward(rows(a, start, n, batch), true);
            const fv = visual.forward(rows(v, start, n, batch), true);
            return crossEntropy(head.apply(tf.concat([fa, fv], 1)), rows(y, start, n, batch));
          }));
        },
        dispose() {
          optimizer.dispose();
          for (const p of params) p.variable.dispose();
          for (const b of [...audio.buffers(), ...visual.buffers()]) b.dispose();
          tf.dispose([a, v, y]);
        },
      });
    },
  };
}

/**
 * Every benchmark model, in table order.
 *
 * @example
 * ```ts ignore
 * const runner = await CASES[0].setup(); // after selectBackend
 * await runner.step();
 * runner.dispose();
 * ```
 */
export const CASES: BenchCase[] = [
  methodCase("concat"),
  methodCase("ibml"),
  backboneCase(
    "cnn",
    32,
    10,
    "3D MNIST Img_FC: conv3x3 3-96, pool, conv3x3 96-64, pool, fc 3136-512, head 512-10; 30x30x3",
    (rng) => new ImgFcEncoder("image", [30, 30, 3], rng, 512),
    (rng) => ({ x: tf.tensor(normal(rng, 32 * 30 * 30 * 3), [32, 30, 30, 3]) }),
  ),
  backboneCase(
    "resnet18",
    64,
    6,
    "CREMA-D audio ResNet18 (1 channel) + head 512-6; spectrogram 257x188x1",
    (rng) => new ResNet18Encoder("audio", 1, rng),
    (rng) => ({ x: tf.tensor(normal(rng, 64 * 257 * 188), [64, 257, 188, 1]) }),
    8, // wasm: batch 8 fits its heap
  ),
  cremaStepCase(),
  backboneCase(
    "dgcnn",
    32,
    40,
    "DGCNN (k 20, emb 512) + head 512-40; 1024 points",
    (rng) => new DgcnnEncoder("points", rng),
    (rng) => ({ x: tf.tensor(normal(rng, 32 * 1024 * 3), [32, 1024, 3]) }),
    4, // wasm: batch 8 needs more than its 4 GiB heap
  ),
  backboneCase(
    "multiview",
    32,
    40,
    "ModelNet40 multi-view ResNet18 (4 views 112x112x3, shared trunk) + head 512-40",
    (rng) => new MultiViewEncoder("image", rng),
    (rng) => ({ x: tf.tensor(normal(rng, 32 * 4 * 112 * 112 * 3), [32, 4, 112, 112, 3]) }),
    4,
  ),
  backboneCase(
    "bigru",
    64,
    3,
    "MVSA text Bi-GRU (300-512, both directions) + head 512-3; 32 GloVe tokens, no padding",
    (rng) => new BiGruEncoder("text", 300, 512, rng),
    (rng) => ({
      x: tf.tensor(normal(rng, 64 * 32 * 300), [64, 32, 300]),
      extra: { [maskKey("text")]: tf.ones([64, 32]) },
    }),
  ),
];

/**
 * The case called `name` (one clear error for an unknown name).
 *
 * @example
 * ```ts
 * caseByName("resnet18").batch; // 64
 * ```
 */
export function caseByName(name: string): BenchCase {
  const c = CASES.find((k) => k.name === name);
  if (!c) throw new Error(`unknown bench model '${name}': use ${CASES.map((k) => k.name)}`);
  return c;
}

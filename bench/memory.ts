/**
 * Memory sweep (a benchmark, not a unit test): how large a slice of the paper batch fits in
 * the wasm backend's 4 GiB heap when `ibml` trains the paper backbones of a dataset. It is
 * what `WASM_MICRO_BATCH` in src/optim/micro_batch.ts (`train.micro_batch: auto`) is
 * measured with.
 *
 * One measurement, in a fresh process on the wasm backend (the fast kernels as every run
 * installs them; OpenBLAS where it loads):
 *
 * ```
 * deno run -A bench/memory.ts --dataset crema-d --n 8 [--text-len L]
 * ```
 *
 * builds the paper-profile model that `ibml` trains for the dataset (`resolveConfig` +
 * the method registry, a {@linkcode DatasetInfo} with the real dataset's facts: input
 * shapes, classes, training-set size), WITHOUT real data: random tensors of the exact shapes
 * and dtypes the loaders produce (float32 inputs; the Bi-GRU's text as GloVe vectors
 * `[B, L, 300]` plus `text_mask` `[B, L]`, since the loader looks the embeddings up on the
 * host; int32 labels and indices). It mirrors what the trainer holds during a micro-batched
 * step: the whole paper batch (B samples) on the backend, its slices of N (`sliceBatch`),
 * the gradient sums of a `GradAccumulator` and the `Sgd` momentum buffers; 3D MNIST's
 * resident dataset (`MemorySplit`, train + test on the backend) is allocated too. It runs
 * 2 training steps (src/train/step.ts) of N samples (epoch 1: inside IBML's modulation window, so the TCM
 * noise copy and the BIO loss are in the graph; with N < B both are slices of one step and
 * the accumulated update is applied after them), then 1 eval `method.predict` on N samples,
 * and prints one line `MEMORY {json}` ({@linkcode MemoryResult}). A wasm abort (`Aborted()`,
 * the heap cap) is caught, reported with `ok: false`, and the process exits.
 *
 * The sweep runs each (dataset, N) in its own process (the wasm heap only grows, so its
 * size after a run is that run's peak), doubling N until the first failure or the paper
 * batch size, and prints a markdown table and the recommended slice size per dataset:
 *
 * ```
 * deno run -A bench/memory.ts --sweep [--datasets crema-d,ave] [--sizes 2,4,8,16,32,64]
 * deno task bench --memory [--datasets ...] [--sizes ...]
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { selectBackend } from "../src/backend/mod.ts";
import { type Batch, type DatasetInfo, disposeBatch } from "../src/data/types.ts";
import { DATASET_SPECS, lazyOf } from "../src/data/specs.ts";
import { getMethodEntry } from "../src/methods/registry.ts";
import type { Method, StepContext } from "../src/methods/types.ts";
import { PAPER_BACKBONES } from "../src/models/backbones.ts";
import { maskKey } from "../src/models/bigru.ts";
import { Rng, seedFor } from "../src/rng.ts";
import type { RunConfig } from "../src/config/types.ts";
import { resolveConfig } from "../src/resolve/resolve_config.ts";
import {
  disposeSliceOutput,
  GradAccumulator,
  sliceBatch,
  type StepOptimizer,
} from "../src/optim/micro_batch.ts";
import { stepLr } from "../src/optim/schedule.ts";
import { Sgd } from "../src/optim/sgd.ts";
import { stepContext } from "../src/train/trainer.ts";
import { V8_FLAGS_ARG } from "../src/v8_flags.ts";
import { methodContext } from "../src/methods/context.ts";
import { trainStep } from "../src/train/step.ts";
import { table } from "./table.ts";

/** Largest heap (MiB) a recommended slice size may reach: 4 GiB less room for fragmentation. */
export const HEAP_LIMIT_MIB = 3584;

/** The wasm heap's hard cap (MiB). */
const HEAP_CAP_MIB = 4096;

/**
 * Facts of the real datasets the model and the method's state depend on, beyond
 * src/data/specs.ts: the training-set size the official split files give (IBML's
 * per-sample records are [N_train, C]) and, for a loader that keeps its splits on the
 * backend (`MemorySplit`), the samples resident there.
 *
 * @example
 * ```ts
 * MEMORY_DATASETS["crema-d"].numTrain; // 6698
 * ```
 */
export const MEMORY_DATASETS: Readonly<Record<string, { numTrain: number; resident: number }>> = {
  "crema-d": { numTrain: 6698, resident: 0 },
  ave: { numTrain: 3312, resident: 0 },
  avsbench: { numTrain: 3452, resident: 0 },
  vggsound50: { numTrain: 25954, resident: 0 },
  mvsa: { numTrain: 1555, resident: 0 },
  food101: { numTrain: 62971, resident: 0 },
  mnist3d: { numTrain: 5000, resident: 5000 + 1000 },
  modelnet40: { numTrain: 9840, resident: 0 },
};

/**
 * Text length L (tokens) of the fake text batches: a batch is padded to its longest
 * caption and nothing truncates, so this is a worst case for the dataset (MVSA-Single:
 * tweets of at most 140 characters; Food-101: at most 148 words per title,
 * shared/spec/research/datasets-backbones.md). `--text-len` overrides it.
 *
 * @example
 * ```ts
 * TEXT_LEN.food101; // 160
 * ```
 */
export const TEXT_LEN: Readonly<Record<string, number>> = { mvsa: 64, food101: 160 };

/** What one measurement reports (the JSON of its `MEMORY` line). */
export interface MemoryResult {
  /** Dataset name. */
  dataset: string;
  /** Slice size: samples per training step. */
  n: number;
  /** The paper profile's batch size for the dataset. */
  batch: number;
  /** Whether both steps and the eval ran. */
  ok: boolean;
  /** Backend that ran it (and its kernel sets). */
  backend?: string;
  /** Wasm heap (MiB) after the model, optimizer and fake batch were built. */
  heap_start_mib?: number;
  /** Wasm heap (MiB) after the 2 training steps (it only grows: the peak so far). */
  heap_mib?: number;
  /** Wasm heap (MiB) after the eval `predict` (the run's peak). */
  heap_eval_mib?: number;
  /** tf.memory().numBytes after the training steps (MiB): what stays allocated. */
  tensor_mib?: number;
  /** Wall time of each training step (s). */
  step_s?: number[];
  /** Seconds per step: the second (warm) step. */
  s_per_step?: number;
  /** Estimated time of one whole paper batch: s_per_step * ceil(batch / n). */
  batch_s?: number;
  /** Wall time of the eval predict (s). */
  eval_s?: number;
  /** Trainable parameters of the model. */
  params?: number;
  /** Text length used (image-text datasets). */
  text_len?: number;
  /** Where it failed: build, train, eval (when ok is false). */
  phase?: string;
  /** The error message (when ok is false). */
  error?: string;
}

type WasmBackend = { wasm?: { HEAPU8: Uint8Array } };

/**
 * Size of the wasm backend's heap in MiB (0 on another backend). Emscripten only grows
 * it, so this is the peak so far (rounded up by its growth step).
 *
 * @example
 * ```ts ignore
 * wasmHeapMib(); // 1536
 * ```
 */
export function wasmHeapMib(): number {
  try {
    return ((tf.backend() as unknown as WasmBackend).wasm?.HEAPU8.length ?? 0) / 2 ** 20;
  } catch {
    return 0;
  }
}

/**
 * The {@linkcode DatasetInfo} the real loader of `dataset` reports in the paper profile
 * (input shapes from src/models/backbones.ts, which the loaders follow; text is `[-1, 300]`).
 *
 * @example
 * ```ts
 * paperInfo("ave").inputShapes.audio; // [257, 1004, 1]
 * ```
 */
export function paperInfo(dataset: string): DatasetInfo {
  const spec = DATASET_SPECS[dataset];
  const backbones = PAPER_BACKBONES[dataset];
  if (!spec || !backbones || !MEMORY_DATASETS[dataset]) {
    throw new Error(
      `unknown dataset '${dataset}': use one of ${Object.keys(MEMORY_DATASETS).join(", ")}`,
    );
  }
  return {
    name: dataset,
    modalities: [...spec.modalities],
    strong: spec.strong,
    lazy: lazyOf(spec),
    numClasses: spec.numClasses,
    hasVal: spec.hasVal,
    inputShapes: Object.fromEntries(
      spec.modalities.map((m) => [m, [...backbones[m].inputShape]]),
    ),
    kind: "real",
  };
}

/**
 * A random batch with the loaders' shapes and dtypes: float32 inputs (`[B, ...shape]`;
 * a variable-length modality gets length `textLen` and a float32 padding mask
 * `<modality>_mask` `[B, L]`, sample 0 at full length), int32 labels in [0, C) and int32
 * distinct training-set indices.
 *
 * @example
 * ```ts ignore
 * const b = fakeBatch(paperInfo("mvsa"), 8, 1555, 64, 1);
 * b.inputs.text.shape; // [8, 64, 300]
 * ```
 */
export function fakeBatch(
  info: DatasetInfo,
  size: number,
  numTrain: number,
  textLen: number,
  seed: number,
): Batch {
  const rng = new Rng(seed);
  const inputs: Record<string, tf.Tensor> = {};
  for (const m of info.modalities) {
    const shape = info.inputShapes[m];
    if (shape[0] === -1) {
      const full = [size, textLen, ...shape.slice(1)];
      inputs[m] = tf.randomNormal(full, 0, 0.3, "float32", rng.int(2 ** 31));
      const mask = new Float32Array(size * textLen);
      for (let b = 0; b < size; b++) {
        const len = b === 0 ? textLen : 1 + rng.int(textLen);
        mask.fill(1, b * textLen, b * textLen + len);
      }
      inputs[maskKey(m)] = tf.tensor2d(mask, [size, textLen], "float32");
    } else {
      inputs[m] = tf.randomNormal([size, ...shape], 0, 1, "float32", rng.int(2 ** 31));
    }
  }
  const labels = Int32Array.from({ length: size }, () => rng.int(info.numClasses));
  const indices = rng.permutation(numTrain).slice(0, size);
  return {
    inputs,
    labels: tf.tensor1d(labels, "int32"),
    indices: tf.tensor1d(indices, "int32"),
    size,
  };
}

/** Options of {@linkcode measureOne}. */
export interface MeasureOptions {
  /** Text length for image-text datasets (default {@linkcode TEXT_LEN}). */
  textLen?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/**
 * One measurement in this process (it selects the wasm backend; run it in a fresh
 * process, since the heap only grows). Never throws for a failure of the model: the
 * result says `ok: false` with the error and the phase.
 *
 * @example
 * ```ts ignore
 * const r = await measureOne("crema-d", 8);
 * console.log(r.heap_mib, r.s_per_step);
 * ```
 */
export async function measureOne(
  dataset: string,
  n: number,
  opts: MeasureOptions = {},
): Promise<MemoryResult> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const info = paperInfo(dataset);
  const facts = MEMORY_DATASETS[dataset];
  const config: RunConfig = resolveConfig({ method: "ibml", dataset, profile: "paper" });
  const B = config.train.batch_size;
  const textLen = opts.textLen ?? TEXT_LEN[dataset] ?? 0;
  const result: MemoryResult = { dataset, n, batch: B, ok: false };
  if (info.modalities.some((m) => info.inputShapes[m][0] === -1)) result.text_len = textLen;
  let phase = "build";
  let method: Method | null = null;
  try {
    const backend = await selectBackend("wasm");
    result.backend = backend.reason;
    log(`backend: ${backend.reason}`);
    const resident: tf.Tensor[] = [];
    if (facts.resident > 0) {
      for (const m of info.modalities) {
        resident.push(tf.zeros([facts.resident, ...info.inputShapes[m]]));
      }
    }
    method = getMethodEntry("ibml").create(
      methodContext(config, info, { size: facts.numTrain, labels: new Int32Array(facts.numTrain) }),
    );
    const m = method;
    result.params = m.params().reduce((s, p) => s + p.variable.size, 0);
    const sgd = new Sgd(m.params(), {
      momentum: config.train.momentum,
      weightDecay: config.train.weight_decay,
    });
    // What the trainer holds in a step: the whole batch, and its slices when N < B.
    const micro = n < B;
    const batch = fakeBatch(info, micro ? B : n, facts.numTrain, textLen, seedFor(0, "batch"));
    // sliceBatch cuts every slice up front, as the trainer does; 2 of them are stepped.
    const slices = micro ? sliceBatch(batch, n) : [];
    const parts = micro ? slices.slice(0, 2) : [batch, batch];
    const acc = micro ? new GradAccumulator(sgd) : null;
    const optimizer: StepOptimizer = acc ?? sgd;
    const E = config.epochs, protocol = config.train.protocol_epochs;
    const epoch = 1; // inside IBML's modulation window: TCM noise and BIO loss in the graph
    const lr = m.learningRate?.(epoch, config.train.lr, E) ??
      stepLr(config.train.lr, config.train.lr_step, config.train.lr_gamma, E, protocol, epoch);
    const stepsPerEpoch = Math.ceil(facts.numTrain / B);
    result.heap_start_mib = wasmHeapMib();
    log(
      `${dataset}: ${result.params} parameters; batch ${B}, steps of ${n}` +
        `${micro ? " (micro-batches)" : ""}; heap ${result.heap_start_mib} MiB before the steps`,
    );

    phase = "train";
    const steps: number[] = [];
    for (const [c, part] of parts.entries()) {
      const step = micro ? 0 : c;
      const base = stepContext(config, { epoch, step, stepsPerEpoch, lr, optimizer });
      const ctx: StepContext = {
        ...base,
        share: micro ? part.size / B : 1,
        seed: (...purpose) => base.seed(...purpose, "micro", c),
      };
      if (acc) acc.weight = part.size / B;
      const t0 = performance.now();
      const out = trainStep(m, part, ctx);
      await out.loss.data();
      steps.push((performance.now() - t0) / 1000);
      disposeSliceOutput(out);
      log(`  step ${c + 1}: ${steps[c].toFixed(2)} s, heap ${wasmHeapMib()} MiB`);
    }
    if (acc) acc.apply();
    result.step_s = steps;
    result.s_per_step = steps[steps.length - 1];
    result.batch_s = result.s_per_step * Math.ceil(B / n);
    result.heap_mib = wasmHeapMib();
    result.tensor_mib = tf.memory().numBytes / 2 ** 20;
    for (const p of slices) disposeBatch(p);
    disposeBatch(batch);

    phase = "eval";
    const evalBatch = fakeBatch(info, n, facts.numTrain, textLen, seedFor(0, "eval"));
    const t0 = performance.now();
    const counts = tf.tidy(() => {
      const p = m.predict(evalBatch.inputs);
      const hits = (z: tf.Tensor2D) =>
        tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), evalBatch.labels), "float32"));
      return [p.fused, ...Object.values(p.unimodal)].filter((z): z is tf.Tensor2D => z !== null)
        .map(hits);
    });
    for (const t of counts) await t.data();
    result.eval_s = (performance.now() - t0) / 1000;
    result.heap_eval_mib = wasmHeapMib();
    tf.dispose(counts);
    disposeBatch(evalBatch);
    sgd.dispose();
    for (const t of resident) t.dispose();
    result.ok = true;
  } catch (e) {
    result.phase = phase;
    result.error = (e instanceof Error ? e.message : String(e)).trim().slice(0, 300);
    const heap = wasmHeapMib();
    if (phase === "eval") result.heap_eval_mib = heap;
    else if (heap > 0) result.heap_mib = heap;
  }
  if (result.ok) {
    try {
      method?.dispose();
    } catch { /* reported already */ }
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// The sweep
// ---------------------------------------------------------------------------------------

/** Options of {@linkcode memorySweep}. */
export interface SweepOptions {
  /** Datasets (default: all eight). */
  datasets?: string[];
  /** Slice sizes tried in increasing order (default 2, 4, ..., 64; capped at the paper batch). */
  sizes?: number[];
  /** Per-measurement time limit in seconds (default 1200). */
  timeoutS?: number;
  /**
   * Skip a size whose heap, extrapolated linearly from the two sizes before it, exceeds
   * 1.25 x 4 GiB (default true): it would abort, after minutes of steps at 224 px.
   */
  extrapolate?: boolean;
  /** Text length override for the image-text datasets. */
  textLen?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** The sweep's outcome. */
export interface SweepResult {
  /** Every measurement, in order (skipped sizes included, with `phase: "skipped"`). */
  results: MemoryResult[];
  /** Recommended slice size per dataset: a number, "whole batch", or "none" (nothing fit). */
  recommended: Record<string, number | "whole batch" | "none">;
}

/** Heap a result reached (the larger of after-steps and after-eval), MiB. */
function peakOf(r: MemoryResult): number {
  return Math.max(r.heap_mib ?? 0, r.heap_eval_mib ?? 0);
}

/**
 * The recommended slice size of one dataset's results: the largest N that ran with a peak
 * heap of at most {@linkcode HEAP_LIMIT_MIB}; "whole batch" when that N is the paper batch
 * size; "none" when no size fits.
 *
 * @example
 * ```ts
 * recommend([
 *   { dataset: "x", n: 4, batch: 64, ok: true, heap_mib: 2000 },
 *   { dataset: "x", n: 8, batch: 64, ok: true, heap_mib: 3900 },
 * ]); // 4
 * ```
 */
export function recommend(results: MemoryResult[]): number | "whole batch" | "none" {
  const fits = results.filter((r) => r.ok && peakOf(r) <= HEAP_LIMIT_MIB);
  if (fits.length === 0) return "none";
  const best = fits.reduce((a, b) => (b.n > a.n ? b : a));
  return best.n >= best.batch ? "whole batch" : best.n;
}

function cell(x: number | undefined, digits = 1): string {
  return x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits);
}

/**
 * The sweep's results as a markdown table.
 *
 * @example
 * ```ts
 * memoryTable([{ dataset: "mnist3d", n: 32, batch: 32, ok: true, heap_mib: 512, heap_eval_mib: 512, s_per_step: 3 }]);
 * ```
 */
export function memoryTable(results: MemoryResult[]): string {
  const header = [
    "dataset",
    "N",
    "batch",
    "ok",
    "heap MiB (steps)",
    "heap MiB (eval)",
    "s/step",
    "s/batch (est.)",
    "note",
  ];
  const rows = results.map((r) => [
    r.dataset,
    String(r.n),
    String(r.batch),
    r.phase === "skipped" ? "skipped" : r.ok ? "yes" : "NO",
    cell(r.heap_mib, 0),
    cell(r.heap_eval_mib, 0),
    cell(r.s_per_step),
    cell(r.batch_s, 0),
    r.ok
      ? (peakOf(r) > HEAP_LIMIT_MIB ? `over ${HEAP_LIMIT_MIB} MiB` : "")
      : `${r.phase ?? ""}: ${(r.error ?? "").replaceAll("|", "/").replaceAll("\n", " ")}`,
  ]);
  return table(header, rows);
}

/** Runs one measurement in a child process; a crash or timeout becomes `ok: false`. */
async function measureChild(
  dataset: string,
  n: number,
  timeoutS: number,
  textLen: number | undefined,
  log: (line: string) => void,
): Promise<MemoryResult> {
  const here = new URL(".", import.meta.url).pathname;
  const root = new URL("..", import.meta.url).pathname;
  const args = [
    "run",
    "-A",
    V8_FLAGS_ARG,
    `${here}memory.ts`,
    "--dataset",
    dataset,
    "--n",
    String(n),
  ];
  if (textLen !== undefined) args.push("--text-len", String(textLen));
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeoutS * 1000);
  const dec = new TextDecoder();
  let stderr = "";
  const readErr = (async () => {
    for await (const chunk of child.stderr) {
      const text = dec.decode(chunk, { stream: true });
      stderr += text;
      for (const l of text.split("\n")) if (l.trim()) log(`    ${l}`);
    }
  })();
  const [status, stdout] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    readErr,
  ]);
  clearTimeout(timer);
  const line = stdout.split("\n").find((l) => l.startsWith("MEMORY "));
  if (line) return JSON.parse(line.slice(7)) as MemoryResult;
  const tail = stderr.trim().split("\n").filter((l) => !l.trimStart().startsWith("at ")).slice(-2)
    .join(" ").slice(0, 300);
  return {
    dataset,
    n,
    batch: resolveConfig({ method: "ibml", dataset, profile: "paper" }).train.batch_size,
    ok: false,
    phase: timedOut ? "timeout" : "crash",
    error: timedOut
      ? `killed after ${timeoutS} s`
      : `exit ${status.code}${status.signal ? ` (${status.signal})` : ""}: ${tail}`,
  };
}

/**
 * Runs the sweep: for each dataset, each size (capped at, and ending with, the paper batch
 * size) in its own process, stopping at the first failure; prints nothing itself (see
 * `log`), returns the results and the recommendation per dataset.
 *
 * @example
 * ```ts ignore
 * const { results, recommended } = await memorySweep({ datasets: ["mnist3d"], sizes: [8, 16, 32] });
 * ```
 */
export async function memorySweep(opts: SweepOptions = {}): Promise<SweepResult> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const datasets = opts.datasets ?? Object.keys(MEMORY_DATASETS);
  for (const d of datasets) paperInfo(d); // unknown names fail before any run
  const results: MemoryResult[] = [];
  const recommended: SweepResult["recommended"] = {};
  for (const dataset of datasets) {
    const B = resolveConfig({ method: "ibml", dataset, profile: "paper" }).train.batch_size;
    const sizes = [...new Set([...(opts.sizes ?? [2, 4, 8, 16, 32, 64]), B])]
      .filter((s) => s >= 1 && s <= B).sort((a, b) => a - b);
    const mine: MemoryResult[] = [];
    for (const n of sizes) {
      const done = mine.filter((r) => r.ok);
      if ((opts.extrapolate ?? true) && done.length >= 2) {
        const [a, b] = done.slice(-2);
        const slope = (peakOf(b) - peakOf(a)) / (b.n - a.n);
        const guess = peakOf(b) + slope * (n - b.n);
        if (guess > 1.25 * HEAP_CAP_MIB) {
          const r: MemoryResult = {
            dataset,
            n,
            batch: B,
            ok: false,
            phase: "skipped",
            error: `extrapolated heap ${guess.toFixed(0)} MiB > ${HEAP_CAP_MIB} MiB cap`,
          };
          log(`${dataset} N=${n}: skipped (${r.error})`);
          mine.push(r);
          break;
        }
      }
      log(`${dataset} N=${n}: measuring...`);
      const t0 = performance.now();
      const r = await measureChild(dataset, n, opts.timeoutS ?? 1200, opts.textLen, log);
      log(
        `${dataset} N=${n}: ${r.ok ? "ok" : `FAILED (${r.phase}: ${r.error})`}, heap ${
          cell(r.heap_mib, 0)
        } / ${cell(r.heap_eval_mib, 0)} MiB, ${cell(r.s_per_step)} s/step (${
          ((performance.now() - t0) / 1000).toFixed(0)
        } s in all)`,
      );
      mine.push(r);
      if (!r.ok) break;
    }
    results.push(...mine);
    recommended[dataset] = recommend(mine);
  }
  return { results, recommended };
}

/**
 * The sweep's report: the table, then one line per dataset with the recommended slice
 * size and a `WASM_MICRO_BATCH` snippet for the datasets that need micro-batches.
 *
 * @example
 * ```ts ignore
 * console.log(sweepReport(await memorySweep()));
 * ```
 */
export function sweepReport(s: SweepResult): string {
  const lines = [memoryTable(s.results), ""];
  lines.push(
    `recommended slice size (largest N with heap <= ${HEAP_LIMIT_MIB} MiB after steps and eval):`,
  );
  for (const [d, r] of Object.entries(s.recommended)) lines.push(`  ${d}: ${r}`);
  const entries = Object.entries(s.recommended).filter(([, r]) => typeof r === "number");
  lines.push("", "WASM_MICRO_BATCH = {");
  for (const [d, r] of entries) lines.push(`  ${JSON.stringify(d)}: ${r},`);
  lines.push("};");
  return lines.join("\n");
}

/** Parses a comma-separated list of positive integers (one clear error otherwise). */
function sizeList(text: string): number[] {
  const out = text.split(",").map((s) => Number(s.trim()));
  if (out.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new Error(`--sizes must be positive integers separated by commas, got '${text}'`);
  }
  return out;
}

/**
 * Command line: `--dataset D --n N` (one measurement, this process) or `--sweep`.
 *
 * @example
 * ```ts ignore
 * Deno.exit(await memoryMain(["--sweep", "--datasets", "mnist3d"]));
 * ```
 */
export async function memoryMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: "string" },
      n: { type: "string" },
      sweep: { type: "boolean", default: false },
      datasets: { type: "string" },
      sizes: { type: "string" },
      "text-len": { type: "string" },
      "timeout-s": { type: "string", default: "1200" },
      "no-extrapolate": { type: "boolean", default: false },
    },
  });
  const textLen = values["text-len"] !== undefined ? Number(values["text-len"]) : undefined;
  if (values.sweep) {
    const s = await memorySweep({
      datasets: values.datasets?.split(",").map((d) => d.trim()),
      sizes: values.sizes ? sizeList(values.sizes) : undefined,
      timeoutS: Number(values["timeout-s"]),
      extrapolate: !values["no-extrapolate"],
      textLen,
    });
    console.log(sweepReport(s));
    return 0;
  }
  if (!values.dataset || !values.n) {
    console.error(
      "usage: deno run -A bench/memory.ts --dataset D --n N [--text-len L]\n" +
        "       deno run -A bench/memory.ts --sweep [--datasets a,b] [--sizes 2,4,8,16,32,64]" +
        " [--timeout-s S] [--no-extrapolate] [--text-len L]",
    );
    return 2;
  }
  const r = await measureOne(values.dataset, sizeList(values.n)[0], { textLen });
  console.log(`MEMORY ${JSON.stringify(r)}`);
  return r.ok ? 0 : 1;
}

if (import.meta.main) Deno.exit(await memoryMain(Deno.args));

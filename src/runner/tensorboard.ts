/**
 * TensorBoard scalars per epoch (`--tensorboard DIR`), written by tfjs-node's own summary
 * writer (`tf.node.summaryFileWriter`: TensorFlow's C++ event writer), so only on the
 * native engine. Each run writes under `DIR/<experiment>/<run-id>/`: loss, learning rate,
 * train/test/val accuracies, the discrepancy ratio, epoch wall time and every per-epoch
 * quantity the method logs (`method.csv`), at step = epoch.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { loadNative, SETUP_COMMAND, TFJS_VERSION } from "../backend/native.ts";
import type { TrainerState, TrainSink } from "../train/trainer.ts";

/** The part of tfjs-node's `SummaryFileWriter` used here. */
export interface ScalarWriter {
  /** Writes one scalar at a step. */
  scalar(name: string, value: number, step: number): void;
  /** Flushes buffered events to disk. */
  flush(): void;
}

/** One scalar to write. */
export interface Scalar {
  /** TensorBoard tag. */
  tag: string;
  /** Value. */
  value: number;
  /** Step (the 1-based epoch). */
  step: number;
}

/**
 * The environment variable through which `reproduce --tensorboard DIR` hands `DIR` to its
 * worker processes (`main.ts run` reads it when `--tensorboard` is not given).
 */
export const TENSORBOARD_ENV = "IBML_TENSORBOARD";

/**
 * The TensorBoard tag of an `epochs.csv` column.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(epochTag("train_loss"), "loss/train");
 * assert.equal(epochTag("test_acc_audio"), "accuracy/test_audio");
 * assert.equal(epochTag("ratio_mean"), "ratio/strong_over_lazy");
 * ```
 */
export function epochTag(column: string): string {
  if (column === "train_loss") return "loss/train";
  if (column === "ratio_mean") return "ratio/strong_over_lazy";
  if (column === "lr") return "train/lr";
  if (column === "wall_s") return "time/epoch_wall_s";
  const acc = /^(train|test|val)_acc_(.+)$/.exec(column);
  if (acc) return `accuracy/${acc[1]}_${acc[2]}`;
  return `epoch/${column}`;
}

/**
 * The scalars of the last finished epoch: its `epochs.csv` row and its `method.csv` row
 * (finite numbers only).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = lastEpochScalars({
 *   rows: [{ epoch: 1, train_loss: 0.5, ratio_mean: null }],
 *   methodRows: [{ epoch: 1, a_audio: 0.9 }],
 *   ratioSum: 0, ratioCount: 0, methodJson: null,
 * } as never);
 * assert.deepEqual(s, [
 *   { tag: "loss/train", value: 0.5, step: 1 },
 *   { tag: "method/a_audio", value: 0.9, step: 1 },
 * ]);
 * ```
 */
export function lastEpochScalars(state: TrainerState): Scalar[] {
  const row = state.rows[state.rows.length - 1] as Record<string, unknown> | undefined;
  if (!row) return [];
  const step = Number(row.epoch ?? state.rows.length);
  const out: Scalar[] = [];
  const push = (tag: string, v: unknown) => {
    if (typeof v === "number" && Number.isFinite(v)) out.push({ tag, value: v, step });
  };
  for (const [k, v] of Object.entries(row)) if (k !== "epoch") push(epochTag(k), v);
  const m = state.methodRows[state.methodRows.length - 1] as Record<string, unknown> | undefined;
  if (m && (m.epoch === undefined || Number(m.epoch) === step)) {
    for (const [k, v] of Object.entries(m)) if (k !== "epoch") push(`method/${k}`, v);
  }
  return out;
}

/**
 * A {@linkcode TrainSink} that passes everything to the run recorder and, after each
 * epoch, writes that epoch's scalars to TensorBoard.
 *
 * @example
 * ```ts ignore
 * // not run: a sink is fed by a training run (train() on a dataset)
 * const sink = new TensorBoardSink(recorder, writer);
 * await train({ config, dataset, method, sink });
 * ```
 */
export class TensorBoardSink implements TrainSink {
  /** Passed through to the inner sink. */
  readonly info?: TrainSink["info"];

  /** Wraps `inner`; scalars go to `writer`. */
  constructor(readonly inner: TrainSink, readonly writer: ScalarWriter) {
    if (inner.info) this.info = inner.info.bind(inner);
  }

  /** Records the epoch, then writes and flushes its scalars. */
  async epochDone(state: TrainerState, checkpoint: () => Record<string, tf.Tensor>): Promise<void> {
    await this.inner.epochDone(state, checkpoint);
    for (const s of lastEpochScalars(state)) this.writer.scalar(s.tag, s.value, s.step);
    this.writer.flush();
  }
}

/**
 * The line printed when `--tensorboard` is asked for on an engine other than native.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(needsNativeLine("wasm").startsWith("tensorboard: --tensorboard needs the native engine"));
 * ```
 */
export function needsNativeLine(engine: string): string {
  return `tensorboard: --tensorboard needs the native engine (--backend tensorflow, set up by ` +
    `"${SETUP_COMMAND}"); this run trains on ${engine} and writes no TensorBoard scalars`;
}

/**
 * Opens tfjs-node's summary writer on `logdir` when the run trains on the native engine;
 * otherwise logs {@linkcode needsNativeLine} and returns `undefined`.
 *
 * @example
 * ```ts ignore
 * // not run: needs the native TensorFlow engine (set up separately)
 * const writer = await openTensorBoard("runs-tb/adhoc/ibml__crema-d__s0", backend.name, log);
 * ```
 */
export async function openTensorBoard(
  logdir: string,
  engine: string,
  log: (line: string) => void,
): Promise<ScalarWriter | undefined> {
  if (engine !== "tensorflow") {
    log(needsNativeLine(engine));
    return undefined;
  }
  const native = await loadNative();
  if (!native.package) {
    log(needsNativeLine(engine));
    return undefined;
  }
  // The same computed specifier the engine was loaded with (already imported: no I/O).
  const mod = await import(["npm:", native.package, "@", TFJS_VERSION].join(""));
  const writer = mod.node.summaryFileWriter(logdir) as ScalarWriter;
  log(`tensorboard: per-epoch scalars to ${logdir}`);
  return writer;
}

/**
 * The line `reproduce --tensorboard DIR` prints after its sweep: how many runs of the
 * experiment have event files under `DIR/<experiment>/`, or why none has.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensorBoardSummaryLine } from "./tensorboard.ts";
 * const tb = await Deno.makeTempDir();
 * await Deno.mkdir(`${tb}/table5/full__crema-d__s0`, { recursive: true });
 * await Deno.writeTextFile(`${tb}/table5/full__crema-d__s0/events.out.tfevents.1.host`, "");
 * assert.equal(
 *   tensorBoardSummaryLine(tb, "table5"),
 *   `tensorboard: 1 run has per-epoch scalars under ${tb}/table5 (view: tensorboard --logdir ${tb})`,
 * );
 * await Deno.remove(tb, { recursive: true });
 * ```
 */
export function tensorBoardSummaryLine(root: string, experiment: string): string {
  const dir = `${root.replace(/\/+$/, "")}/${experiment}`;
  let runs = 0;
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isDirectory) continue;
      const files = [...Deno.readDirSync(`${dir}/${e.name}`)];
      if (files.some((f) => f.isFile && f.name.startsWith("events.out.tfevents."))) runs++;
    }
  } catch {
    // no folder: no run wrote scalars
  }
  if (runs > 0) {
    return `tensorboard: ${runs} run${
      runs === 1 ? " has" : "s have"
    } per-epoch scalars under ${dir} (view: tensorboard --logdir ${root})`;
  }
  return `tensorboard: no run wrote scalars under ${dir}: TensorBoard logging needs the native ` +
    `engine (--backend tensorflow, set up by "${SETUP_COMMAND}"); runs already finished are ` +
    `skipped and write none`;
}

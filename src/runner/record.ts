/**
 * The run record on disk (design "Run record"): `config.json`, `epochs.csv`, optional
 * `method.csv` and `info_epoch<E>.csv`, a per-epoch `checkpoint/`, and `summary.json`
 * written last and atomically (its presence means the run is done).
 *
 * @module
 */
import { stringify } from "csv-stringify/sync";
import * as tf from "@tensorflow/tfjs";
import { saveCheckpoint } from "../train/checkpoint.ts";
import { withChecksum } from "../report/record_check.ts";
import type { InfoSamples, TrainerState, TrainSink } from "../train/trainer.ts";

/** The summary.json schema. */
export interface Summary {
  method: string;
  dataset: string;
  seed: number;
  profile: string;
  backend: string;
  modalities: string[];
  strong: string;
  epochs: number;
  final: Record<string, number | null>;
  best: Record<string, number | null> & { epoch: number };
  selected_on: "val" | "test";
  ratio_mean: number | null;
  wall_s: number;
  config_hash: string;
  experiment: string;
  run_id: string;
  variant: string | null;
  [extra: string]: unknown;
}

/**
 * Writes text to `path` atomically (temporary file in the same folder, then rename).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeTextAtomic } from "./record.ts";
 * const dir = await Deno.makeTempDir();
 * await writeTextAtomic(`${dir}/summary.json`, "{}");
 * assert.equal(await Deno.readTextFile(`${dir}/summary.json`), "{}");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/**
 * Formats rows as CSV with the given columns (null/undefined become empty cells).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(toCsv([{ epoch: 1, acc: 0.5 }], ["epoch", "acc"]), "epoch,acc\n1,0.5\n");
 * ```
 */
export function toCsv(rows: Record<string, unknown>[], columns: string[]): string {
  return stringify(
    rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? "" : r[c]))),
    {
      header: true,
      columns,
    },
  );
}

/**
 * The folder of a run: `<out>/runs/<experiment>/<runId>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(runDir("results", "adhoc", "ibml__crema-d__s0"), "results/runs/adhoc/ibml__crema-d__s0");
 * ```
 */
export function runDir(out: string, experiment: string, runId: string): string {
  return `${out.replace(/\/+$/, "")}/runs/${experiment}/${runId}`;
}

/**
 * Writes one run's files; plugs into the trainer as its {@linkcode TrainSink}.
 *
 * @example
 * ```ts ignore
 * // not run: a recorder is fed by a training run (train() on a dataset)
 * const rec = new RunRecorder(dir, ["audio", "visual"], true, hash);
 * await train({ config, dataset, method, sink: rec });
 * ```
 */
export class RunRecorder implements TrainSink {
  /** epochs.csv columns. */
  readonly columns: string[];

  /** Creates the recorder for a run folder. */
  constructor(
    readonly dir: string,
    modalities: string[],
    hasVal: boolean,
    readonly configHash: string,
  ) {
    this.columns = [
      "epoch",
      "lr",
      "train_loss",
      "train_acc_fusion",
      "test_acc_fusion",
      ...modalities.map((m) => `test_acc_${m}`),
      "ratio_mean",
      "wall_s",
      ...(hasVal ? ["val_acc_fusion"] : []),
    ];
  }

  /** Called after each epoch's files are written (the run claim's heartbeat). */
  heartbeat: (() => Promise<void>) | null = null;

  /** Path of the checkpoint folder. */
  get checkpointDir(): string {
    return `${this.dir}/checkpoint`;
  }

  /** Rewrites epochs.csv / method.csv and the checkpoint after each epoch. */
  async epochDone(state: TrainerState, checkpoint: () => Record<string, tf.Tensor>): Promise<void> {
    await writeTextAtomic(`${this.dir}/epochs.csv`, toCsv(state.rows, this.columns));
    if (state.methodRows.length) {
      await writeTextAtomic(
        `${this.dir}/method.csv`,
        toCsv(state.methodRows, Object.keys(state.methodRows[0])),
      );
    }
    await saveCheckpoint(this.checkpointDir, {
      config_hash: this.configHash,
      epochs_done: state.rows.length,
      state,
    }, checkpoint());
    await this.heartbeat?.();
  }

  /** Writes `info_epoch<E>.csv`: per-sample log-probabilities of the true class. */
  async info(epoch: number, s: InfoSamples): Promise<void> {
    const mods = Object.keys(s.unimodal);
    const rows = Array.from({ length: s.labels.length }, (_, i) => {
      const r: Record<string, number> = { index: i, label: s.labels[i], fused_logp: s.fused[i] };
      for (const m of mods) r[`${m}_logp`] = s.unimodal[m][i];
      return r;
    });
    await writeTextAtomic(
      `${this.dir}/info_epoch${epoch}.csv`,
      toCsv(rows, ["index", "label", "fused_logp", ...mods.map((m) => `${m}_logp`)]),
    );
  }

  /**
   * Writes summary.json last, atomically, with the checksum of its content
   * (`record_sha256`, see report/record_check.ts), and removes the checkpoints.
   */
  async finish(summary: Summary): Promise<void> {
    await writeTextAtomic(
      `${this.dir}/summary.json`,
      JSON.stringify(withChecksum(summary), null, 2) + "\n",
    );
    await Deno.remove(this.checkpointDir, { recursive: true }).catch(() => {});
    await Deno.remove(`${this.checkpointDir}.prev`, { recursive: true }).catch(() => {});
  }
}

/**
 * Runs one configuration end to end and writes its record: select the backend, skip if
 * already done, resume from the last checkpoint if there is one, train, write summary.json.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendRequest, selectBackend } from "../backend.ts";
import { loadDataset } from "../data/registry.ts";
import { getMethodEntry } from "../methods/registry.ts";
import { loadCheckpoint } from "../train/checkpoint.ts";
import { resolveMicroBatch } from "../train/micro_batch.ts";
import { ConfigError, configHash, type RunConfig } from "../train/config.ts";
import { type EpochRow, train, type TrainerState } from "../train/trainer.ts";
import { VERSION } from "../version.ts";
import { runDir, RunRecorder, type Summary, writeTextAtomic } from "./record.ts";
import { methodContext } from "../methods/context.ts";

/** Options of {@linkcode runOne}. */
export interface RunOptions {
  /** Resolved configuration. */
  config: RunConfig;
  /** Output root (default `results`). */
  out?: string;
  /** Experiment folder under runs/ (default `adhoc`). */
  experiment?: string;
  /** Run folder name (default `<method>__<dataset>__s<seed>__<hash8>`). */
  runId?: string;
  /** Variant label recorded in the summary (Table 5 rows). */
  variant?: string | null;
  /** Backend request (default auto). */
  backend?: BackendRequest;
  /** Progress output. */
  log?: (line: string) => void;
}

/** What {@linkcode runOne} did. */
export interface RunOutcome {
  /** The run folder. */
  dir: string;
  /** The summary (new or existing). */
  summary: Summary;
  /** True when a finished run with the same config was found and nothing was trained. */
  skipped: boolean;
  /** Epochs restored from a checkpoint (0 for a fresh start). */
  resumedFrom: number;
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch {
    return null;
  }
}

/**
 * A dataset name usable in a folder name: `npz:path/to/feat.npz` becomes `npz-feat`.
 *
 * @example
 * ```ts
 * datasetSlug("npz:/tmp/crema_features.npz"); // "npz-crema_features"
 * datasetSlug("crema-d"); // "crema-d"
 * ```
 */
export function datasetSlug(name: string): string {
  if (!name.startsWith("npz:")) return name;
  const base = name.slice(4).split("/").pop()!.replace(/\.npz$/i, "");
  return `npz-${base.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
}

/** Picks the best epoch: highest fusion accuracy on val (or test), first one on ties. */
export function selectBest(rows: EpochRow[], hasVal: boolean): EpochRow {
  const key = hasVal ? "val_acc_fusion" : "test_acc_fusion";
  let best = rows[0];
  for (const r of rows) if ((r[key] ?? -1) > (best[key] ?? -1)) best = r;
  return best;
}

/**
 * Trains one run and writes `<out>/runs/<experiment>/<runId>/`.
 *
 * @example
 * ```ts ignore
 * const cfg = resolveConfig({ method: "ibml", dataset: "crema-d", epochs: 5 });
 * const { dir, summary } = await runOne({ config: cfg });
 * ```
 */
export async function runOne(opts: RunOptions): Promise<RunOutcome> {
  const config = opts.config;
  const hash = configHash(config);
  const experiment = opts.experiment ?? "adhoc";
  const runId = opts.runId ??
    `${config.method.name}__${datasetSlug(config.data.name)}__s${config.seed}__${hash.slice(0, 8)}`;
  const dir = runDir(opts.out ?? "results", experiment, runId);
  const log = opts.log ?? (() => {});

  const existing = await readJson<Summary>(`${dir}/summary.json`);
  if (existing && existing.config_hash === hash) {
    return { dir, summary: existing, skipped: true, resumedFrom: 0 };
  }
  if (existing) {
    // A finished run with another config: keep it beside the new one, never lose it.
    const aside = `${dir}.replaced-${existing.config_hash}`;
    await Deno.rename(dir, aside);
    log(`a finished run with another config was moved to ${aside}`);
  }
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/.write-test`, "");
    await Deno.remove(`${dir}/.write-test`);
  } catch (e) {
    throw new ConfigError(
      `cannot write the run folder ${dir}: ${
        (e as Error).message
      }; choose another --out (under "deno run -P" only results/ is writable: add --allow-write=DIR or use -A)`,
    );
  }

  const backend = await selectBackend(opts.backend ?? "auto");
  log(`backend: ${backend.reason}`);
  const microBatch = resolveMicroBatch(config, backend.name);
  if (microBatch > 0) {
    log(
      `micro-batches: each step of ${config.train.batch_size} runs as slices of ${microBatch} with one ` +
        `SGD step on their accumulated gradients (train.micro_batch=${config.train.micro_batch}); ` +
        `BatchNorm and the method's batch statistics are per slice (src/train/micro_batch.ts)`,
    );
  }
  const dataset = await loadDataset(config);
  const entry = getMethodEntry(config.method.name);
  const method = entry.create(methodContext(config, dataset.info, dataset.train));
  const recorder = new RunRecorder(dir, dataset.info.modalities, dataset.info.hasVal, hash);

  let resumedFrom = 0;
  let resume = null;
  const ck = await loadCheckpoint(recorder.checkpointDir);
  if (ck && ck.meta.config_hash === hash) {
    resume = {
      epochsDone: ck.meta.epochs_done,
      tensors: ck.tensors,
      state: ck.meta.state as TrainerState,
    };
    resumedFrom = ck.meta.epochs_done;
    log(`resuming from the checkpoint after epoch ${resumedFrom}`);
  } else if (ck) {
    for (const t of Object.values(ck.tensors)) t.dispose();
  }

  const versions = { ibml: VERSION, tfjs: tf.version.tfjs, deno: Deno.version.deno };
  const notes = config.epochs !== config.train.protocol_epochs
    ? `epoch marks (lr_step, IBML warmup ramp and modulation windows) are given in the ${config.train.protocol_epochs}-epoch protocol and scaled by ${config.epochs}/${config.train.protocol_epochs}`
    : null;
  await writeTextAtomic(
    `${dir}/config.json`,
    JSON.stringify(
      {
        config,
        config_hash: hash,
        versions,
        backend: backend.name,
        micro_batch: microBatch,
        seed: config.seed,
        experiment,
        run_id: runId,
        variant: opts.variant ?? null,
        dataset_facts: dataset.facts ?? null,
        schedule_note: notes,
      },
      null,
      2,
    ) + "\n",
  );

  const t0 = performance.now();
  try {
    const result = await train({
      config,
      dataset,
      method,
      sink: recorder,
      resume,
      log,
      microBatch,
    });
    const rows = result.rows;
    const last = rows[rows.length - 1];
    const best = selectBest(rows, dataset.info.hasVal);
    const accs = (r: EpochRow) => {
      const o: Record<string, number | null> = { fusion: r.test_acc_fusion };
      for (const m of dataset.info.modalities) o[m] = r[`test_acc_${m}`] ?? null;
      return o;
    };
    const previousWall = resume ? resume.state.rows.reduce((s, r) => s + (r.wall_s ?? 0), 0) : 0;
    const summary: Summary = {
      method: config.method.name,
      dataset: config.data.name,
      seed: config.seed,
      profile: config.profile,
      backend: backend.name,
      modalities: dataset.info.modalities,
      strong: dataset.info.strong,
      epochs: config.epochs,
      final: accs(last),
      best: { epoch: best.epoch, ...accs(best) },
      selected_on: dataset.info.hasVal ? "val" : "test",
      ratio_mean: result.ratioMean,
      wall_s: previousWall + (performance.now() - t0) / 1000,
      config_hash: hash,
      experiment,
      run_id: runId,
      variant: opts.variant ?? null,
      ...(method.summaryExtras ?? {}),
    };
    await recorder.finish(summary);
    return { dir, summary, skipped: false, resumedFrom };
  } catch (e) {
    throw explainBackendFailure(e, backend.name, config);
  } finally {
    try {
      if (resume) { for (const t of Object.values(resume.tensors)) t.dispose(); }
      method.dispose();
      dataset.dispose();
    } catch { /* the backend may be unusable after an abort */ }
  }
}

/**
 * Turns the wasm backend's bare `Aborted()` (its heap is capped at 4 GiB) into an error
 * that says what happened and what to do.
 *
 * @example
 * ```ts ignore
 * throw explainBackendFailure(e, "wasm", config);
 * ```
 */
export function explainBackendFailure(e: unknown, backend: string, config: RunConfig): unknown {
  const msg = e instanceof Error ? e.message : String(e);
  if (
    backend === "wasm" &&
    /Aborted|out of memory|memory access out of bounds|table index is out of bounds/i.test(msg)
  ) {
    return new Error(
      `the wasm backend ran out of memory (its heap is capped at 4 GiB) with train.batch_size=${config.train.batch_size}` +
        ` and train.micro_batch=${config.train.micro_batch} (${msg.trim()}): run it in (smaller) micro-batches (e.g. --set train.micro_batch=2: gradient accumulation, BatchNorm statistics per micro-batch),` +
        ` lower train.batch_size, or use the native backend (--backend tensorflow);` +
        ` finished epochs are kept in the run folder's checkpoint`,
    );
  }
  return e;
}

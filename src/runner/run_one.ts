/**
 * Runs one configuration end to end and writes its record: skip if already done, claim
 * the run folder, select the backend, load (and so validate) the data, resume from the
 * last good checkpoint if there is one, train, write summary.json.
 *
 * ## Contract: claims (`main.ts run`, sweeps, the Slurm launcher)
 *
 * - A run is identified by its folder `<out>/runs/<experiment>/<run-id>` and its hash
 *   (`config_hash`: the resolved configuration plus the identity of its input files,
 *   see run_hash.ts). A folder whose valid `summary.json` has that hash is done: nothing
 *   is trained or written, `main.ts run` prints `already done (same config): DIR`, exit 0.
 * - Otherwise the run is claimed before anything in its folder is touched: the lock file
 *   `<run-dir>.lock` (claim.ts), created atomically, naming the owner (pid, host, start
 *   time, token). The claim is refreshed after every epoch and every minute (the heartbeat
 *   other hosts read; a claim not refreshed for 10 minutes, or whose pid is dead on this
 *   host, is stale and taken over) and released when the run ends, finished or failed.
 * - A run whose claim a live process holds is not trained and nothing is written:
 *   `runOne` throws {@linkcode RunHeldError}; `main.ts run` prints one line on stdout,
 *   `running elsewhere: DIR is held by pid P on HOST since T` and exits 0.
 * - A process that claims a run for a child (a sweep for its worker) passes the claim's
 *   token in the environment variable `IBML_RUN_CLAIM`; the child adopts that claim
 *   instead of seeing the run as held (and leaves releasing it to the parent).
 * - A finished run with another hash (another config, or a changed input file) is set
 *   aside as `<run-dir>.replaced-<old-hash>` and reported as superseded; a corrupt or
 *   edited record (record_check.ts) is set aside as `<run-dir>.corrupt-<time>`; a damaged
 *   checkpoint is set aside as `checkpoint.corrupt-<time>` and the run resumes from the
 *   previous epoch's checkpoint or starts from scratch. Nothing is deleted.
 * - Bad input (flags, config, data) throws before the run folder is created.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendRequest, selectBackend } from "../backend/mod.ts";
import { loadDataset } from "../data/registry.ts";
import { getMethodEntry } from "../methods/registry.ts";
import { type Checkpoint, readCheckpoint } from "../train/checkpoint.ts";
import { resolveMicroBatch } from "../optim/micro_batch.ts";
import { ConfigError } from "../config/error.ts";
import type { RunConfig } from "../config/types.ts";
import { type EpochRow, train, type TrainerState } from "../train/trainer.ts";
import { VERSION } from "../version.ts";
import { runDir, RunRecorder, type Summary, writeTextAtomic } from "./record.ts";
import { openTensorBoard, TensorBoardSink } from "./tensorboard.ts";
import { methodContext } from "../methods/context.ts";
import { readSummaryChecked } from "../report/record_check.ts";
import {
  CLAIM_TOKEN_ENV,
  claimOrAdopt,
  type ClaimOwner,
  describeOwner,
  type RunClaim,
} from "./claim.ts";
import { runIdentity } from "./run_hash.ts";
import { hasAllPermissions } from "./permissions.ts";

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
  /** Token of a claim to adopt (default: `IBML_RUN_CLAIM` from the environment). */
  claimToken?: string;
  /** Decoding cache root of the real datasets (default `<out>/cache`). */
  cacheDir?: string;
  /** TensorBoard root: per-epoch scalars under `<tensorboard>/<experiment>/<runId>/` (native engine only). */
  tensorboard?: string;
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

/** The run is held by another live process; nothing was trained or written. */
export class RunHeldError extends Error {
  /** Creates the error. */
  constructor(readonly dir: string, readonly owner: ClaimOwner | null) {
    super(`running elsewhere: ${dir} is held by ${describeOwner(owner)}`);
    this.name = "RunHeldError";
  }
}

function envToken(): string | undefined {
  try {
    return Deno.env.get(CLAIM_TOKEN_ENV) || undefined;
  } catch {
    return undefined;
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, "-");
}

/**
 * A dataset name usable in a folder name: `npz:path/to/feat.npz` becomes `npz-feat`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(datasetSlug("npz:/tmp/crema_features.npz"), "npz-crema_features");
 * assert.equal(datasetSlug("crema-d"), "crema-d");
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
 * Trains one run and writes `<out>/runs/<experiment>/<runId>/` (see the module doc for
 * the claim contract). Throws {@linkcode RunHeldError} when another process holds it.
 *
 * @example
 * ```ts ignore
 * // not run: trains a model (minutes on the real dataset)
 * const cfg = resolveConfig({ method: "ibml", dataset: "crema-d", epochs: 5 });
 * const { dir, summary } = await runOne({ config: cfg });
 * ```
 */
export async function runOne(opts: RunOptions): Promise<RunOutcome> {
  const config = opts.config;
  const identity = runIdentity(config);
  const hash = identity.hash;
  const experiment = opts.experiment ?? "adhoc";
  const runId = opts.runId ??
    `${config.method.name}__${datasetSlug(config.data.name)}__s${config.seed}__${hash.slice(0, 8)}`;
  const dir = runDir(opts.out ?? "results", experiment, runId);
  const log = opts.log ?? (() => {});

  const done = async () => {
    const r = await readSummaryChecked(dir);
    return r.ok && r.summary.config_hash === hash ? r.summary as unknown as Summary : null;
  };
  const first = await done();
  if (first) return { dir, summary: first, skipped: true, resumedFrom: 0 };

  let claimed;
  try {
    claimed = await claimOrAdopt(dir, opts.claimToken ?? envToken());
  } catch (e) {
    throw new ConfigError(
      `cannot write the run folder ${dir}: ${(e as Error).message}; choose another --out${
        hasAllPermissions() ? "" : ` or add --allow-write=${(opts.out ??
          "results")} (under "deno run -P" only the project's results/ and docs/ are writable)`
      }`,
    );
  }
  if (!claimed.claimed) throw new RunHeldError(dir, claimed.heldBy);
  const claim = claimed.claim;
  const beat = setInterval(() => claim.refresh(), 60_000);
  Deno.unrefTimer(beat);
  try {
    // Another process may have finished it between the check above and the claim.
    const now = await done();
    if (now) return { dir, summary: now, skipped: true, resumedFrom: 0 };
    return await trainClaimed(opts, { dir, runId, experiment, hash, identity, claim, log });
  } finally {
    clearInterval(beat);
    await claim.release();
  }
}

async function setAsidePrevious(
  dir: string,
  identity: ReturnType<typeof runIdentity>,
  log: (line: string) => void,
): Promise<void> {
  const existing = await readSummaryChecked(dir);
  if (existing.ok) {
    // A finished run with another config or input: keep it beside the new one.
    const old = existing.summary;
    let aside = `${dir}.replaced-${old.config_hash}`;
    if (await Deno.stat(aside).then(() => true, () => false)) aside += `-${stamp()}`;
    await Deno.rename(dir, aside);
    const inputs = old.inputs as { path?: string; sha256?: string } | undefined;
    const why = old.settings_hash === identity.settingsHash && identity.inputs
      ? `its input changed (${identity.inputs.path}: sha256 ${
        inputs?.sha256?.slice(0, 12) ?? "unrecorded"
      } -> ${identity.inputs.sha256.slice(0, 12)})`
      : "its configuration or input changed";
    log(`superseded: the finished run in ${dir} (${why}) was moved to ${aside}`);
  } else if (!existing.missing) {
    const aside = `${dir}.corrupt-${stamp()}`;
    await Deno.rename(dir, aside);
    log(
      `corrupt record ${dir}/summary.json: ${existing.problem}; set aside as ${aside}, redoing the run`,
    );
  }
}

/** Adhoc runs carry the hash in their id: name earlier runs of the same settings on other inputs. */
function reportSuperseded(
  dir: string,
  runId: string,
  identity: ReturnType<typeof runIdentity>,
  log: (line: string) => void,
): void {
  if (!identity.inputs) return;
  const parent = dir.slice(0, dir.lastIndexOf("/"));
  const prefix = runId.replace(/__[0-9a-f]{8}$/, "__");
  if (prefix === runId) return;
  try {
    for (const e of Deno.readDirSync(parent)) {
      if (!e.isDirectory || !e.name.startsWith(prefix) || e.name === runId) continue;
      try {
        const s = JSON.parse(Deno.readTextFileSync(`${parent}/${e.name}/summary.json`));
        if (s.settings_hash === identity.settingsHash && s.config_hash !== identity.hash) {
          log(
            `superseded: ${parent}/${e.name} was trained on other content of ${identity.inputs.path}`,
          );
        }
      } catch { /* not a finished run */ }
    }
  } catch { /* no such folder yet */ }
}

interface Claimed {
  dir: string;
  runId: string;
  experiment: string;
  hash: string;
  identity: ReturnType<typeof runIdentity>;
  claim: RunClaim;
  log: (line: string) => void;
}

/** Reads the newest good checkpoint of this config, setting damaged ones aside. */
async function resumePoint(
  checkpointDir: string,
  hash: string,
  log: (line: string) => void,
): Promise<Checkpoint | null> {
  for (const dir of [checkpointDir, `${checkpointDir}.prev`]) {
    const r = await readCheckpoint(dir);
    if (r.status === "none") continue;
    if (r.status === "corrupt") {
      const aside = `${dir}.corrupt-${stamp()}`;
      await Deno.rename(dir, aside).catch(() => {});
      log(
        `damaged checkpoint ${r.file}: ${r.problem}; set aside as ${aside}, ` +
          `resuming from the previous checkpoint if there is one, else from scratch`,
      );
      continue;
    }
    if (r.checkpoint.meta.config_hash === hash) return r.checkpoint;
    for (const t of Object.values(r.checkpoint.tensors)) t.dispose();
  }
  return null;
}

async function trainClaimed(opts: RunOptions, c: Claimed): Promise<RunOutcome> {
  const { dir, runId, experiment, hash, identity, claim, log } = c;
  const config = opts.config;
  const backend = await selectBackend(opts.backend ?? "auto");
  log(`backend: ${backend.reason}`);
  const microBatch = resolveMicroBatch(config, backend.name);
  if (microBatch > 0) {
    log(
      `micro-batches: each step of ${config.train.batch_size} runs as slices of ${microBatch} with one ` +
        `SGD step on their accumulated gradients (train.micro_batch=${config.train.micro_batch}); ` +
        `BatchNorm and the method's batch statistics are per slice (src/optim/micro_batch.ts)`,
    );
  }
  // Load (and so validate) the data before anything is written.
  const dataset = await loadDataset(config, {
    cacheRoot: opts.cacheDir ?? `${(opts.out ?? "results").replace(/\/+$/, "")}/cache`,
  });
  let method;
  try {
    const entry = getMethodEntry(config.method.name);
    method = entry.create(methodContext(config, dataset.info, dataset.train));
    await setAsidePrevious(dir, identity, log);
    reportSuperseded(dir, runId, identity, log);
    try {
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(`${dir}/.write-test`, "");
      await Deno.remove(`${dir}/.write-test`);
    } catch (e) {
      throw new ConfigError(
        `cannot write the run folder ${dir}: ${(e as Error).message}; choose another --out`,
      );
    }
  } catch (e) {
    method?.dispose();
    dataset.dispose();
    throw e;
  }
  const recorder = new RunRecorder(dir, dataset.info.modalities, dataset.info.hasVal, hash);
  recorder.heartbeat = () => claim.refresh();
  const tb = opts.tensorboard
    ? await openTensorBoard(`${opts.tensorboard}/${experiment}/${runId}`, backend.name, log)
    : undefined;

  let resumedFrom = 0;
  let resume = null;
  const ck = await resumePoint(recorder.checkpointDir, hash, log);
  if (ck) {
    resume = {
      epochsDone: ck.meta.epochs_done,
      tensors: ck.tensors,
      state: ck.meta.state as TrainerState,
    };
    resumedFrom = ck.meta.epochs_done;
    log(`resuming from the checkpoint after epoch ${resumedFrom}`);
  }

  const versions = { ibml: VERSION, tfjs: tf.version.tfjs, deno: Deno.version.deno };
  const notes = config.epochs !== config.train.protocol_epochs
    ? `epoch marks (lr_step, IBML warmup ramp and modulation windows) are given in the ${config.train.protocol_epochs}-epoch protocol and scaled by ${config.epochs}/${config.train.protocol_epochs}`
    : null;
  // Only runs that read input files record them (stand-in records keep their shape).
  const inputFields = identity.inputs
    ? { settings_hash: identity.settingsHash, inputs: identity.inputs }
    : {};
  await writeTextAtomic(
    `${dir}/config.json`,
    JSON.stringify(
      {
        config,
        config_hash: hash,
        ...inputFields,
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
      sink: tb ? new TensorBoardSink(recorder, tb) : recorder,
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
      ...inputFields,
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
 * ```ts
 * import assert from "node:assert/strict";
 * import { explainBackendFailure } from "./run_one.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * const config = resolveConfig({ method: "concat", dataset: "crema-d" });
 * const e = explainBackendFailure(new Error("Aborted()"), "wasm", config) as Error;
 * assert.match(e.message, /the wasm backend ran out of memory/);
 * const other = new Error("loss is NaN");
 * assert.equal(explainBackendFailure(other, "wasm", config), other); // other errors pass through
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

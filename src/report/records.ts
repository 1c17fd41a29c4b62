/**
 * Reading run records (`<out>/runs/<experiment>/<run-id>/`): `summary.json` (present =
 * finished), `config.json`, `epochs.csv` and `info_epoch<E>.csv`. Reports read only these.
 *
 * @module
 */
import { parse } from "csv-parse/sync";
import { parseRunId } from "../experiment/expand.ts";
import { readSummaryChecked } from "./record_check.ts";

/** Accuracies of one epoch: `fusion` and one key per modality; `null` where a run has none. */
export type Accuracies = Record<string, number | null>;

/** `summary.json` of a finished run (the fields reports use). */
export interface RunSummary {
  /** Method trained. */
  method: string;
  /** Dataset. */
  dataset: string;
  /** Seed. */
  seed: number;
  /** Profile (`quick` or `paper`). */
  profile: string;
  /** Backend that trained it. */
  backend: string;
  /** Modalities in fusion order. */
  modalities: string[];
  /** The strong modality. */
  strong: string;
  /** Number of epochs trained. */
  epochs: number;
  /** Test accuracies (fractions) of the last epoch. */
  final: Accuracies;
  /** Test accuracies (fractions) of the selected epoch, and that epoch. */
  best: Accuracies & { epoch?: number | null };
  /** Mean discrepancy ratio over training iterations (`null` for unimodal runs). */
  ratio_mean: number | null;
  /** Wall time in seconds. */
  wall_s: number;
  /** Hash of the resolved configuration. */
  config_hash: string;
  /** Experiment name. */
  experiment?: string;
  /** Run id. */
  run_id?: string;
  /** Variant name, if any. */
  variant?: string | null;
  /** Split the best epoch was selected on. */
  selected_on?: "val" | "test";
  /** Set for methods whose default is a reconstruction (ARL). */
  reconstructed?: boolean;
}

/** One finished run as the reports see it. */
export interface RunRecord {
  /** Run id (folder name). */
  runId: string;
  /** Run folder. */
  dir: string;
  /** Entry (row) name: the run id's prefix. */
  entry: string;
  /** Dataset. */
  dataset: string;
  /** Seed. */
  seed: number;
  /** The summary. */
  summary: RunSummary;
}

/** One row of `epochs.csv`: numbers, `null` for empty or non-numeric cells. */
export type EpochRow = Record<string, number | null>;

/**
 * Converts a CSV cell to a number (`null` for an empty, `NaN` or non-numeric cell).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(toNumber("0.5"), 0.5);
 * assert.equal(toNumber(""), null);
 * ```
 */
export function toNumber(cell: string | undefined): number | null {
  if (cell === undefined) return null;
  const t = cell.trim();
  if (t === "") return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/**
 * Parses a numeric CSV with a header line into rows of numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseNumericCsv("epoch,acc\n1,0.5\n2,\n"), [{ epoch: 1, acc: 0.5 }, { epoch: 2, acc: null }]);
 * ```
 */
export function parseNumericCsv(text: string): EpochRow[] {
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<
    string,
    string
  >[];
  return rows.map((r) => {
    const out: EpochRow = {};
    for (const [k, v] of Object.entries(r)) out[k] = toNumber(v);
    return out;
  });
}

function isSummary(v: unknown): v is RunSummary {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.method === "string" && typeof s.dataset === "string" &&
    typeof s.final === "object" &&
    typeof s.best === "object";
}

/**
 * Reads one run folder; `undefined` when it has no (valid) `summary.json`, i.e. the run
 * has not finished.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRun } from "./records.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/table2/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * const rec = await readRun(dir);
 * assert.equal(rec?.entry, "ibml");
 * assert.equal(rec?.summary.best.fusion, 0.8);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function readRun(dir: string): Promise<RunRecord | undefined> {
  const r = await readRunChecked(dir);
  return "record" in r ? r.record : undefined;
}

/** A run folder whose record cannot be used: its path and what is wrong. */
export interface RecordProblem {
  /** Run folder. */
  dir: string;
  /** The file at fault. */
  file: string;
  /** What is wrong (corrupt JSON, missing fields, checksum mismatch). */
  problem: string;
}

/**
 * Reads one run folder: its record, nothing (not finished: no `summary.json`), or the
 * problem that makes its `summary.json` unusable (see record_check.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRunChecked } from "./records.ts";
 * const dir = `${await Deno.makeTempDir()}/ibml__crema-d__s0`;
 * await Deno.mkdir(dir);
 * assert.deepEqual(await readRunChecked(dir), { unfinished: true }); // no summary.json yet
 * await Deno.writeTextFile(`${dir}/summary.json`, "{");
 * const r = await readRunChecked(dir);
 * if ("problem" in r) console.error(`${r.problem.file}: ${r.problem.problem}`);
 * assert.ok("problem" in r);
 * ```
 */
export async function readRunChecked(
  dir: string,
): Promise<{ record: RunRecord } | { problem: RecordProblem } | { unfinished: true }> {
  const checked = await readSummaryChecked(dir);
  if (!checked.ok) {
    if (checked.missing) return { unfinished: true };
    return { problem: { dir, file: `${dir}/summary.json`, problem: checked.problem } };
  }
  const summary: unknown = checked.summary;
  if (!isSummary(summary)) {
    return { problem: { dir, file: `${dir}/summary.json`, problem: "missing fields" } };
  }
  const runIdFromDir = dir.replace(/\/+$/, "").split("/").pop() ?? "";
  const parsed = parseRunId(runIdFromDir);
  return {
    record: {
      runId: runIdFromDir,
      dir,
      entry: parsed?.entry ?? summary.variant ?? summary.method,
      dataset: parsed?.dataset ?? summary.dataset,
      seed: parsed?.seed ?? summary.seed,
      summary,
    },
  };
}

/**
 * Whether a folder under `runs/<experiment>/` is a run set aside by `runOne` (an older run
 * superseded by a new config or input, or a corrupt record): not part of the experiment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(isSetAside("ibml__crema-d__s0.replaced-0123456789abcdef"));
 * ```
 */
export function isSetAside(name: string): boolean {
  return /\.(replaced|corrupt)-/.test(name);
}

/**
 * Reads every run folder of an experiment: the finished records (sorted by run id) and
 * the folders whose record is corrupt or edited (listed, left out of every table).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scanExperimentRuns } from "./records.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/table2/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * await Deno.mkdir(`${out}/runs/table2/concat__crema-d__s0`); // started, not finished
 * const { records, problems } = await scanExperimentRuns(out, "table2");
 * assert.deepEqual(records.map((r) => r.runId), ["ibml__crema-d__s0"]);
 * assert.deepEqual(problems, []);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function scanExperimentRuns(
  out: string,
  experiment: string,
): Promise<{ records: RunRecord[]; problems: RecordProblem[] }> {
  const root = experimentRunsDir(out, experiment);
  const records: RunRecord[] = [];
  const problems: RecordProblem[] = [];
  let items: Deno.DirEntry[];
  try {
    items = [...Deno.readDirSync(root)];
  } catch {
    return { records, problems };
  }
  for (const item of items) {
    if (!item.isDirectory || isSetAside(item.name)) continue;
    const r = await readRunChecked(`${root}/${item.name}`);
    if ("record" in r) records.push(r.record);
    else if ("problem" in r) problems.push(r.problem);
  }
  records.sort((a, b) => a.runId.localeCompare(b.runId));
  problems.sort((a, b) => a.dir.localeCompare(b.dir));
  return { records, problems };
}

/**
 * The folder holding an experiment's runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(experimentRunsDir("results", "table2"), "results/runs/table2");
 * ```
 */
export function experimentRunsDir(out: string, experiment: string): string {
  return `${out.replace(/\/+$/, "")}/runs/${experiment}`;
}

/**
 * Reads every finished run of an experiment, sorted by run id (corrupt records and runs
 * set aside left out; {@linkcode scanExperimentRuns} lists the corrupt ones).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readExperimentRuns } from "./records.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/table2/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * const runs = await readExperimentRuns(out, "table2");
 * assert.deepEqual(runs.map((r) => [r.entry, r.dataset, r.seed]), [["ibml", "crema-d", 0]]);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function readExperimentRuns(out: string, experiment: string): Promise<RunRecord[]> {
  return (await scanExperimentRuns(out, experiment)).records;
}

/**
 * Reads a run's `epochs.csv` (empty when absent).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readEpochs } from "./records.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/fig4/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * await Deno.writeTextFile(
 *   `${dir}/epochs.csv`,
 *   "epoch,train_loss,test_acc_fusion,test_acc_audio,test_acc_visual,ratio_mean\n" +
 *     "1,1.2,0.6,0.5,0.6,1.8\n2,0.9,0.8,0.6,0.7,1.5\n",
 * );
 * const rows = await readEpochs(dir);
 * assert.equal(rows[0]?.test_acc_fusion, 0.6);
 * assert.deepEqual(await readEpochs(`${out}/none`), []); // no epochs.csv
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function readEpochs(dir: string): Promise<EpochRow[]> {
  try {
    return parseNumericCsv(await Deno.readTextFile(`${dir}/epochs.csv`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/**
 * The epochs for which a run has `info_epoch<E>.csv`, ascending.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { infoEpochs } from "./records.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/fig6/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * await Deno.writeTextFile(
 *   `${dir}/info_epoch2.csv`,
 *   "index,label,fused_logp,audio_logp,visual_logp\n0,1,-0.1,-0.2,-1.5\n1,0,-0.3,-0.1,-2.0\n",
 * );
 * assert.deepEqual(infoEpochs(dir), [2]); // e.g. [3, 9, 15, 30] for a 30-epoch run
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function infoEpochs(dir: string): number[] {
  const out: number[] = [];
  try {
    for (const item of Deno.readDirSync(dir)) {
      const m = /^info_epoch(\d+)\.csv$/.exec(item.name);
      if (m && item.isFile) out.push(Number(m[1]));
    }
  } catch {
    return out;
  }
  return out.sort((a, b) => a - b);
}

/**
 * Reads `info_epoch<E>.csv` of a run (empty when absent).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readInfo } from "./records.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/fig6/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * await Deno.writeTextFile(
 *   `${dir}/info_epoch2.csv`,
 *   "index,label,fused_logp,audio_logp,visual_logp\n0,1,-0.1,-0.2,-1.5\n1,0,-0.3,-0.1,-2.0\n",
 * );
 * const rows = await readInfo(dir, 2);
 * assert.equal(rows[0]?.fused_logp, -0.1);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function readInfo(dir: string, epoch: number): Promise<EpochRow[]> {
  try {
    return parseNumericCsv(await Deno.readTextFile(`${dir}/info_epoch${epoch}.csv`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

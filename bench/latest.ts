/**
 * `results/bench/latest.csv`: the newest measurement of every (model, engine, thread count)
 * the bench has measured here, which `--backend auto` reads (src/backend/auto_engine.ts).
 *
 * Each bench run writes its own `bench-<time>.csv`; `latest.csv` merges that run into the
 * previous `latest.csv` instead of replacing it, so that benching one model on one engine
 * (say, `--models cnn --backends tensorflow --native-threads 1`) updates that model's rows
 * and keeps every other row, and `auto` keeps its basis. The `from` column names the run file
 * each row came from. A row is keyed by `model`, `backend` and `tf_threads`. (A `--stock` run
 * is not merged: runs use the fast kernels.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeLatest } from "./latest.ts";
 * const before = "model,backend,status,median_ms\ncnn,wasm,ok,90\ncnn,tensorflow,ok,30\n";
 * const run = "model,backend,status,median_ms\ncnn,tensorflow,ok,25\n";
 * const merged = mergeLatest(before, run, "bench-2.csv");
 * assert.equal(
 *   merged,
 *   "model,backend,status,median_ms,from\ncnn,tensorflow,ok,25,bench-2.csv\ncnn,wasm,ok,90,\n",
 * );
 * ```
 *
 * @module
 */
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";

type Row = Record<string, string>;

/** The columns that identify a measurement: one row per key in `latest.csv`. */
export const LATEST_KEY: readonly string[] = Object.freeze(["model", "backend", "tf_threads"]);

function keyOf(row: Row): string {
  return LATEST_KEY.map((c) => row[c] ?? "").join("\u0000");
}

/** A parsed CSV: its header's columns and its rows. */
interface Table {
  columns: string[];
  rows: Row[];
}

const EMPTY: Table = { columns: [], rows: [] };

/** Parses a CSV with a header line (throws on malformed text). */
function tableOf(text: string): Table {
  let columns: string[] = [];
  const rows = parse(text, {
    columns: (header: string[]) => (columns = header),
    skip_empty_lines: true,
    relax_column_count: true,
  }) as Row[];
  return { columns, rows };
}

/** The previous `latest.csv` as a table; empty when absent, malformed or without `model`. */
function previousTable(text: string | null): Table {
  if (text === null) return EMPTY;
  try {
    const t = tableOf(text);
    return t.columns.includes("model") ? t : EMPTY;
  } catch {
    return EMPTY;
  }
}

/**
 * The new `latest.csv`: the rows of `current` (this run's CSV, each with `from` set to
 * `runFile`), then the rows of `previous` whose key this run did not measure. The columns are
 * this run's, then `previous`'s others, then `from`. A `previous` that is null (first run) or
 * not a CSV with a `model` column is dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeLatest } from "./latest.ts";
 * const run = "model,backend,median_ms\nmlp,wasm,1.5\n";
 * assert.equal(
 *   mergeLatest(null, run, "bench-1.csv"),
 *   "model,backend,median_ms,from\nmlp,wasm,1.5,bench-1.csv\n",
 * );
 * ```
 */
export function mergeLatest(previous: string | null, current: string, runFile: string): string {
  const now = tableOf(current);
  const fresh = now.rows.map((r) => ({ ...r, from: runFile }));
  const measured = new Set(fresh.map(keyOf));
  const old = previousTable(previous);
  const kept = old.rows.filter((r) => !measured.has(keyOf(r)));
  const columns = [...now.columns.filter((c) => c !== "from")];
  for (const c of old.columns) if (c !== "from" && !columns.includes(c)) columns.push(c);
  columns.push("from");
  return stringify([...fresh, ...kept], { header: true, columns });
}

/**
 * Merges this run's CSV text into `<dir>/latest.csv` with {@linkcode mergeLatest} (creating it
 * on the first run), unless `stock` (a `--stock` run: stock kernels are not what a run gets, so
 * `--backend auto` keeps deciding on the fast ones). Returns what it did, for the bench's log.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { updateLatest } from "./latest.ts";
 * const dir = await Deno.makeTempDir();
 * const said = await updateLatest(dir, "model,backend\ncnn,wasm\n", "bench-1.csv", false);
 * assert.equal(said, `merged into ${dir}/latest.csv`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function updateLatest(
  dir: string,
  runCsv: string,
  runFile: string,
  stock: boolean,
): Promise<string> {
  if (stock) return "--stock: latest.csv left as it was";
  const path = `${dir}/latest.csv`;
  let previous: string | null = null;
  try {
    previous = await Deno.readTextFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.writeTextFile(path, mergeLatest(previous, runCsv, runFile));
  return `merged into ${path}`;
}

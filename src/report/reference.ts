/**
 * Regression against pinned numbers: every number of a set of runs (summary.json and each
 * epochs.csv / method.csv cell, wall times excluded) as `run,key,value` cells, stored in
 * `results/reference/<experiment>.csv` with the backend that produced them; comparison
 * cell by cell within a tolerance; and the check of a paper-profile sweep against the
 * published numbers (outside mean ± k std).
 *
 * @module
 */
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { parseNumericCsv, type RunRecord } from "./records.ts";
import type { TableModel } from "./table_model.ts";

/** One pinned number. */
export interface RefCell {
  /** Run id. */
  run: string;
  /** What it is: `summary.best.fusion`, `epoch3.test_acc_visual`, `method3.rho_audio`, `config_hash`. */
  key: string;
  /** Value as text (numbers in JavaScript's round-trip form). */
  value: string;
}

/** A pinned reference. */
export interface Reference {
  /** Metadata lines (`backend`, `profile`, `experiment`, ...). */
  meta: Record<string, string>;
  /** Cells. */
  cells: RefCell[];
}

const SKIP = new Set(["wall_s"]);

async function csvCells(path: string, prefix: string, run: string): Promise<RefCell[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return [];
  }
  const out: RefCell[] = [];
  for (const row of parseNumericCsv(text)) {
    const e = row.epoch;
    for (const [k, v] of Object.entries(row)) {
      if (k === "epoch" || SKIP.has(k)) continue;
      out.push({ run, key: `${prefix}${e}.${k}`, value: v === null ? "" : String(v) });
    }
  }
  return out;
}

function flatten(obj: unknown, prefix: string, run: string, out: RefCell[]): void {
  if (obj === null || obj === undefined) {
    out.push({ run, key: prefix, value: "" });
  } else if (typeof obj === "number" || typeof obj === "string" || typeof obj === "boolean") {
    out.push({ run, key: prefix, value: String(obj) });
  } else if (Array.isArray(obj)) {
    out.push({ run, key: prefix, value: obj.join(" ") });
  } else {
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      flatten(v, `${prefix}.${k}`, run, out);
    }
  }
}

/**
 * Every pinned number of a set of finished runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { collectCells } from "./reference.ts";
 * import { readExperimentRuns } from "./records.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/ci/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * const cells = await collectCells(await readExperimentRuns(out, "ci"));
 * assert.ok(cells.some((c) => c.run === "ibml__crema-d__s0" && c.key === "config_hash" && c.value === "h"));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function collectCells(records: RunRecord[]): Promise<RefCell[]> {
  const out: RefCell[] = [];
  for (const rec of records) {
    const s = rec.summary;
    out.push({ run: rec.runId, key: "config_hash", value: s.config_hash });
    flatten(s.final, "summary.final", rec.runId, out);
    flatten(s.best, "summary.best", rec.runId, out);
    out.push({
      run: rec.runId,
      key: "summary.ratio_mean",
      value: s.ratio_mean === null ? "" : String(s.ratio_mean),
    });
    out.push(...await csvCells(`${rec.dir}/epochs.csv`, "epoch", rec.runId));
    out.push(...await csvCells(`${rec.dir}/method.csv`, "method", rec.runId));
  }
  return out;
}

/**
 * Formats a reference as CSV with `# key=value` metadata lines first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(renderReference({ meta: { backend: "wasm" }, cells: [{ run: "a", key: "k", value: "1" }] }), "# backend=wasm\nrun,key,value\na,k,1\n");
 * ```
 */
export function renderReference(ref: Reference): string {
  const meta = Object.entries(ref.meta).map(([k, v]) => `# ${k}=${v}\n`).join("");
  return meta +
    stringify(ref.cells.map((c) => [c.run, c.key, c.value]), {
      header: true,
      columns: ["run", "key", "value"],
    });
}

/**
 * Parses a reference written by {@linkcode renderReference}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseReference("# backend=wasm\nrun,key,value\na,k,1\n").meta.backend, "wasm");
 * ```
 */
export function parseReference(text: string): Reference {
  const meta: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^#\s*([^=]+)=(.*)$/.exec(line);
    if (m) meta[m[1].trim()] = m[2].trim();
  }
  const rows = parse(text, { columns: true, comment: "#", skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  return { meta, cells: rows.map((r) => ({ run: r.run, key: r.key, value: r.value ?? "" })) };
}

/** A cell that moved. */
export interface MovedCell {
  /** Run id. */
  run: string;
  /** Key. */
  key: string;
  /** Pinned value (`undefined`: the cell is new). */
  reference?: string;
  /** Current value (`undefined`: the cell disappeared). */
  current?: string;
}

/**
 * Whether two cell values agree: numbers within `tolerance` (absolute for |x| <= 1,
 * relative above), other text exactly; tolerance 0 means bit-identical numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(sameValue("0.5", "0.51", 0.02));
 * assert.equal(sameValue("0.5", "0.51", 0), false);
 * ```
 */
export function sameValue(a: string, b: string, tolerance: number): boolean {
  if (a === b) return true;
  const x = Number(a);
  const y = Number(b);
  if (a.trim() === "" || b.trim() === "" || !Number.isFinite(x) || !Number.isFinite(y)) {
    return false;
  }
  if (tolerance === 0) return x === y;
  return Math.abs(x - y) <= tolerance * Math.max(1, Math.abs(y));
}

/**
 * The cells that moved between a reference and the current numbers (config hashes are
 * compared exactly: a changed configuration is itself a change).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(compareCells([{ run: "a", key: "k", value: "1" }], [{ run: "a", key: "k", value: "2" }], 0), [{ run: "a", key: "k", reference: "1", current: "2" }]);
 * ```
 */
export function compareCells(
  reference: RefCell[],
  current: RefCell[],
  tolerance: number,
): MovedCell[] {
  const ref = new Map(reference.map((c) => [`${c.run}|${c.key}`, c]));
  const cur = new Map(current.map((c) => [`${c.run}|${c.key}`, c]));
  const moved: MovedCell[] = [];
  for (const [k, r] of ref) {
    const c = cur.get(k);
    if (!c) moved.push({ run: r.run, key: r.key, reference: r.value });
    else if (!sameValue(c.value, r.value, r.key === "config_hash" ? 0 : tolerance)) {
      moved.push({ run: r.run, key: r.key, reference: r.value, current: c.value });
    }
  }
  for (const [k, c] of cur) {
    if (!ref.has(k)) moved.push({ run: c.run, key: c.key, current: c.value });
  }
  return moved;
}

/**
 * One line per moved cell.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(describeMoved({ run: "a", key: "k", reference: "1", current: "2" }), "a k: 1 -> 2");
 * ```
 */
export function describeMoved(m: MovedCell): string {
  if (m.reference === undefined) return `${m.run} ${m.key}: new (${m.current})`;
  if (m.current === undefined) return `${m.run} ${m.key}: gone (was ${m.reference})`;
  return `${m.run} ${m.key}: ${m.reference} -> ${m.current}`;
}

/** A reproduced cell outside the published mean ± k std. */
export interface PublishedDeviation {
  /** Entry. */
  entry: string;
  /** Dataset. */
  dataset: string;
  /** Metric. */
  metric: string;
  /** Reproduced mean (display units). */
  mean: number;
  /** Published mean ± std. */
  published: { mean: number; std: number };
  /** Whether it is outside the band. */
  outside: boolean;
}

/**
 * Every reproduced cell of a table with a published counterpart, flagged when outside
 * published mean ± k x published std.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publishedDeviations } from "./reference.ts";
 * import { loadReport } from "./report.ts";
 * import { loadExperiment } from "../experiment/catalog.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/table2/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * const report = await loadReport(await loadExperiment("table2"), { out });
 * const fusion = publishedDeviations(report.table, 2).find((d) => d.metric === "fusion");
 * assert.equal(fusion?.published.mean, 80.78);
 * assert.equal(fusion?.outside, false); // 80.00 is within 80.78 ± 2 × 0.77
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function publishedDeviations(model: TableModel, k: number): PublishedDeviation[] {
  const out: PublishedDeviation[] = [];
  for (const g of model.groups) {
    for (const row of g.rows) {
      for (const c of row.cells) {
        if (c.mean === null || !c.published) continue;
        out.push({
          entry: g.entry,
          dataset: c.dataset,
          metric: c.metric,
          mean: c.mean,
          published: c.published,
          outside: Math.abs(c.mean - c.published.mean) > k * c.published.std,
        });
      }
    }
  }
  return out;
}

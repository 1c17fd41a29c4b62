/**
 * The status of every run of an experiment for the HTML report: done (with its engine,
 * profile, epochs, project version and config hash), failed (with its log), not
 * implemented, or not finished. From the sweep's plan and failures when the report is
 * written right after `reproduce`; otherwise from the run folders and the worker logs
 * under `<out>/runs/.logs/<experiment>/`.
 *
 * @module
 */
import type { Experiment } from "../experiment/types.ts";
import type { RunRecord } from "./records.ts";

/** State of a run in the report. */
export type RunStatusState = "done" | "failed" | "not implemented" | "not finished";

/** One run's line in the report's run-status table. */
export interface RunStatus {
  /** Run id (`<entry>__<dataset>__s<seed>`; `<entry>__<dataset>` for a not-implemented entry). */
  runId: string;
  /** Entry (row) name. */
  entry: string;
  /** Dataset. */
  dataset: string;
  /** Seed (`null` when unknown). */
  seed: number | null;
  /** State. */
  state: RunStatusState;
  /** Run folder (done runs). */
  dir?: string;
  /** Worker log (failed and unfinished runs, where one exists). */
  log?: string;
  /** Worker exit code (failed runs of this sweep). */
  code?: number;
  /** Last lines of the log (failed runs of this sweep). */
  tail?: string;
  /** Engine (tfjs backend) that trained it. */
  backend?: string;
  /** Profile. */
  profile?: string;
  /** Epochs trained. */
  epochs?: number;
  /** Project version recorded in its `config.json`. */
  version?: string;
  /** Hash of the resolved configuration. */
  configHash?: string;
  /** Wall time in seconds. */
  wallS?: number;
}

/** A planned run, as the sweep planned it (only the fields used here). */
export interface PlannedStatus {
  /** Run id. */
  runId: string;
  /** Entry name. */
  entry: string;
  /** Dataset as passed to the worker. */
  dataset: string;
  /** Seed. */
  seed: number;
  /** Planned state. */
  state: string;
  /** Config hash at planning time. */
  configHash?: string;
}

/** A failed run of a sweep (only the fields used here). */
export interface FailedStatus {
  /** Run id. */
  runId: string;
  /** Worker exit code. */
  code: number;
  /** Log file. */
  log: string;
  /** Last lines of output. */
  tail: string;
}

/** Where run states come from besides the finished runs. */
export interface StatusSources {
  /** Output root (for the worker logs). */
  out: string;
  /** The sweep's plan (right after `reproduce`). */
  plan?: PlannedStatus[];
  /** The sweep's failed runs. */
  failed?: FailedStatus[];
  /** Whether a method is implemented (default: every one is). */
  implemented?: (method: string) => boolean;
}

async function readConfigVersion(dir: string): Promise<string | undefined> {
  try {
    const c = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    const v = c?.versions?.ibml;
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

function logsDir(out: string, experiment: string): string {
  return `${out.replace(/\/+$/, "")}/runs/.logs/${experiment}`;
}

function splitRunId(id: string): { entry: string; dataset: string; seed: number | null } {
  const m = /^(.+)__([^_][^/]*?)__s(\d+)$/.exec(id);
  return m
    ? { entry: m[1], dataset: m[2], seed: Number(m[3]) }
    : { entry: id, dataset: "", seed: null };
}

/**
 * The status of every run of an experiment, done runs first in run-id order, then failed,
 * unfinished and not-implemented ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { collectRunStatus } from "./run_status.ts";
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
 * const exp = await loadExperiment("table2");
 * const report = await loadReport(exp, { out });
 * const rows = await collectRunStatus(exp, report.index.records, { out });
 * assert.deepEqual(rows.filter((r) => r.state === "failed").map((r) => r.log), []);
 * assert.equal(rows.find((r) => r.runId === "ibml__crema-d__s0")?.state, "done");
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function collectRunStatus(
  exp: Experiment,
  records: RunRecord[],
  sources: StatusSources,
): Promise<RunStatus[]> {
  const done: RunStatus[] = [];
  for (const r of records) {
    const s = r.summary;
    done.push({
      runId: r.runId,
      entry: r.entry,
      dataset: r.dataset,
      seed: r.seed,
      state: "done",
      dir: r.dir,
      backend: s.backend,
      profile: s.profile,
      epochs: s.epochs,
      version: await readConfigVersion(r.dir),
      configHash: s.config_hash,
      wallS: typeof s.wall_s === "number" ? s.wall_s : undefined,
    });
  }
  const known = new Set(done.map((d) => d.runId));
  const rest: RunStatus[] = [];
  const failed = new Map((sources.failed ?? []).map((f) => [f.runId, f]));
  const logs = logsDir(sources.out, exp.name);
  const logOf = (runId: string): string | undefined => {
    const path = `${logs}/${runId}.log`;
    try {
      return Deno.statSync(path).isFile ? path : undefined;
    } catch {
      return undefined;
    }
  };
  if (sources.plan) {
    for (const p of sources.plan) {
      if (known.has(p.runId)) continue;
      known.add(p.runId);
      const base = { runId: p.runId, entry: p.entry, dataset: p.dataset, seed: p.seed };
      const f = failed.get(p.runId);
      if (f) {
        rest.push({ ...base, state: "failed", log: f.log, code: f.code, tail: f.tail });
      } else if (p.state === "not implemented") {
        rest.push({ ...base, state: "not implemented" });
      } else {
        rest.push({
          ...base,
          state: "not finished",
          log: logOf(p.runId),
          configHash: p.configHash,
        });
      }
    }
  }
  for (const f of failed.values()) {
    if (known.has(f.runId)) continue;
    known.add(f.runId);
    rest.push({
      ...splitRunId(f.runId),
      runId: f.runId,
      state: "failed",
      log: f.log,
      code: f.code,
      tail: f.tail,
    });
  }
  if (!sources.plan) {
    // Without the sweep: a worker log with no finished run folder is a run that failed or
    // was stopped; entries whose method is not implemented have no runs at all.
    let names: string[] = [];
    try {
      names = [...Deno.readDirSync(logs)].filter((e) => e.isFile && e.name.endsWith(".log"))
        .map((e) => e.name.slice(0, -4)).sort();
    } catch {
      names = [];
    }
    for (const id of names) {
      if (known.has(id)) continue;
      known.add(id);
      rest.push({ ...splitRunId(id), runId: id, state: "not finished", log: `${logs}/${id}.log` });
    }
    const implemented = sources.implemented ?? (() => true);
    for (const e of exp.entries) {
      if (implemented(e.method)) continue;
      for (const d of exp.datasets) {
        rest.push({
          runId: `${e.name}__${d}`,
          entry: e.name,
          dataset: d,
          seed: null,
          state: "not implemented",
        });
      }
    }
  }
  const rank: Record<RunStatusState, number> = {
    done: 0,
    failed: 1,
    "not finished": 2,
    "not implemented": 3,
  };
  return [...done, ...rest.sort((a, b) => rank[a.state] - rank[b.state])];
}

/**
 * `main.ts regress [--against reference|published] [--tolerance X] [--update] [--jobs N]
 * [--backend B] [--out DIR] [--experiment NAME]`.
 *
 * - `--against reference` (default): re-runs the pinned experiment (`experiments/ci.yaml`)
 *   in a fresh folder (`<out>/runs/.regress/`, removed afterwards) and compares every number with
 *   `results/reference/ci.csv`: exactly when the backend is the reference's, within
 *   `--tolerance` (default {@linkcode CROSS_BACKEND_TOLERANCE}) across backends. Prints each
 *   number that moved; exit code 1 if any did (a changed config hash alone is printed as a
 *   note). `--update` rewrites the reference instead and
 *   says what changed.
 * - `--against published`: checks the finished paper-profile runs under `<out>/runs/` of
 *   every experiment with published numbers; a cell outside published mean ± k x std
 *   (k = `--tolerance`, default 2) is flagged; exit code 1 if any is.
 *
 * @module
 */
import { listExperiments, loadExperiment } from "../experiment/catalog.ts";
import type { Experiment } from "../experiment/types.ts";
import { readExperimentRuns } from "../report/records.ts";
import {
  collectCells,
  compareCells,
  describeMoved,
  type MovedCell,
  parseReference,
  publishedDeviations,
  renderReference,
} from "../report/reference.ts";
import { loadReport, writeAtomic } from "../report/report.ts";
import type { PlanDeps } from "../runner/plan.ts";
import { createProgress, type ProgressSink } from "../runner/progress.ts";
import { runExperiment } from "../runner/run_experiment.ts";
import type { WorkerCommand } from "../runner/worker.ts";
import { defaultOut } from "../runner/permissions.ts";
import { BACKEND_REQUESTS } from "../backend/requests.ts";
import { runCommand, UsageError } from "./command.ts";
import { choice, nonNegative, positiveInt } from "../runner/flag_values.ts";

const SPEC = {
  usage:
    "usage: main.ts regress [--against reference|published] [--tolerance X] [--update] [--jobs N] " +
    "[--backend B] [--out DIR] [--experiment NAME]",
  options: {
    against: { type: "string" },
    tolerance: { type: "string" },
    update: { type: "boolean" },
    jobs: { type: "string" },
    backend: { type: "string" },
    out: { type: "string" },
    experiment: { type: "string" },
  },
} as const;

/** Tolerance used across backends when `--tolerance` is not given: |a - b| <= 0.05 x max(1, |b|). */
export const CROSS_BACKEND_TOLERANCE = 0.05;

/** Default k of `--against published`. */
export const PUBLISHED_K = 2;

/** The project's `results/reference/` folder. */
export const REFERENCE_DIR: string = new URL("../../results/reference/", import.meta.url).pathname;

/** Options of {@linkcode regressReference}. */
export interface RegressReferenceOptions {
  /** The pinned experiment. */
  experiment: Experiment;
  /** Reference CSV path. */
  referencePath: string;
  /** Tolerance (default: 0 on the reference's backend, else {@linkcode CROSS_BACKEND_TOLERANCE}). */
  tolerance?: number;
  /** Rewrite the reference instead of comparing. */
  update?: boolean;
  /** Planning dependencies. */
  deps: PlanDeps;
  /** Worker command (tests inject a fake one). */
  worker?: WorkerCommand;
  /** Parallel workers. */
  jobs?: number;
  /** Backend request. */
  backend?: string;
  /** Progress display. */
  progress?: ProgressSink;
  /** Output lines. */
  print?: (line: string) => void;
  /** Output root under which the fresh runs go (`<workDir>/runs/.regress/...`, removed afterwards). */
  workDir?: string;
}

function uniq(xs: string[]): string {
  return [...new Set(xs)].sort().join(" ");
}

function printMoved(moved: MovedCell[], print: (line: string) => void, limit = Infinity): void {
  for (const m of moved.slice(0, limit)) print(`  ${describeMoved(m)}`);
  if (moved.length > limit) print(`  ... and ${moved.length - limit} more`);
}

/**
 * Re-runs the pinned experiment in a temporary folder and compares (or, with `update`,
 * rewrites) the reference; returns the exit code.
 *
 * @example
 * ```ts ignore
 * // not run: trains the experiment's runs (training) and needs its pinned reference file
 * await regressReference({ experiment: await loadExperiment("ci"), referencePath: "results/reference/ci.csv", deps: trainerDeps() });
 * ```
 */
export async function regressReference(opts: RegressReferenceOptions): Promise<number> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const exp = opts.experiment;
  // Parse and validate the reference before any run starts.
  if (!opts.update) {
    let text: string;
    try {
      text = await Deno.readTextFile(opts.referencePath);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      throw new UsageError(
        `no reference ${opts.referencePath}: create it with "main.ts regress --update"`,
      );
    }
    checkReferenceText(text, opts.referencePath);
  }
  // A fresh folder under the output root (writable with the project's permission set).
  const tmp = `${
    (opts.workDir ?? "results").replace(/\/+$/, "")
  }/runs/.regress/${exp.name}-${Date.now()}-${Deno.pid}`;
  await Deno.mkdir(tmp, { recursive: true });
  let keep = false;
  try {
    const result = await runExperiment(exp, {
      profile: "quick",
      out: tmp,
      jobs: opts.jobs,
      backend: opts.backend,
      deps: opts.deps,
      worker: opts.worker,
      progress: opts.progress,
      report: false,
    });
    const sweep = result.sweep;
    if (sweep.interrupted) return 130;
    if (sweep.failed.length > 0 || sweep.notImplemented.length > 0) {
      keep = true;
      print(
        `regress ${exp.name}: ${sweep.failed.length} runs failed, ${sweep.notImplemented.length} not implemented; runs kept in ${tmp}`,
      );
      for (const f of sweep.failed) print(`  ${f.runId}: exit code ${f.code}; log ${f.log}`);
      for (const id of sweep.notImplemented) print(`  ${id}: method not implemented`);
      return 1;
    }
    const records = await readExperimentRuns(tmp, exp.name);
    const cells = await collectCells(records);
    const backend = uniq(records.map((r) => r.summary.backend));
    let previous: ReturnType<typeof parseReference> | undefined;
    try {
      previous = parseReference(await Deno.readTextFile(opts.referencePath));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (opts.update) {
      const meta = {
        experiment: exp.name,
        backend,
        profile: "quick",
        runs: String(records.length),
      };
      await writeAtomic(opts.referencePath, renderReference({ meta, cells }));
      if (!previous) {
        print(
          `regress ${exp.name}: wrote a new reference ${opts.referencePath} (${cells.length} cells, backend ${backend})`,
        );
        return 0;
      }
      const moved = compareCells(previous.cells, cells, 0);
      const was = previous.meta.backend === backend
        ? ""
        : ` (backend ${previous.meta.backend} -> ${backend})`;
      print(
        `regress ${exp.name}: updated ${opts.referencePath}: ${cells.length} cells, ${moved.length} changed${was}`,
      );
      printMoved(moved, print, 60);
      return 0;
    }
    if (!previous) {
      throw new UsageError(
        `no reference ${opts.referencePath}: create it with "main.ts regress --update"`,
      );
    }
    const same = previous.meta.backend === backend;
    const tolerance = opts.tolerance ?? (same ? 0 : CROSS_BACKEND_TOLERANCE);
    const all = compareCells(previous.cells, cells, tolerance);
    // A changed config hash alone (e.g. a new config key with a neutral default) is a note;
    // any changed number fails.
    const hashes = all.filter((m) => m.key === "config_hash");
    const moved = all.filter((m) => m.key !== "config_hash");
    const how = tolerance === 0
      ? "exact"
      : `tolerance ${tolerance} (absolute up to 1, relative above)`;
    print(
      `regress ${exp.name}: ${cells.length} cells on backend ${backend} vs reference on ${previous.meta.backend}, ` +
        `${how}: ${moved.length === 0 ? "no number moved" : `${moved.length} numbers moved`}`,
    );
    printMoved(moved, print);
    if (hashes.length > 0) {
      print(`note: the resolved configuration changed for ${hashes.length} runs (config_hash):`);
      printMoved(hashes, print);
    }
    if (moved.length > 0) {
      print(`if the change is intended, pin the new numbers with "main.ts regress --update"`);
      return 1;
    }
    return 0;
  } finally {
    if (!keep) await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * Checks finished paper-profile runs against the published numbers; returns the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { regressPublished } from "./regress.ts";
 * const out = await Deno.makeTempDir(); // no paper-profile runs there: nothing to compare
 * await assert.rejects(() => regressPublished({ out, k: 2, print: () => {} }), /no paper-profile runs/);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function regressPublished(
  opts: { out: string; k: number; print?: (line: string) => void },
): Promise<number> {
  const print = opts.print ?? ((l: string) => console.log(l));
  let checked = 0;
  let flagged = 0;
  for (const item of await listExperiments()) {
    if (!item.valid) continue;
    const exp = await loadExperiment(item.file);
    if (!exp.report.published) continue;
    const report = await loadReport(exp, {
      out: opts.out,
      filter: (r) => r.summary.profile === "paper",
    });
    if (report.table.facts.runs === 0) continue;
    const devs = publishedDeviations(report.table, opts.k);
    checked += devs.length;
    const outside = devs.filter((d) => d.outside);
    flagged += outside.length;
    print(
      `${exp.name}: ${devs.length} cells, ${outside.length} outside published mean ± ${opts.k} std`,
    );
    for (const d of outside) {
      print(
        `  ${d.entry} ${d.dataset} ${d.metric}: ${
          d.mean.toFixed(2)
        } vs published ${d.published.mean} ± ${d.published.std} ` +
          `(Δ ${(d.mean - d.published.mean).toFixed(2)})`,
      );
    }
  }
  if (checked === 0) {
    throw new UsageError(
      `no paper-profile runs under ${opts.out}/runs with published counterparts: run e.g. ` +
        `"deno task reproduce table2 --profile paper --data-root DIR" first`,
    );
  }
  print(
    `regress against published: ${checked} cells checked, ${flagged} outside mean ± ${opts.k} std`,
  );
  return flagged > 0 ? 1 : 0;
}

/**
 * Checks a reference CSV before a regression run: it parses, has its `# experiment`,
 * `# backend` and `# runs` lines, `# runs` distinct runs, and every per-epoch key family
 * (`epoch<E>.x`, `method<E>.x`) of a run present for every epoch, ending in a newline: a
 * truncated or cut reference is one error naming the file (a {@linkcode UsageError}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkReferenceText } from "./regress.ts";
 * const text = "# experiment=ci\n# backend=wasm\n# runs=1\nrun,key,value\na__d__s0,config_hash,h1\n";
 * checkReferenceText(text, "ci.csv"); // passes
 * assert.throws(() => checkReferenceText(text.slice(0, -1), "ci.csv"), /cut short/);
 * ```
 */
export function checkReferenceText(text: string, path: string): void {
  const bad = (what: string) =>
    new UsageError(
      `reference ${path} is damaged (${what}); restore it from version control or re-pin it with "main.ts regress --update"`,
    );
  if (!text.endsWith("\n")) throw bad("it does not end with a newline: cut short");
  let ref: ReturnType<typeof parseReference>;
  try {
    ref = parseReference(text);
  } catch (e) {
    throw bad(`not a valid CSV: ${(e as Error).message}`);
  }
  for (const k of ["experiment", "backend", "runs"]) {
    if (!ref.meta[k]) throw bad(`no "# ${k}=" line`);
  }
  if (ref.cells.some((c) => !c.run || !c.key)) throw bad("rows without run or key");
  const runs = new Map<string, Set<string>>();
  for (const c of ref.cells) {
    const keys = runs.get(c.run) ?? new Set<string>();
    keys.add(c.key);
    runs.set(c.run, keys);
  }
  if (runs.size !== Number(ref.meta.runs)) {
    throw bad(`${runs.size} runs, its header says ${ref.meta.runs}`);
  }
  for (const [run, keys] of runs) {
    if (!keys.has("config_hash")) throw bad(`run ${run} has no config_hash`);
    const epochs = new Map<string, Set<number>>();
    let last = 0;
    for (const k of keys) {
      const m = /^(epoch|method)(\d+)\.(.+)$/.exec(k);
      if (!m) continue;
      const family = `${m[1]}.${m[3]}`;
      const set = epochs.get(family) ?? new Set<number>();
      set.add(Number(m[2]));
      epochs.set(family, set);
      if (m[1] === "epoch") last = Math.max(last, Number(m[2]));
    }
    for (const [family, set] of epochs) {
      for (let e = 1; e <= last; e++) {
        if (!set.has(e)) throw bad(`run ${run} lacks ${family.replace(".", `${e}.`)}`);
      }
    }
  }
}

/**
 * Entry point of `regress`; returns the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./regress.ts";
 * assert.equal(await main(["--help"]), 0); // prints the usage line
 * ```
 */
export function main(args: string[]): Promise<number> {
  return runCommand(args, SPEC, async ({ values: v }) => {
    const against = choice("against", v.against, ["reference", "published"] as const, "reference");
    const tolerance = nonNegative("tolerance", v.tolerance);
    if (against === "published") {
      if (v.update) throw new UsageError("--update applies to --against reference only");
      return await regressPublished({ out: v.out ?? defaultOut(), k: tolerance ?? PUBLISHED_K });
    }
    const experiment = await loadExperiment(v.experiment ?? "ci");
    // The reference is pinned on the exact kernel tier (stock tfjs numerics): the optional
    // OpenBLAS kernels change the last bits and depend on the CPU, so regression runs (and
    // --update) switch them off for the worker processes, which inherit this variable.
    Deno.env.set("IBML_BLAS", "0");
    const { trainerDeps } = await import("../runner/defaults.ts");
    return await regressReference({
      experiment,
      referencePath: `${REFERENCE_DIR}${experiment.name}.csv`,
      workDir: v.out ?? defaultOut(),
      tolerance,
      update: v.update,
      deps: trainerDeps(),
      jobs: positiveInt("jobs", v.jobs),
      backend: choice("backend", v.backend, BACKEND_REQUESTS, "auto"),
      progress: createProgress({ tty: Deno.stderr.isTerminal() }),
    });
  });
}

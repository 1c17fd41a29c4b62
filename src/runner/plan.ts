/**
 * Planning a sweep: every run of the expanded experiment with its config hash, and
 * whether it is already done (its `summary.json` has the same hash), still to do, or
 * cannot run because its method is not implemented.
 *
 * @module
 */
import type { RunSpec } from "../experiment/types.ts";
import { currentHolder } from "./claim.ts";
import { readSummaryChecked } from "../report/record_check.ts";

/**
 * State of a planned run: `running elsewhere` when another live process holds its claim
 * (`<run-dir>.lock`, see claim.ts).
 */
export type RunState = "done" | "todo" | "not implemented" | "running elsewhere";

/** A run of the plan. */
export interface PlannedRun extends RunSpec {
  /** Hash of the resolved configuration (empty for a method not implemented). */
  configHash: string;
  /** Run folder. */
  dir: string;
  /** State at planning time. */
  state: RunState;
}

/** What planning needs from the trainer side (injectable for tests). */
export interface PlanDeps {
  /** Config hash of a run, as `main.ts run` computes it; throws on a bad configuration. */
  hash(run: RunSpec, dataRoot?: string): string;
  /** Whether a method is implemented. */
  implemented(method: string): boolean;
}

/** Options of {@linkcode planRuns}. */
export interface PlanOptions {
  /** Output root (`<out>/runs/<experiment>/<run-id>`). */
  out: string;
  /** Data root passed to the workers (paper profile). */
  dataRoot?: string;
}

/**
 * The folder of a run.
 *
 * @example
 * ```ts
 * runFolder("results", "table2", "ibml__crema-d__s0"); // "results/runs/table2/ibml__crema-d__s0"
 * ```
 */
export function runFolder(out: string, experiment: string, runId: string): string {
  return `${out.replace(/\/+$/, "")}/runs/${experiment}/${runId}`;
}

/**
 * The `config_hash` of a finished run folder, or `undefined` when it has no valid
 * `summary.json` (not finished, or a corrupt or edited record: see record_check.ts).
 *
 * @example
 * ```ts ignore
 * await finishedHash("results/runs/table2/ibml__crema-d__s0"); // "ede91fa25a07ecaa"
 * ```
 */
export async function finishedHash(dir: string): Promise<string | undefined> {
  const r = await readSummaryChecked(dir);
  return r.ok ? r.summary.config_hash : undefined;
}

/**
 * Plans runs: hashes each configuration (a bad one throws before anything runs) and
 * marks runs finished with the same hash as done.
 *
 * @example
 * ```ts ignore
 * const plan = await planRuns(expandRuns(exp), deps, { out: "results" });
 * plan.filter((r) => r.state === "todo").length;
 * ```
 */
export async function planRuns(
  runs: RunSpec[],
  deps: PlanDeps,
  opts: PlanOptions,
): Promise<PlannedRun[]> {
  const out: PlannedRun[] = [];
  for (const run of runs) {
    const dir = runFolder(opts.out, run.experiment, run.runId);
    if (!deps.implemented(run.method)) {
      out.push({ ...run, configHash: "", dir, state: "not implemented" });
      continue;
    }
    const configHash = deps.hash(run, opts.dataRoot);
    const state: RunState = (await finishedHash(dir)) === configHash
      ? "done"
      : currentHolder(dir) !== null
      ? "running elsewhere"
      : "todo";
    out.push({ ...run, configHash, dir, state });
  }
  return out;
}

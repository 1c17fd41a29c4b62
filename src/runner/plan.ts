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
 * import assert from "node:assert/strict";
 * assert.equal(runFolder("results", "table2", "ibml__crema-d__s0"), "results/runs/table2/ibml__crema-d__s0");
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
 * ```ts
 * import assert from "node:assert/strict";
 * import { finishedHash } from "./plan.ts";
 * import { withChecksum } from "../report/record_check.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await finishedHash(dir), undefined); // no summary.json: not finished
 * const summary = { method: "ibml", dataset: "crema-d", seed: 0, final: {}, best: {}, config_hash: "ede91fa25a07ecaa" };
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify(withChecksum(summary)));
 * assert.equal(await finishedHash(dir), "ede91fa25a07ecaa");
 * await Deno.remove(dir, { recursive: true });
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
 * ```ts
 * import assert from "node:assert/strict";
 * import { planRuns } from "./plan.ts";
 * import { expandRuns } from "../experiment/expand.ts";
 * import { parseExperiment } from "../experiment/schema.ts";
 * const exp = parseExperiment(
 *   "title: t\nmethods: [concat, mla]\ndatasets: [crema-d]\nseeds: [0]\n" +
 *     "profiles: {quick: {epochs: 2}, paper: {}}\nreport: {kind: ratio-table}\n",
 *   "demo.yaml",
 * );
 * const out = await Deno.makeTempDir();
 * const deps = { hash: () => "h", implemented: (m: string) => m !== "mla" };
 * const plan = await planRuns(expandRuns(exp), deps, { out });
 * assert.deepEqual(plan.map((r) => r.state), ["todo", "not implemented"]);
 * assert.equal(plan[0].dir, `${out}/runs/demo/concat__crema-d__s0`);
 * await Deno.remove(out, { recursive: true });
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

/**
 * Expansion of an experiment into runs: entry x dataset x seed, with the profile's and
 * the command line's overrides, and stable run ids.
 *
 * @module
 */
import { datasetRoles } from "./names.ts";
import type { Experiment, Profile, RunSpec } from "./types.ts";

/** Command-line choices that change the expansion. */
export interface ExpandOptions {
  /** Profile (default `quick`). */
  profile?: Profile;
  /** Number of seeds: the first N of the experiment's list, extended by consecutive integers. */
  seeds?: number;
  /** Epochs for every run (overrides the profile's). */
  epochs?: number;
  /** Extra `key=value` overrides, applied last. */
  sets?: string[];
}

/**
 * The stable id of a run: `<entry>__<dataset>__s<seed>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(runId("ibml", "crema-d", 0), "ibml__crema-d__s0");
 * ```
 */
export function runId(entry: string, dataset: string, seed: number): string {
  return `${entry}__${dataset}__s${seed}`;
}

/**
 * Splits a run id made by {@linkcode runId}; `undefined` if it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseRunId("no-tcm__crema-d__s2"), { entry: "no-tcm", dataset: "crema-d", seed: 2 });
 * ```
 */
export function parseRunId(
  id: string,
): { entry: string; dataset: string; seed: number } | undefined {
  const m = /^(.+)__([^_][^/]*?)__s(\d+)$/.exec(id);
  if (!m) return undefined;
  return { entry: m[1], dataset: m[2], seed: Number(m[3]) };
}

/**
 * The seeds used for a profile and an optional `--seeds N`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(seedList([0, 1, 2], 2), [0, 1]);
 * assert.deepEqual(seedList([0, 1, 2], 5), [0, 1, 2, 3, 4]);
 * ```
 */
export function seedList(base: number[], count?: number): number[] {
  if (count === undefined) return [...base];
  const out = base.slice(0, count);
  let next = base.length ? Math.max(...base) + 1 : 0;
  while (out.length < count) out.push(next++);
  return out;
}

/**
 * Replaces `{strong}` and `{lazy}` in a `key=value` override by the dataset's modalities.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(substituteRoles("method.modality={lazy}", "crema-d"), "method.modality=visual");
 * ```
 */
export function substituteRoles(set: string, dataset: string): string {
  const roles = datasetRoles(dataset);
  if (!roles) return set;
  return set.replaceAll("{strong}", roles.strong).replaceAll("{lazy}", roles.lazy);
}

/**
 * The epochs at which Figures 3/6 record per-sample values, scaled when `--epochs` changes
 * the profile's epoch count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(infoEpochsFor([10, 30, 50, 100], 100, 20), [2, 6, 10, 20]);
 * ```
 */
export function infoEpochsFor(
  list: number[],
  profileEpochs: number | undefined,
  epochs: number | undefined,
): number[] {
  if (epochs === undefined || profileEpochs === undefined || epochs === profileEpochs) {
    return [...list];
  }
  const scaled = list.map((e) =>
    Math.max(1, Math.min(epochs, Math.round((e * epochs) / profileEpochs)))
  );
  return [...new Set(scaled)];
}

/**
 * Expands an experiment into its runs, ordered seed, then dataset, then entry (so that a
 * stopped sweep has complete seeds first).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseExperiment } from "./schema.ts";
 * const exp = parseExperiment(
 *   "title: t\nmethods: [concat, ibml]\ndatasets: [crema-d]\nseeds: [0, 1]\n" +
 *     "profiles: {quick: {epochs: 2}, paper: {}}\nreport: {kind: ratio-table}\n",
 *   "t.yaml",
 * );
 * assert.deepEqual(expandRuns(exp).map((r) => r.runId), ["concat__crema-d__s0", "ibml__crema-d__s0", "concat__crema-d__s1", "ibml__crema-d__s1"]);
 * ```
 */
export function expandRuns(exp: Experiment, opts: ExpandOptions = {}): RunSpec[] {
  const profile = opts.profile ?? "quick";
  const settings = exp.profiles[profile];
  const seeds = seedList(settings.seeds ?? exp.seeds, opts.seeds);
  const epochs = opts.epochs ?? settings.epochs;
  const infoSets = settings.infoEpochs
    ? [
      `train.info_epochs=${
        JSON.stringify(infoEpochsFor(settings.infoEpochs, settings.epochs, epochs))
      }`,
    ]
    : [];
  const runs: RunSpec[] = [];
  for (const seed of seeds) {
    for (const dataset of exp.datasets) {
      for (const entry of exp.entries) {
        const feat = exp.featureDatasets?.[dataset];
        const featSets = feat
          ? [
            ...(feat.strong ? [`data.strong=${feat.strong}`] : []),
            ...(feat.classNames ? [`data.class_names=${feat.classNames.join(",")}`] : []),
          ]
          : [];
        const sets = [
          ...featSets,
          ...settings.sets,
          ...infoSets,
          ...entry.sets,
          ...(opts.sets ?? []),
        ]
          .map((s) => substituteRoles(s, dataset));
        const run: RunSpec = {
          experiment: exp.name,
          runId: runId(entry.name, dataset, seed),
          entry: entry.name,
          variant: entry.variant,
          method: entry.method,
          dataset: feat ? `npz:${feat.file}` : dataset,
          seed,
          profile,
          sets,
        };
        if (epochs !== undefined) run.epochs = epochs;
        runs.push(run);
      }
    }
  }
  return runs;
}

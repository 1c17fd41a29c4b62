/**
 * Experiments: the YAML schema of `experiments/*.yaml`, validation with file:line errors,
 * expansion into runs and run ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandRuns, loadExperiment } from "./mod.ts";
 * const exp = await loadExperiment("table2");
 * const runs = expandRuns(exp, { profile: "quick" });
 * assert.equal(runs.length, exp.entries.length * exp.datasets.length * exp.seeds.length);
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./error.ts";
export * from "./names.ts";
export { describeValue, type FieldPath, formatPath, YamlSource } from "./yaml_source.ts";
export { parseExperiment } from "./schema.ts";
export {
  type ExpandOptions,
  expandRuns,
  infoEpochsFor,
  parseRunId,
  runId,
  seedList,
  substituteRoles,
} from "./expand.ts";
export {
  type ExperimentListing,
  experimentPath,
  EXPERIMENTS_DIR,
  listExperiments,
  loadExperiment,
} from "./catalog.ts";

/**
 * ibml as a library: configuration, datasets, methods, training and run records.
 *
 * @example Resolving a run's configuration
 * ```ts
 * import assert from "node:assert/strict";
 * import { configHash, resolveConfig } from "./mod.ts";
 * const config = resolveConfig({ method: "ibml", dataset: "crema-d", epochs: 20 });
 * assert.equal(config.epochs, 20);
 * console.log(configHash(config)); // the hash of the whole configuration
 * ```
 *
 * @example Running it
 * ```ts ignore
 * // not run: a whole training run, which writes results/runs/
 * import { resolveConfig, runOne } from "./mod.ts";
 * const config = resolveConfig({ method: "ibml", dataset: "crema-d", epochs: 20 });
 * const { summary } = await runOne({ config });
 * console.log(summary.final);
 * ```
 *
 * @module
 */
export { type BackendChoice, type BackendRequest, selectBackend } from "./src/backend/mod.ts";
export { ConfigError } from "./src/config/error.ts";
export { configHash } from "./src/config/hash.ts";
export type {
  ConfigValue,
  ModelConfig,
  Profile,
  RunConfig,
  TrainConfig,
} from "./src/config/types.ts";
export { applySet } from "./src/resolve/apply_set.ts";
export { resolveConfig } from "./src/resolve/resolve_config.ts";
export { DATASET_SPECS, type DatasetSpec } from "./src/data/specs.ts";
export { listDatasets, loadDataset } from "./src/data/registry.ts";
export { makeSynthetic, syntheticDefaults, type SyntheticKnobs } from "./src/data/synthetic.ts";
export type { Batch, Dataset, DatasetInfo, Split } from "./src/data/types.ts";
export { getMethodEntry, hasMethod, listMethods, PAPER_METHODS } from "./src/methods/registry.ts";
export type { MethodEntry } from "./src/methods/entry.ts";
export {
  defineParams,
  describeParams,
  fromDataset,
  type MethodParams,
  type ParamSpec,
  type ParamValues,
  perDataset,
} from "./src/methods/params.ts";
export type {
  EpochContext,
  Method,
  MethodContext,
  Prediction,
  StepContext,
  StepOutput,
} from "./src/methods/types.ts";
export { type EpochRow, train, type TrainResult } from "./src/train/trainer.ts";
export { runOne, type RunOptions, type RunOutcome } from "./src/runner/run_one.ts";
export { runDir, type Summary } from "./src/runner/record.ts";
export * from "./src/experiment/mod.ts";
export * from "./src/report/mod.ts";
export {
  runExperiment,
  type RunExperimentOptions,
  type RunExperimentResult,
} from "./src/runner/mod.ts";

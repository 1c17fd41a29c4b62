/**
 * Dataset registry: default knobs per profile and loading a dataset for a run.
 *
 * @module
 */
import { ConfigError, type ConfigValue, type RunConfig } from "../train/config.ts";
import { DATASET_SPECS, type DatasetSpec } from "./specs.ts";
import { makeSynthetic, syntheticDefaults, type SyntheticKnobs } from "./synthetic.ts";
import type { Dataset } from "./types.ts";

/**
 * The `data.*` defaults of a dataset in a profile: the stand-in's knobs in `quick`,
 * the data root in `paper`.
 *
 * @example
 * ```ts
 * datasetDefaults(DATASET_SPECS["mvsa"], "quick").snr_lazy; // 0.5
 * ```
 */
export function datasetDefaults(spec: DatasetSpec, profile: string): Record<string, ConfigValue> {
  if (profile === "quick") return { ...syntheticDefaults(spec) };
  return { root: "data" };
}

/**
 * Loads the dataset a configuration names (call after the tfjs backend is set).
 *
 * @example
 * ```ts ignore
 * const ds = await loadDataset(cfg);
 * ```
 */
export function loadDataset(cfg: RunConfig): Promise<Dataset> {
  const spec = DATASET_SPECS[cfg.data.name];
  if (!spec) throw new Error(`unknown dataset '${cfg.data.name}'`);
  if (cfg.profile === "quick") {
    const { name: _name, ...knobs } = cfg.data;
    return Promise.resolve(makeSynthetic(spec, knobs as unknown as SyntheticKnobs));
  }
  return Promise.reject(
    new ConfigError(
      `the paper profile's loader for '${spec.name}' is not implemented yet; use --profile quick (synthetic stand-in)`,
    ),
  );
}

/**
 * Names and one-line descriptions of the registered datasets.
 *
 * @example
 * ```ts
 * listDatasets().length; // 8
 * ```
 */
export function listDatasets(): { name: string; description: string }[] {
  return Object.values(DATASET_SPECS).map((s) => ({ name: s.name, description: s.description }));
}

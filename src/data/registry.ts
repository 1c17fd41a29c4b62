/**
 * Dataset registry: default knobs per profile and loading a dataset for a run.
 *
 * @module
 */
import { ConfigError } from "../config/error.ts";
import type { ConfigValue, RunConfig } from "../config/types.ts";
import { DATASET_SPECS, type DatasetSpec } from "./specs.ts";
import { makeSynthetic, syntheticDefaults, type SyntheticKnobs } from "./synthetic.ts";
import type { Dataset } from "./types.ts";
import { LOADERS } from "./loaders/mod.ts";
import { inspectNpz, makeNpzDataset } from "./npz_dataset.ts";

/**
 * Dataset-specific `data.*` switches of the paper profile (each is documented in its
 * loader's module comment under src/data/loaders/).
 */
const PAPER_DATA_KEYS: Record<string, Record<string, ConfigValue>> = {
  "crema-d": { frame_order: "sorted", frame_size: 224, stft_pad: "reflect" },
  ave: { frame_order: "sorted", frame_size: 224 },
  avsbench: { frame_order: "sorted", frame_size: 224, stft_pad: "reflect" },
  vggsound50: { frame_order: "sorted", frame_size: 224, stft_pad: "reflect" },
  mvsa: { glove: "", label_rule: "agree", image_side: 256, image_size: 224 },
  food101: { glove: "", image_side: 256, image_size: 224 },
  mnist3d: { num_points: 1024, exclude_last_point: false },
  modelnet40: {
    num_points: 1024,
    views: "180",
    num_views: 4,
    view_pool: 0,
    view_size: 112,
    test_sampling: "fixed",
  },
};

/**
 * The `data.*` defaults of a dataset in a profile: the stand-in's knobs in `quick`,
 * the data root in `paper`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { datasetDefaults } from "./registry.ts";
 * import { DATASET_SPECS } from "./specs.ts";
 * assert.equal(datasetDefaults(DATASET_SPECS["mvsa"], "quick").snr_lazy, 0.5);
 * ```
 */
export function datasetDefaults(spec: DatasetSpec, profile: string): Record<string, ConfigValue> {
  if (spec.task === "npz") {
    return { file: spec.name.slice(4), strong: spec.strong, standardize: true, class_names: [] };
  }
  if (profile === "quick") return { ...syntheticDefaults(spec) };
  return { root: "data", cache: "", ...PAPER_DATA_KEYS[spec.name] };
}

/**
 * Loads the dataset a configuration names (call after the tfjs backend is set).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { loadDataset } from "./registry.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * await tf.setBackend("cpu");
 * const cfg = resolveConfig({
 *   method: "ibml",
 *   dataset: "crema-d",
 *   sets: ["data.train_size=12", "data.test_size=6", "data.val_size=0"],
 * });
 * const ds = await loadDataset(cfg); // quick profile: the synthetic stand-in
 * assert.deepEqual([ds.info.kind, ds.train.size, ds.test.size], ["synthetic", 12, 6]);
 * ds.dispose();
 * ```
 */
export function loadDataset(
  cfg: RunConfig,
  opts: { cacheRoot?: string } = {},
): Promise<Dataset> {
  if (cfg.data.name.startsWith("npz:")) {
    const names = (cfg.data.class_names as string[]).length
      ? cfg.data.class_names as string[]
      : undefined;
    const contents = inspectNpz(String(cfg.data.file), names);
    return Promise.resolve(
      makeNpzDataset(
        cfg.data.name,
        contents,
        String(cfg.data.strong),
        cfg.data.standardize === true,
        names,
      ),
    );
  }
  const spec = DATASET_SPECS[cfg.data.name];
  if (!spec) throw new ConfigError(`unknown dataset '${cfg.data.name}'`);
  if (cfg.profile === "quick") {
    const { name: _name, ...knobs } = cfg.data;
    return Promise.resolve(makeSynthetic(spec, knobs as unknown as SyntheticKnobs));
  }
  const loader = LOADERS[spec.name];
  if (!loader) {
    return Promise.reject(
      new ConfigError(
        `the paper profile's loader for '${spec.name}' is not implemented yet; use --profile quick (synthetic stand-in)`,
      ),
    );
  }
  // The decoding cache: data.cache when set, else <cache root>/<dataset> (the cache root is
  // `--cache-dir`, default <out>/cache; see runner/run_one.ts).
  const root = (opts.cacheRoot ?? "results/cache").replace(/\/+$/, "");
  return loader.load(cfg, String(cfg.data.cache || `${root}/${spec.name}`));
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

/**
 * The spec of a dataset name: one of the paper's eight, or `npz:PATH` (a feature file,
 * read and validated here; `strong` picks its strong modality, default the first one
 * alphabetically).
 *
 * @example
 * ```ts
 * specFor("crema-d").numClasses; // 6
 * ```
 */
export function specFor(name: string, strong?: string, classNames?: string[]): DatasetSpec {
  if (name.startsWith("npz:")) {
    const path = name.slice(4);
    if (!path) throw new ConfigError(`--dataset npz:PATH needs a file path, e.g. npz:features.npz`);
    const c = inspectNpz(path, classNames?.length ? classNames : undefined);
    const chosen = strong || c.modalities[0];
    return {
      name,
      description: `features from ${path} (${c.modalities.join(", ")}; ${c.numClasses} classes)`,
      numClasses: c.numClasses,
      modalities: c.modalities,
      strong: chosen,
      hasVal: c.hasVal,
      task: "npz",
    };
  }
  const spec = DATASET_SPECS[name];
  if (!spec) {
    throw new ConfigError(
      `unknown dataset '${name}'. Valid datasets: ${
        Object.keys(DATASET_SPECS).join(", ")
      }, or npz:PATH for a feature file`,
    );
  }
  return spec;
}

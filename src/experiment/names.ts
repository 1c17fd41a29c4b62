/**
 * Names an experiment file may use: methods, datasets, metrics. The method names and
 * labels are the method registry's (src/methods/registry.ts); the dataset facts come from
 * the dataset specs.
 *
 * @module
 */
import { DATASET_SPECS, lazyOf } from "../data/specs.ts";
import { inspectNpz } from "../data/npz_dataset.ts";
import { PAPER_METHODS } from "../methods/registry.ts";

// The paper's method labels, for the experiment files' entries.
export { methodLabel } from "../methods/registry.ts";

/** A named bring-your-own-features dataset declared in an experiment file. */
export interface FeatureDataset {
  /** Name used in `datasets:` and in run ids. */
  name: string;
  /** Path of the `.npz` feature file (resolved against the experiment file's folder). */
  file: string;
  /** Strong modality (default: the first one alphabetically). */
  strong?: string;
  /** Modalities the file must hold (checked when the file is read). */
  modalities?: string[];
  /** Optional class names (their count fixes C). */
  classNames?: string[];
}

const FEATURE_DATASETS = new Map<string, FeatureDataset>();

/**
 * Makes a named feature dataset known to expansion and reports (done by the experiment
 * parser for every `feature_datasets:` entry).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { featureDataset, registerFeatureDataset } from "./names.ts";
 * // the file is only read when a run loads the dataset
 * registerFeatureDataset({ name: "my-feats", file: "/data/feats.npz", strong: "audio" });
 * assert.equal(featureDataset("my-feats")?.strong, "audio");
 * ```
 */
export function registerFeatureDataset(d: FeatureDataset): void {
  FEATURE_DATASETS.set(d.name, d);
}

/**
 * The named feature dataset `name`, if one was declared.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(featureDataset("crema-d"), undefined);
 * ```
 */
export function featureDataset(name: string): FeatureDataset | undefined {
  return FEATURE_DATASETS.get(name);
}

/**
 * Every feature dataset declared by the experiment files read so far.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(featureDatasets().length >= 0);
 * ```
 */
export function featureDatasets(): FeatureDataset[] {
  return [...FEATURE_DATASETS.values()];
}

/**
 * Method names of the CLI contract (composed `bio+<method>` variants included): the
 * method registry's names.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(KNOWN_METHODS.includes("ibml"));
 * ```
 */
export const KNOWN_METHODS: readonly string[] = PAPER_METHODS;

/**
 * Whether `name` is a method of the contract.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(isKnownMethod("ibml"));
 * assert.ok(isKnownMethod("bio+pmr"));
 * ```
 */
export function isKnownMethod(name: string): boolean {
  return KNOWN_METHODS.includes(name);
}

/**
 * The dataset names of the contract, in the paper's order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(knownDatasets()[0], "crema-d");
 * ```
 */
export function knownDatasets(): string[] {
  return Object.keys(DATASET_SPECS);
}

/** Modality facts of a dataset. */
export interface DatasetRoles {
  /** Modalities in fusion order. */
  modalities: string[];
  /** The paper's strong modality. */
  strong: string;
  /** The lazy modality. */
  lazy: string;
  /** Number of classes. */
  numClasses: number;
  /** Whether the best epoch is selected on a validation split. */
  hasVal: boolean;
}

/**
 * Modalities and strong/lazy roles of a dataset, or `undefined` for an unknown name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(datasetRoles("mnist3d")?.strong, "points");
 * ```
 */
export function datasetRoles(name: string): DatasetRoles | undefined {
  const feat = FEATURE_DATASETS.get(name);
  if (feat) {
    const c = inspectNpz(feat.file, feat.classNames);
    const strong = feat.strong ?? c.modalities[0];
    return {
      modalities: c.modalities,
      strong,
      lazy: c.modalities.find((m) => m !== strong)!,
      numClasses: c.numClasses,
      hasVal: c.hasVal,
    };
  }
  const spec = DATASET_SPECS[name];
  if (!spec) return undefined;
  return {
    modalities: [...spec.modalities],
    strong: spec.strong,
    lazy: lazyOf(spec),
    numClasses: spec.numClasses,
    hasVal: spec.hasVal,
  };
}

/**
 * Metrics every dataset has: fused accuracy, the strong and lazy modality's accuracy, the
 * discrepancy ratio, its distance to 1 (`ratio_gap` = |ratio - 1|), and the share of
 * training samples whose I(X_m;Z;Y) lower bound is above the report's threshold at the
 * last recorded epoch (`info_high_strong`, `info_high_lazy`; runs with `info_epoch<E>.csv`).
 */
export const GENERIC_METRICS: readonly string[] = [
  "fusion",
  "strong",
  "lazy",
  "ratio",
  "ratio_gap",
  "info_high_strong",
  "info_high_lazy",
];

/**
 * Whether `metric` names something a run record has for at least one known dataset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(isKnownMetric("visual"));
 * assert.equal(isKnownMetric("colour"), false);
 * ```
 */
export function isKnownMetric(metric: string): boolean {
  if (GENERIC_METRICS.includes(metric)) return true;
  if (featureDatasets().some((f) => datasetRoles(f.name)?.modalities.includes(metric))) return true;
  return Object.values(DATASET_SPECS).some((s) => s.modalities.includes(metric));
}

/**
 * Readable dataset name as the paper prints it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(datasetLabel("crema-d"), "CREMA-D");
 * ```
 */
export function datasetLabel(name: string): string {
  const labels: Record<string, string> = {
    "crema-d": "CREMA-D",
    ave: "AVE",
    avsbench: "AVSBench",
    vggsound50: "VGGSound50",
    mvsa: "MVSA",
    food101: "FOOD101",
    mnist3d: "3D MNIST",
    modelnet40: "ModelNet40",
  };
  return labels[name] ?? name;
}

/**
 * Names an experiment file may use: methods, datasets, metrics. The method list is the
 * harness's contract (design.md), independent of which methods are implemented yet; the
 * dataset facts come from the dataset specs.
 *
 * @module
 */
import { DATASET_SPECS, lazyOf } from "../data/specs.ts";

/** Method names of the CLI contract (composed `bio+<method>` variants are also accepted). */
export const KNOWN_METHODS: readonly string[] = [
  "sum",
  "concat",
  "unimodal",
  "ogm-ge",
  "pmr",
  "mmcosine",
  "agm",
  "inforeg",
  "mmpareto",
  "mla",
  "dgl",
  "arl",
  "ibml",
  "bio+ogm-ge",
  "bio+pmr",
];

/**
 * The paper's name for a method (tables and legends).
 *
 * @example
 * ```ts
 * methodLabel("ogm-ge"); // "OGM-GE"
 * ```
 */
export function methodLabel(name: string): string {
  const labels: Record<string, string> = {
    sum: "Summation",
    concat: "Concatenation",
    unimodal: "Unimodal",
    "ogm-ge": "OGM-GE",
    pmr: "PMR",
    mmcosine: "MMCosine",
    agm: "AGM",
    inforeg: "InfoReg",
    mmpareto: "MMPareto",
    mla: "MLA",
    dgl: "DGL",
    arl: "ARL",
    ibml: "IBML (ours)",
    "bio+ogm-ge": "BIO+OGM-GE",
    "bio+pmr": "BIO+PMR",
  };
  return labels[name] ?? name;
}

/**
 * Whether `name` is a method of the contract.
 *
 * @example
 * ```ts
 * isKnownMethod("ibml"); // true
 * isKnownMethod("bio+pmr"); // true
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
 * knownDatasets()[0]; // "crema-d"
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
 * datasetRoles("mnist3d")?.strong; // "points"
 * ```
 */
export function datasetRoles(name: string): DatasetRoles | undefined {
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
 * isKnownMetric("visual"); // true
 * isKnownMetric("colour"); // false
 * ```
 */
export function isKnownMetric(metric: string): boolean {
  if (GENERIC_METRICS.includes(metric)) return true;
  return Object.values(DATASET_SPECS).some((s) => s.modalities.includes(metric));
}

/**
 * Readable dataset name as the paper prints it.
 *
 * @example
 * ```ts
 * datasetLabel("crema-d"); // "CREMA-D"
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

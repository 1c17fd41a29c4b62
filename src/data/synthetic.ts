/**
 * Seeded synthetic stand-ins for the paper's eight datasets (the `quick` profile).
 *
 * Construction (imbalance by design, see README "Synthetic stand-ins"):
 * - every class c has a latent code mu_c ~ N(0, I_L);
 * - a share `merged_share` of the classes is merged in pairs for the STRONG modality: it
 *   sees a group code nu_g(c) (one code per pair, one per unmerged class) through a fixed
 *   random linear map with little noise (`snr_strong`), so it is easy and fast to learn but
 *   cannot tell the two classes of a pair apart (its Bayes ceiling is known exactly);
 * - the LAZY modality sees every class's own code mu_c with more noise (`snr_lazy`) through a
 *   fixed random `lazy_depth`-layer tanh network, so it carries the information the strong
 *   modality lacks but is harder and slower to learn.
 * Noise is drawn per sample for every split; the data seed (`data.seed`) is independent of
 * the training seed, like a real dataset that stays the same across training seeds.
 *
 * @module
 */
import { type DatasetSpec, lazyOf } from "./specs.ts";
import type { Dataset } from "./types.ts";
import { type HostSplit, MemorySplit } from "./memory.ts";
import { Rng, seedFor } from "../rng.ts";
import { ConfigError } from "../config/error.ts";

/** The documented knobs of a stand-in (all settable with `--set data.<knob>=value`). */
export interface SyntheticKnobs {
  /** Data seed: same seed, same samples (independent of the training seed). */
  seed: number;
  /** Training samples in total (spread evenly over classes). */
  train_size: number;
  /** Test samples in total. */
  test_size: number;
  /** Validation samples in total (only for datasets that have a val split). */
  val_size: number;
  /** Dimension of the class codes. */
  latent_dim: number;
  /** Feature dimension of the strong modality. */
  dim_strong: number;
  /** Feature dimension of the lazy modality. */
  dim_lazy: number;
  /** Share of classes merged in pairs for the strong modality (the lazy-only information). */
  merged_share: number;
  /** Signal-to-noise ratio of the strong modality (code std / noise std). */
  snr_strong: number;
  /** Signal-to-noise ratio of the lazy modality. */
  snr_lazy: number;
  /** Number of random tanh layers between the lazy code and its features. */
  lazy_depth: number;
  /** Width of those layers. */
  lazy_hidden: number;
}

/**
 * Default knobs for a dataset: sizes scale with the class count (capped so the quick
 * profile stays fast); everything else is the same for all eight stand-ins.
 *
 * @example
 * ```ts
 * import { DATASET_SPECS } from "./specs.ts";
 * syntheticDefaults(DATASET_SPECS["crema-d"]).train_size; // 1200
 * ```
 */
export function syntheticDefaults(spec: DatasetSpec): SyntheticKnobs {
  const c = spec.numClasses;
  return {
    seed: 0,
    train_size: Math.min(200 * c, 3000),
    test_size: Math.min(100 * c, 1500),
    val_size: spec.hasVal ? Math.min(100 * c, 1500) : 0,
    latent_dim: 16,
    dim_strong: 64,
    dim_lazy: 64,
    merged_share: 0.67,
    snr_strong: 4,
    snr_lazy: 0.5,
    lazy_depth: 2,
    lazy_hidden: 64,
  };
}

/** The generative model of one stand-in, fixed by the data seed. */
interface Generator {
  codes: Float32Array[]; // mu_c, per class
  groupOf: Int32Array; // class -> strong-modality group
  groupCodes: Float32Array[]; // nu_g, per group
  strongMap: Float32Array; // [dim_strong, L]
  lazyLayers: { w: Float32Array; rows: number; cols: number }[];
}

function matVec(w: Float32Array, rows: number, cols: number, x: Float32Array): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += w[r * cols + c] * x[c];
    out[r] = s;
  }
  return out;
}

function buildGenerator(spec: DatasetSpec, k: SyntheticKnobs): Generator {
  const rng = new Rng(seedFor("synthetic", spec.name, k.seed, "generator"));
  const L = k.latent_dim, C = spec.numClasses;
  const codes = Array.from({ length: C }, () => rng.normalArray(L));
  // Merge floor(merged_share * C / 2) pairs, chosen by a seeded permutation of the classes.
  const pairs = Math.floor((Math.max(0, Math.min(1, k.merged_share)) * C) / 2);
  const order = rng.permutation(C);
  const groupOf = new Int32Array(C);
  let g = 0;
  for (let i = 0; i < 2 * pairs; i += 2) {
    groupOf[order[i]] = g;
    groupOf[order[i + 1]] = g;
    g++;
  }
  for (let i = 2 * pairs; i < C; i++) groupOf[order[i]] = g++;
  const groupCodes = Array.from({ length: g }, () => rng.normalArray(L));
  const strongMap = rng.normalArray(k.dim_strong * L, 1 / Math.sqrt(L));
  const lazyLayers: Generator["lazyLayers"] = [];
  let inDim = L;
  for (let d = 0; d < k.lazy_depth; d++) {
    const rows = d === k.lazy_depth - 1 ? k.dim_lazy : k.lazy_hidden;
    // Gain 2 keeps tanh in its non-linear range.
    lazyLayers.push({ w: rng.normalArray(rows * inDim, 2 / Math.sqrt(inDim)), rows, cols: inDim });
    inDim = rows;
  }
  if (k.lazy_depth === 0) {
    lazyLayers.push({
      w: rng.normalArray(k.dim_lazy * L, 1 / Math.sqrt(L)),
      rows: k.dim_lazy,
      cols: L,
    });
  }
  return { codes, groupOf, groupCodes, strongMap, lazyLayers };
}

function sampleSplit(
  spec: DatasetSpec,
  k: SyntheticKnobs,
  gen: Generator,
  size: number,
  splitName: string,
): HostSplit {
  const rng = new Rng(seedFor("synthetic", spec.name, k.seed, splitName));
  const C = spec.numClasses, L = k.latent_dim;
  const strong = spec.strong, lazy = lazyOf(spec);
  const xs = new Float32Array(size * k.dim_strong);
  const xl = new Float32Array(size * k.dim_lazy);
  const labels = new Int32Array(size);
  const h = new Float32Array(L);
  for (let i = 0; i < size; i++) {
    const c = i % C; // balanced classes; order is shuffled by the batcher
    labels[i] = c;
    const nu = gen.groupCodes[gen.groupOf[c]];
    for (let j = 0; j < L; j++) h[j] = nu[j] + rng.normal() / k.snr_strong;
    xs.set(matVec(gen.strongMap, k.dim_strong, L, h), i * k.dim_strong);
    const mu = gen.codes[c];
    let z: Float32Array = new Float32Array(L);
    for (let j = 0; j < L; j++) z[j] = mu[j] + rng.normal() / k.snr_lazy;
    for (const layer of gen.lazyLayers) {
      z = matVec(layer.w, layer.rows, layer.cols, z);
      if (k.lazy_depth > 0) { for (let j = 0; j < z.length; j++) z[j] = Math.tanh(z[j]); }
    }
    xl.set(z, i * k.dim_lazy);
  }
  return {
    features: { [strong]: xs, [lazy]: xl },
    shapes: { [strong]: [k.dim_strong], [lazy]: [k.dim_lazy] },
    labels,
  };
}

/**
 * Checks knob values, throwing one clear error naming the knob.
 *
 * @example
 * ```ts
 * import { DATASET_SPECS } from "./specs.ts";
 * validateKnobs(syntheticDefaults(DATASET_SPECS["ave"])); // ok
 * ```
 */
export function validateKnobs(k: SyntheticKnobs): void {
  const positiveInt = [
    "train_size",
    "test_size",
    "latent_dim",
    "dim_strong",
    "dim_lazy",
    "lazy_hidden",
  ] as const;
  for (const key of positiveInt) {
    if (!Number.isInteger(k[key]) || k[key] <= 0) {
      throw new ConfigError(`data.${key} must be a positive integer (got ${k[key]})`);
    }
  }
  if (!Number.isInteger(k.val_size) || k.val_size < 0) {
    throw new ConfigError(`data.val_size must be a non-negative integer (got ${k.val_size})`);
  }
  if (!Number.isInteger(k.lazy_depth) || k.lazy_depth < 0) {
    throw new ConfigError(`data.lazy_depth must be a non-negative integer (got ${k.lazy_depth})`);
  }
  if (!(k.merged_share >= 0 && k.merged_share <= 1)) {
    throw new ConfigError(
      `data.merged_share must be in [0, 1] (got ${k.merged_share}): set it with --set data.merged_share=0.5`,
    );
  }
  for (const key of ["snr_strong", "snr_lazy"] as const) {
    if (!(k[key] > 0)) throw new ConfigError(`data.${key} must be > 0 (got ${k[key]})`);
  }
}

/** Host-side splits of a stand-in plus its ground truth. */
export interface SyntheticHost {
  /** Training split. */
  train: HostSplit;
  /** Test split. */
  test: HostSplit;
  /** Validation split (datasets with a val split only). */
  val?: HostSplit;
  /** Facts known by construction. */
  facts: Record<string, number>;
}

/**
 * Generates a stand-in's samples as host arrays (seeded, deterministic), e.g. to export
 * them to a feature file.
 *
 * @example
 * ```ts
 * import { DATASET_SPECS } from "./specs.ts";
 * const spec = DATASET_SPECS["crema-d"];
 * const host = syntheticHost(spec, { ...syntheticDefaults(spec), train_size: 12, test_size: 6 });
 * host.train.labels.length; // 12
 * ```
 */
export function syntheticHost(spec: DatasetSpec, k: SyntheticKnobs): SyntheticHost {
  validateKnobs(k);
  const gen = buildGenerator(spec, k);
  const merged = 2 * (spec.numClasses - gen.groupCodes.length);
  return {
    train: sampleSplit(spec, k, gen, k.train_size, "train"),
    test: sampleSplit(spec, k, gen, k.test_size, "test"),
    val: spec.hasVal && k.val_size > 0 ? sampleSplit(spec, k, gen, k.val_size, "val") : undefined,
    facts: {
      merged_classes: merged,
      strong_ceiling: (spec.numClasses - merged / 2) / spec.numClasses,
      lazy_only_share: merged / spec.numClasses,
    },
  };
}

/**
 * Builds a stand-in: host arrays are generated in JS (seeded), then uploaded to the
 * current tfjs backend. `facts` reports the ground truth known by construction.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { makeSynthetic, syntheticDefaults } from "./synthetic.ts";
 * import { DATASET_SPECS } from "./specs.ts";
 * await tf.setBackend("cpu");
 * const spec = DATASET_SPECS["crema-d"];
 * const ds = makeSynthetic(spec, { ...syntheticDefaults(spec), train_size: 12, test_size: 6 });
 * assert.deepEqual(ds.info.modalities, ["audio", "visual"]);
 * assert.equal(ds.train.size, 12);
 * ds.dispose();
 * ```
 */
export function makeSynthetic(spec: DatasetSpec, k: SyntheticKnobs): Dataset {
  const host = syntheticHost(spec, k);
  const train = new MemorySplit(host.train);
  const test = new MemorySplit(host.test);
  const val = host.val ? new MemorySplit(host.val) : undefined;
  const strong = spec.strong, lazy = lazyOf(spec);
  return {
    info: {
      name: spec.name,
      modalities: [...spec.modalities],
      strong,
      lazy,
      numClasses: spec.numClasses,
      hasVal: val !== undefined,
      inputShapes: { [strong]: [k.dim_strong], [lazy]: [k.dim_lazy] },
      kind: "synthetic",
    },
    train,
    test,
    val,
    facts: host.facts,
    dispose() {
      train.dispose();
      test.dispose();
      val?.dispose();
    },
  };
}

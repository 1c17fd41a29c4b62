/**
 * Bring-your-own-features datasets: per-modality feature arrays in one `.npz` file.
 *
 * Layout (arrays, discovered by name):
 * - `<modality>_train`, `<modality>_test` (float32/float64, N x d or N x any trailing shape,
 *   flattened for the MLP encoders), optional `<modality>_val`;
 * - `y_train`, `y_test` (integer class ids 0..C-1), optional `y_val` (required when any
 *   `<modality>_val` exists, and then every modality needs one).
 * Modalities are sorted alphabetically (that is the fusion order); the strong modality (the
 * numerator of the discrepancy ratio) is `data.strong`, or the first one alphabetically.
 * Features are standardised per dimension with train-split statistics
 * (`data.standardize=false` turns it off).
 *
 * Every problem is an {@linkcode NpzDatasetError} (exit code 2) naming the file, the array
 * and the fix; nothing is trained before the file has been validated.
 *
 * @module
 */
import { ConfigError } from "../config/error.ts";
import { type NpyArray, NpyFormatError, readNpz } from "./numpy/mod.ts";
import { MemorySplit } from "./memory.ts";
import type { Dataset } from "./types.ts";

/** An invalid feature file (a {@linkcode ConfigError}: exit code 2). */
export class NpzDatasetError extends ConfigError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "NpzDatasetError";
  }
}

/** What a feature file holds, after validation. */
export interface NpzContents {
  /** The file. */
  path: string;
  /** Modalities, sorted. */
  modalities: string[];
  /** Number of classes (max training label + 1, or the number of class names given). */
  numClasses: number;
  /** Whether a validation split exists. */
  hasVal: boolean;
  /** Flattened feature dimension per modality. */
  dims: Record<string, number>;
  /** Per split: features per modality (flattened, float32) and labels. */
  splits: Record<string, { features: Record<string, Float32Array>; labels: Int32Array }>;
}

const FLOAT = new Set(["float32", "float64"]);
const INT = new Set(["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]);

function toF32(a: NpyArray): Float32Array {
  return a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as Float64Array);
}

const cache = new Map<string, { mtime: number; contents: NpzContents }>();

/**
 * Reads and validates a feature file (synchronously; cached per path and modification
 * time, so resolving a config and loading the data read it once).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inspectNpz } from "./npz_dataset.ts";
 * import { encodeNpz } from "./numpy/npz.ts";
 * const f32 = (...v: number[]) => ({ dtype: "float32" as const, shape: [v.length, 1], data: Float32Array.from(v) });
 * const i32 = (...v: number[]) => ({ dtype: "int32" as const, shape: [v.length], data: Int32Array.from(v) });
 * const path = await Deno.makeTempFile({ suffix: ".npz" });
 * await Deno.writeFile(path, encodeNpz({
 *   audio_train: f32(1, 2), audio_test: f32(3), visual_train: f32(4, 5), visual_test: f32(6),
 *   y_train: i32(0, 1), y_test: i32(1),
 * }));
 * const c = inspectNpz(path);
 * assert.deepEqual([c.modalities, c.numClasses, c.hasVal], [["audio", "visual"], 2, false]);
 * await Deno.remove(path);
 * ```
 */
export function inspectNpz(path: string, classNames?: string[]): NpzContents {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch (e) {
    throw new NpzDatasetError(`${path}: cannot read the feature file (${(e as Error).message})`);
  }
  const mtime = stat.mtime?.getTime() ?? 0;
  const key = `${path}\u0000${classNames?.join("\u0001") ?? ""}`;
  const hit = cache.get(key);
  if (hit && hit.mtime === mtime) return hit.contents;

  let arrays: Map<string, NpyArray>;
  try {
    arrays = readNpz(Deno.readFileSync(path), path);
  } catch (e) {
    if (e instanceof NpyFormatError) throw new NpzDatasetError(e.message);
    throw new NpzDatasetError(`${path}: ${(e as Error).message}`);
  }
  const fail = (array: string, problem: string) =>
    new NpzDatasetError(`${path}: array '${array}': ${problem}`);

  const modalities = [...arrays.keys()]
    .filter((k) => k.endsWith("_train") && k !== "y_train")
    .map((k) => k.slice(0, -"_train".length))
    .sort();
  if (modalities.length < 2) {
    throw new NpzDatasetError(
      `${path}: found ${modalities.length} modality array(s) (${
        modalities.join(", ") || "none"
      }); ` +
        `a multimodal feature file needs arrays <modality>_train and <modality>_test for at least two modalities, plus y_train and y_test`,
    );
  }
  const hasVal = arrays.has("y_val") || modalities.some((m) => arrays.has(`${m}_val`));
  const splitNames = hasVal ? ["train", "test", "val"] : ["train", "test"];

  const labels: Record<string, Int32Array> = {};
  for (const s of splitNames) {
    const name = `y_${s}`;
    const y = arrays.get(name);
    if (!y) throw fail(name, `missing (labels of the ${s} split, integer class ids 0..C-1)`);
    if (!INT.has(y.dtype)) throw fail(name, `labels must be an integer array, got ${y.dtype}`);
    if (y.shape.length !== 1) {
      throw fail(name, `labels must be one-dimensional, got shape (${y.shape.join(", ")})`);
    }
    labels[s] = Int32Array.from(y.data as ArrayLike<number | bigint>, (v) => Number(v));
    if (labels[s].length === 0) {
      throw fail(
        name,
        `has 0 rows: the ${s} split is empty; every split needs at least one sample`,
      );
    }
  }
  // C comes from the training labels (or the class names): a test label beyond them is an error.
  const maxLabel = labels.train.reduce((m, v) => Math.max(m, v), -1);
  const numClasses = classNames?.length ?? maxLabel + 1;
  if (numClasses < 2) {
    throw fail(
      "y_train",
      `has a single class (${
        numClasses === 1 ? "class 0 only" : "none"
      }); classification needs at least 2 classes`,
    );
  }
  for (const s of splitNames) {
    const bad = labels[s].findIndex((v) => v < 0 || v >= numClasses);
    if (bad >= 0) {
      throw fail(
        `y_${s}`,
        `label ${labels[s][bad]} at row ${bad} is outside 0..${numClasses - 1}` +
          (classNames ? ` (${numClasses} class names given)` : ""),
      );
    }
  }
  const seen = new Set(labels.train);
  for (let c = 0; c < numClasses; c++) {
    if (!seen.has(c)) {
      throw fail(
        "y_train",
        `class ${c}${
          classNames ? ` (${classNames[c]})` : ""
        } has no training sample; classes must be 0..C-1 with every class present in train`,
      );
    }
  }

  const dims: Record<string, number> = {};
  const splits: NpzContents["splits"] = {};
  for (const s of splitNames) splits[s] = { features: {}, labels: labels[s] };
  for (const m of modalities) {
    for (const s of splitNames) {
      const name = `${m}_${s}`;
      const a = arrays.get(name);
      if (!a) {
        throw fail(
          name,
          `missing (every modality needs a ${s} array because ${
            s === "val" ? "y_val exists" : "it is required"
          })`,
        );
      }
      if (!FLOAT.has(a.dtype)) {
        throw fail(
          name,
          `features must be a float array (float32 or float64), got ${a.dtype}; convert with a.astype(np.float32)`,
        );
      }
      if (a.shape.length < 1 || a.shape[0] !== labels[s].length) {
        throw fail(name, `has ${a.shape[0] ?? 0} rows but y_${s} has ${labels[s].length} labels`);
      }
      const d = a.shape.slice(1).reduce((p, q) => p * q, 1);
      if (d === 0) {
        throw fail(
          name,
          `has 0 features per sample (shape (${
            a.shape.join(", ")
          })); every modality needs at least one feature`,
        );
      }
      if (dims[m] === undefined) dims[m] = d;
      else if (dims[m] !== d) {
        throw fail(name, `has ${d} features per sample but ${m}_train has ${dims[m]}`);
      }
      const f = toF32(a);
      const bad = f.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw fail(
          name,
          `contains ${f[bad]} at row ${Math.floor(bad / Math.max(d, 1))}, feature ${
            bad % Math.max(d, 1)
          }; remove or impute non-finite values`,
        );
      }
      splits[s].features[m] = f;
    }
  }
  const contents = { path, modalities, numClasses, hasVal, dims, splits };
  cache.set(key, { mtime, contents });
  return contents;
}

/**
 * Per-dimension mean and std of the train split, applied to every split (returns copies).
 *
 * @example
 * ```ts
 * const { train } = standardize({ train: Float32Array.of(1, 3), test: Float32Array.of(5) }, 1);
 * Array.from(train); // [-1, 1]
 * ```
 */
export function standardize(
  splits: Record<string, Float32Array>,
  dim: number,
): Record<string, Float32Array> {
  const train = splits.train;
  const n = train.length / dim;
  const mean = new Float64Array(dim), sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) mean[j] += train[i * dim + j];
  }
  for (let j = 0; j < dim; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) sq[j] += (train[i * dim + j] - mean[j]) ** 2;
  }
  const std = Array.from(sq, (s) => Math.sqrt(s / n) || 1); // a constant feature keeps scale 1
  const out: Record<string, Float32Array> = {};
  for (const [name, x] of Object.entries(splits)) {
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = (x[i] - mean[i % dim]) / std[i % dim];
    out[name] = y;
  }
  return out;
}

/**
 * Builds a {@linkcode Dataset} from a validated feature file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { inspectNpz, makeNpzDataset } from "./npz_dataset.ts";
 * import { encodeNpz } from "./numpy/npz.ts";
 * await tf.setBackend("cpu");
 * const f32 = (...v: number[]) => ({ dtype: "float32" as const, shape: [v.length, 1], data: Float32Array.from(v) });
 * const i32 = (...v: number[]) => ({ dtype: "int32" as const, shape: [v.length], data: Int32Array.from(v) });
 * const path = await Deno.makeTempFile({ suffix: ".npz" });
 * await Deno.writeFile(path, encodeNpz({
 *   audio_train: f32(1, 2), audio_test: f32(3), visual_train: f32(4, 5), visual_test: f32(6),
 *   y_train: i32(0, 1), y_test: i32(1),
 * }));
 * const ds = makeNpzDataset(`npz:${path}`, inspectNpz(path), "audio", true);
 * assert.deepEqual([ds.info.kind, ds.train.size, ds.test.size], ["npz", 2, 1]);
 * ds.dispose();
 * await Deno.remove(path);
 * ```
 */
export function makeNpzDataset(
  name: string,
  c: NpzContents,
  strong: string,
  standardizeFeatures: boolean,
  classNames?: string[],
): Dataset {
  const splitNames = Object.keys(c.splits);
  const perSplit: Record<string, Record<string, Float32Array>> = {};
  for (const s of splitNames) perSplit[s] = {};
  for (const m of c.modalities) {
    const raw = Object.fromEntries(splitNames.map((s) => [s, c.splits[s].features[m]]));
    const done = standardizeFeatures ? standardize(raw, c.dims[m]) : raw;
    for (const s of splitNames) perSplit[s][m] = done[s];
  }
  const shapes = Object.fromEntries(c.modalities.map((m) => [m, [c.dims[m]]]));
  const split = (s: string) =>
    new MemorySplit({ features: perSplit[s], shapes, labels: c.splits[s].labels });
  const train = split("train"), test = split("test");
  const val = c.hasVal ? split("val") : undefined;
  const lazy = c.modalities.find((m) => m !== strong)!;
  return {
    info: {
      name,
      modalities: c.modalities,
      strong,
      lazy,
      numClasses: c.numClasses,
      hasVal: c.hasVal,
      inputShapes: shapes,
      kind: "npz",
      classNames,
    },
    train,
    test,
    val,
    dispose() {
      train.dispose();
      test.dispose();
      val?.dispose();
    },
  };
}

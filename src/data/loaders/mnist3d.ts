/**
 * 3D MNIST (Kaggle `daavoo/3d-mnist`) as the official IBML code reads it
 * (`dataset/Mnistdataset.py`): `<root>/3D_MNIST/{train,test}_point_clouds.h5`, one group
 * per sample named `"0"` ... `"N-1"` holding `img` (30x30), `points` (N_i x 3) and the
 * attribute `label` (the digit). 5,000 train / 1,000 test; no validation split.
 *
 * - image: `img` broadcast to 3 channels, NHWC `[30, 30, 3]`, no normalisation.
 * - points: a fixed random subset of `data.num_points` (1,024) points chosen once at load
 *   without replacement (seeded by the run seed and the sample), no augmentation. The
 *   official code draws from indices 0..N_i-2 (the last point can never be chosen); the
 *   default draws from all N_i points, `data.exclude_last_point=true` restores the
 *   official range. A cloud smaller than the subset is sampled with replacement.
 *
 * @module
 */
import type { RunConfig } from "../../config/types.ts";
import { Rng, seedFor } from "../../rng.ts";
import { MemorySplit } from "../memory.ts";
import { gatherPoints, sampleIndices } from "../points.ts";
import { DATASET_SPECS, lazyOf } from "../specs.ts";
import type { Dataset } from "../types.ts";
import { fileStamp, readArrays, writeArrays } from "./array_cache.ts";
import { DataMalformedError, DataMissingError, pathExists } from "./errors.ts";
import { h5Dataset, type H5File, h5Group, h5NumberAttr, openH5, readF32 } from "./h5.ts";
import type { CheckReport, RealLoader } from "./types.ts";

const FOLDER = "3D_MNIST";
const FILES: Record<string, string> = {
  train: "train_point_clouds.h5",
  test: "test_point_clouds.h5",
};
const CONTENTS = "train_point_clouds.h5 and test_point_clouds.h5 (one group per sample: " +
  "img 30x30, points Nx3, attribute label)";
const HOW =
  "download them from https://www.kaggle.com/datasets/daavoo/3d-mnist into <data-root>/3D_MNIST/";

/** Host arrays of one split. */
interface Mnist3dHost {
  images: Float32Array;
  points: Float32Array;
  labels: Int32Array;
  side: number;
  range: [number, number];
}

function missing(folder: string, file?: string): DataMissingError {
  return new DataMissingError({
    what: "3D MNIST",
    folder,
    missing: file,
    contents: CONTENTS,
    how: HOW,
  });
}

function readSample(
  f: H5File,
  i: number,
  file: string,
): { img: Float32Array; shape: number[]; cloud: Float32Array; n: number; label: number } {
  const g = h5Group(f, String(i), file);
  const img = readF32(h5Dataset(g, "img", file));
  const pts = readF32(h5Dataset(g, "points", file));
  const label = h5NumberAttr(g, "label");
  if (label === undefined) {
    throw new DataMalformedError({ what: "mnist3d", file, problem: `group '${i}' has no label` });
  }
  if (pts.shape.length !== 2 || pts.shape[1] !== 3) {
    throw new DataMalformedError({
      what: "mnist3d",
      file,
      problem: `group '${i}' points have shape [${pts.shape}], expected [N, 3]`,
    });
  }
  return { img: img.data, shape: img.shape, cloud: pts.data, n: pts.shape[0], label };
}

async function readSplit(
  path: string,
  split: string,
  seed: number,
  numPoints: number,
  excludeLast: boolean,
): Promise<Mnist3dHost> {
  const f = await openH5(path);
  try {
    const n = f.keys().length;
    let side = 0;
    const images: Float32Array[] = [];
    const points = new Float32Array(n * numPoints * 3);
    const labels = new Int32Array(n);
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const s = readSample(f, i, path);
      if (i === 0) side = s.shape[0];
      if (s.shape.length !== 2 || s.shape[0] !== side || s.shape[1] !== side) {
        throw new DataMalformedError({
          what: "mnist3d",
          file: path,
          problem: `group '${i}' img has shape [${s.shape}], expected [${side}, ${side}]`,
        });
      }
      const img3 = new Float32Array(side * side * 3);
      for (let p = 0; p < side * side; p++) {
        const v = s.img[p];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        img3[p * 3] = v;
        img3[p * 3 + 1] = v;
        img3[p * 3 + 2] = v;
      }
      images.push(img3);
      const pool = excludeLast && s.n > 1 ? s.n - 1 : s.n;
      const rng = new Rng(seedFor(seed, "mnist3d-points", split, i));
      const idx = sampleIndices(pool, numPoints, rng, pool < numPoints);
      points.set(gatherPoints(s.cloud, idx), i * numPoints * 3);
      labels[i] = s.label;
    }
    const flat = new Float32Array(n * side * side * 3);
    images.forEach((im, i) => flat.set(im, i * im.length));
    return { images: flat, points, labels, side, range: [lo, hi] };
  } finally {
    f.close();
  }
}

async function loadSplit(
  root: string,
  split: string,
  cacheDir: string,
  seed: number,
  numPoints: number,
  excludeLast: boolean,
): Promise<Mnist3dHost> {
  const path = `${root}/${FOLDER}/${FILES[split]}`;
  if (!(await pathExists(path))) throw missing(`${root}/${FOLDER}`, path);
  const key = [await fileStamp(path), seed, numPoints, excludeLast].join("|");
  const base = `${cacheDir}/${split}-points${numPoints}`;
  const hit = await readArrays(base, key);
  if (hit) {
    const meta = hit.meta as { side: number; range: [number, number] };
    return {
      images: hit.arrays.images as Float32Array,
      points: hit.arrays.points as Float32Array,
      labels: hit.arrays.labels as Int32Array,
      side: meta.side,
      range: meta.range,
    };
  }
  const host = await readSplit(path, split, seed, numPoints, excludeLast);
  await writeArrays(base, key, {
    images: host.images,
    points: host.points,
    labels: host.labels,
  }, { side: host.side, range: host.range });
  return host;
}

/**
 * Loads 3D MNIST for a run (`data.root`, `data.num_points`, `data.exclude_last_point`).
 *
 * @example
 * ```ts ignore
 * // not run: needs the 3D MNIST h5 files (5000 + 1000 point clouds)
 * const ds = await loadMnist3d(cfg, "results/cache/mnist3d");
 * ds.info.inputShapes.points; // [1024, 3]
 * ```
 */
export async function loadMnist3d(cfg: RunConfig, cacheDir: string): Promise<Dataset> {
  const root = String(cfg.data.root);
  const numPoints = Number(cfg.data.num_points ?? 1024);
  const excludeLast = cfg.data.exclude_last_point === true;
  const hosts: Record<string, Mnist3dHost> = {};
  for (const split of ["train", "test"]) {
    hosts[split] = await loadSplit(root, split, cacheDir, cfg.seed, numPoints, excludeLast);
  }
  const side = hosts.train.side;
  if (hosts.test.side !== side) {
    throw new DataMalformedError({
      what: "mnist3d",
      file: `${root}/${FOLDER}/${FILES.test}`,
      problem: `img side ${hosts.test.side} differs from train's ${side}`,
    });
  }
  const spec = DATASET_SPECS.mnist3d;
  const splits = Object.fromEntries(
    Object.entries(hosts).map(([name, h]) => {
      for (const y of h.labels) {
        if (y < 0 || y >= spec.numClasses) {
          throw new DataMalformedError({
            what: "mnist3d",
            file: `${root}/${FOLDER}/${FILES[name]}`,
            problem: `label ${y} outside 0..${spec.numClasses - 1}`,
          });
        }
      }
      return [
        name,
        new MemorySplit({
          features: { image: h.images, points: h.points },
          shapes: { image: [side, side, 3], points: [numPoints, 3] },
          labels: h.labels,
        }),
      ];
    }),
  );
  return {
    info: {
      name: spec.name,
      modalities: [...spec.modalities],
      strong: spec.strong,
      lazy: lazyOf(spec),
      numClasses: spec.numClasses,
      hasVal: false,
      inputShapes: { image: [side, side, 3], points: [numPoints, 3] },
      kind: "real",
      classNames: Array.from({ length: 10 }, (_, i) => String(i)),
    },
    train: splits.train,
    test: splits.test,
    facts: {
      img_min: Math.min(hosts.train.range[0], hosts.test.range[0]),
      img_max: Math.max(hosts.train.range[1], hosts.test.range[1]),
    },
    dispose() {
      splits.train.dispose();
      splits.test.dispose();
    },
  };
}

/**
 * Inspects `<root>/3D_MNIST` (sample counts, classes, the first problem).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkMnist3d } from "./mnist3d.ts";
 * const root = await Deno.makeTempDir(); // no 3D MNIST here
 * const report = await checkMnist3d(root);
 * assert.equal(report.status, "missing"); // with the Kaggle files: counts { train: 5000, test: 1000 }
 * await Deno.remove(root);
 * ```
 */
export async function checkMnist3d(root: string): Promise<CheckReport> {
  const folder = `${root}/${FOLDER}`;
  const report: CheckReport = { dataset: "mnist3d", status: "found", folder, counts: {} };
  const classes = new Set<number>();
  let lo = Infinity, hi = -Infinity;
  for (const split of ["train", "test"]) {
    const path = `${folder}/${FILES[split]}`;
    if (!(await pathExists(path))) {
      return { ...report, status: "missing", problem: missing(folder, path).message };
    }
    let f: H5File | undefined;
    try {
      f = await openH5(path);
      const n = f.keys().length;
      report.counts![split] = n;
      for (let i = 0; i < n; i++) {
        const g = h5Group(f, String(i), path);
        const y = h5NumberAttr(g, "label");
        if (y === undefined) {
          throw new DataMalformedError({
            what: "mnist3d",
            file: path,
            problem: `group '${i}' has no label`,
          });
        }
        classes.add(y);
        if (!g.keys().includes("img") || !g.keys().includes("points")) {
          throw new DataMalformedError({
            what: "mnist3d",
            file: path,
            problem: `group '${i}' lacks img or points`,
          });
        }
        if (split === "train" && i < 100) {
          for (const v of readF32(h5Dataset(g, "img", path)).data) {
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
        }
      }
    } catch (e) {
      return {
        ...report,
        status: "malformed",
        problem: e instanceof Error ? e.message : String(e),
      };
    } finally {
      f?.close();
    }
  }
  report.classes = classes.size;
  const fmt = (v: number) => Number(v.toPrecision(6));
  report.notes = [`img values in [${fmt(lo)}, ${fmt(hi)}] (first 100 train samples)`];
  return report;
}

/**
 * The 3D MNIST loader (registered in `LOADERS.mnist3d` by mod.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mnist3dLoader } from "./mnist3d.ts";
 * const root = await Deno.makeTempDir(); // no 3D MNIST here
 * const report = await mnist3dLoader.check(root);
 * assert.deepEqual([report.dataset, report.status], ["mnist3d", "missing"]); // mnist3dLoader.load(cfg, cacheDir) loads it for a run
 * await Deno.remove(root);
 * ```
 */
export const mnist3dLoader: RealLoader = { load: loadMnist3d, check: checkMnist3d };

/**
 * ModelNet40 (40 classes: rendered 2D views + 3D point cloud) as the official IBML code
 * reads it (`dataset/ModelNet40{train,test}set.py`, after Cross-Modal-Center-Loss); file
 * layout in {@linkcode listParts} / {@linkcode viewPath}. 9,840 train / 2,468 test, no
 * validation split.
 *
 * - points (`[1024, 3]`): 1,024 of the 2,048 points drawn with replacement on every batch;
 *   train adds {@linkcode augmentPoints} (scale + shift, rotation about y, jitter, shuffle).
 * - image (`[4, 112, 112, 3]`, views first): 4 distinct views of the object's view set
 *   (180 renders; `data.views=mvcnn12` for the 12 MVCNN renders), each RandomCrop(224) ->
 *   Resize(112) -> horizontal flip in train and CenterCrop(224) -> Resize(112) otherwise,
 *   ImageNet-normalised. The multi-view encoder averages the 4 view features.
 * - test: deterministic by default (`data.test_sampling=fixed`): views evenly spread over
 *   the set (0, 45, 90, 135 of 180) and one fixed point subset per object. The official
 *   code draws test views and points at random on every pass (stochastic evaluation):
 *   `data.test_sampling=random`.
 * - labels: the h5 `label` of every split (the official train loader reads RONO's
 *   `train_ori_label.npy`, aligned to the authors' filesystem order of the h5 files; the
 *   h5 labels are the same labels in the files' own order). The unused meshes and noisy
 *   label files are not needed.
 *
 * Views are decoded once in `load()` into disk stores under the cache folder, resized by
 * 112/224 (so a 224 crop of the original is a 112 crop of the cached image; with 224x224
 * renders the crops are the whole image). `data.view_pool` (0 = all) caches and draws
 * from that many evenly spread views per object instead, to bound the cache (all 180
 * views of 12,308 objects at 112x112 take about 83 GB).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { RunConfig } from "../../config/types.ts";
import { Rng, seedFor } from "../../rng.ts";
import { cropResize, decodeImage, imagenetNormalize, resizeImage } from "../image.ts";
import { augmentPoints, gatherPoints, sampleIndices } from "../points.ts";
import { DATASET_SPECS, lazyOf } from "../specs.ts";
import type { BatchOptions, Dataset, Split } from "../types.ts";
import { ComputedSplit, type HostTensor } from "./computed_split.ts";
import { DataMalformedError, DataMissingError, pathExists } from "./errors.ts";
import { h5Dataset, openH5, readF32, readI32 } from "./h5.ts";
import { ImageStore } from "./image_store.ts";
import {
  evenViews,
  H5_FOLDER,
  listParts,
  MODELNET_FOLDER,
  modelnetMissing,
  readId2File,
  VIEW_SETS,
  viewPath,
} from "./modelnet40_files.ts";
import type { CheckReport, RealLoader } from "./types.ts";

/** The official crop before the resize to the view size. */
const CROP = 224;

/** Settings read from `data.*`. */
interface ModelNetSettings {
  numPoints: number;
  views: string;
  numViews: number;
  pool: number[];
  testRandom: boolean;
  size: number;
}

/** Host data of one split. */
interface ModelNetHost {
  points: Float32Array;
  perCloud: number;
  labels: Int32Array;
  objects: { cls: string; stem: string }[];
}

function settings(cfg: RunConfig): ModelNetSettings {
  const views = String(cfg.data.views ?? "180");
  if (!VIEW_SETS[views]) {
    throw new DataMalformedError({
      what: "modelnet40",
      file: "data.views",
      problem: `unknown view set '${views}'`,
      how: `use one of ${Object.keys(VIEW_SETS).join(", ")}`,
    });
  }
  const sampling = String(cfg.data.test_sampling ?? "fixed");
  if (sampling !== "fixed" && sampling !== "random") {
    throw new DataMalformedError({
      what: "modelnet40",
      file: "data.test_sampling",
      problem: `unknown value '${sampling}'`,
      how: "use fixed or random",
    });
  }
  const pool = evenViews(VIEW_SETS[views].count, Number(cfg.data.view_pool ?? 0));
  const numViews = Number(cfg.data.num_views ?? 4);
  if (numViews > pool.length) {
    throw new DataMalformedError({
      what: "modelnet40",
      file: "data.num_views",
      problem: `${numViews} views per object but only ${pool.length} in the pool`,
    });
  }
  return {
    numPoints: Number(cfg.data.num_points ?? 1024),
    views,
    numViews,
    pool,
    testRandom: sampling === "random",
    size: Number(cfg.data.view_size ?? 112),
  };
}

async function readHost(root: string, split: "train" | "test"): Promise<ModelNetHost> {
  const parts = await listParts(root, split);
  const clouds: Float32Array[] = [];
  const labels: number[] = [];
  const objects: { cls: string; stem: string }[] = [];
  let perCloud = 0;
  for (const part of parts) {
    const f = await openH5(part.h5);
    try {
      const data = readF32(h5Dataset(f, "data", part.h5));
      const label = readI32(h5Dataset(f, "label", part.h5));
      const [n, p, c] = data.shape;
      if (data.shape.length !== 3 || c !== 3 || (perCloud && p !== perCloud)) {
        throw new DataMalformedError({
          what: "modelnet40",
          file: part.h5,
          problem: `data has shape [${data.shape}], expected [N, ${perCloud || 2048}, 3]`,
        });
      }
      perCloud = p;
      if (label.data.length !== n) {
        throw new DataMalformedError({
          what: "modelnet40",
          file: part.h5,
          problem: `${label.data.length} labels for ${n} clouds`,
        });
      }
      const ids = await readId2File(part.json);
      if (ids.length !== n) {
        throw new DataMalformedError({
          what: "modelnet40",
          file: part.json,
          problem: `${ids.length} entries for ${n} clouds in ${part.h5}`,
        });
      }
      clouds.push(data.data);
      labels.push(...label.data);
      objects.push(...ids);
    } finally {
      f.close();
    }
  }
  const points = new Float32Array(clouds.reduce((s, c) => s + c.length, 0));
  let off = 0;
  for (const c of clouds) {
    points.set(c, off);
    off += c.length;
  }
  return { points, perCloud, labels: Int32Array.from(labels), objects };
}

async function viewStore(
  root: string,
  split: "train" | "test",
  host: ModelNetHost,
  s: ModelNetSettings,
  cacheDir: string,
): Promise<ImageStore> {
  const paths = host.objects.flatMap((o) =>
    s.pool.map((v) => viewPath(root, s.views, split, o, v))
  );
  const first = paths[0];
  if (first && !(await pathExists(first))) throw modelnetMissing(root, first);
  const f = s.size / CROP;
  const key = createHash("sha256").update(JSON.stringify({ paths, f })).digest("hex").slice(0, 16);
  const base = `${cacheDir}/${split}-views-${s.views}-${s.pool.length}`;
  return await ImageStore.build(base, key, paths.length, async (i) => {
    let img;
    try {
      img = await decodeImage(paths[i]);
    } catch (e) {
      if (!(await pathExists(paths[i]))) throw modelnetMissing(root, paths[i]);
      throw e;
    }
    const w = Math.max(1, Math.round(img.width * f));
    const h = Math.max(1, Math.round(img.height * f));
    return {
      image: await resizeImage(img, w, h),
      source: { width: img.width, height: img.height },
    };
  });
}

/** Crops one cached view (box in the original's grid), resizes, flips, normalises. */
function viewPixels(
  store: ImageStore,
  at: number,
  size: number,
  rng: Rng | null,
): Float32Array {
  const { image, source } = store.get(at);
  const cw = Math.min(CROP, source.width), ch = Math.min(CROP, source.height);
  let top: number, left: number, flip = false;
  if (rng) {
    top = rng.int(source.height - ch + 1);
    left = rng.int(source.width - cw + 1);
    flip = rng.uniform() < 0.5;
  } else {
    top = Math.round((source.height - ch) / 2);
    left = Math.round((source.width - cw) / 2);
  }
  const sx = image.width / source.width, sy = image.height / source.height;
  const box = { top: top * sy, left: left * sx, height: ch * sy, width: cw * sx };
  return imagenetNormalize(cropResize(image, box, size, size, flip)).data;
}

function builder(
  host: ModelNetHost,
  store: ImageStore,
  s: ModelNetSettings,
): (indices: Int32Array, opts: BatchOptions) => Record<string, HostTensor> {
  const k = s.pool.length;
  const fixedViews = evenViews(k, s.numViews);
  return (indices, opts) => {
    const b = indices.length;
    const pix = s.size * s.size * 3;
    const image = new Float32Array(b * s.numViews * pix);
    const points = new Float32Array(b * s.numPoints * 3);
    const random = opts.train || s.testRandom;
    indices.forEach((i, n) => {
      const cloud = host.points.subarray(i * host.perCloud * 3, (i + 1) * host.perCloud * 3);
      const pr = new Rng(
        random ? seedFor(opts.seed, "modelnet40-points", i) : seedFor("modelnet40-test-points", i),
      );
      const pts = gatherPoints(cloud, sampleIndices(host.perCloud, s.numPoints, pr, true));
      if (opts.train) augmentPoints(pts, pr);
      points.set(pts, n * s.numPoints * 3);
      const vr = new Rng(seedFor(opts.seed, "modelnet40-views", i));
      const chosen = random ? Array.from(sampleIndices(k, s.numViews, vr, false)) : fixedViews;
      chosen.forEach((j, v) => {
        const px = viewPixels(store, i * k + j, s.size, opts.train ? vr : null);
        image.set(px, (n * s.numViews + v) * pix);
      });
    });
    return {
      image: { data: image, shape: [b, s.numViews, s.size, s.size, 3] },
      points: { data: points, shape: [b, s.numPoints, 3] },
    };
  };
}

async function classNames(root: string, labels: Int32Array[]): Promise<string[]> {
  const file = `${root}/${MODELNET_FOLDER}/${H5_FOLDER}/shape_names.txt`;
  if (await pathExists(file)) {
    const names = (await Deno.readTextFile(file)).split(/\r?\n/).map((s) => s.trim()).filter(
      Boolean,
    );
    if (names.length === 40) return names;
  }
  const max = Math.max(...labels.map((l) => Math.max(-1, ...l)));
  return Array.from({ length: Math.max(40, max + 1) }, (_, i) => String(i));
}

/**
 * Loads ModelNet40 for a run (`data.num_points`, `data.views`, `data.num_views`,
 * `data.view_pool`, `data.view_size`, `data.test_sampling`).
 *
 * @example
 * ```ts ignore
 * // not run: needs the ModelNet40 h5 parts and rendered views (about 2 million PNGs)
 * const ds = await loadModelNet40(cfg, "results/cache/modelnet40");
 * ds.info.inputShapes.image; // [4, 112, 112, 3]
 * ```
 */
export async function loadModelNet40(cfg: RunConfig, cacheDir: string): Promise<Dataset> {
  const root = String(cfg.data.root);
  const s = settings(cfg);
  const spec = DATASET_SPECS.modelnet40;
  const stores: ImageStore[] = [];
  const splits: Record<string, Split> = {};
  const labels: Int32Array[] = [];
  try {
    for (const split of ["train", "test"] as const) {
      const host = await readHost(root, split);
      for (const y of host.labels) {
        if (y < 0 || y >= spec.numClasses) {
          throw new DataMalformedError({
            what: "modelnet40",
            file: `${root}/${MODELNET_FOLDER}/${H5_FOLDER}/ply_data_${split}*.h5`,
            problem: `label ${y} outside 0..${spec.numClasses - 1}`,
          });
        }
      }
      const store = await viewStore(root, split, host, s, cacheDir);
      stores.push(store);
      labels.push(host.labels);
      splits[split] = new ComputedSplit(host.labels, builder(host, store, s));
    }
  } catch (e) {
    for (const st of stores) st.close();
    throw e;
  }
  return {
    info: {
      name: spec.name,
      modalities: [...spec.modalities],
      strong: spec.strong,
      lazy: lazyOf(spec),
      numClasses: spec.numClasses,
      hasVal: false,
      inputShapes: { image: [s.numViews, s.size, s.size, 3], points: [s.numPoints, 3] },
      kind: "real",
      classNames: await classNames(root, labels),
    },
    train: splits.train,
    test: splits.test,
    facts: {
      views: s.views,
      view_pool: s.pool.length,
      test_sampling: s.testRandom ? "random" : "fixed",
    },
    dispose() {
      for (const st of stores) st.close();
    },
  };
}

/**
 * Inspects `<root>/ModelNet40`: h5 parts and their id2file lists, counts, classes, and
 * for every object the first of its 180 views (all 180 for the first object).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkModelNet40 } from "./modelnet40.ts";
 * const root = await Deno.makeTempDir(); // no ModelNet40 here
 * const report = await checkModelNet40(root);
 * assert.equal(report.status, "missing"); // with the official files: counts { train: 9840, test: 2468 }
 * await Deno.remove(root);
 * ```
 */
export async function checkModelNet40(root: string): Promise<CheckReport> {
  const folder = `${root}/${MODELNET_FOLDER}`;
  const report: CheckReport = { dataset: "modelnet40", status: "found", folder, counts: {} };
  const classes = new Set<number>();
  try {
    for (const split of ["train", "test"] as const) {
      const parts = await listParts(root, split);
      let count = 0;
      for (const part of parts) {
        const f = await openH5(part.h5);
        let n: number;
        try {
          const shape = h5Dataset(f, "data", part.h5).shape ?? [];
          n = shape[0] ?? 0;
          for (const y of readI32(h5Dataset(f, "label", part.h5)).data) classes.add(y);
        } finally {
          f.close();
        }
        const ids = await readId2File(part.json);
        if (ids.length !== n) {
          throw new DataMalformedError({
            what: "modelnet40",
            file: part.json,
            problem: `${ids.length} entries for ${n} clouds in ${part.h5}`,
          });
        }
        for (const [r, obj] of ids.entries()) {
          const vs = split === "train" && part === parts[0] && r === 0 ? evenViews(180, 0) : [0];
          for (const v of vs) {
            const p = viewPath(root, "180", split, obj, v);
            if (!(await pathExists(p))) {
              throw new DataMissingError({
                ...modelnetMissing(root, p).detail,
                missing: `${p}, view ${v} of row ${r} of ${part.json}`,
              });
            }
          }
        }
        count += n;
      }
      report.counts![split] = count;
    }
  } catch (e) {
    const status = e instanceof DataMissingError ? "missing" : "malformed";
    return { ...report, status, problem: e instanceof Error ? e.message : String(e) };
  }
  report.classes = classes.size;
  const notes: string[] = [];
  try {
    const first = (await readId2File((await listParts(root, "train"))[0].json))[0];
    const img = await decodeImage(viewPath(root, "180", "train", first, 0));
    notes.push(`views are ${img.width}x${img.height} pixels`);
  } catch (e) {
    return { ...report, status: "malformed", problem: e instanceof Error ? e.message : String(e) };
  }
  const mv = `${folder}/${VIEW_SETS.mvcnn12.folder}`;
  notes.push(
    (await pathExists(mv))
      ? `12-view MVCNN renders present (${mv})`
      : `no ${mv} (only needed for data.views=mvcnn12)`,
  );
  report.notes = notes;
  return report;
}

/**
 * The ModelNet40 loader (registered in `LOADERS.modelnet40` by mod.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelnet40Loader } from "./modelnet40.ts";
 * const root = await Deno.makeTempDir(); // no ModelNet40 here
 * const report = await modelnet40Loader.check(root);
 * assert.deepEqual([report.dataset, report.status], ["modelnet40", "missing"]); // modelnet40Loader.load(cfg, cacheDir) loads it for a run
 * await Deno.remove(root);
 * ```
 */
export const modelnet40Loader: RealLoader = { load: loadModelNet40, check: checkModelNet40 };

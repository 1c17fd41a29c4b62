/**
 * Real-dataset loaders for the `paper` profile, one file per dataset in this folder.
 * Each registers a {@linkcode RealLoader} in {@linkcode LOADERS} under the dataset's
 * registry name.
 *
 * Contract: `load()` does all slow and async work (listing, decoding, resampling, STFT,
 * tokenising) and caches its results on disk under `cacheDir` after the first pass; the
 * returned splits' `batch()` is synchronous and cheap (reads cached arrays, applies the
 * train-time augmentation seeded by `opts.seed`).
 *
 * @module
 */
import type { RunConfig } from "../../config/types.ts";
import type { Dataset } from "../types.ts";

/** What `datasets check` reports for one dataset. */
export interface CheckReport {
  /** Dataset name. */
  dataset: string;
  /** found: usable; missing: folder/files absent; malformed: present but broken. */
  status: "found" | "missing" | "malformed";
  /** The folder that was searched. */
  folder: string;
  /** Sample counts per split (where known). */
  counts?: Record<string, number>;
  /** Number of classes (where known). */
  classes?: number;
  /** The first problem found, with what the folder must contain and how to make it. */
  problem?: string;
  /** Facts worth recording that are not problems (value ranges, image sizes...). */
  notes?: string[];
}

/** A loader of one real dataset layout. */
export interface RealLoader {
  /** Loads the dataset for a run (`cfg.data.root` is the data root). */
  load(cfg: RunConfig, cacheDir: string): Promise<Dataset>;
  /** Inspects `root` without loading everything. */
  check(root: string): Promise<CheckReport>;
}

/**
 * Loaders by dataset name (filled in by the per-dataset files).
 *
 * @example
 * ```ts ignore
 * const ds = await LOADERS["crema-d"].load(cfg, "results/cache/crema-d");
 * ```
 */
export const LOADERS: Record<string, RealLoader> = {};

// Registration. Each loader file exports its RealLoader and this module registers it: a
// loader file that assigned into LOADERS itself would run before LOADERS is initialised
// (ES modules evaluate a module's imports first, so mod.ts -> loader -> mod.ts reads
// LOADERS in its temporal dead zone and throws a ReferenceError).
import { mvsaLoader } from "./mvsa.ts";
import { food101Loader } from "./food101.ts";
import { mnist3dLoader } from "./mnist3d.ts";
import { modelnet40Loader } from "./modelnet40.ts";
import { cremaDLoader } from "./crema_d.ts";
import { aveLoader } from "./ave.ts";
import { avsbenchLoader } from "./avsbench.ts";
import { vggsound50Loader } from "./vggsound50.ts";
LOADERS.mvsa = mvsaLoader;
LOADERS.food101 = food101Loader;
LOADERS.mnist3d = mnist3dLoader;
LOADERS.modelnet40 = modelnet40Loader;
LOADERS["crema-d"] = cremaDLoader;
LOADERS.ave = aveLoader;
LOADERS.avsbench = avsbenchLoader;
LOADERS.vggsound50 = vggsound50Loader;

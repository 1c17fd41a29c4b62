/**
 * What a real-dataset loader is (`paper` profile): the {@linkcode RealLoader} each file of
 * src/data/loaders/ exports and the {@linkcode CheckReport} of `datasets check`.
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

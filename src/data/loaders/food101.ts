/**
 * UPMC Food-101 (101 classes: recipe-page title + image) in the layout of the IBML/QMF
 * release: `<root>/food101/{train,dev,test}.jsonl` (62,971 / 5,000 / 22,715; the MMBT
 * splits shipped in IBML's `data_process.zip`; the dev split cannot be regenerated, so the
 * shipped files are required) and `<root>/food101/images/{train,test}/<class>/<file>.jpg`
 * from the Kaggle archive. Class indices by first appearance in train.jsonl (not
 * alphabetical). Pipeline: {@linkcode loadImageText}.
 *
 * @module
 */
import type { RunConfig } from "../../config/types.ts";
import type { Dataset } from "../types.ts";
import { checkImageText, type ImageTextLayout, loadImageText, readSplits } from "./image_text.ts";
import type { CheckReport, RealLoader } from "./types.ts";

/**
 * Where Food-101 lives and how to make it.
 *
 * @example
 * ```ts
 * FOOD101_LAYOUT.folder; // "food101"
 * ```
 */
export const FOOD101_LAYOUT: ImageTextLayout = {
  name: "food101",
  title: "UPMC Food-101",
  folder: "food101",
  contents: "train.jsonl, dev.jsonl, test.jsonl (IBML data_process.zip, folder food101) and " +
    "images/{train,test}/<class>/<file>.jpg",
  how: "get the jsonl splits from https://github.com/QinYang79/IBML (data_process.zip) and " +
    "the images from https://www.kaggle.com/datasets/gianmarco96/upmcfood101 (images/)",
};

/**
 * Loads Food-101 for a run (the image-text keys: `data.glove`, `data.image_side`,
 * `data.image_size`).
 *
 * @example
 * ```ts ignore
 * // not run: needs the Food-101 folder (jsonl splits, images) and the 5 GB GloVe file
 * const ds = await loadFood101(cfg, "results/cache/food101");
 * ds.info.numClasses; // 101
 * ```
 */
export async function loadFood101(cfg: RunConfig, cacheDir: string): Promise<Dataset> {
  const root = String(cfg.data.root);
  return await loadImageText(cfg, cacheDir, FOOD101_LAYOUT, await readSplits(root, FOOD101_LAYOUT));
}

/**
 * Inspects `<root>/food101`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkFood101 } from "./food101.ts";
 * const root = await Deno.makeTempDir(); // no Food-101 here
 * const report = await checkFood101(root);
 * assert.equal(report.status, "missing"); // with the official files: counts { train: 62971, dev: 5000, test: 22715 }
 * await Deno.remove(root);
 * ```
 */
export function checkFood101(root: string): Promise<CheckReport> {
  return checkImageText(root, FOOD101_LAYOUT);
}

/**
 * The Food-101 loader (registered in `LOADERS.food101` by mod.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { food101Loader } from "./food101.ts";
 * const root = await Deno.makeTempDir(); // no Food-101 here
 * const report = await food101Loader.check(root);
 * assert.deepEqual([report.dataset, report.status], ["food101", "missing"]); // food101Loader.load(cfg, cacheDir) loads it for a run
 * await Deno.remove(root);
 * ```
 */
export const food101Loader: RealLoader = { load: loadFood101, check: checkFood101 };

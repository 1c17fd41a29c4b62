/**
 * Real-dataset loaders for the `paper` profile, one file per dataset in this folder, each
 * exporting a {@linkcode RealLoader} (src/data/loaders/types.ts), registered here under the
 * dataset's registry name.
 *
 * @module
 */
import { aveLoader } from "./ave.ts";
import { avsbenchLoader } from "./avsbench.ts";
import { cremaDLoader } from "./crema_d.ts";
import { food101Loader } from "./food101.ts";
import { mnist3dLoader } from "./mnist3d.ts";
import { modelnet40Loader } from "./modelnet40.ts";
import { mvsaLoader } from "./mvsa.ts";
import type { RealLoader } from "./types.ts";
import { vggsound50Loader } from "./vggsound50.ts";

/**
 * Loaders by dataset name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LOADERS } from "./mod.ts";
 * // A run loads with LOADERS[name].load(cfg, cacheDir); "datasets check" calls check(root).
 * const root = await Deno.makeTempDir(); // no datasets here
 * const report = await LOADERS["crema-d"].check(root);
 * assert.deepEqual([report.dataset, report.status], ["crema-d", "missing"]);
 * await Deno.remove(root);
 * ```
 */
export const LOADERS: Record<string, RealLoader> = {
  mvsa: mvsaLoader,
  food101: food101Loader,
  mnist3d: mnist3dLoader,
  modelnet40: modelnet40Loader,
  "crema-d": cremaDLoader,
  ave: aveLoader,
  avsbench: avsbenchLoader,
  vggsound50: vggsound50Loader,
};

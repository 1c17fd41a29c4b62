/**
 * ModelNet40 file layout (as the official IBML / Cross-Modal-Center-Loss loaders read it):
 *
 * ```
 * <root>/ModelNet40/modelnet40_ply_hdf5_2048/ply_data_{train,test}<k>.h5   data (N,2048,3), label (N,1)
 * <root>/ModelNet40/modelnet40_ply_hdf5_2048/ply_data_{train,test}_<k>_id2file.json
 * <root>/ModelNet40/modelnet40_ply_hdf5_2048/shape_names.txt               (optional)
 * <root>/ModelNet40/ModelNet40-Images-180/<class>/<stem>/<stem>.<v>.png     v = 0..179
 * <root>/ModelNet40/modelnet40_images_new_12x/<class>/<split>/<stem>.obj.shaded_v<001..012>.png
 * ```
 *
 * The h5 files are taken in numeric order of `<k>` (the official `glob` order is
 * filesystem-dependent); row r of file k pairs with entry r of its id2file json
 * (`<class>/<stem>.ply`), which names the object's rendered views.
 *
 * @module
 */
import { DataMalformedError, DataMissingError, pathExists } from "./errors.ts";

/**
 * The ModelNet40 folder under the data root.
 *
 * @example
 * ```ts
 * MODELNET_FOLDER; // "ModelNet40"
 * ```
 */
export const MODELNET_FOLDER = "ModelNet40";
/**
 * The point-cloud sub-folder.
 *
 * @example
 * ```ts
 * H5_FOLDER; // "modelnet40_ply_hdf5_2048"
 * ```
 */
export const H5_FOLDER = "modelnet40_ply_hdf5_2048";
/**
 * The view sets (`data.views`) and their sizes.
 *
 * @example
 * ```ts
 * VIEW_SETS["180"].count; // 180
 * ```
 */
export const VIEW_SETS: Record<string, { folder: string; count: number }> = {
  "180": { folder: "ModelNet40-Images-180", count: 180 },
  mvcnn12: { folder: "modelnet40_images_new_12x", count: 12 },
};

const CONTENTS = `${H5_FOLDER}/ply_data_{train,test}<k>.h5 with their ` +
  `ply_data_{train,test}_<k>_id2file.json, and ModelNet40-Images-180/<class>/<stem>/<stem>.<v>.png ` +
  `(or modelnet40_images_new_12x/ for data.views=mvcnn12)`;
const HOW = "download modelnet40_ply_hdf5_2048.zip and ModelNet40-Images-180 (links in " +
  "https://github.com/LongLong-Jing/Cross-Modal-Center-Loss/issues/2) and unpack both into " +
  "<data-root>/ModelNet40/";

/**
 * The missing-data error of ModelNet40.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelnetMissing } from "./modelnet40_files.ts";
 * const e = modelnetMissing("data", "data/ModelNet40/modelnet40_ply_hdf5_2048");
 * assert.equal(e.detail.folder, "data/ModelNet40");
 * assert.match(e.message, /missing data\/ModelNet40\/modelnet40_ply_hdf5_2048/);
 * ```
 */
export function modelnetMissing(root: string, missing?: string): DataMissingError {
  return new DataMissingError({
    what: "ModelNet40",
    folder: `${root}/${MODELNET_FOLDER}`,
    missing,
    contents: CONTENTS,
    how: HOW,
  });
}

/** One h5 part of a split and its id2file json. */
export interface H5Part {
  /** Part number k. */
  k: number;
  /** The h5 path. */
  h5: string;
  /** The id2file json path. */
  json: string;
}

/**
 * The h5 parts of a split in numeric order of k (missing folder or json: a
 * {@linkcode DataMissingError}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { H5_FOLDER, listParts, MODELNET_FOLDER } from "./modelnet40_files.ts";
 * const root = await Deno.makeTempDir();
 * const dir = `${root}/${MODELNET_FOLDER}/${H5_FOLDER}`;
 * await Deno.mkdir(dir, { recursive: true });
 * for (const k of [10, 2]) { // empty stand-ins: only the names matter here
 *   await Deno.writeFile(`${dir}/ply_data_train${k}.h5`, new Uint8Array());
 *   await Deno.writeTextFile(`${dir}/ply_data_train_${k}_id2file.json`, "[]");
 * }
 * const parts = await listParts(root, "train");
 * assert.deepEqual(parts.map((p) => p.k), [2, 10]); // numeric order
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function listParts(root: string, split: "train" | "test"): Promise<H5Part[]> {
  const dir = `${root}/${MODELNET_FOLDER}/${H5_FOLDER}`;
  if (!(await pathExists(dir))) throw modelnetMissing(root, dir);
  const parts: H5Part[] = [];
  const re = new RegExp(`^ply_data_${split}(\\d+)\\.h5$`);
  for await (const e of Deno.readDir(dir)) {
    const m = re.exec(e.name);
    if (!m) continue;
    const k = Number(m[1]);
    parts.push({ k, h5: `${dir}/${e.name}`, json: `${dir}/ply_data_${split}_${k}_id2file.json` });
  }
  if (!parts.length) throw modelnetMissing(root, `${dir}/ply_data_${split}0.h5`);
  parts.sort((a, b) => a.k - b.k);
  for (const p of parts) if (!(await pathExists(p.json))) throw modelnetMissing(root, p.json);
  return parts;
}

/**
 * Reads an id2file json: `<class>/<stem>.ply` entries as `{cls, stem}`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readId2File } from "./modelnet40_files.ts";
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await Deno.writeTextFile(path, JSON.stringify(["airplane/airplane_0627.ply", "cup/cup_0001.ply"]));
 * assert.deepEqual((await readId2File(path))[0], { cls: "airplane", stem: "airplane_0627" });
 * await Deno.remove(path);
 * ```
 */
export async function readId2File(path: string): Promise<{ cls: string; stem: string }[]> {
  let list: unknown;
  try {
    list = JSON.parse(await Deno.readTextFile(path));
  } catch {
    throw new DataMalformedError({ what: "modelnet40", file: path, problem: "not JSON" });
  }
  if (!Array.isArray(list)) {
    throw new DataMalformedError({ what: "modelnet40", file: path, problem: "not a JSON list" });
  }
  return list.map((entry, i) => {
    const m = typeof entry === "string" ? /^([^/]+)\/(.+)\.ply$/.exec(entry) : null;
    if (!m) {
      throw new DataMalformedError({
        what: "modelnet40",
        file: path,
        problem: `entry ${i} is ${JSON.stringify(entry)}, expected "<class>/<stem>.ply"`,
      });
    }
    return { cls: m[1], stem: m[2] };
  });
}

/**
 * The path of view `v` (0-based) of an object in a view set.
 *
 * @example
 * ```ts
 * viewPath("data", "180", "train", { cls: "cup", stem: "cup_0001" }, 5);
 * // "data/ModelNet40/ModelNet40-Images-180/cup/cup_0001/cup_0001.5.png"
 * ```
 */
export function viewPath(
  root: string,
  views: string,
  split: string,
  obj: { cls: string; stem: string },
  v: number,
): string {
  const base = `${root}/${MODELNET_FOLDER}/${VIEW_SETS[views].folder}/${obj.cls}`;
  if (views === "mvcnn12") {
    return `${base}/${split}/${obj.stem}.obj.shaded_v${String(v + 1).padStart(3, "0")}.png`;
  }
  return `${base}/${obj.stem}/${obj.stem}.${v}.png`;
}

/**
 * `count` views spread evenly over `total` (0-based; all of them when count is 0 or
 * >= total).
 *
 * @example
 * ```ts
 * evenViews(180, 4); // [0, 45, 90, 135]
 * ```
 */
export function evenViews(total: number, count: number): number[] {
  const k = count <= 0 || count >= total ? total : count;
  return Array.from({ length: k }, (_, j) => Math.floor((j * total) / k));
}

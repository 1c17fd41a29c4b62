/**
 * The image-text pipeline shared by MVSA-Single and UPMC Food-101, as the official IBML
 * code builds it (`dataset/VLdataset.py`, `main_VL.py`): shipped jsonl splits
 * (`{train,dev,test}.jsonl`, keys `id`, `label`, `text`, `img`), label indices by first
 * appearance in train.jsonl, text as GloVe embedding sequences ({@linkcode tokenize},
 * {@linkcode packText}), images with RandomResizedCrop(224) + flip + ImageNet
 * normalisation in train and Resize((224, 224)) + normalisation otherwise.
 *
 * Inputs per batch: `text` `[B, L, 300]` (L = longest caption in the batch, zero-padded),
 * `text_mask` `[B, L]`, `image` `[B, 224, 224, 3]`. `DatasetInfo.inputShapes.text` is
 * `[-1, 300]`: -1 marks the per-batch length.
 *
 * Images are decoded once in `load()` into disk stores under the cache folder: train
 * images with the shorter side reduced to `data.image_side` (256; originals that are
 * smaller are kept; crop boxes are drawn in the original's pixel grid, so only the
 * resolution the crop is resampled from changes), val/test images already resized to the
 * final `data.image_size` (224).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { RunConfig } from "../../config/types.ts";
import { Rng, seedFor } from "../../rng.ts";
import { decodeImage, resizeImage, testTransform, trainTransform } from "../image.ts";
import { DATASET_SPECS, lazyOf } from "../specs.ts";
import {
  type EmbeddingTable,
  encodeTokens,
  loadEmbeddingTable,
  maskKey,
  packText,
  tokenize,
} from "../text/mod.ts";
import type { BatchOptions, Dataset, Split } from "../types.ts";
import { ComputedSplit, type HostTensor } from "./computed_split.ts";
import { DataMalformedError, DataMissingError, pathExists } from "./errors.ts";
import { ImageStore } from "./image_store.ts";
import { mediaProblem } from "./media_check.ts";
import type { CheckReport } from "./types.ts";

/** One jsonl row. */
export interface ImageTextRecord {
  /** Sample id. */
  id: string;
  /** Class name. */
  label: string;
  /** Raw text (lower-cased and tokenized later). */
  text: string;
  /** Image path relative to the dataset folder. */
  img: string;
}

/** Where a dataset lives and how to make it (for errors and `datasets check`). */
export interface ImageTextLayout {
  /** Registry name (`mvsa`, `food101`). */
  name: string;
  /** Readable name for messages. */
  title: string;
  /** Folder under the data root. */
  folder: string;
  /** What the folder must contain. */
  contents: string;
  /** How to make it. */
  how: string;
}

/**
 * The split files, in the order train, val, test.
 *
 * @example
 * ```ts
 * SPLIT_FILES.val; // "dev.jsonl"
 * ```
 */
export const SPLIT_FILES: Record<string, string> = {
  train: "train.jsonl",
  val: "dev.jsonl",
  test: "test.jsonl",
};

/**
 * The missing-data error of a layout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { layoutMissing } from "./image_text.ts";
 * import { MVSA_LAYOUT } from "./mvsa.ts";
 * const e = layoutMissing(MVSA_LAYOUT, "data", "data/MVSA_Single/train.jsonl");
 * assert.equal(e.detail.folder, "data/MVSA_Single");
 * assert.match(e.message, /missing data\/MVSA_Single\/train\.jsonl/);
 * ```
 */
export function layoutMissing(
  layout: ImageTextLayout,
  root: string,
  missing?: string,
): DataMissingError {
  return new DataMissingError({
    what: layout.title,
    folder: `${root}/${layout.folder}`,
    missing,
    contents: layout.contents,
    how: layout.how,
  });
}

/**
 * Reads a jsonl split (`id`, `label`, `text`, `img` per line; blank lines skipped).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readJsonl } from "./image_text.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(path, '{"id": 1, "label": "pizza", "text": "yum", "img": "1.jpg"}\n\n');
 * const rows = await readJsonl(path, "food101");
 * assert.deepEqual(rows, [{ id: "1", label: "pizza", text: "yum", img: "1.jpg" }]);
 * await Deno.remove(path);
 * ```
 */
export async function readJsonl(path: string, what: string): Promise<ImageTextRecord[]> {
  const text = await Deno.readTextFile(path);
  const out: ImageTextRecord[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new DataMalformedError({ what, file: `${path}:${i + 1}`, problem: "not a JSON line" });
    }
    for (const k of ["id", "label", "img"]) {
      if (row[k] === undefined || row[k] === null || row[k] === "") {
        throw new DataMalformedError({ what, file: `${path}:${i + 1}`, problem: `no '${k}'` });
      }
    }
    out.push({
      id: String(row.id),
      label: String(row.label),
      text: typeof row.text === "string" ? row.text : row.text == null ? "" : String(row.text),
      img: String(row.img),
    });
  });
  return out;
}

/**
 * Reads the three shipped splits of a layout (a missing file is a {@linkcode DataMissingError}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSplits } from "./image_text.ts";
 * import { FOOD101_LAYOUT } from "./food101.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/${FOOD101_LAYOUT.folder}`);
 * for (const f of ["train.jsonl", "dev.jsonl", "test.jsonl"]) {
 *   await Deno.writeTextFile(`${root}/${FOOD101_LAYOUT.folder}/${f}`, '{"id": "1", "label": "pizza", "img": "1.jpg"}\n');
 * }
 * const splits = await readSplits(root, FOOD101_LAYOUT);
 * assert.deepEqual(Object.keys(splits), ["train", "val", "test"]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function readSplits(
  root: string,
  layout: ImageTextLayout,
): Promise<Record<string, ImageTextRecord[]>> {
  const out: Record<string, ImageTextRecord[]> = {};
  for (const [split, file] of Object.entries(SPLIT_FILES)) {
    const path = `${root}/${layout.folder}/${file}`;
    if (!(await pathExists(path))) throw layoutMissing(layout, root, path);
    out[split] = await readJsonl(path, layout.name);
  }
  return out;
}

/**
 * Class names by first appearance in the train records.
 *
 * @example
 * ```ts
 * labelOrder([{ id: "1", label: "b", text: "", img: "" }, { id: "2", label: "a", text: "", img: "" }]);
 * // ["b", "a"]
 * ```
 */
export function labelOrder(train: ImageTextRecord[]): string[] {
  const seen: string[] = [];
  for (const r of train) if (!seen.includes(r.label)) seen.push(r.label);
  return seen;
}

/**
 * The GloVe file candidates for a run: `data.glove`, else the data root's defaults.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gloveCandidates } from "./image_text.ts";
 * import { resolveConfig } from "../../resolve/resolve_config.ts";
 * const cfg = resolveConfig({ method: "ibml", dataset: "mvsa", profile: "paper", dataRoot: "data" });
 * assert.deepEqual(gloveCandidates(cfg), ["data/glove/glove.840B.300d.txt", "data/glove.840B.300d.txt"]);
 * ```
 */
export function gloveCandidates(cfg: RunConfig): string[] {
  const set = String(cfg.data.glove ?? "");
  if (set !== "") return [set];
  const root = String(cfg.data.root);
  return [`${root}/glove/glove.840B.300d.txt`, `${root}/glove.840B.300d.txt`];
}

async function findGlove(cfg: RunConfig): Promise<string> {
  const candidates = gloveCandidates(cfg);
  for (const c of candidates) if (await pathExists(c)) return c;
  return candidates[0]; // loadEmbeddingTable reports it as missing
}

function hashKey(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);
}

/** Builds (or reopens) the image store of one split. */
async function imageStore(
  dir: string,
  records: ImageTextRecord[],
  split: string,
  cacheDir: string,
  side: number,
  size: number,
): Promise<ImageStore> {
  const paths = records.map((r) => `${dir}/${r.img}`);
  const mode = split === "train" ? { side } : { size };
  const key = hashKey({ paths, mode });
  return await ImageStore.build(`${cacheDir}/${split}-images`, key, paths.length, async (i) => {
    const img = await decodeImage(paths[i]);
    const source = { width: img.width, height: img.height };
    if (split !== "train") return { image: await resizeImage(img, size, size), source };
    const short = Math.min(img.width, img.height);
    if (side <= 0 || short <= side) return { image: img, source };
    const f = side / short;
    const w = Math.max(1, Math.round(img.width * f));
    const h = Math.max(1, Math.round(img.height * f));
    return { image: await resizeImage(img, w, h), source };
  });
}

/**
 * Removes, in place, the samples whose image file exists but fails its header check
 * (empty or garbage), with one warning per split naming the first; returns the counts
 * per split as record facts (`broken_<split>`). A missing image stays an error.
 */
async function dropBrokenImages(
  dir: string,
  records: Record<string, ImageTextRecord[]>,
  name: string,
): Promise<Record<string, number>> {
  const facts: Record<string, number> = {};
  for (const [split, rows] of Object.entries(records)) {
    const kept: ImageTextRecord[] = [];
    let first = "";
    for (const r of rows) {
      const path = `${dir}/${r.img}`;
      const problem = (await pathExists(path)) ? await mediaProblem(path) : null;
      if (problem === null) kept.push(r);
      else if (!first) first = `${path}: ${problem}`;
    }
    if (kept.length < rows.length) {
      const n = rows.length - kept.length;
      console.error(
        `[${name}] warning: ${split}: ${n} samples skipped for a broken image (first: ${first}); "datasets check" lists them all`,
      );
      facts[`broken_${split}`] = n;
      if (kept.length === 0) {
        throw new DataMalformedError({
          what: name,
          file: dir,
          problem: `every image of the ${split} split is broken (first: ${first})`,
        });
      }
      records[split] = kept;
    }
  }
  return facts;
}

/** Builds the batch function of one split. */
function builder(
  seqs: Int32Array[],
  table: EmbeddingTable,
  store: ImageStore,
  size: number,
): (indices: Int32Array, opts: BatchOptions) => Record<string, HostTensor> {
  return (indices, opts) => {
    const b = indices.length;
    const packed = packText(Array.from(indices, (i) => seqs[i]), table);
    const pix = size * size * 3;
    const image = new Float32Array(b * pix);
    indices.forEach((i, k) => {
      const { image: img, source } = store.get(i);
      const f = opts.train
        ? trainTransform(img, size, new Rng(seedFor(opts.seed, "image-text", i)), { source })
        : testTransform(img, size);
      image.set(f.data, k * pix);
    });
    return {
      text: { data: packed.values, shape: [b, packed.length, table.dim] },
      [maskKey("text")]: { data: packed.mask, shape: [b, packed.length] },
      image: { data: image, shape: [b, size, size, 3] },
    };
  };
}

/**
 * Loads an image-text dataset from its split records (keys `data.root`, `data.glove`,
 * `data.image_side`, `data.image_size`).
 *
 * @example
 * ```ts ignore
 * // not run: needs a real image-text dataset (jsonl splits, images) and the 5 GB GloVe file
 * const ds = await loadImageText(cfg, "results/cache/mvsa", layout, await readSplits(root, layout));
 * ```
 */
export async function loadImageText(
  cfg: RunConfig,
  cacheDir: string,
  layout: ImageTextLayout,
  records: Record<string, ImageTextRecord[]>,
): Promise<Dataset> {
  const root = String(cfg.data.root);
  const dir = `${root}/${layout.folder}`;
  const side = Number(cfg.data.image_side ?? 256);
  const size = Number(cfg.data.image_size ?? 224);
  const skipped = await dropBrokenImages(dir, records, layout.name);
  const classNames = labelOrder(records.train);
  const classOf = new Map(classNames.map((c, i) => [c, i]));
  const labels: Record<string, Int32Array> = {};
  for (const [split, rows] of Object.entries(records)) {
    labels[split] = Int32Array.from(rows, (r) => {
      const y = classOf.get(r.label);
      if (y === undefined) {
        throw new DataMalformedError({
          what: layout.name,
          file: `${dir}/${SPLIT_FILES[split]}`,
          problem: `label '${r.label}' (id ${r.id}) does not occur in train.jsonl`,
        });
      }
      return y;
    });
  }
  const tokens: Record<string, string[][]> = {};
  const vocab = new Set<string>();
  for (const [split, rows] of Object.entries(records)) {
    tokens[split] = rows.map((r) => tokenize(r.text));
    for (const t of tokens[split]) for (const w of t) vocab.add(w);
  }
  const table = await loadEmbeddingTable(vocab, await findGlove(cfg), cacheDir);
  const stores: ImageStore[] = [];
  const splits: Record<string, Split> = {};
  try {
    for (const [split, rows] of Object.entries(records)) {
      for (const r of rows.slice(0, 1)) {
        if (!(await pathExists(`${dir}/${r.img}`))) {
          throw layoutMissing(layout, root, `${dir}/${r.img}`);
        }
      }
      const store = await imageStore(dir, rows, split, cacheDir, side, size);
      stores.push(store);
      const seqs = tokens[split].map((t) => encodeTokens(t, table));
      splits[split] = new ComputedSplit(labels[split], builder(seqs, table, store, size));
    }
  } catch (e) {
    for (const s of stores) s.close();
    throw e;
  }
  const spec = DATASET_SPECS[layout.name];
  const found = table.index.size;
  return {
    info: {
      name: spec.name,
      modalities: [...spec.modalities],
      strong: spec.strong,
      lazy: lazyOf(spec),
      numClasses: classNames.length,
      hasVal: true,
      inputShapes: { text: [-1, table.dim], image: [size, size, 3] },
      kind: "real",
      classNames,
    },
    train: splits.train,
    val: splits.val,
    test: splits.test,
    facts: {
      vocab: table.requested,
      glove_found: found,
      oov: table.requested - found,
      ...skipped,
    },
    dispose() {
      for (const s of stores) s.close();
    },
  };
}

/**
 * Inspects an image-text folder: the jsonl splits, their counts and classes, the first
 * missing image, and whether the GloVe file is at the default place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkImageText } from "./image_text.ts";
 * import { MVSA_LAYOUT } from "./mvsa.ts";
 * const root = await Deno.makeTempDir(); // no MVSA here
 * const r = await checkImageText(root, MVSA_LAYOUT);
 * assert.deepEqual([r.status, r.folder], ["missing", `${root}/MVSA_Single`]);
 * await Deno.remove(root);
 * ```
 */
export async function checkImageText(
  root: string,
  layout: ImageTextLayout,
  readRecords: () => Promise<Record<string, ImageTextRecord[]>> = () => readSplits(root, layout),
): Promise<CheckReport> {
  const folder = `${root}/${layout.folder}`;
  const report: CheckReport = { dataset: layout.name, status: "found", folder };
  let records: Record<string, ImageTextRecord[]>;
  try {
    records = await readRecords();
  } catch (e) {
    const status = e instanceof DataMissingError ? "missing" : "malformed";
    return { ...report, status, problem: e instanceof Error ? e.message : String(e) };
  }
  report.counts = Object.fromEntries(
    Object.entries(records).map(([s, r]) => [s === "val" ? "dev" : s, r.length]),
  );
  const classes = labelOrder(records.train);
  report.classes = classes.length;
  for (const [split, rows] of Object.entries(records)) {
    const bad = rows.find((r) => !classes.includes(r.label));
    if (bad) {
      return {
        ...report,
        status: "malformed",
        problem: `${folder}/${
          SPLIT_FILES[split]
        }: label '${bad.label}' (id ${bad.id}) not in train.jsonl`,
      };
    }
    for (const r of rows) {
      if (!(await pathExists(`${folder}/${r.img}`))) {
        return {
          ...report,
          status: "missing",
          problem: layoutMissing(
            layout,
            root,
            `${folder}/${r.img}, listed in ${SPLIT_FILES[split]} for id ${r.id}`,
          ).message,
        };
      }
    }
  }
  const broken: string[] = [];
  for (const [split, rows] of Object.entries(records)) {
    for (const r of rows) {
      const problem = await mediaProblem(`${folder}/${r.img}`);
      if (problem) {
        broken.push(`${split}: broken image ${folder}/${r.img} (id ${r.id}): ${problem}`);
      }
    }
  }
  if (broken.length > 0) {
    report.status = "malformed";
    report.problem = `${broken.length} listed images are broken (each listed below; runs skip ` +
      `their samples with a warning and count them in the record)`;
  }
  const glove = [`${root}/glove/glove.840B.300d.txt`, `${root}/glove.840B.300d.txt`];
  const hasGlove = (await Promise.all(glove.map(pathExists))).some((x) => x);
  report.notes = [
    ...broken,
    hasGlove
      ? "GloVe vectors found at the default place"
      : `GloVe vectors not at ${glove[0]} (needed to train; --set data.glove=PATH if elsewhere)`,
  ];
  return report;
}

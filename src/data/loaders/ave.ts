/**
 * AVE (28 classes) as the official IBML code reads it (`dataset/AVdataset.py`, AVE
 * branch, = PMR's `AVEDataset.py`; research/datasets-backbones.md §2):
 *
 * ```
 * <root>/AVE/                 (also accepted: <root>/ave/, <root> itself)
 *   trainSet.txt valSet.txt testSet.txt   Category&VideoID&Quality&StartTime&EndTime, no header
 *   Audio-1004/<id>.npy       precomputed 257x1004 float spectrogram (`prepare ave` writes it)
 *   Audios/<id>.wav           used when the .npy is absent (computed and cached on load)
 *   Image-01-FPS/<id>/*.jpg   1-fps frames of the whole video
 * ```
 * Lines are split on `&` only (class names contain commas). Each split keeps the first
 * occurrence of a VideoID (the official "first occurrence wins"; 3,339 / 402 / 402 lines
 * -> 3,312 / 401 / 402 clips); the train/val/test overlap of the official files is kept.
 * Classes are indexed by first appearance in `testSet.txt`. Val selects the checkpoint.
 * Audio: 16 kHz, x10 tiled, 10 s, scipy-style PSD, log, per-clip standardisation, over the
 * full clip (not the event segment).
 *
 * @module
 */
import type { RunConfig } from "../../config/types.ts";
import type { Dataset } from "../types.ts";
import {
  type AvDescription,
  type AvEntry,
  checkAv,
  findDir,
  firstAppearance,
  loadAv,
  textLines,
} from "./av_common.ts";
import { DataMalformedError, DataMissingError, pathExists } from "./errors.ts";
import type { CheckReport, RealLoader } from "./types.ts";

const CANDIDATES = ["AVE", "ave", "."];
const FILES = { train: "trainSet.txt", val: "valSet.txt", test: "testSet.txt" } as const;
const CONTENTS = "trainSet.txt, valSet.txt, testSet.txt, Audio-1004/<id>.npy or " +
  "Audios/<id>.wav, and Image-01-FPS/<id>/*.jpg";
const HOW = "download AVE_Dataset.zip (https://github.com/YapengTian/AVE-ECCV18) and run " +
  "`deno run -A main.ts prepare ave --from <unzipped AVE_Dataset> --to <data-root>`";
const HEADER = "Category&VideoID&Quality&StartTime&EndTime";

/** One annotation row. */
export interface AveRow {
  /** Class name. */
  category: string;
  /** YouTube video id. */
  id: string;
}

/**
 * Parses an AVE split file (`&`-separated; a header line is skipped).
 *
 * @example
 * ```ts
 * parseAveList("Church bell&RUhOCu3LNXM&good&0&10\n", "t.txt"); // [{ category: "Church bell", id: "RUhOCu3LNXM" }]
 * ```
 */
export function parseAveList(text: string, file: string): AveRow[] {
  const rows: AveRow[] = [];
  textLines(text).forEach((line, i) => {
    if (line.trim() === HEADER) return;
    const parts = line.split("&");
    if (parts.length < 2 || !parts[0] || !parts[1]) {
      throw new DataMalformedError({
        what: "ave",
        file: `${file}:${i + 1}`,
        problem: `expected 'Category&VideoID&Quality&Start&End', got '${line}'`,
      });
    }
    rows.push({ category: parts[0], id: parts[1].trim() });
  });
  return rows;
}

/**
 * The official per-split de-duplication: the first row of each VideoID wins.
 *
 * @example
 * ```ts
 * dedupFirst([{ category: "a", id: "x" }, { category: "b", id: "x" }]).length; // 1
 * ```
 */
export function dedupFirst(rows: AveRow[]): AveRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
}

/**
 * Reads the AVE folder under `root`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeAve } from "./ave.ts";
 * // Only the split lists are read here (category&id&quality&start&end per line).
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/AVE`);
 * const line = (cat: string, id: string) => `${cat}&${id}&good&0&10\n`;
 * await Deno.writeTextFile(`${root}/AVE/trainSet.txt`, line("Church bell", "a1") + line("Dog", "a2") + line("Dog", "a2"));
 * await Deno.writeTextFile(`${root}/AVE/valSet.txt`, line("Dog", "v1"));
 * await Deno.writeTextFile(`${root}/AVE/testSet.txt`, line("Dog", "t1") + line("Church bell", "t2"));
 * const d = await describeAve(root);
 * assert.deepEqual(d.splits.map((s) => s.entries.length), [2, 1, 2]); // [3312, 401, 402] with the official files
 * assert.deepEqual([d.classNames, d.facts?.duplicates_train], [["Dog", "Church bell"], 1]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function describeAve(root: string): Promise<AvDescription> {
  const dir = await findDir(root, CANDIDATES, Object.values(FILES));
  if (!dir) {
    throw new DataMissingError({
      what: "AVE",
      folder: `${root}/${CANDIDATES[0]}`,
      missing: `${root}/${CANDIDATES[0]}/${FILES.train}`,
      contents: CONTENTS,
      how: HOW,
    });
  }
  const raw: Record<string, AveRow[]> = {};
  for (const [split, file] of Object.entries(FILES)) {
    raw[split] = parseAveList(await Deno.readTextFile(`${dir}/${file}`), `${dir}/${file}`);
  }
  const classNames = firstAppearance(raw.test.map((r) => r.category));
  const index = new Map(classNames.map((c, i) => [c, i]));
  const facts: Record<string, number | string> = {};
  const splits = [];
  for (const split of ["train", "val", "test"] as const) {
    const rows = dedupFirst(raw[split]);
    facts[`duplicates_${split}`] = raw[split].length - rows.length;
    const entries: AvEntry[] = [];
    for (const r of rows) {
      const label = index.get(r.category);
      if (label === undefined) {
        throw new DataMalformedError({
          what: "ave",
          file: `${dir}/${FILES[split]}`,
          problem: `class '${r.category}' of ${r.id} does not occur in ${FILES.test}`,
        });
      }
      const npy = `${dir}/Audio-1004/${r.id}.npy`;
      const audio = (await pathExists(npy)) ? npy : `${dir}/Audios/${r.id}.wav`;
      entries.push({ id: r.id, label, audio, frameDir: `${dir}/Image-01-FPS/${r.id}` });
    }
    splits.push({ name: split, entries });
  }
  return { folder: dir, classNames, splits, facts };
}

/**
 * Loads AVE for a run.
 *
 * @example
 * ```ts ignore
 * // not run: needs the AVE folder (audio and video frames) and caches it
 * const ds = await loadAve(cfg, "results/cache/ave");
 * ```
 */
export async function loadAve(cfg: RunConfig, cacheDir: string): Promise<Dataset> {
  return loadAv("ave", await describeAve(String(cfg.data.root)), cfg, cacheDir, "ave");
}

/**
 * `datasets check` for AVE.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkAve } from "./ave.ts";
 * const root = await Deno.makeTempDir(); // no AVE here
 * const report = await checkAve(root);
 * assert.equal(report.status, "missing"); // with the official files: counts { train: 3312, val: 401, test: 402 }
 * await Deno.remove(root);
 * ```
 */
export function checkAve(root: string): Promise<CheckReport> {
  return checkAv("ave", `${root}/${CANDIDATES[0]}`, () => describeAve(root));
}

/** The AVE loader. */
export const aveLoader: RealLoader = { load: loadAve, check: checkAve };

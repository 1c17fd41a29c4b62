/**
 * AVSBench S4 (single-source, 23 classes) as the official IBML code reads it
 * (`dataset/AVdataset.py`, avsbench branch; research/datasets-backbones.md §3):
 *
 * ```
 * <root>/avsbench/    (also: AVSBench/, .../Single-source/, AVSBench_object/Single-source/, <root>)
 *   s4_meta_data.csv         header row; columns: name, start, category, split
 *   s4_data/audio_wav/{train,val,test}/<category>/<name>.wav         16 kHz
 *   s4_data/visual_frames/{train,val,test}/<category>/<name>/*.png   5 frames, 224x224
 * ```
 * As in the official code the CSV only supplies the class names (indexed by first
 * appearance in its category column); the samples of a split are the WAVs listed in
 * `audio_wav/<split>/<category>/` (name order here), 3,452 / 740 / 740. Val selects the
 * checkpoint. Audio: the CREMA-D recipe (22.05 kHz, first 3 s, 257x188); frames: the
 * segment pick over 5 files (seg = 1: train takes listing[0..2], test listing[-1, 0, 1]).
 *
 * @module
 */
import { parse } from "csv-parse/sync";
import type { RunConfig } from "../../config/types.ts";
import type { Dataset } from "../types.ts";
import { byName } from "../frames.ts";
import {
  type AvDescription,
  type AvEntry,
  checkAv,
  findDir,
  firstAppearance,
  loadAv,
} from "./av_common.ts";
import { DataMalformedError, DataMissingError, pathExists } from "./errors.ts";
import type { CheckReport, RealLoader } from "./types.ts";

const CANDIDATES = [
  "avsbench",
  "AVSBench",
  "avsbench/Single-source",
  "AVSBench/Single-source",
  "Single-source",
  "AVSBench_object/Single-source",
  "AVSBench/AVSBench_object/Single-source",
  ".",
];
const CSV = "s4_meta_data.csv";
const CONTENTS = "s4_meta_data.csv and s4_data/{audio_wav,visual_frames}/{train,val,test}/" +
  "<category>/...";
const HOW = "request AVSBench at https://github.com/OpenNLPLab/AVSBench (or use IBML's " +
  "avsbench.tar.gz from ModelScope yangsss/IBML_data) and unpack it into <data-root>/avsbench/";

/**
 * Class names by first appearance in the CSV's category column (column 3).
 *
 * @example
 * ```ts
 * s4Classes("name,start,category,split\nv1,0,dog_barking,train\nv2,0,cat_meowing,test\n", "m.csv");
 * // ["dog_barking", "cat_meowing"]
 * ```
 */
export function s4Classes(text: string, file: string): string[] {
  let rows: string[][];
  try {
    rows = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true });
  } catch (e) {
    throw new DataMalformedError({ what: "avsbench", file, problem: (e as Error).message });
  }
  const body = rows.slice(1);
  const bad = body.findIndex((r) => r.length < 4 || !r[2]);
  if (bad >= 0) {
    throw new DataMalformedError({
      what: "avsbench",
      file: `${file}:${bad + 2}`,
      problem: "expected at least 4 columns (name, start, category, split)",
    });
  }
  return firstAppearance(body.map((r) => r[2]));
}

async function wavNames(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.toLowerCase().endsWith(".wav")) out.push(e.name.slice(0, -4));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort(byName);
}

/**
 * Reads the AVSBench S4 folder under `root`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeAvsbench } from "./avsbench.ts";
 * import { DataMissingError } from "./errors.ts";
 * // With the official folder: d.splits.map((s) => s.entries.length) is [3452, 740, 740].
 * const root = await Deno.makeTempDir(); // no AVSBench here
 * await assert.rejects(describeAvsbench(root), DataMissingError);
 * await Deno.remove(root);
 * ```
 */
export async function describeAvsbench(root: string): Promise<AvDescription> {
  const dir = await findDir(root, CANDIDATES, [CSV]);
  if (!dir) {
    throw new DataMissingError({
      what: "AVSBench S4",
      folder: `${root}/${CANDIDATES[0]}`,
      missing: `${root}/${CANDIDATES[0]}/${CSV}`,
      contents: CONTENTS,
      how: HOW,
    });
  }
  const data = `${dir}/s4_data`;
  if (!(await pathExists(`${data}/audio_wav`))) {
    throw new DataMissingError({
      what: "AVSBench S4",
      folder: dir,
      missing: `${data}/audio_wav`,
      contents: CONTENTS,
      how: HOW,
    });
  }
  const classNames = s4Classes(await Deno.readTextFile(`${dir}/${CSV}`), `${dir}/${CSV}`);
  const splits = [];
  for (const split of ["train", "val", "test"]) {
    const entries: AvEntry[] = [];
    for (const [label, cls] of classNames.entries()) {
      for (const name of await wavNames(`${data}/audio_wav/${split}/${cls}`)) {
        entries.push({
          id: `${cls}/${name}`,
          label,
          audio: `${data}/audio_wav/${split}/${cls}/${name}.wav`,
          frameDir: `${data}/visual_frames/${split}/${cls}/${name}`,
        });
      }
    }
    splits.push({ name: split, entries });
  }
  return { folder: dir, classNames, splits };
}

/**
 * Loads AVSBench S4 for a run.
 *
 * @example
 * ```ts ignore
 * // not run: needs the AVSBench S4 folder (audio and video frames) and caches it
 * const ds = await loadAvsbench(cfg, "results/cache/avsbench");
 * ```
 */
export async function loadAvsbench(cfg: RunConfig, cacheDir: string): Promise<Dataset> {
  return loadAv("avsbench", await describeAvsbench(String(cfg.data.root)), cfg, cacheDir, "stft");
}

/**
 * `datasets check` for AVSBench S4.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkAvsbench } from "./avsbench.ts";
 * const root = await Deno.makeTempDir(); // no AVSBench here
 * const report = await checkAvsbench(root);
 * assert.equal(report.status, "missing"); // with the official files: counts { train: 3452, val: 740, test: 740 }
 * await Deno.remove(root);
 * ```
 */
export function checkAvsbench(root: string): Promise<CheckReport> {
  return checkAv("avsbench", `${root}/${CANDIDATES[0]}`, () => describeAvsbench(root));
}

/** The AVSBench S4 loader. */
export const avsbenchLoader: RealLoader = { load: loadAvsbench, check: checkAvsbench };

/**
 * CREMA-D as the official IBML code reads it (`dataset/AVdataset.py`, CREMAD branch;
 * research/datasets-backbones.md §1):
 *
 * ```
 * <root>/CREMA-D/            (also accepted: <root>/CREMAD/, <root>/crema-d/, <root> itself)
 *   train.csv, test.csv      `clip,LABEL` lines, CRLF, no header (IBML data_process/CREMAD/)
 *   AudioWAV/<clip>.wav      16 kHz WAVs from the CREMA-D release
 *   Image-01-FPS/<clip>/*.jpg  1-fps frames (`main.ts prepare crema-d` makes them)
 * ```
 * The media folders may also sit one level down in `CREMA-D/` (IBML's
 * `./data/CREMAD/CREMA-D/`). Labels are indexed by first appearance in `test.csv`
 * (NEU, SAD, DIS, HAP, FEA, ANG with the official files). 6,698 / 744 clips listed; a
 * clip without WAV or frames is skipped, as the official loader does. No validation split
 * (model selection on test, as the official script). Audio: 22.05 kHz log-STFT 257x188;
 * video: 3 frames by the segment pick.
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

const CANDIDATES = ["CREMA-D", "CREMAD", "crema-d", "."];
const CONTENTS =
  "train.csv and test.csv (clip,LABEL), AudioWAV/<clip>.wav and Image-01-FPS/<clip>/*.jpg";
const HOW = "get CREMA-D from https://github.com/CheyneyComputerScience/CREMA-D and the split " +
  "files from IBML's data_process.zip (data_process/CREMAD/), then run " +
  "`deno run -A main.ts prepare crema-d --from <CREMA-D checkout> --to <data-root>`";

function parseCsv(text: string, file: string): { clip: string; label: string }[] {
  return textLines(text).map((line, i) => {
    const parts = line.split(",").map((p) => p.trim());
    if (parts.length < 2 || !parts[0] || !parts[1]) {
      throw new DataMalformedError({
        what: "crema-d",
        file: `${file}:${i + 1}`,
        problem: `expected 'clip,LABEL', got '${line}'`,
      });
    }
    return { clip: parts[0], label: parts[1] };
  });
}

/**
 * Reads the CREMA-D folder under `root`: class order and the clips of each split.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeCremaD } from "./crema_d.ts";
 * // Only the split files are read here; the clips' WAVs and frames are listed later.
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/CREMA-D`);
 * await Deno.writeTextFile(`${root}/CREMA-D/train.csv`, "1001_DFA_ANG_XX,ANG\n1001_DFA_HAP_XX,HAP\n");
 * await Deno.writeTextFile(`${root}/CREMA-D/test.csv`, "1002_DFA_HAP_XX,HAP\n1002_DFA_ANG_XX,ANG\n");
 * const d = await describeCremaD(root);
 * assert.deepEqual(d.classNames, ["HAP", "ANG"]); // first appearance in test.csv
 * assert.equal(d.splits[0].entries.length, 2); // 6698 with the official files
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function describeCremaD(root: string): Promise<AvDescription> {
  const dir = await findDir(root, CANDIDATES, ["train.csv", "test.csv"]);
  if (!dir) {
    throw new DataMissingError({
      what: "CREMA-D",
      folder: `${root}/${CANDIDATES[0]}`,
      missing: `${root}/${CANDIDATES[0]}/train.csv`,
      contents: CONTENTS,
      how: HOW,
    });
  }
  const media = (await pathExists(`${dir}/AudioWAV`)) || !(await pathExists(`${dir}/CREMA-D`))
    ? dir
    : `${dir}/CREMA-D`;
  const train = parseCsv(await Deno.readTextFile(`${dir}/train.csv`), `${dir}/train.csv`);
  const test = parseCsv(await Deno.readTextFile(`${dir}/test.csv`), `${dir}/test.csv`);
  const classNames = firstAppearance(test.map((r) => r.label));
  const index = new Map(classNames.map((c, i) => [c, i]));
  const entries = (rows: { clip: string; label: string }[], file: string): AvEntry[] =>
    rows.map((r) => {
      const label = index.get(r.label);
      if (label === undefined) {
        throw new DataMalformedError({
          what: "crema-d",
          file: `${dir}/${file}`,
          problem: `label '${r.label}' of ${r.clip} does not occur in test.csv`,
        });
      }
      return {
        id: r.clip,
        label,
        audio: `${media}/AudioWAV/${r.clip}.wav`,
        frameDir: `${media}/Image-01-FPS/${r.clip}`,
      };
    });
  return {
    folder: dir,
    classNames,
    splits: [
      { name: "train", entries: entries(train, "train.csv") },
      { name: "test", entries: entries(test, "test.csv") },
    ],
  };
}

/**
 * Loads CREMA-D for a run (`cfg.data.root` is the data root).
 *
 * @example
 * ```ts ignore
 * // not run: needs the CREMA-D folder (WAV files and video frames) and caches it
 * const ds = await loadCremaD(cfg, "results/cache/crema-d");
 * ```
 */
export async function loadCremaD(cfg: RunConfig, cacheDir: string): Promise<Dataset> {
  return loadAv("crema-d", await describeCremaD(String(cfg.data.root)), cfg, cacheDir, "stft");
}

/**
 * `datasets check` for CREMA-D.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkCremaD } from "./crema_d.ts";
 * const root = await Deno.makeTempDir(); // no CREMA-D here
 * const report = await checkCremaD(root);
 * assert.equal(report.status, "missing"); // with the official files: "found", counts { train: 6697, test: 744 }
 * await Deno.remove(root);
 * ```
 */
export function checkCremaD(root: string): Promise<CheckReport> {
  return checkAv("crema-d", `${root}/${CANDIDATES[0]}`, () => describeCremaD(root));
}

/** The CREMA-D loader. */
export const cremaDLoader: RealLoader = { load: loadCremaD, check: checkCremaD };

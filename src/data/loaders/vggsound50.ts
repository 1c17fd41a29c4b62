/**
 * VGGSound50 as the official IBML code reads it (`dataset/AVdataset.py`, VGGSound50
 * branch; research/datasets-backbones.md §4), in the layout of IBML's ModelScope archive
 * (`yangsss/IBML_data` -> `VGGSound50/`):
 *
 * ```
 * <root>/VGGSound50/         (also accepted: <root>/vggsound50/, <root> itself)
 *   train.txt, test.txt      `<name>.mp4,<label>` per line
 *   audios/<name>.wav
 *   Image-01-FPS/<name>/*.jpg
 * ```
 * Classes are indexed by first appearance in `train.txt`; test rows whose label is not
 * among them are dropped (as the official loader does). No validation split (selection
 * on test). Labels are trimmed, so a last line without a newline does not make a 51st
 * class (the official `split(',')` keeps the `\n`, see the notes' pitfall). Audio: the
 * CREMA-D recipe on the first 3 s (257x188); frames: the segment pick.
 *
 * The 50 classes exist only in that archive. `main.ts prepare vggsound50 --list
 * vggsound.csv --classes FILE` builds a same-layout folder from the original VGGSound list
 * and the user's videos; it writes `NOT_THE_PAPER_SUBSET.txt`, and a run on it records
 * `subset: not the paper's subset` in its facts.
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

const CANDIDATES = ["VGGSound50", "vggsound50", "."];
const CONTENTS = "train.txt and test.txt (<name>.mp4,<label>), audios/<name>.wav and " +
  "Image-01-FPS/<name>/*.jpg";
const HOW = "download VGGSound50/ from ModelScope yangsss/IBML_data (the paper's subset), or " +
  "build a substitute with `deno run -A main.ts prepare vggsound50 --from <videos> --to " +
  "<data-root> --list vggsound.csv --classes <50 names>`";
/** Marker file of a folder built from the original VGGSound list. */
export const NOT_PAPER_MARKER = "NOT_THE_PAPER_SUBSET.txt";

/**
 * Parses a VGGSound50 list: `<name>.mp4,<label>` (label trimmed; extra fields ignored).
 *
 * @example
 * ```ts
 * parseVggList("a.mp4,dog barking\nb.mp4,cat", "t.txt"); // [{ name: "a", label: "dog barking" }, { name: "b", label: "cat" }]
 * ```
 */
export function parseVggList(text: string, file: string): { name: string; label: string }[] {
  return textLines(text).map((line, i) => {
    const parts = line.split(",");
    const label = (parts[1] ?? "").trim();
    if (!parts[0] || !label) {
      throw new DataMalformedError({
        what: "vggsound50",
        file: `${file}:${i + 1}`,
        problem: `expected '<name>.mp4,<label>', got '${line}'`,
      });
    }
    return { name: parts[0].trim().replace(/\.mp4$/i, ""), label };
  });
}

/**
 * Reads the VGGSound50 folder under `root`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeVggsound50 } from "./vggsound50.ts";
 * // Only the split lists are read here (<name>.mp4,<label> per line).
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/VGGSound50`);
 * await Deno.writeTextFile(`${root}/VGGSound50/train.txt`, "a.mp4,dog barking\nb.mp4,cat\n");
 * await Deno.writeTextFile(`${root}/VGGSound50/test.txt`, "c.mp4,cat\nd.mp4,owl\n");
 * const d = await describeVggsound50(root);
 * assert.deepEqual(d.classNames, ["dog barking", "cat"]);
 * assert.deepEqual(d.splits[1].entries.map((e) => e.id), ["c"]); // "owl" is not a training class
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function describeVggsound50(root: string): Promise<AvDescription> {
  const dir = await findDir(root, CANDIDATES, ["train.txt", "test.txt"]);
  if (!dir) {
    throw new DataMissingError({
      what: "VGGSound50",
      folder: `${root}/${CANDIDATES[0]}`,
      missing: `${root}/${CANDIDATES[0]}/train.txt`,
      contents: CONTENTS,
      how: HOW,
    });
  }
  const train = parseVggList(await Deno.readTextFile(`${dir}/train.txt`), `${dir}/train.txt`);
  const test = parseVggList(await Deno.readTextFile(`${dir}/test.txt`), `${dir}/test.txt`);
  const classNames = firstAppearance(train.map((r) => r.label));
  const index = new Map(classNames.map((c, i) => [c, i]));
  const entries = (rows: { name: string; label: string }[]): AvEntry[] =>
    rows.filter((r) => index.has(r.label)).map((r) => ({
      id: r.name,
      label: index.get(r.label)!,
      audio: `${dir}/audios/${r.name}.wav`,
      frameDir: `${dir}/Image-01-FPS/${r.name}`,
    }));
  const facts: Record<string, number | string> = {};
  if (await pathExists(`${dir}/${NOT_PAPER_MARKER}`)) {
    facts.subset = "built from the VGGSound list: not the paper's subset";
  }
  const testEntries = entries(test);
  if (testEntries.length < test.length) {
    facts.test_rows_unknown_label = test.length - testEntries.length;
  }
  return {
    folder: dir,
    classNames,
    splits: [{ name: "train", entries: entries(train) }, { name: "test", entries: testEntries }],
    facts,
  };
}

/**
 * Loads VGGSound50 for a run.
 *
 * @example
 * ```ts ignore
 * // not run: needs the VGGSound50 folder (audio and video frames) and caches it
 * const ds = await loadVggsound50(cfg, "results/cache/vggsound50");
 * ```
 */
export async function loadVggsound50(cfg: RunConfig, cacheDir: string): Promise<Dataset> {
  const desc = await describeVggsound50(String(cfg.data.root));
  if (desc.facts?.subset) console.error(`[vggsound50] warning: ${desc.facts.subset}`);
  return loadAv("vggsound50", desc, cfg, cacheDir, "stft");
}

/**
 * `datasets check` for VGGSound50.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkVggsound50 } from "./vggsound50.ts";
 * const root = await Deno.makeTempDir(); // no VGGSound50 here
 * const report = await checkVggsound50(root);
 * assert.equal(report.status, "missing"); // with the paper's subset: "found", 50 classes
 * await Deno.remove(root);
 * ```
 */
export async function checkVggsound50(root: string): Promise<CheckReport> {
  const report = await checkAv(
    "vggsound50",
    `${root}/${CANDIDATES[0]}`,
    () => describeVggsound50(root),
  );
  if (report.status === "found" && (await pathExists(`${report.folder}/${NOT_PAPER_MARKER}`))) {
    report.problem = report.problem ??
      "built from the original VGGSound list: not the paper's subset";
  }
  return report;
}

/** The VGGSound50 loader. */
export const vggsound50Loader: RealLoader = { load: loadVggsound50, check: checkVggsound50 };

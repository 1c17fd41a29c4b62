/**
 * What the four audio-visual loaders (CREMA-D, AVE, AVSBench S4, VGGSound50) share:
 * their `data.*` switches, folder lookup, the listing of clips' frames (skipping clips
 * without audio or frames, as the official loaders skip missing files), and assembling a
 * {@linkcode Dataset} from cached splits.
 *
 * Switches (`--set data.<key>=...`, paper profile; defaults in src/data/registry.ts):
 * - `frame_order`: `sorted` (default, the documented fix) or `unsorted` (directory order,
 *   the official `os.listdir`).
 * - `frame_size`: side of the cached and returned frames (default 224, as the official
 *   code; smaller values are for quick experiments and tests).
 * - `stft_pad`: `reflect` (default; librosa < 0.10, the OGM-GE-era environment) or
 *   `constant` (librosa >= 0.10); not used by AVE.
 *
 * @module
 */
import type { RunConfig } from "../../config/types.ts";
import { ConfigError } from "../../config/error.ts";
import { type AudioRecipe, type AvItem, cacheAudio, cacheFrames, type Log } from "../av_cache.ts";
import { AvSplit } from "../av_split.ts";
import { byName, type FrameOrder, listFrames } from "../frames.ts";
import { DATASET_SPECS, lazyOf } from "../specs.ts";
import type { Dataset } from "../types.ts";
import { DataMalformedError, DataMissingError, pathExists } from "./errors.ts";
import { mediaProblem } from "./media_check.ts";
import type { CheckReport } from "./types.ts";

/** Parsed AV switches. */
export interface AvOptions {
  /** Listing order of frame folders. */
  frameOrder: FrameOrder;
  /** Frame side in pixels. */
  frameSize: number;
  /** Audio recipe. */
  recipe: AudioRecipe;
}

/**
 * Reads and validates the AV switches of a run configuration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { avOptions } from "./av_common.ts";
 * import { resolveConfig } from "../../resolve/resolve_config.ts";
 * const cfg = resolveConfig({ method: "ibml", dataset: "crema-d", profile: "paper" });
 * const opts = avOptions(cfg, "stft");
 * assert.deepEqual(opts.recipe, { kind: "stft", padMode: "reflect" });
 * assert.equal(opts.frameOrder, "sorted");
 * ```
 */
export function avOptions(cfg: RunConfig, kind: "stft" | "ave"): AvOptions {
  const d = cfg.data;
  const order = String(d.frame_order ?? "sorted");
  if (order !== "sorted" && order !== "unsorted") {
    throw new ConfigError(`data.frame_order must be 'sorted' or 'unsorted', got '${order}'`);
  }
  const size = Number(d.frame_size ?? 224);
  if (!Number.isInteger(size) || size < 8 || size > 1024) {
    throw new ConfigError(`data.frame_size must be an integer in [8, 1024], got '${d.frame_size}'`);
  }
  const pad = String(d.stft_pad ?? "reflect");
  if (pad !== "reflect" && pad !== "constant") {
    throw new ConfigError(`data.stft_pad must be 'reflect' or 'constant', got '${pad}'`);
  }
  return { frameOrder: order, frameSize: size, recipe: { kind, padMode: pad } };
}

/**
 * The first of `candidates` (folders relative to `root`; "." is root itself) that holds
 * every file in `markers`, or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findDir } from "./av_common.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/CREMAD`);
 * await Deno.writeTextFile(`${root}/CREMAD/train.csv`, "");
 * assert.equal(await findDir(root, ["CREMA-D", "CREMAD", "."], ["train.csv"]), `${root}/CREMAD`);
 * assert.equal(await findDir(root, ["CREMA-D", "."], ["train.csv"]), null);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function findDir(
  root: string,
  candidates: string[],
  markers: string[],
): Promise<string | null> {
  for (const c of candidates) {
    const dir = c === "." ? root : `${root}/${c}`;
    let ok = true;
    for (const m of markers) {
      if (!(await pathExists(`${dir}/${m}`))) {
        ok = false;
        break;
      }
    }
    if (ok) return dir;
  }
  return null;
}

/** A clip before its frames are listed. */
export type AvEntry = Omit<AvItem, "frames">;

/** The clips of a split that have audio and at least one frame, and their listings. */
export interface ListedSplit {
  /** Usable clips (frames in name order). */
  items: AvItem[];
  /** Per clip, listing order as positions into its name-ordered frames. */
  listing: number[][];
  /** Ids skipped for a missing audio file or frame folder, or a broken file. */
  skipped: string[];
  /** The skipped clips whose files exist but are broken: clip id, file and what is wrong. */
  broken: { id: string; path: string; problem: string }[];
}

/**
 * Lists the frames of every clip; clips without their audio file or frames are skipped
 * (the official loaders add a clip only when both paths exist), and so are clips whose
 * audio file or a frame fails its header check ({@linkcode mediaProblem}: empty or
 * garbage files), listed in `broken`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listSplit } from "./av_common.ts";
 * // Clip "a" has audio and two frames; clip "b" has no audio file. Only headers are checked.
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/a`);
 * for (const n of ["00001.jpg", "00000.jpg"]) await Deno.writeFile(`${dir}/a/${n}`, Uint8Array.of(0xff, 0xd8, 0xff));
 * await Deno.writeFile(`${dir}/a.npy`, Uint8Array.of(1));
 * const entries = [
 *   { id: "a", label: 0, audio: `${dir}/a.npy`, frameDir: `${dir}/a` },
 *   { id: "b", label: 1, audio: `${dir}/b.npy`, frameDir: `${dir}/a` },
 * ];
 * const { items, skipped } = await listSplit(entries, "sorted");
 * assert.deepEqual(items.map((it) => [it.id, it.frames]), [["a", ["00000.jpg", "00001.jpg"]]]);
 * assert.deepEqual(skipped, ["b"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function listSplit(entries: AvEntry[], order: FrameOrder): Promise<ListedSplit> {
  const results = new Array<{ names: string[] } | { path: string; problem: string } | null>(
    entries.length,
  );
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const i = next++;
      const e = entries[i];
      if (!(await pathExists(e.audio))) {
        results[i] = null;
        continue;
      }
      try {
        const names = await listFrames(e.frameDir, "unsorted");
        results[i] = names.length > 0 ? { names } : null;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) results[i] = null;
        else throw err;
      }
      const listed = results[i];
      if (listed && "names" in listed) {
        for (const path of [e.audio, ...listed.names.map((n) => `${e.frameDir}/${n}`)]) {
          const problem = await mediaProblem(path);
          if (problem) {
            results[i] = { path, problem };
            break;
          }
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const items: AvItem[] = [], listing: number[][] = [], skipped: string[] = [];
  const broken: ListedSplit["broken"] = [];
  entries.forEach((e, i) => {
    const r = results[i];
    if (!r || !("names" in r)) {
      skipped.push(e.id);
      if (r) broken.push({ id: e.id, ...r });
      return;
    }
    const sorted = [...r.names].sort(byName);
    items.push({ ...e, frames: sorted });
    const pos = new Map(sorted.map((n, k) => [n, k]));
    listing.push(order === "sorted" ? sorted.map((_, k) => k) : r.names.map((n) => pos.get(n)!));
  });
  return { items, listing, skipped, broken };
}

/** One split to assemble. */
export interface SplitEntries {
  /** Split name (train, val, test). */
  name: string;
  /** Its clips in file order. */
  entries: AvEntry[];
}

/** Inputs of {@linkcode buildAvDataset}. */
export interface AvDatasetInput {
  /** Registry name. */
  name: string;
  /** Class names by index. */
  classNames: string[];
  /** train, test and (optionally) val. */
  splits: SplitEntries[];
  /** Parsed switches. */
  opts: AvOptions;
  /** Cache folder. */
  cacheDir: string;
  /** Extra facts for the run record. */
  facts?: Record<string, number | string>;
  /** Progress lines (default: stderr). */
  log?: Log;
}

/**
 * Lists, caches and opens every split of an audio-visual dataset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import sharp from "sharp";
 * import { buildAvDataset } from "./av_common.ts";
 * import { encodeNpy } from "../numpy/npy_write.ts";
 * await tf.setBackend("cpu");
 * // One clip per split: a precomputed 257x188 spectrogram (.npy) and one 4x4 PNG frame.
 * const dir = await Deno.makeTempDir();
 * const clip = async (id: string) => {
 *   const spec = new Float32Array(257 * 188);
 *   await Deno.writeFile(`${dir}/${id}.npy`, encodeNpy({ dtype: "float32", shape: [257, 188], data: spec }));
 *   await Deno.mkdir(`${dir}/${id}`);
 *   const px = new Uint8Array(4 * 4 * 3).fill(100);
 *   await sharp(px, { raw: { width: 4, height: 4, channels: 3 } }).png().toFile(`${dir}/${id}/00000.png`);
 *   return { id, label: 0, audio: `${dir}/${id}.npy`, frameDir: `${dir}/${id}` };
 * };
 * const splits = [{ name: "train", entries: [await clip("a")] }, { name: "test", entries: [await clip("b")] }];
 * const opts = { frameOrder: "sorted" as const, frameSize: 8, recipe: { kind: "stft" as const, padMode: "reflect" as const } };
 * const ds = await buildAvDataset({
 *   name: "crema-d",
 *   classNames: ["ANG"],
 *   splits,
 *   opts,
 *   cacheDir: `${dir}/cache`,
 *   log: () => {},
 * });
 * assert.deepEqual(ds.info.inputShapes, { audio: [257, 188, 1], visual: [3, 8, 8, 3] });
 * ds.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function buildAvDataset(input: AvDatasetInput): Promise<Dataset> {
  const log = input.log ?? ((m: string) => console.error(`[${input.name}] ${m}`));
  const spec = DATASET_SPECS[input.name];
  const opened: Record<string, AvSplit> = {};
  const facts: Record<string, number | string> = { ...input.facts };
  try {
    for (const s of input.splits) {
      const listed = await listSplit(s.entries, input.opts.frameOrder);
      if (listed.skipped.length > 0) {
        log(
          `${s.name}: skipped ${listed.skipped.length} of ${s.entries.length} clips without audio or frames, or with a broken file (first: ${
            listed.skipped[0]
          })`,
        );
        facts[`skipped_${s.name}`] = listed.skipped.length;
      }
      if (listed.broken.length > 0) {
        const b = listed.broken[0];
        log(
          `warning: ${s.name}: ${listed.broken.length} clips skipped for a broken file (first: ${b.path}: ${b.problem}); "datasets check" lists them all`,
        );
        facts[`broken_${s.name}`] = listed.broken.length;
      }
      if (listed.items.length === 0) {
        throw new ConfigError(
          `${input.name}: the ${s.name} split has no clip with both audio and frames`,
        );
      }
      const dir = input.cacheDir;
      const audio = await cacheAudio(listed.items, dir, s.name, input.opts.recipe, log);
      const frames = await cacheFrames(listed.items, dir, s.name, input.opts.frameSize, log);
      opened[s.name] = new AvSplit({
        labels: Int32Array.from(listed.items, (it) => it.label),
        audio,
        frames,
        listing: listed.listing,
      });
    }
  } catch (e) {
    for (const s of Object.values(opened)) s.close();
    throw e;
  }
  const train = opened.train, test = opened.test;
  if (input.classNames.length !== spec.numClasses) {
    log(`note: ${input.classNames.length} classes found (the paper's set has ${spec.numClasses})`);
  }
  return {
    info: {
      name: input.name,
      modalities: [...spec.modalities],
      strong: spec.strong,
      lazy: lazyOf(spec),
      numClasses: input.classNames.length,
      hasVal: opened.val !== undefined,
      inputShapes: train.shapes,
      kind: "real",
      classNames: input.classNames,
    },
    train,
    test,
    val: opened.val,
    facts: {
      ...facts,
      frame_order: input.opts.frameOrder,
      frame_size: input.opts.frameSize,
      ...(input.opts.recipe.kind === "stft" ? { stft_pad: input.opts.recipe.padMode } : {}),
    },
    dispose() {
      for (const s of Object.values(opened)) s.close();
    },
  };
}

/**
 * Class names by first appearance in `labels`.
 *
 * @example
 * ```ts
 * firstAppearance(["b", "a", "b", "c"]); // ["b", "a", "c"]
 * ```
 */
export function firstAppearance(labels: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const l of labels) {
    if (!seen.has(l)) {
      seen.add(l);
      out.push(l);
    }
  }
  return out;
}

/** What a loader reads from its folder before any media is touched. */
export interface AvDescription {
  /** The dataset folder found. */
  folder: string;
  /** Class names by index. */
  classNames: string[];
  /** The splits, in order train, (val,) test. */
  splits: SplitEntries[];
  /** Facts to record (e.g. duplicates removed). */
  facts?: Record<string, number | string>;
}

/**
 * Loads an AV dataset from its description (the common body of the four `load()`s).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import sharp from "sharp";
 * import { loadAv } from "./av_common.ts";
 * import { encodeNpy } from "../numpy/npy_write.ts";
 * import { resolveConfig } from "../../resolve/resolve_config.ts";
 * await tf.setBackend("cpu");
 * // A described folder of one clip per split: a 257x188 spectrogram (.npy) and one PNG frame.
 * const dir = await Deno.makeTempDir();
 * const clip = async (id: string) => {
 *   const spec = new Float32Array(257 * 188);
 *   await Deno.writeFile(`${dir}/${id}.npy`, encodeNpy({ dtype: "float32", shape: [257, 188], data: spec }));
 *   await Deno.mkdir(`${dir}/${id}`);
 *   const px = new Uint8Array(4 * 4 * 3).fill(100);
 *   await sharp(px, { raw: { width: 4, height: 4, channels: 3 } }).png().toFile(`${dir}/${id}/00000.png`);
 *   return { id, label: 0, audio: `${dir}/${id}.npy`, frameDir: `${dir}/${id}` };
 * };
 * const desc = {
 *   folder: dir,
 *   classNames: ["ANG"],
 *   splits: [{ name: "train", entries: [await clip("a")] }, { name: "test", entries: [await clip("b")] }],
 * };
 * const cfg = resolveConfig({ method: "ibml", dataset: "crema-d", profile: "paper", sets: ["data.frame_size=8"] });
 * const ds = await loadAv("crema-d", desc, cfg, `${dir}/cache`, "stft");
 * assert.deepEqual([ds.info.kind, ds.train.size, ds.test.size], ["real", 1, 1]);
 * ds.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function loadAv(
  name: string,
  desc: AvDescription,
  cfg: RunConfig,
  cacheDir: string,
  kind: "stft" | "ave",
): Promise<Dataset> {
  return buildAvDataset({
    name,
    classNames: desc.classNames,
    splits: desc.splits,
    opts: avOptions(cfg, kind),
    cacheDir,
    facts: desc.facts,
  });
}

/**
 * `datasets check` for an AV dataset: describes the folder, lists every clip's audio and
 * frames, and reports usable counts per split and the first problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkAv } from "./av_common.ts";
 * import { DataMissingError } from "./errors.ts";
 * const describe = () =>
 *   Promise.reject(new DataMissingError({ what: "CREMA-D", folder: "data/CREMA-D", contents: "train.csv", how: "..." }));
 * const report = await checkAv("crema-d", "data/CREMA-D", describe);
 * assert.deepEqual([report.status, report.folder], ["missing", "data/CREMA-D"]);
 * ```
 */
export async function checkAv(
  name: string,
  folder: string,
  describe: () => Promise<AvDescription>,
): Promise<CheckReport> {
  let desc: AvDescription;
  try {
    desc = await describe();
  } catch (e) {
    if (e instanceof DataMissingError) {
      return { dataset: name, status: "missing", folder: e.detail.folder, problem: e.message };
    }
    if (e instanceof DataMalformedError) {
      return { dataset: name, status: "malformed", folder, problem: e.message };
    }
    throw e;
  }
  const counts: Record<string, number> = {};
  let problem: string | undefined;
  const notes: string[] = [];
  for (const s of desc.splits) {
    const listed = await listSplit(s.entries, "sorted");
    counts[s.name] = listed.items.length;
    for (const b of listed.broken) notes.push(`${s.name}: broken file ${b.path}: ${b.problem}`);
    if (listed.broken.length > 0 && problem === undefined) {
      problem =
        `${s.name}: ${listed.broken.length} listed clips have a broken audio or frame file ` +
        `(each listed below; runs skip them with a warning and count them in the record)`;
    }
    const missing = listed.skipped.length - listed.broken.length;
    if (missing > 0 && problem === undefined) {
      const brokenIds = new Set(listed.broken.map((b) => b.id));
      const id = listed.skipped.find((x) => !brokenIds.has(x))!;
      const e = s.entries.find((x) => x.id === id)!;
      const what = (await pathExists(e.audio))
        ? `no frames in ${e.frameDir}`
        : `no audio ${e.audio}`;
      problem = `${s.name}: ${missing} of ${s.entries.length} listed clips ` +
        `are skipped (no audio or no frames); first: ${id} (${what})`;
    }
  }
  const empty = Object.entries(counts).find(([, n]) => n === 0);
  return {
    dataset: name,
    status: empty || notes.length > 0 ? "malformed" : "found",
    folder: desc.folder,
    counts,
    classes: desc.classNames.length,
    ...(problem ? { problem } : {}),
    ...(notes.length ? { notes } : {}),
  };
}

/**
 * Splits a text file into non-empty lines (LF or CRLF).
 *
 * @example
 * ```ts
 * textLines("a,B\r\nc,D\r\n"); // ["a,B", "c,D"]
 * ```
 */
export function textLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== "");
}

/**
 * On-disk caches of the audio-visual loaders: the slow work (WAV decode, resampling,
 * STFT; JPEG/PNG decode and resize) runs once per split in `load()` and is stored under
 * the cache folder; `batch()` then reads rows synchronously at file offsets.
 *
 * Per split and modality, two files:
 * - `<split>-audio.f32`: one float32 spectrogram per clip (`rows * cols` values, freq-major),
 *   in item order; `<split>-audio.json`: `{version, key, rows, cols, ids}`.
 * - `<split>-frames.u8`: every frame of every clip, resized to `size x size` RGB (uint8 HWC),
 *   clips in item order and frames in name order; `<split>-frames.json`:
 *   `{version, key, size, ids, start, count, names, sources}` (first frame, frame count,
 *   frame names and the original `[width, height]` of every frame).
 *
 * `key` is a SHA-256 over the settings and the source files (paths, sizes, mtimes), so a
 * changed folder or setting rebuilds the cache. Files are written to a temporary name and
 * renamed, the JSON index last: an index whose key matches means a complete cache.
 *
 * @module
 */
import { type Audio, avAudioFeature, aveAudioFeature, readWav, type StftPadMode } from "./audio.ts";
import { decodeImage, resizeImage } from "./image.ts";
import { byName } from "./frames.ts";
import { parseNpy, toFloat32 } from "./numpy/mod.ts";

/** Bump when the cache format or a computation changes. */
export const AV_CACHE_VERSION = 1;

/** One clip of an audio-visual split. */
export interface AvItem {
  /** Clip id (file stem). */
  id: string;
  /** Class index. */
  label: number;
  /** Audio source: a WAV file, or a precomputed float `.npy` spectrogram. */
  audio: string;
  /** Folder of the clip's frames. */
  frameDir: string;
  /** Frame file names in name order (filled by the loader's listing). */
  frames: string[];
}

/** Which audio front end a dataset uses. */
export interface AudioRecipe {
  /** `stft`: 22.05 kHz log-STFT 257x188; `ave`: 16 kHz scipy PSD 257x1004. */
  kind: "stft" | "ave";
  /** Centre padding of the STFT recipe. */
  padMode: StftPadMode;
}

/** The index of an audio cache. */
export interface AudioIndex {
  version: number;
  key: string;
  rows: number;
  cols: number;
  ids: string[];
}

/** The index of a frame cache. */
export interface FrameIndex {
  version: number;
  key: string;
  size: number;
  ids: string[];
  start: number[];
  count: number[];
  names: string[][];
  sources: [number, number][];
}

/** A progress callback (one line per message). */
export type Log = (message: string) => void;

async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function fileSig(path: string): Promise<string> {
  const s = await Deno.stat(path);
  return `${path}|${s.size}|${s.mtime?.getTime() ?? 0}`;
}

async function mapLimit<T, R>(xs: T[], limit: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(xs.length);
  let next = 0;
  const worker = async () => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await f(xs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, xs.length) }, worker));
  return out;
}

async function readIndex<T extends { key: string; version: number }>(
  path: string,
  key: string,
): Promise<T | null> {
  try {
    const idx = JSON.parse(await Deno.readTextFile(path)) as T;
    return idx.version === AV_CACHE_VERSION && idx.key === key ? idx : null;
  } catch {
    return null;
  }
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  if (typeof data === "string") await Deno.writeTextFile(tmp, data);
  else await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}

/** Streams chunks to a temporary file, renamed into place by `finish()`. */
class AtomicWriter {
  #file: Deno.FsFile;
  #tmp: string;
  constructor(readonly path: string) {
    this.#tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    this.#file = Deno.openSync(this.#tmp, { write: true, create: true, truncate: true });
  }
  async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.#file.write(bytes.subarray(off));
  }
  async finish(): Promise<void> {
    this.#file.close();
    await Deno.rename(this.#tmp, this.path);
  }
  abort(): void {
    try {
      this.#file.close();
    } catch { /* already closed */ }
    try {
      Deno.removeSync(this.#tmp);
    } catch { /* gone */ }
  }
}

async function loadAudioSource(path: string): Promise<Audio | Float32Array> {
  if (path.endsWith(".npy")) return toFloat32(parseNpy(await Deno.readFile(path), path), path);
  return await readWav(path);
}

/**
 * The spectrogram shape `[freq, time]` of a recipe.
 *
 * @example
 * ```ts
 * recipeShape({ kind: "ave", padMode: "reflect" }); // [257, 1004]
 * ```
 */
export function recipeShape(recipe: AudioRecipe): [number, number] {
  return recipe.kind === "ave" ? [257, 1004] : [257, 188];
}

/**
 * Builds (or reuses) the audio cache of one split and returns its index and data path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheAudio } from "./av_cache.ts";
 * import { encodeNpy } from "./numpy/npy_write.ts";
 * // One clip whose audio is a precomputed 257x188 spectrogram (.npy), so no WAV decode runs.
 * const dir = await Deno.makeTempDir();
 * const spec = new Float32Array(257 * 188).fill(0.5);
 * await Deno.writeFile(`${dir}/a.npy`, encodeNpy({ dtype: "float32", shape: [257, 188], data: spec }));
 * const items = [{ id: "a", label: 0, audio: `${dir}/a.npy`, frameDir: dir, frames: [] }];
 * const recipe = { kind: "stft", padMode: "reflect" } as const;
 * const { path, index } = await cacheAudio(items, `${dir}/cache`, "train", recipe);
 * assert.deepEqual([index.rows, index.cols, index.ids], [257, 188, ["a"]]);
 * assert.equal((await Deno.stat(path)).size, 257 * 188 * 4);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function cacheAudio(
  items: AvItem[],
  cacheDir: string,
  split: string,
  recipe: AudioRecipe,
  log: Log = () => {},
): Promise<{ path: string; index: AudioIndex }> {
  const [rows, cols] = recipeShape(recipe);
  const sigs = await mapLimit(items, 16, (it) => fileSig(it.audio));
  const key = await sha256(
    JSON.stringify({ v: AV_CACHE_VERSION, recipe, ids: items.map((i) => i.id), sigs }),
  );
  const path = `${cacheDir}/${split}-audio.f32`;
  const indexPath = `${cacheDir}/${split}-audio.json`;
  const found = await readIndex<AudioIndex>(indexPath, key);
  if (found && (await Deno.stat(path).catch(() => null))?.size === items.length * rows * cols * 4) {
    return { path, index: found };
  }
  await Deno.mkdir(cacheDir, { recursive: true });
  log(
    `caching ${split} audio (${
      recipe.kind === "ave" ? "AVE PSD 257x1004" : "log-STFT 257x188"
    }): ${items.length} clips -> ${path}`,
  );
  const w = new AtomicWriter(path);
  try {
    const chunk = 32;
    for (let i = 0; i < items.length; i += chunk) {
      const part = items.slice(i, i + chunk);
      const feats = await mapLimit(part, 4, async (it) => {
        const src = await loadAudioSource(it.audio).catch((e) => {
          throw new Error(`${it.id}: ${(e as Error).message}`);
        });
        if (src instanceof Float32Array) {
          if (src.length !== rows * cols) {
            throw new Error(
              `${it.audio}: expected a ${rows}x${cols} spectrogram, got ${src.length} values`,
            );
          }
          return src;
        }
        return recipe.kind === "ave"
          ? aveAudioFeature(src).data
          : avAudioFeature(src, recipe.padMode).data;
      });
      for (const f of feats) await w.write(new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
      const done = Math.min(i + chunk, items.length);
      if (done === items.length || Math.floor(done / 500) > Math.floor(i / 500)) {
        log(`  ${split} audio ${done}/${items.length}`);
      }
    }
    await w.finish();
  } catch (e) {
    w.abort();
    throw e;
  }
  const index: AudioIndex = {
    version: AV_CACHE_VERSION,
    key,
    rows,
    cols,
    ids: items.map((i) => i.id),
  };
  await writeAtomic(indexPath, JSON.stringify(index));
  return { path, index };
}

/**
 * Builds (or reuses) the frame cache of one split (every frame resized to `size x size`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import sharp from "sharp";
 * import { cacheFrames } from "./av_cache.ts";
 * // One clip with two 4x4 PNG frames, cached at 2x2.
 * const dir = await Deno.makeTempDir();
 * for (const n of ["00000.png", "00001.png"]) {
 *   const raw = new Uint8Array(4 * 4 * 3).fill(n === "00000.png" ? 0 : 255);
 *   await sharp(raw, { raw: { width: 4, height: 4, channels: 3 } }).png().toFile(`${dir}/${n}`);
 * }
 * const items = [{ id: "a", label: 0, audio: "", frameDir: dir, frames: ["00001.png", "00000.png"] }];
 * const { path, index } = await cacheFrames(items, `${dir}/cache`, "train", 2);
 * assert.deepEqual([index.start, index.count, index.names], [[0], [2], [["00000.png", "00001.png"]]]);
 * assert.deepEqual(Array.from(await Deno.readFile(path)), [...new Array(12).fill(0), ...new Array(12).fill(255)]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function cacheFrames(
  items: AvItem[],
  cacheDir: string,
  split: string,
  size: number,
  log: Log = () => {},
): Promise<{ path: string; index: FrameIndex }> {
  const names = items.map((it) => [...it.frames].sort(byName));
  const sigs = await mapLimit(
    items.map((it, k) => ({ it, sorted: names[k] })),
    16,
    async ({ it, sorted }) =>
      (await Promise.all(sorted.map((n) => fileSig(`${it.frameDir}/${n}`)))).join(";"),
  );
  const key = await sha256(
    JSON.stringify({ v: AV_CACHE_VERSION, size, ids: items.map((i) => i.id), sigs }),
  );
  const path = `${cacheDir}/${split}-frames.u8`;
  const indexPath = `${cacheDir}/${split}-frames.json`;
  const total = names.reduce((a, n) => a + n.length, 0);
  const found = await readIndex<FrameIndex>(indexPath, key);
  if (found && (await Deno.stat(path).catch(() => null))?.size === total * size * size * 3) {
    return { path, index: found };
  }
  await Deno.mkdir(cacheDir, { recursive: true });
  log(
    `caching ${split} frames (${size}x${size} RGB): ${items.length} clips, ${total} frames -> ${path}`,
  );
  const start: number[] = [], count: number[] = [];
  const sources: [number, number][] = [];
  const w = new AtomicWriter(path);
  try {
    let at = 0;
    const chunk = 16;
    for (let i = 0; i < items.length; i += chunk) {
      const part = items.slice(i, i + chunk).map((it, k) => ({ it, names: names[i + k] }));
      const clips = await mapLimit(part, 4, async ({ it, names }) => {
        const out: { data: Uint8Array; source: [number, number] }[] = [];
        for (const n of names) {
          const img = await decodeImage(`${it.frameDir}/${n}`);
          const small = await resizeImage(img, size, size);
          out.push({ data: small.data, source: [img.width, img.height] });
        }
        return out;
      });
      for (const frames of clips) {
        start.push(at);
        count.push(frames.length);
        for (const f of frames) {
          await w.write(f.data);
          sources.push(f.source);
        }
        at += frames.length;
      }
      const done = Math.min(i + chunk, items.length);
      if (done === items.length || Math.floor(done / 500) > Math.floor(i / 500)) {
        log(`  ${split} frames ${done}/${items.length}`);
      }
    }
    await w.finish();
  } catch (e) {
    w.abort();
    throw e;
  }
  const index: FrameIndex = {
    version: AV_CACHE_VERSION,
    key,
    size,
    ids: items.map((i) => i.id),
    start,
    count,
    names,
    sources,
  };
  await writeAtomic(indexPath, JSON.stringify(index));
  return { path, index };
}

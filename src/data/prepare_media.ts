/**
 * ffmpeg-based media extraction for `main.ts prepare`: 1-fps frames and WAVs from videos,
 * done as the official preprocessing scripts do (OGM-GE/IBML `video_preprocessing.py`,
 * IBML `data_process/AVE/m_2_w.py` and `v_p.py`).
 *
 * Frames: with K = int(fps) (OpenCV's `CAP_PROP_FPS` truncated), frames n = 0, K, 2K, ...
 * (the first frame of each second) are written as `Image-01-FPS/<clip>/<n:05d>.jpg`
 * (JPEG quality 95, OpenCV's default). A clip with fewer than 3 such frames gets extra
 * frames (the official `min_save_frame = 3`), drawn at random among the others, here
 * seeded by the clip name so reruns agree.
 *
 * WAV: 16-bit PCM at the source's sample rate and channel count (the loaders mix to mono
 * and resample as `librosa.load` does).
 *
 * Every output is written under a temporary name and renamed when complete; an existing
 * output is never rewritten, so an interrupted run resumes where it stopped.
 *
 * @module
 */
import { Rng, seedFor } from "../rng.ts";
import { byName } from "./frames.ts";

/** Frames per clip the official preprocessing guarantees. */
export const MIN_FRAMES = 3;

/** ffmpeg is not installed. */
export class FfmpegMissingError extends Error {
  /** Creates the error. */
  constructor() {
    super("ffmpeg not found: install it with `apt-get install ffmpeg` (it also provides ffprobe)");
    this.name = "FfmpegMissingError";
  }
}

async function run(cmd: string, args: string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" })
      .output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new FfmpegMissingError();
    throw e;
  }
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-2).join(" | ");
    throw new Error(`${cmd} failed (${err || `exit ${out.code}`})`);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * Whether ffmpeg and ffprobe can be started.
 *
 * @example
 * ```ts ignore
 * // not run: starts ffmpeg and ffprobe (subprocesses)
 * if (!(await hasFfmpeg())) console.log("skipping");
 * ```
 */
export async function hasFfmpeg(): Promise<boolean> {
  try {
    await run("ffmpeg", ["-version"]);
    await run("ffprobe", ["-version"]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws {@linkcode FfmpegMissingError} unless ffmpeg and ffprobe run.
 *
 * @example
 * ```ts ignore
 * // not run: starts ffmpeg and ffprobe (subprocesses)
 * await requireFfmpeg();
 * ```
 */
export async function requireFfmpeg(): Promise<void> {
  await run("ffmpeg", ["-version"]);
  await run("ffprobe", ["-version"]);
}

/** Whether a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

function tmpName(path: string): string {
  return `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * The integer frame rate OpenCV reports for a video (`int(CAP_PROP_FPS)`).
 *
 * @example
 * ```ts ignore
 * // not run: needs a video file and ffprobe (a subprocess)
 * await videoFps("clip.flv"); // 30
 * ```
 */
export async function videoFps(video: string): Promise<number> {
  const json = JSON.parse(
    await run("ffprobe", [
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=avg_frame_rate,r_frame_rate",
      "-of",
      "json",
      video,
    ]),
  ) as { streams?: { avg_frame_rate?: string; r_frame_rate?: string }[] };
  const s = json.streams?.[0];
  if (!s) throw new Error(`${video}: no video stream`);
  for (const r of [s.avg_frame_rate, s.r_frame_rate]) {
    const [a, b] = String(r ?? "0/0").split("/").map(Number);
    if (a > 0 && b > 0) return Math.max(1, Math.floor(a / b));
  }
  throw new Error(`${video}: unknown frame rate`);
}

async function pngsToJpegs(
  pairs: { png: string; jpg: string }[],
): Promise<void> {
  const sharp = (await import("sharp")).default;
  for (const p of pairs) await sharp(p.png).jpeg({ quality: 95 }).toFile(p.jpg);
}

/**
 * Writes `outDir/<n:05d>.jpg` for the first frame of each second of `video` (at least
 * {@linkcode MIN_FRAMES}); skips an existing `outDir`. Returns the frame count written,
 * or -1 when skipped.
 *
 * @example
 * ```ts ignore
 * // not run: needs a video file and ffmpeg (a subprocess)
 * await extractFrames("VideoFlash/1001_DFA_ANG_XX.flv", "Image-01-FPS/1001_DFA_ANG_XX");
 * ```
 */
export async function extractFrames(video: string, outDir: string): Promise<number> {
  if (await exists(outDir)) return -1;
  const fps = await videoFps(video);
  const work = tmpName(outDir);
  const pngs = `${work}/png`;
  await Deno.mkdir(pngs, { recursive: true });
  try {
    const base = ["-nostdin", "-v", "error", "-i", video, "-fps_mode", "passthrough"];
    await run("ffmpeg", [
      ...base,
      "-vf",
      `select=not(mod(n\\,${fps}))`,
      "-start_number",
      "0",
      `${pngs}/%06d.png`,
    ]);
    const names = await pngList(pngs);
    const chosen = names.map((n, i) => ({ png: `${pngs}/${n}`, index: i * fps }));
    if (chosen.length < MIN_FRAMES) {
      const all = `${work}/all`;
      await Deno.mkdir(all);
      await run("ffmpeg", [...base, "-start_number", "0", `${all}/%06d.png`]);
      const every = await pngList(all);
      const taken = new Set(chosen.map((c) => c.index));
      const rest = every.map((_, i) => i).filter((i) => !taken.has(i));
      const rng = new Rng(seedFor("prepare-frames", video.split("/").pop() ?? video));
      while (chosen.length < MIN_FRAMES && rest.length > 0) {
        const i = rest.splice(rng.int(rest.length), 1)[0];
        chosen.push({ png: `${all}/${every[i]}`, index: i });
      }
    }
    if (chosen.length === 0) throw new Error(`${video}: no frames decoded`);
    await pngsToJpegs(
      chosen.map((c) => ({ png: c.png, jpg: `${work}/${String(c.index).padStart(5, "0")}.jpg` })),
    );
    await Deno.remove(pngs, { recursive: true });
    await Deno.remove(`${work}/all`, { recursive: true }).catch(() => {});
    await Deno.rename(work, outDir);
    return chosen.length;
  } catch (e) {
    await Deno.remove(work, { recursive: true }).catch(() => {});
    throw e;
  }
}

async function pngList(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".png")) out.push(e.name);
  return out.sort(byName);
}

/**
 * Writes the audio track of `video` as 16-bit PCM WAV (native rate and channels); skips
 * an existing output. Returns false when skipped.
 *
 * @example
 * ```ts ignore
 * // not run: needs a video file and ffmpeg (a subprocess)
 * await extractWav("AVE/abc.mp4", "Audios/abc.wav");
 * ```
 */
export async function extractWav(video: string, wav: string): Promise<boolean> {
  if (await exists(wav)) return false;
  const tmp = `${tmpName(wav)}.wav`;
  try {
    await run("ffmpeg", [
      "-nostdin",
      "-v",
      "error",
      "-i",
      video,
      "-vn",
      "-acodec",
      "pcm_s16le",
      "-f",
      "wav",
      tmp,
    ]);
    await Deno.rename(tmp, wav);
    return true;
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Copies a file unless the target exists (temporary name, then rename). Returns false
 * when skipped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyOnce } from "./prepare_media.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/train.csv`, "a,ANG\n");
 * assert.equal(await copyOnce(`${dir}/train.csv`, `${dir}/copy.csv`), true);
 * assert.equal(await copyOnce(`${dir}/train.csv`, `${dir}/copy.csv`), false); // already there
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function copyOnce(from: string, to: string): Promise<boolean> {
  if (await exists(to)) return false;
  const tmp = tmpName(to);
  await Deno.copyFile(from, tmp);
  await Deno.rename(tmp, to);
  return true;
}

/**
 * Writes bytes to `path` unless it exists (temporary name, then rename).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeOnce } from "./prepare_media.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await writeOnce(`${dir}/abc.npy`, Uint8Array.of(1, 2)), true);
 * assert.equal(await writeOnce(`${dir}/abc.npy`, Uint8Array.of(3)), false); // kept as it was
 * assert.deepEqual(await Deno.readFile(`${dir}/abc.npy`), Uint8Array.of(1, 2));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeOnce(path: string, bytes: Uint8Array): Promise<boolean> {
  if (await exists(path)) return false;
  const tmp = tmpName(path);
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, path);
  return true;
}

/**
 * Runs `f` over `items` with at most `jobs` at a time, collecting failures instead of
 * stopping; calls `progress(done)` after each item.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { eachLimit } from "./prepare_media.ts";
 * const ticks: number[] = [];
 * const failed = await eachLimit([1, 2, 3], 2, async (x) => {
 *   await Promise.resolve();
 *   if (x === 2) throw new Error("bad clip");
 * }, (done) => ticks.push(done));
 * assert.deepEqual(failed, [{ item: 2, error: "bad clip" }]); // the others still ran
 * assert.deepEqual(ticks, [1, 2, 3]);
 * ```
 */
export async function eachLimit<T>(
  items: T[],
  jobs: number,
  f: (x: T) => Promise<unknown>,
  progress: (done: number) => void = () => {},
): Promise<{ item: T; error: string }[]> {
  const failed: { item: T; error: string }[] = [];
  let next = 0, done = 0;
  const worker = async () => {
    while (next < items.length) {
      const it = items[next++];
      try {
        await f(it);
      } catch (e) {
        if (e instanceof FfmpegMissingError) throw e;
        failed.push({ item: it, error: (e as Error).message });
      }
      progress(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return failed;
}

/**
 * `prepare` for the audio-visual datasets: raw downloads -> the layouts the loaders read.
 *
 * - crema-d: `RAW/VideoFlash/*.flv` -> `ROOT/CREMA-D/Image-01-FPS/<clip>/`;
 *   `RAW/AudioWAV/*.wav` copied to `ROOT/CREMA-D/AudioWAV/` (extracted from the video when
 *   a WAV is absent); `train.csv`/`test.csv` copied from `RAW` (or `--splits DIR`).
 * - ave: `RAW/AVE/*.mp4` (or `RAW/Mp4s/`) + `{train,val,test}Set.txt` ->
 *   `ROOT/AVE/{Audios/<id>.wav, Image-01-FPS/<id>/, Audio-1004/<id>.npy}` for every VideoID
 *   in the split files; the .npy is the 257x1004 spectrogram of `v_p.py` (float32; the
 *   official pickles are float64).
 * - vggsound50: `RAW/{train,test}.txt` + videos `<name>.mp4` (in `RAW`, `RAW/video` or
 *   `RAW/videos`) -> `ROOT/VGGSound50/{train.txt,test.txt,audios/,Image-01-FPS/}`; or, with
 *   `--list vggsound.csv --classes FILE`, the split files are built from the original
 *   VGGSound list (rows `ytid,start,label,split`; names `<ytid>_<start:06d>`, the video
 *   file may also be `<ytid>_<start>.mp4`; commas in labels become `;`, since the loader
 *   reads field 1 of a comma-split line) for the given classes, and
 *   `NOT_THE_PAPER_SUBSET.txt` marks the folder: it is not the paper's subset.
 *
 * @module
 */
import { parse } from "csv-parse/sync";
import { aveAudioFeature, readWav } from "./audio.ts";
import { byName } from "./frames.ts";
import { encodeNpy } from "./numpy/mod.ts";
import {
  copyOnce,
  eachLimit,
  exists,
  extractFrames,
  extractWav,
  requireFfmpeg,
  writeOnce,
} from "./prepare_media.ts";

/** Options of every preparer. */
export interface PrepareOptions {
  /** Raw download folder. */
  from: string;
  /** Data root to write into. */
  to: string;
  /** Parallel ffmpeg jobs. */
  jobs: number;
  /** Progress and summary lines. */
  log: (line: string) => void;
  /** Folder holding the official split files, when not in `from`. */
  splits?: string;
  /** VGGSound list (`vggsound.csv`), for the substitute VGGSound50. */
  list?: string;
  /** File with one class name per line, for the substitute VGGSound50. */
  classes?: string;
}

/** What a preparer did. */
export interface PrepareSummary {
  /** Clips whose outputs are complete. */
  done: number;
  /** Clips that failed (id and reason). */
  failed: { id: string; error: string }[];
  /** Notes for the user (e.g. split files still to copy). */
  notes: string[];
}

async function videosIn(dir: string, exts: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!(await exists(dir))) return out;
  for await (const e of Deno.readDir(dir)) {
    const dot = e.name.lastIndexOf(".");
    if (e.isFile && dot > 0 && exts.includes(e.name.slice(dot + 1).toLowerCase())) {
      out.set(e.name.slice(0, dot), `${dir}/${e.name}`);
    }
  }
  return out;
}

function progress(log: PrepareOptions["log"], what: string, total: number) {
  return (done: number) => {
    if (done === total || done % 200 === 0) log(`  ${what}: ${done}/${total}`);
  };
}

async function framesAndAudio(
  ids: string[],
  videos: Map<string, string>,
  dirs: { frames: string; wav?: string },
  opts: PrepareOptions,
  extra?: (id: string) => Promise<void>,
): Promise<PrepareSummary> {
  await Deno.mkdir(dirs.frames, { recursive: true });
  if (dirs.wav) await Deno.mkdir(dirs.wav, { recursive: true });
  const present = ids.filter((id) => videos.has(id));
  const absent = ids.filter((id) => !videos.has(id));
  const failed = await eachLimit(present, opts.jobs, async (id) => {
    const v = videos.get(id)!;
    await extractFrames(v, `${dirs.frames}/${id}`);
    if (dirs.wav) await extractWav(v, `${dirs.wav}/${id}.wav`);
    if (extra) await extra(id);
  }, progress(opts.log, "videos", present.length));
  return {
    done: present.length - failed.length,
    failed: [
      ...failed.map((f) => ({ id: f.item, error: f.error })),
      ...absent.map((id) => ({ id, error: "no video file" })),
    ],
    notes: [],
  };
}

/**
 * `prepare crema-d`.
 *
 * @example
 * ```ts ignore
 * // not run: needs the raw CREMA-D download and ffmpeg (subprocesses)
 * await prepareCremaD({ from: "CREMA-D", to: "data", jobs: 2, log: console.log });
 * ```
 */
export async function prepareCremaD(opts: PrepareOptions): Promise<PrepareSummary> {
  await requireFfmpeg();
  const out = `${opts.to}/CREMA-D`;
  const videos = await videosIn(`${opts.from}/VideoFlash`, ["flv", "mp4"]);
  if (videos.size === 0) throw new Error(`no videos in ${opts.from}/VideoFlash (*.flv)`);
  const wavs = await videosIn(`${opts.from}/AudioWAV`, ["wav"]);
  opts.log(
    `prepare crema-d: ${videos.size} videos in ${opts.from}/VideoFlash -> ${out}/Image-01-FPS ` +
      `(first frame of each second, >= 3 per clip, JPEG q95); ${wavs.size} WAVs -> ${out}/AudioWAV ` +
      `(copied; extracted from the video where missing)`,
  );
  await Deno.mkdir(`${out}/AudioWAV`, { recursive: true });
  const ids = [...videos.keys()].sort(byName);
  const summary = await framesAndAudio(
    ids,
    videos,
    { frames: `${out}/Image-01-FPS` },
    opts,
    async (id) => {
      const target = `${out}/AudioWAV/${id}.wav`;
      const src = wavs.get(id);
      if (src) await copyOnce(src, target);
      else await extractWav(videos.get(id)!, target);
    },
  );
  for (const f of ["train.csv", "test.csv"]) {
    const candidates = [opts.splits, opts.from, `${opts.from}/data_process/CREMAD`]
      .filter((d): d is string => !!d)
      .map((d) => `${d}/${f}`);
    let found = false;
    for (const c of candidates) {
      if (await exists(c)) {
        await copyOnce(c, `${out}/${f}`);
        found = true;
        break;
      }
    }
    if (!found && !(await exists(`${out}/${f}`))) {
      summary.notes.push(
        `${f} not found: copy it from IBML's data_process.zip (data_process/CREMAD/${f}) into ${out}/ (or pass --splits DIR)`,
      );
    }
  }
  return summary;
}

/**
 * `prepare ave`.
 *
 * @example
 * ```ts ignore
 * // not run: needs the raw AVE download and ffmpeg (subprocesses)
 * await prepareAve({ from: "AVE_Dataset", to: "data", jobs: 2, log: console.log });
 * ```
 */
export async function prepareAve(opts: PrepareOptions): Promise<PrepareSummary> {
  await requireFfmpeg();
  const out = `${opts.to}/AVE`;
  const files = ["trainSet.txt", "valSet.txt", "testSet.txt"];
  const listDir = [opts.splits, opts.from, `${opts.from}/AVE_Dataset`].filter((d): d is string =>
    !!d
  );
  let src: string | undefined;
  for (const d of listDir) if (await exists(`${d}/${files[0]}`)) src = src ?? d;
  if (!src) throw new Error(`trainSet.txt not found in ${listDir.join(" or ")}`);
  let videos = new Map<string, string>();
  for (
    const d of [`${opts.from}/AVE`, `${opts.from}/Mp4s`, `${opts.from}/AVE_Dataset/AVE`, opts.from]
  ) {
    videos = await videosIn(d, ["mp4"]);
    if (videos.size > 0) break;
  }
  if (videos.size === 0) throw new Error(`no videos in ${opts.from}/AVE (*.mp4)`);
  await Deno.mkdir(`${out}/Audio-1004`, { recursive: true });
  const ids = new Set<string>();
  for (const f of files) {
    await copyOnce(`${src}/${f}`, `${out}/${f}`);
    for (const line of (await Deno.readTextFile(`${src}/${f}`)).split(/\r?\n/)) {
      const id = line.split("&")[1]?.trim();
      if (id && line.trim() !== "Category&VideoID&Quality&StartTime&EndTime") ids.add(id);
    }
  }
  opts.log(
    `prepare ave: ${ids.size} VideoIDs of the split files (${videos.size} videos) -> ${out}/` +
      `{Audios/<id>.wav, Image-01-FPS/<id>/ (first frame of each second, >= 3), ` +
      `Audio-1004/<id>.npy (16 kHz, x10 tiled, scipy PSD, log, standardised: 257x1004)}`,
  );
  return framesAndAudio(
    [...ids].sort(byName),
    videos,
    {
      frames: `${out}/Image-01-FPS`,
      wav: `${out}/Audios`,
    },
    opts,
    async (id) => {
      const npy = `${out}/Audio-1004/${id}.npy`;
      if (await exists(npy)) return;
      const s = aveAudioFeature(await readWav(`${out}/Audios/${id}.wav`));
      await writeOnce(npy, encodeNpy({ dtype: "float32", shape: [s.rows, s.cols], data: s.data }));
    },
  );
}

/** Builds VGGSound50-style split lines from the original VGGSound list. */
async function vggFromList(
  opts: PrepareOptions,
  videos: Map<string, string>,
): Promise<{ train: string[]; test: string[]; ids: string[]; missing: number }> {
  const classes = (await Deno.readTextFile(opts.classes!)).split(/\r?\n/).map((l) => l.trim())
    .filter((l) => l);
  const wanted = new Set(classes);
  const rows = parse(await Deno.readTextFile(opts.list!), {
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
  }) as string[][];
  const train: string[] = [], test: string[] = [], ids: string[] = [];
  let missing = 0;
  for (const r of rows) {
    const [ytid, start, label, split] = r;
    if (!wanted.has(label) || (split !== "train" && split !== "test")) continue;
    const padded = `${ytid}_${String(Number(start)).padStart(6, "0")}`;
    const plain = `${ytid}_${start}`;
    const name = videos.has(padded) ? padded : videos.has(plain) ? plain : null;
    if (!name) {
      missing++;
      continue;
    }
    if (name !== padded) videos.set(padded, videos.get(name)!);
    // The loader reads field 1 of a comma-split line (as the official one does).
    (split === "train" ? train : test).push(`${padded}.mp4,${label.replaceAll(",", ";")}`);
    ids.push(padded);
  }
  return { train, test, ids, missing };
}

/**
 * `prepare vggsound50`.
 *
 * @example
 * ```ts ignore
 * // not run: needs the VGGSound videos and ffmpeg (subprocesses)
 * await prepareVggsound50({ from: "vgg", to: "data", jobs: 2, log: console.log, list: "vggsound.csv", classes: "50.txt" });
 * ```
 */
export async function prepareVggsound50(opts: PrepareOptions): Promise<PrepareSummary> {
  await requireFfmpeg();
  const out = `${opts.to}/VGGSound50`;
  let videos = new Map<string, string>();
  for (const d of [`${opts.from}/video`, `${opts.from}/videos`, opts.from]) {
    videos = await videosIn(d, ["mp4", "mkv", "webm"]);
    if (videos.size > 0) break;
  }
  if (videos.size === 0) throw new Error(`no videos in ${opts.from} (or its video/ folder)`);
  await Deno.mkdir(out, { recursive: true });
  let ids: string[];
  const notes: string[] = [];
  if (opts.list || opts.classes) {
    if (!opts.list || !opts.classes) throw new Error("--list and --classes go together");
    const built = await vggFromList(opts, videos);
    ids = built.ids;
    await writeOnce(`${out}/train.txt`, new TextEncoder().encode(built.train.join("\n") + "\n"));
    await writeOnce(`${out}/test.txt`, new TextEncoder().encode(built.test.join("\n") + "\n"));
    await writeOnce(
      `${out}/NOT_THE_PAPER_SUBSET.txt`,
      new TextEncoder().encode(
        `Built by 'main.ts prepare vggsound50' from ${opts.list} and the classes in ${opts.classes}.\n` +
          `This is NOT the paper's VGGSound50 subset (that one is only in IBML's ModelScope archive).\n`,
      ),
    );
    notes.push(
      `built from ${opts.list}: ${built.train.length} train / ${built.test.length} test rows ` +
        `(${built.missing} rows without a video skipped) - NOT the paper's subset`,
    );
  } else {
    const src = opts.splits ?? opts.from;
    ids = [];
    for (const f of ["train.txt", "test.txt"]) {
      if (!(await exists(`${src}/${f}`))) {
        throw new Error(
          `${src}/${f} not found (IBML's VGGSound50 split files), or use --list/--classes`,
        );
      }
      await copyOnce(`${src}/${f}`, `${out}/${f}`);
      for (const line of (await Deno.readTextFile(`${src}/${f}`)).split(/\r?\n/)) {
        const name = line.split(",")[0]?.trim().replace(/\.mp4$/i, "");
        if (name) ids.push(name);
      }
    }
  }
  const unique = [...new Set(ids)].sort(byName);
  opts.log(
    `prepare vggsound50: ${unique.length} clips -> ${out}/{audios/<name>.wav, ` +
      `Image-01-FPS/<name>/ (first frame of each second, >= 3)}`,
  );
  const summary = await framesAndAudio(unique, videos, {
    frames: `${out}/Image-01-FPS`,
    wav: `${out}/audios`,
  }, opts);
  summary.notes.push(...notes);
  return summary;
}

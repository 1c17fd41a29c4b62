/**
 * A {@linkcode Split} of an audio-visual dataset backed by the caches of av_cache.ts.
 *
 * `batch()` reads, per sample, the cached spectrogram and the 3 frames of the segment
 * pick (frames.ts) at file offsets (synchronous reads), then applies the official
 * torchvision transforms (image.ts): train RandomResizedCrop + horizontal flip, drawn
 * independently per frame, test Resize; ImageNet normalisation in both.
 *
 * Tensors: `audio` [B, 257, T, 1] (T = 188, or 1004 for AVE), `visual` [B, 3, S, S, 3]
 * (S = `data.frame_size`, 224 by default), labels int32 [B].
 *
 * Randomness: each sample draws from `Rng(seedFor(seed, "av", index))`, so a sample's
 * augmentation depends only on the batch seed and its position, not on the batch's other
 * members.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, seedFor } from "../rng.ts";
import type { AudioIndex, FrameIndex } from "./av_cache.ts";
import { PICK_NUM, pickFrames } from "./frames.ts";
import { type RgbImage, testTransform, trainTransform } from "./image.ts";
import type { Batch, BatchOptions, Split } from "./types.ts";

/** What an {@linkcode AvSplit} reads. */
export interface AvSplitSource {
  /** Class id per item. */
  labels: Int32Array;
  /** Audio cache data file and index. */
  audio: { path: string; index: AudioIndex };
  /** Frame cache data file and index. */
  frames: { path: string; index: FrameIndex };
  /**
   * Per item, the listing order the segment pick walks, as positions into the item's
   * name-ordered frames (identity for `sorted`, directory order for `unsorted`).
   */
  listing: number[][];
}

function readAt(file: Deno.FsFile, offset: number, buf: Uint8Array): void {
  file.seekSync(offset, Deno.SeekMode.Start);
  let got = 0;
  while (got < buf.length) {
    const n = file.readSync(buf.subarray(got));
    if (n === null || n === 0) throw new Error(`cache file ended early at offset ${offset + got}`);
    got += n;
  }
}

/**
 * An audio-visual split reading its cached rows from disk.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { AvSplit } from "./av_split.ts";
 * import { disposeBatch } from "./types.ts";
 * await tf.setBackend("cpu");
 * // Hand-made caches: 2 clips, a 2x3 "spectrogram" each, 3 frames of 4x4 RGB each.
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/audio.f32`, new Uint8Array(new Float32Array(2 * 6).fill(1).buffer));
 * await Deno.writeFile(`${dir}/frames.u8`, new Uint8Array(6 * 4 * 4 * 3).fill(128));
 * const ids = ["a", "b"];
 * const split = new AvSplit({
 *   labels: Int32Array.of(0, 1),
 *   audio: { path: `${dir}/audio.f32`, index: { version: 1, key: "", rows: 2, cols: 3, ids } },
 *   frames: {
 *     path: `${dir}/frames.u8`,
 *     index: {
 *       version: 1,
 *       key: "",
 *       size: 4,
 *       ids,
 *       start: [0, 3],
 *       count: [3, 3],
 *       names: [["0.jpg", "1.jpg", "2.jpg"], ["0.jpg", "1.jpg", "2.jpg"]],
 *       sources: new Array(6).fill([4, 4]),
 *     },
 *   },
 *   listing: [[0, 1, 2], [0, 1, 2]],
 * });
 * const b = split.batch(Int32Array.of(0, 1), { train: true, seed: 3 });
 * assert.deepEqual(b.inputs.audio.shape, [2, 2, 3, 1]);
 * assert.deepEqual(b.inputs.visual.shape, [2, 3, 4, 4, 3]);
 * disposeBatch(b);
 * split.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class AvSplit implements Split {
  /** Number of samples. */
  readonly size: number;
  /** Class ids. */
  readonly labels: Int32Array;
  #src: AvSplitSource;
  #audioFile: Deno.FsFile;
  #frameFile: Deno.FsFile;
  #rowBytes: number;
  #frameBytes: number;

  /** Opens the cache files. */
  constructor(src: AvSplitSource) {
    this.#src = src;
    this.size = src.labels.length;
    this.labels = src.labels;
    const a = src.audio.index, f = src.frames.index;
    if (a.ids.length !== this.size || f.ids.length !== this.size) {
      throw new Error("AvSplit: audio/frame caches and labels disagree on the item count");
    }
    this.#rowBytes = a.rows * a.cols * 4;
    this.#frameBytes = f.size * f.size * 3;
    this.#audioFile = Deno.openSync(src.audio.path, { read: true });
    this.#frameFile = Deno.openSync(src.frames.path, { read: true });
  }

  /** Per-sample input shapes: `{ audio: [257, T, 1], visual: [3, S, S, 3] }`. */
  get shapes(): Record<string, number[]> {
    const a = this.#src.audio.index, s = this.#src.frames.index.size;
    return { audio: [a.rows, a.cols, 1], visual: [PICK_NUM, s, s, 3] };
  }

  /** Positions (into the name-ordered frames of item `i`) the segment pick chooses. */
  framePositions(i: number, train: boolean, rng: Rng): number[] {
    const listing = this.#src.listing[i];
    return pickFrames(listing.length, train, rng).map((p) => listing[p]);
  }

  /** Builds the batch of the given sample positions. */
  batch(indices: Int32Array, opts: BatchOptions): Batch {
    const B = indices.length;
    const a = this.#src.audio.index, f = this.#src.frames.index;
    const S = f.size;
    const audio = new Float32Array(B * a.rows * a.cols);
    const audioBytes = new Uint8Array(audio.buffer);
    const frameLen = S * S * 3;
    const visual = new Float32Array(B * PICK_NUM * frameLen);
    const raw = new Uint8Array(this.#frameBytes);
    const labels = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const i = indices[b];
      if (!(i >= 0 && i < this.size)) throw new Error(`AvSplit: index ${i} out of range`);
      labels[b] = this.labels[i];
      readAt(
        this.#audioFile,
        i * this.#rowBytes,
        audioBytes.subarray(b * this.#rowBytes, (b + 1) * this.#rowBytes),
      );
      const rng = new Rng(seedFor(opts.seed, "av", i));
      const picks = this.framePositions(i, opts.train, rng);
      for (let k = 0; k < PICK_NUM; k++) {
        const frame = f.start[i] + picks[k];
        readAt(this.#frameFile, frame * this.#frameBytes, raw);
        const img: RgbImage = { data: raw, width: S, height: S, channels: 3 };
        const [sw, sh] = f.sources[frame];
        const out = opts.train
          ? trainTransform(img, S, rng, { source: { width: sw, height: sh } })
          : testTransform(img, S);
        visual.set(out.data, (b * PICK_NUM + k) * frameLen);
      }
    }
    return tf.tidy(() => ({
      inputs: {
        audio: tf.keep(tf.tensor4d(audio, [B, a.rows, a.cols, 1])),
        visual: tf.keep(tf.tensor5d(visual, [B, PICK_NUM, S, S, 3])),
      },
      labels: tf.keep(tf.tensor1d(labels, "int32")),
      indices: tf.keep(tf.tensor1d(indices, "int32")),
      size: B,
    }));
  }

  /** Closes the cache files. */
  close(): void {
    for (const file of [this.#audioFile, this.#frameFile]) {
      try {
        file.close();
      } catch { /* already closed */ }
    }
  }
}

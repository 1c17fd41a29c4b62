/**
 * Video-frame listing and the official IBML "segment pick" of 3 frames per clip
 * (`dataset/AVdataset.py`, all audio-visual sets; research/datasets-backbones.md §2(b)).
 *
 * With n frames in the listing and seg = floor(n / 3), frame i (i = 0, 1, 2) is
 * - train: a uniformly random index in [i*seg, i*seg + seg - 1];
 * - test: index i*seg + floor(seg / 2) - 1, with Python's negative indexing, so seg = 1
 *   gives -1 = the last file for i = 0 (the official quirk, kept).
 *
 * The official listing is `os.listdir`, i.e. directory order, which is filesystem dependent
 * and not temporal. The default here is the documented fix, name order (`sorted`);
 * `data.frame_order=unsorted` lists in directory order (Deno.readDir, which is what
 * `os.listdir` returns on the same filesystem).
 *
 * Clips with fewer than 3 frames (the official preprocessing never writes them; the
 * official code would fail on them) reuse frames: index min(i, n - 1).
 *
 * @module
 */
import type { Rng } from "../rng.ts";

/** How a frame folder is listed. */
export type FrameOrder = "sorted" | "unsorted";

/** Frames per clip in every official AV loader (`pick_num = 3`). */
export const PICK_NUM = 3;

const IMAGE_EXT = /\.(jpe?g|png|bmp|webp)$/i;

/**
 * Python's `sorted()` order for strings (code-unit order).
 *
 * @example
 * ```ts
 * ["b", "B", "a"].sort(byName); // ["B", "a", "b"]
 * ```
 */
export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Image files in `dir` (names only), in name order or directory order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listFrames } from "./frames.ts";
 * const dir = await Deno.makeTempDir();
 * for (const f of ["00010.jpg", "00002.jpg", "notes.txt"]) await Deno.writeFile(`${dir}/${f}`, new Uint8Array());
 * const names = await listFrames(dir, "sorted");
 * assert.deepEqual(names, ["00002.jpg", "00010.jpg"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function listFrames(dir: string, order: FrameOrder = "sorted"): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isDirectory && IMAGE_EXT.test(e.name)) names.push(e.name);
  }
  return order === "sorted" ? names.sort(byName) : names;
}

/**
 * The segment pick: positions in a listing of `n` frames (see the module notes).
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * pickFrames(5, false, new Rng(0)); // [4, 0, 1]  (seg = 1: the last file first)
 * pickFrames(10, false, new Rng(0)); // [0, 3, 6]
 * ```
 */
export function pickFrames(n: number, train: boolean, rng: Rng, count = PICK_NUM): number[] {
  if (n < 1) throw new Error("pickFrames: the clip has no frames");
  const out: number[] = [];
  const seg = Math.floor(n / count);
  for (let i = 0; i < count; i++) {
    if (seg === 0) {
      out.push(Math.min(i, n - 1));
      continue;
    }
    let idx = train ? i * seg + rng.int(seg) : i * seg + Math.floor(seg / 2) - 1;
    if (idx < 0) idx += n;
    out.push(idx);
  }
  return out;
}

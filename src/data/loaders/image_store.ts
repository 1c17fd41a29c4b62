/**
 * A disk-backed store of decoded RGB images (uint8, HWC), built once per dataset split in a
 * loader's async `load()` and read synchronously by `batch()`: the image-text and ModelNet40
 * splits hold far more pixels than fit in memory, and decoding (sharp) is asynchronous.
 *
 * Files: `<base>.u8` (the pixels, concatenated) and `<base>.index.json/.bin` (an
 * {@linkcode writeArrays} index: byte offsets, cached and original sizes). The store is keyed
 * by a string from the caller (source list and settings); a stale store is rebuilt.
 *
 * @module
 */
import type { RgbImage } from "../image.ts";
import { readArrays, writeArrays } from "./array_cache.ts";

/** One stored image and the size of the original it was resized from. */
export interface StoredImage {
  /** The cached pixels. */
  image: RgbImage;
  /** The original's size (crop boxes are drawn in its grid). */
  source: { width: number; height: number };
}

/**
 * Images by position, read from disk on demand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ImageStore } from "./image_store.ts";
 * const dir = await Deno.makeTempDir();
 * // Three 2x1 images, pixel value = position, "resized" from 4x2 originals.
 * const produce = (i: number) =>
 *   Promise.resolve({
 *     image: { data: new Uint8Array(2 * 1 * 3).fill(i), width: 2, height: 1, channels: 3 as const },
 *     source: { width: 4, height: 2 },
 *   });
 * const store = await ImageStore.build(`${dir}/train-images`, "v1", 3, produce);
 * const img = store.get(2); // synchronous
 * assert.deepEqual([img.image.width, img.image.data[0], img.source.width], [2, 2, 4]);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ImageStore {
  /** Number of images. */
  readonly size: number;
  #file: Deno.FsFile;
  #offsets: Float64Array;
  #sizes: Int32Array;

  private constructor(file: Deno.FsFile, offsets: Float64Array, sizes: Int32Array) {
    this.#file = file;
    this.#offsets = offsets;
    this.#sizes = sizes;
    this.size = offsets.length - 1;
  }

  /** Opens the store at `base` if it was built under `key`, else null. */
  static async open(base: string, key: string): Promise<ImageStore | null> {
    const hit = await readArrays(`${base}.index`, key);
    if (!hit) return null;
    const offsets = hit.arrays.offsets as Float64Array;
    try {
      const stat = await Deno.stat(`${base}.u8`);
      if (stat.size !== offsets[offsets.length - 1]) return null;
    } catch {
      return null;
    }
    const file = await Deno.open(`${base}.u8`, { read: true });
    return new ImageStore(file, offsets, hit.arrays.sizes as Int32Array);
  }

  /**
   * Opens the store at `base`, or builds it from `produce(i)` for i = 0..count-1 (run
   * `concurrency` at a time, written in order) and then opens it.
   */
  static async build(
    base: string,
    key: string,
    count: number,
    produce: (i: number) => Promise<StoredImage>,
    concurrency = 4,
  ): Promise<ImageStore> {
    const existing = await ImageStore.open(base, key);
    if (existing) return existing;
    const dir = base.includes("/") ? base.slice(0, base.lastIndexOf("/")) : ".";
    await Deno.mkdir(dir, { recursive: true });
    const tmp = `${base}.u8.tmp-${Deno.pid}`;
    const out = await Deno.open(tmp, { write: true, create: true, truncate: true });
    const offsets = new Float64Array(count + 1);
    const sizes = new Int32Array(count * 4); // width, height, source width, source height
    try {
      const pending = new Map<number, Promise<StoredImage>>();
      let next = 0;
      for (let i = 0; i < count; i++) {
        while (next < count && next < i + concurrency) {
          const p = produce(next);
          p.catch(() => {}); // rejections are rethrown when awaited in order
          pending.set(next, p);
          next++;
        }
        const { image: img, source } = await pending.get(i)!;
        pending.delete(i);
        if (img.data.length !== img.width * img.height * 3) {
          throw new Error(`image ${i}: ${img.data.length} bytes for ${img.width}x${img.height}x3`);
        }
        let written = 0;
        while (written < img.data.length) written += await out.write(img.data.subarray(written));
        sizes.set([img.width, img.height, source.width, source.height], i * 4);
        offsets[i + 1] = offsets[i] + img.data.length;
      }
    } catch (e) {
      out.close();
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
    out.close();
    await Deno.rename(tmp, `${base}.u8`);
    await writeArrays(`${base}.index`, key, { offsets, sizes });
    const store = await ImageStore.open(base, key);
    if (!store) throw new Error(`image store ${base} could not be reopened`);
    return store;
  }

  /** The image at position `i` and its original's size (synchronous read). */
  get(i: number): StoredImage {
    if (i < 0 || i >= this.size) throw new RangeError(`image ${i} outside store of ${this.size}`);
    const start = this.#offsets[i];
    const data = new Uint8Array(this.#offsets[i + 1] - start);
    this.#file.seekSync(start, Deno.SeekMode.Start);
    let got = 0;
    while (got < data.length) {
      const n = this.#file.readSync(data.subarray(got));
      if (n === null) throw new Error(`image store truncated at image ${i}`);
      got += n;
    }
    const z = this.#sizes.subarray(i * 4, i * 4 + 4);
    return {
      image: { data, width: z[0], height: z[1], channels: 3 },
      source: { width: z[2], height: z[3] },
    };
  }

  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}

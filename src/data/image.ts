/**
 * Image helpers shared by the real-dataset loaders.
 *
 * - Async, file side: {@linkcode decodeImage} (sharp / libvips) reads any JPEG/PNG/WebP as
 *   8-bit RGB (alpha dropped, grey expanded, no EXIF auto-rotation, like PIL's
 *   `Image.open(p).convert("RGB")`); {@linkcode resizeImage} resizes with PIL's `BILINEAR`
 *   filter (what torchvision's `Resize` uses on PIL images; it widens the triangle filter
 *   when it shrinks, i.e. it antialiases), matching Pillow to one grey level.
 * - Sync, batch side (plain JS, seeded by {@linkcode Rng}): the torchvision transforms the
 *   official IBML code applies to cached uint8 images: {@linkcode randomResizedCrop}
 *   (`RandomResizedCrop(224)`: scale 0.08-1, ratio 3/4-4/3, torchvision's 10 tries and its
 *   centre-crop fallback), {@linkcode horizontalFlip} (`RandomHorizontalFlip`),
 *   {@linkcode imagenetNormalize} (`ToTensor` + `Normalize(ImageNet mean/std)`), and
 *   {@linkcode resizeFloat} (`Resize((h, w))`). The resampling is PIL's bilinear filter
 *   (separable triangle filter, half-pixel centres, support widened by the scale factor
 *   when shrinking, edge weights renormalised), computed in float without PIL's rounding
 *   to uint8.
 *
 * Cached images may be smaller than the originals (the AV loaders cache frames at
 * 224x224). Crop boxes are then drawn in the original's pixel grid (`source`) and mapped
 * onto the cached image, so the crop geometry (area and aspect-ratio distribution) is
 * torchvision's; only the resolution the crop is resampled from is lower.
 *
 * Pixel layout everywhere: HWC, row-major, 3 channels (NHWC once batched).
 *
 * @module
 */
import type { Rng } from "../rng.ts";

type Sharp = typeof import("sharp").default;
let sharpModule: Promise<Sharp> | null = null;

/** Loads sharp on first use (a Node-API addon: it needs `--allow-ffi` and env access). */
function loadSharp(): Promise<Sharp> {
  sharpModule ??= import("sharp").then((m) => m.default).catch((e) => {
    sharpModule = null;
    throw new Error(
      `cannot load the image library sharp (run deno with -A, or --allow-ffi --allow-env): ${
        (e as Error).message
      }`,
    );
  });
  return sharpModule;
}

/** An 8-bit RGB image, HWC row-major. */
export interface RgbImage {
  /** `height * width * 3` bytes. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Always 3 (RGB). */
  channels: 3;
}

/** A float RGB image, HWC row-major (values 0..255 before normalisation). */
export interface FloatImage {
  /** `height * width * 3` values. */
  data: Float32Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/** A crop rectangle in pixels (torchvision's `i, j, h, w`). */
export interface CropBox {
  /** First row. */
  top: number;
  /** First column. */
  left: number;
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
}

/** Options of {@linkcode randomResizedCrop}. */
export interface RandomResizedCropOptions {
  /** Area fraction range (torchvision default [0.08, 1]). */
  scale?: [number, number];
  /** Aspect-ratio range w/h (torchvision default [3/4, 4/3]). */
  ratio?: [number, number];
  /** Size of the original the image was resized from; the box is drawn in its grid. */
  source?: { width: number; height: number };
}

/** ImageNet channel means (torchvision's Normalize constants). */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations. */
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

function fromBuffer(buf: Uint8Array, width: number, height: number, channels: number): RgbImage {
  if (channels !== 3) throw new Error(`expected 3 channels after RGB conversion, got ${channels}`);
  return {
    data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
    width,
    height,
    channels: 3,
  };
}

/**
 * Decodes an image file to 8-bit RGB (alpha removed, greyscale expanded to 3 channels).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import sharp from "sharp";
 * import { decodeImage } from "./image.ts";
 * // A 3x2 RGBA PNG in a temp file; decoding drops the alpha channel.
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * const rgba = new Uint8Array(3 * 2 * 4).fill(200);
 * await sharp(rgba, { raw: { width: 3, height: 2, channels: 4 } }).png().toFile(path);
 * const img = await decodeImage(path);
 * assert.deepEqual([img.width, img.height, img.channels, img.data.length], [3, 2, 3, 18]);
 * await Deno.remove(path);
 * ```
 */
export async function decodeImage(path: string): Promise<RgbImage> {
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(path)
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    return fromBuffer(data, info.width, info.height, info.channels);
  } catch (e) {
    throw new Error(`cannot decode image ${path}: ${(e as Error).message}`);
  }
}

/**
 * Resizes an RGB image to exactly `width` x `height` (aspect ratio not kept, like
 * torchvision's `Resize((h, w))` on a PIL image) with PIL's bilinear filter (antialiased
 * when shrinking), rounded to uint8 as PIL does. Computed in JS ({@linkcode cropResize}):
 * libvips' linear kernel differs from PIL's by up to ~15 grey levels on real images.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resizeImage } from "./image.ts";
 * const img = { data: new Uint8Array(4 * 4 * 3).fill(50), width: 4, height: 4, channels: 3 as const };
 * const small = await resizeImage(img, 2, 2);
 * assert.deepEqual([small.width, small.height], [2, 2]);
 * assert.deepEqual(Array.from(small.data), new Array(12).fill(50));
 * ```
 */
export function resizeImage(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) {
    return Promise.resolve({ data: img.data.slice(), width, height, channels: 3 });
  }
  const f = cropResize(
    img,
    { top: 0, left: 0, height: img.height, width: img.width },
    width,
    height,
  );
  const data = new Uint8Array(f.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Math.round(f.data[i]);
    data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return Promise.resolve({ data, width, height, channels: 3 });
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Draws torchvision's `RandomResizedCrop.get_params` box for a `width` x `height` image.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * const box = randomResizedCropBox(480, 360, new Rng(1));
 * box.width <= 480; // true
 * ```
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  rng: Rng,
  scale: [number, number] = [0.08, 1],
  ratio: [number, number] = [3 / 4, 4 / 3],
): CropBox {
  const area = width * height;
  const logR = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (scale[0] + rng.uniform() * (scale[1] - scale[0]));
    const aspect = Math.exp(logR[0] + rng.uniform() * (logR[1] - logR[0]));
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width, h = height;
  if (inRatio < Math.min(...ratio)) h = roundHalfEven(w / Math.min(...ratio));
  else if (inRatio > Math.max(...ratio)) w = roundHalfEven(h * Math.max(...ratio));
  return {
    top: Math.floor((height - h) / 2),
    left: Math.floor((width - w) / 2),
    height: h,
    width: w,
  };
}

/**
 * PIL's bilinear coefficients along one axis: per output index, first tap and weights.
 * Taps stay inside the crop `[start, start + extent)` (widened to whole pixels), as when
 * PIL resizes the cropped image (torchvision's `resized_crop` = crop, then resize).
 */
function axisCoeffs(
  imageSize: number,
  start: number,
  extent: number,
  outSize: number,
): { first: Int32Array; count: Int32Array; weights: Float32Array; stride: number } {
  const base = Math.max(0, Math.floor(start));
  const inSize = Math.min(imageSize, Math.ceil(start + extent - 1e-9)) - base;
  start -= base;
  const scale = extent / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * stride);
  for (let o = 0; o < outSize; o++) {
    const center = start + (o + 0.5) * scale;
    let lo = Math.trunc(center - support + 0.5);
    if (lo < 0) lo = 0;
    let hi = Math.trunc(center + support + 0.5);
    if (hi > inSize) hi = inSize;
    let n = hi - lo;
    if (n > stride) n = stride;
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const t = Math.abs((k + lo - center + 0.5) / filterScale);
      const w = t < 1 ? 1 - t : 0;
      weights[o * stride + k] = w;
      sum += w;
    }
    if (sum > 0) { for (let k = 0; k < n; k++) weights[o * stride + k] /= sum; }
    first[o] = lo + base;
    count[o] = n;
  }
  return { first, count, weights, stride };
}

/**
 * Crops `box` (pixels of `img`, fractional allowed) and resamples it to `outW` x `outH`
 * with PIL's bilinear filter; `flip` mirrors the result left-right. Values stay 0..255.
 *
 * @example
 * ```ts
 * const img = { data: new Uint8Array(4 * 4 * 3).fill(9), width: 4, height: 4, channels: 3 as const };
 * cropResize(img, { top: 0, left: 0, height: 2, width: 2 }, 3, 3).data[0]; // 9
 * ```
 */
export function cropResize(
  img: RgbImage,
  box: CropBox,
  outW: number,
  outH: number,
  flip = false,
): FloatImage {
  const cx = axisCoeffs(img.width, box.left, box.width, outW);
  const cy = axisCoeffs(img.height, box.top, box.height, outH);
  // Horizontal pass over the rows the vertical pass needs.
  const rowLo = cy.first[0];
  let rowHi = 0;
  for (let o = 0; o < outH; o++) rowHi = Math.max(rowHi, cy.first[o] + cy.count[o]);
  const rows = Math.max(rowHi - rowLo, 0);
  const tmp = new Float32Array(rows * outW * 3);
  const src = img.data;
  for (let r = 0; r < rows; r++) {
    const srcRow = (r + rowLo) * img.width * 3;
    for (let o = 0; o < outW; o++) {
      const f = cx.first[o], n = cx.count[o], wo = o * cx.stride;
      let a = 0, b = 0, c = 0;
      for (let k = 0; k < n; k++) {
        const w = cx.weights[wo + k];
        const p = srcRow + (f + k) * 3;
        a += w * src[p];
        b += w * src[p + 1];
        c += w * src[p + 2];
      }
      const ox = flip ? outW - 1 - o : o;
      const q = (r * outW + ox) * 3;
      tmp[q] = a;
      tmp[q + 1] = b;
      tmp[q + 2] = c;
    }
  }
  const out = new Float32Array(outH * outW * 3);
  const rowLen = outW * 3;
  for (let o = 0; o < outH; o++) {
    const f = cy.first[o] - rowLo, n = cy.count[o], wo = o * cy.stride;
    const dst = o * rowLen;
    for (let k = 0; k < n; k++) {
      const w = cy.weights[wo + k];
      const s = (f + k) * rowLen;
      for (let x = 0; x < rowLen; x++) out[dst + x] += w * tmp[s + x];
    }
  }
  return { data: out, width: outW, height: outH };
}

/**
 * torchvision `RandomResizedCrop(size)` on a cached image: draws the box (in the grid of
 * `opts.source` when the image was resized from a larger original) and resamples it to
 * `size` x `size`. Values stay 0..255.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * const img = { data: new Uint8Array(8 * 8 * 3), width: 8, height: 8, channels: 3 as const };
 * randomResizedCrop(img, 4, new Rng(0)).data.length; // 48
 * ```
 */
export function randomResizedCrop(
  img: RgbImage,
  size: number,
  rng: Rng,
  opts: RandomResizedCropOptions = {},
): FloatImage {
  const src = opts.source ?? { width: img.width, height: img.height };
  const b = randomResizedCropBox(src.width, src.height, rng, opts.scale, opts.ratio);
  const sx = img.width / src.width, sy = img.height / src.height;
  const box = { top: b.top * sy, left: b.left * sx, height: b.height * sy, width: b.width * sx };
  return cropResize(img, box, size, size);
}

/**
 * torchvision `RandomHorizontalFlip(p)`: mirrors `img` in place with probability `p`
 * (one draw from `rng`) and returns it.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * const f = { data: Float32Array.of(1, 1, 1, 2, 2, 2), width: 2, height: 1 };
 * horizontalFlip(f, new Rng(0), 1).data[0]; // 2
 * ```
 */
export function horizontalFlip(img: FloatImage, rng: Rng, p = 0.5): FloatImage {
  if (!(rng.uniform() < p)) return img;
  const { data, width, height } = img;
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0, z = width - 1; x < z; x++, z--) {
      for (let c = 0; c < 3; c++) {
        const a = row + x * 3 + c, b = row + z * 3 + c;
        const t = data[a];
        data[a] = data[b];
        data[b] = t;
      }
    }
  }
  return img;
}

/**
 * `ToTensor()` + `Normalize(IMAGENET_MEAN, IMAGENET_STD)` in place: `(v / 255 - mean) / std`
 * per channel. Returns `img`.
 *
 * @example
 * ```ts
 * const f = { data: Float32Array.of(0, 0, 0), width: 1, height: 1 };
 * imagenetNormalize(f).data[0].toFixed(3); // "-2.118"
 * ```
 */
export function imagenetNormalize(img: FloatImage): FloatImage {
  const d = img.data;
  const a = [0, 1, 2].map((c) => 1 / (255 * IMAGENET_STD[c]));
  const b = [0, 1, 2].map((c) => -IMAGENET_MEAN[c] / IMAGENET_STD[c]);
  for (let i = 0; i < d.length; i += 3) {
    d[i] = d[i] * a[0] + b[0];
    d[i + 1] = d[i + 1] * a[1] + b[1];
    d[i + 2] = d[i + 2] * a[2] + b[2];
  }
  return img;
}

/**
 * `Resize((height, width))` of a cached uint8 image, synchronously (PIL bilinear); a
 * plain conversion to float when the size already matches.
 *
 * @example
 * ```ts
 * const img = { data: new Uint8Array(2 * 2 * 3).fill(7), width: 2, height: 2, channels: 3 as const };
 * resizeFloat(img, 4, 4).data[5]; // 7
 * ```
 */
export function resizeFloat(img: RgbImage, width: number, height: number): FloatImage {
  if (img.width === width && img.height === height) {
    return { data: Float32Array.from(img.data), width, height };
  }
  return cropResize(img, { top: 0, left: 0, height: img.height, width: img.width }, width, height);
}

/**
 * The official train-time frame/image transform: RandomResizedCrop(size) + horizontal
 * flip + ImageNet normalisation, all draws from `rng`.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * const img = { data: new Uint8Array(8 * 8 * 3), width: 8, height: 8, channels: 3 as const };
 * trainTransform(img, 4, new Rng(0)).width; // 4
 * ```
 */
export function trainTransform(
  img: RgbImage,
  size: number,
  rng: Rng,
  opts: RandomResizedCropOptions = {},
): FloatImage {
  return imagenetNormalize(horizontalFlip(randomResizedCrop(img, size, rng, opts), rng));
}

/**
 * The official test-time transform: Resize((size, size)) + ImageNet normalisation.
 *
 * @example
 * ```ts
 * const img = { data: new Uint8Array(8 * 8 * 3), width: 8, height: 8, channels: 3 as const };
 * testTransform(img, 4).data.length; // 48
 * ```
 */
export function testTransform(img: RgbImage, size: number): FloatImage {
  return imagenetNormalize(resizeFloat(img, size, size));
}

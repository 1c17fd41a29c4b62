/**
 * Point clouds for the 2D-3D datasets: choosing 1,024 points of a cloud and the ModelNet40
 * train-time augmentation of the official IBML code (`ModelNet40trainset.py`, after
 * DGCNN's `translate_pointcloud`): per-axis scale U[2/3, 3/2] and shift U[-0.2, 0.2], a
 * random rotation about the y axis (`[x, z] <- [x, z] R(theta)`, theta ~ U[0, 2pi)),
 * jitter N(0, 0.01) clipped to +-0.02, then a shuffle of the point order. Clouds are
 * `[K, 3]` row-major Float32Arrays; all randomness comes from an {@linkcode Rng}.
 *
 * @module
 */
import type { Rng } from "../rng.ts";

/**
 * `k` indices into a cloud of `n` points: distinct (a partial Fisher-Yates shuffle) when
 * `replace` is false and `k <= n`, otherwise drawn independently with replacement.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * const idx = sampleIndices(2048, 1024, new Rng(1), true);
 * idx.length; // 1024
 * ```
 */
export function sampleIndices(n: number, k: number, rng: Rng, replace: boolean): Int32Array {
  if (n <= 0) throw new Error(`cannot sample points from an empty cloud`);
  const out = new Int32Array(k);
  if (replace || k > n) {
    for (let i = 0; i < k; i++) out[i] = rng.int(n);
    return out;
  }
  const pool = new Int32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
    out[i] = pool[i];
  }
  return out;
}

/**
 * Copies the points at `idx` out of a `[N, 3]` cloud into a new `[idx.length, 3]` array.
 *
 * @example
 * ```ts
 * gatherPoints(Float32Array.of(0, 0, 0, 1, 2, 3), Int32Array.of(1, 1)); // [1,2,3, 1,2,3]
 * ```
 */
export function gatherPoints(cloud: ArrayLike<number>, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * 3);
  for (let i = 0; i < idx.length; i++) {
    const s = idx[i] * 3;
    out[i * 3] = cloud[s];
    out[i * 3 + 1] = cloud[s + 1];
    out[i * 3 + 2] = cloud[s + 2];
  }
  return out;
}

/** Settings of {@linkcode augmentPoints}. */
export interface PointAugmentation {
  /** Per-axis scale range [low, high]. */
  scale: [number, number];
  /** Per-axis shift range [-shift, shift]. */
  shift: number;
  /** Random rotation about the y axis (in the x-z plane). */
  rotate: boolean;
  /** Jitter standard deviation (0 turns it off). */
  jitterSigma: number;
  /** Jitter clip. */
  jitterClip: number;
  /** Shuffle the point order. */
  shuffle: boolean;
}

/**
 * The ModelNet40 train augmentation of the official code.
 *
 * @example
 * ```ts
 * MODELNET_AUGMENTATION.jitterClip; // 0.02
 * ```
 */
export const MODELNET_AUGMENTATION: PointAugmentation = {
  scale: [2 / 3, 3 / 2],
  shift: 0.2,
  rotate: true,
  jitterSigma: 0.01,
  jitterClip: 0.02,
  shuffle: true,
};

/**
 * Augments a `[K, 3]` cloud in place: scale and shift per axis, rotation about y, jitter,
 * shuffle (in that order). Returns the same array.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * const pts = augmentPoints(new Float32Array(3 * 1024), new Rng(0));
 * pts.length; // 3072
 * ```
 */
export function augmentPoints(
  pts: Float32Array,
  rng: Rng,
  opts: PointAugmentation = MODELNET_AUGMENTATION,
): Float32Array {
  const k = pts.length / 3;
  const [lo, hi] = opts.scale;
  const scale = [0, 1, 2].map(() => lo + (hi - lo) * rng.uniform());
  const shift = [0, 1, 2].map(() => -opts.shift + 2 * opts.shift * rng.uniform());
  for (let i = 0; i < k; i++) {
    for (let a = 0; a < 3; a++) pts[i * 3 + a] = pts[i * 3 + a] * scale[a] + shift[a];
  }
  if (opts.rotate) {
    const theta = 2 * Math.PI * rng.uniform();
    const c = Math.cos(theta), s = Math.sin(theta);
    for (let i = 0; i < k; i++) {
      const x = pts[i * 3], z = pts[i * 3 + 2];
      pts[i * 3] = c * x + s * z;
      pts[i * 3 + 2] = -s * x + c * z;
    }
  }
  if (opts.jitterSigma > 0) {
    const clip = opts.jitterClip;
    for (let i = 0; i < pts.length; i++) {
      pts[i] += Math.min(clip, Math.max(-clip, opts.jitterSigma * rng.normal()));
    }
  }
  if (opts.shuffle) {
    const order = rng.permutation(k);
    const copy = pts.slice();
    for (let i = 0; i < k; i++) {
      const s = order[i] * 3;
      pts[i * 3] = copy[s];
      pts[i * 3 + 1] = copy[s + 1];
      pts[i * 3 + 2] = copy[s + 2];
    }
  }
  return pts;
}

import { assert, assertAlmostEquals, assertEquals } from "../assert.ts";
import {
  augmentPoints,
  gatherPoints,
  MODELNET_AUGMENTATION,
  sampleIndices,
} from "../../src/data/points.ts";
import { Rng } from "../../src/rng.ts";

const OFF = { scale: [1, 1] as [number, number], shift: 0, rotate: false, jitterSigma: 0 };

Deno.test("sampleIndices: distinct without replacement, repeats with it, seeded", () => {
  const a = sampleIndices(50, 40, new Rng(3), false);
  assertEquals(new Set(a).size, 40);
  assert(a.every((i) => i >= 0 && i < 50));
  assertEquals(Array.from(sampleIndices(50, 40, new Rng(3), false)), Array.from(a));
  const b = sampleIndices(8, 200, new Rng(4), true);
  assert(new Set(b).size <= 8 && b.every((i) => i >= 0 && i < 8));
  assertEquals(sampleIndices(5, 9, new Rng(1), false).length, 9); // falls back to replacement
});

Deno.test("gatherPoints copies rows", () => {
  assertEquals(Array.from(gatherPoints(Float32Array.of(0, 1, 2, 3, 4, 5), Int32Array.of(1, 0))), [
    3,
    4,
    5,
    0,
    1,
    2,
  ]);
});

Deno.test("jitter is N(0, 0.01) clipped to 0.02", () => {
  const pts = augmentPoints(new Float32Array(3 * 20000), new Rng(7), {
    ...MODELNET_AUGMENTATION,
    ...OFF,
    jitterSigma: 0.01,
    shuffle: false,
  });
  let s = 0, s2 = 0, max = 0;
  for (const v of pts) {
    s += v;
    s2 += v * v;
    max = Math.max(max, Math.abs(v));
  }
  const mean = s / pts.length, std = Math.sqrt(s2 / pts.length - mean * mean);
  assert(max <= 0.02 + 1e-7, `max ${max}`);
  assertAlmostEquals(mean, 0, 3e-4);
  assert(std > 0.0093 && std < 0.0099, `std ${std}`); // 0.01 shrunk by the 2-sigma clip
});

Deno.test("scale U[2/3,3/2] and shift U[-0.2,0.2] per axis, drawn once per cloud", () => {
  const lows = [Infinity, Infinity, Infinity], highs = [-Infinity, -Infinity, -Infinity];
  for (let seed = 0; seed < 400; seed++) {
    const pts = augmentPoints(Float32Array.of(1, 1, 1, 0, 0, 0), new Rng(seed), {
      ...MODELNET_AUGMENTATION,
      rotate: false,
      jitterSigma: 0,
      shuffle: false,
    });
    for (let a = 0; a < 3; a++) {
      const scale = pts[a] - pts[3 + a], shift = pts[3 + a];
      assert(scale >= 2 / 3 - 1e-6 && scale <= 1.5 + 1e-6, `scale ${scale}`);
      assert(Math.abs(shift) <= 0.2 + 1e-6, `shift ${shift}`);
      lows[a] = Math.min(lows[a], scale);
      highs[a] = Math.max(highs[a], scale);
    }
  }
  for (let a = 0; a < 3; a++) assert(lows[a] < 0.7 && highs[a] > 1.45, `axis ${a} range`);
});

Deno.test("rotation turns the x-z plane and leaves y; shuffle permutes points", () => {
  const src = Float32Array.of(1, 2, 0, 0, 5, 3, -2, 7, 1);
  const rot = augmentPoints(src.slice(), new Rng(11), {
    ...MODELNET_AUGMENTATION,
    ...OFF,
    rotate: true,
    shuffle: false,
  });
  for (let i = 0; i < 3; i++) {
    assertAlmostEquals(rot[i * 3 + 1], src[i * 3 + 1], 1e-6);
    const r0 = Math.hypot(src[i * 3], src[i * 3 + 2]), r1 = Math.hypot(rot[i * 3], rot[i * 3 + 2]);
    assertAlmostEquals(r1, r0, 1e-5);
  }
  const sh = augmentPoints(src.slice(), new Rng(12), { ...MODELNET_AUGMENTATION, ...OFF });
  const rows = (a: Float32Array) =>
    Array.from({ length: a.length / 3 }, (_, i) => Array.from(a.subarray(i * 3, i * 3 + 3)).join())
      .sort();
  assertEquals(rows(sh), rows(src));
});

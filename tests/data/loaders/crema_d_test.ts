import { assert, assertEquals, assertRejects } from "../../assert.ts";
import { checkCremaD, loadCremaD } from "../../../src/data/loaders/crema_d.ts";
import { listFrames, pickFrames } from "../../../src/data/frames.ts";
import { IMAGENET_MEAN, IMAGENET_STD } from "../../../src/data/image.ts";
import { disposeBatch } from "../../../src/data/types.ts";
import { Rng } from "../../../src/rng.ts";
import { resolveConfig } from "../../../src/resolve/resolve_config.ts";
import { CREMA_CLASSES, frameGreen, makeCremaD } from "../../fixtures/make_crema_d.ts";
import { tempOut, useWasm } from "../../helpers.ts";

const config = (root: string, sets: string[] = []) =>
  resolveConfig({
    method: "concat",
    dataset: "crema-d",
    profile: "paper",
    dataRoot: root,
    sets: ["data.frame_size=16", ...sets],
  });

/** Mean green value (0..255) of frame k of sample b in a normalised [B, 3, S, S, 3] batch. */
function green(v: Float32Array, b: number, k: number, S: number): number {
  const len = S * S * 3, off = (b * 3 + k) * len;
  let s = 0;
  for (let i = 1; i < len; i += 3) s += v[off + i];
  return ((s / (S * S)) * IMAGENET_STD[1] + IMAGENET_MEAN[1]) * 255;
}

/** Frame time index whose green level (the fixture's encoding) is nearest to g. */
const frameOf = (g: number) => {
  let best = 0;
  for (let k = 1; k < 5; k++) {
    if (Math.abs(frameGreen(k) - g) < Math.abs(frameGreen(best) - g)) best = k;
  }
  return best;
};

const root = await tempOut();
const fx = await makeCremaD(root, {
  clips: 30,
  frameSize: [24, 18],
  style: "flat",
  missingWav: 1,
  seconds: [1.2, 4.6],
});

Deno.test("crema-d: counts, label order, skipped clip, shapes, dtypes", async () => {
  await useWasm();
  const ds = await loadCremaD(config(root), `${root}/cache`);
  try {
    assertEquals(ds.info.classNames, CREMA_CLASSES);
    assertEquals(ds.info.numClasses, 6);
    assertEquals(ds.train.size, fx.train.length - 1); // one listed clip has no WAV
    assertEquals(ds.test.size, fx.test.length);
    assertEquals(ds.val, undefined);
    assertEquals(ds.info.hasVal, false);
    assertEquals(ds.facts?.skipped_train, 1);
    assertEquals(ds.info.inputShapes, { audio: [257, 188, 1], visual: [3, 16, 16, 3] });
    const kept = fx.train.filter((r) => !fx.missing.includes(r.clip));
    assertEquals(Array.from(ds.train.labels), kept.map((r) => CREMA_CLASSES.indexOf(r.label)));
    const b = ds.test.batch(Int32Array.of(0, 3), { train: false, seed: 0 });
    try {
      assertEquals(b.inputs.audio.shape, [2, 257, 188, 1]);
      assertEquals(b.inputs.visual.shape, [2, 3, 16, 16, 3]);
      assertEquals(b.inputs.audio.dtype, "float32");
      assertEquals(b.labels.dtype, "int32");
      assertEquals(Array.from(await b.labels.data()), [0, 3].map((i) => ds.test.labels[i]));
      // Test frames: the segment pick's fixed indices over the name-sorted listing.
      const v = (await b.inputs.visual.data()) as Float32Array;
      for (const [bi, i] of [0, 3].entries()) {
        const n = fx.frames[fx.test[i].clip].length;
        const want = pickFrames(n, false, new Rng(0));
        const got = [0, 1, 2].map((k) => frameOf(green(v, bi, k, 16)));
        assertEquals(got, want, `test clip ${i} (${n} frames)`);
      }
      // The audio is a log-magnitude spectrogram: the class tone is the loudest bin.
      const a = (await b.inputs.audio.data()) as Float32Array;
      assert(Number.isFinite(a[0]) && a.some((x) => x > 0), "log-STFT values");
    } finally {
      disposeBatch(b);
    }
  } finally {
    ds.dispose();
  }
});

Deno.test("crema-d: train frames are one random frame per third, augmented, seeded", async () => {
  await useWasm();
  const ds = await loadCremaD(config(root), `${root}/cache`);
  try {
    const idx = Int32Array.from({ length: ds.train.size }, (_, i) => i);
    const b1 = ds.train.batch(idx, { train: true, seed: 7 });
    const b2 = ds.train.batch(idx, { train: true, seed: 7 });
    const b3 = ds.train.batch(idx, { train: true, seed: 8 });
    try {
      const v1 = (await b1.inputs.visual.data()) as Float32Array;
      const v2 = (await b2.inputs.visual.data()) as Float32Array;
      const v3 = (await b3.inputs.visual.data()) as Float32Array;
      assertEquals(v1, v2);
      assert(v1.some((x, i) => x !== v3[i]), "another seed changes the batch");
      const kept = fx.train.filter((r) => !fx.missing.includes(r.clip));
      for (let i = 0; i < kept.length; i++) {
        const n = fx.frames[kept[i].clip].length, seg = Math.floor(n / 3);
        const got = [0, 1, 2].map((k) => frameOf(green(v1, i, k, 16)));
        got.forEach((f, k) => assert(f >= k * seg && f < (k + 1) * seg, `clip ${i}: ${got}`));
      }
    } finally {
      [b1, b2, b3].forEach(disposeBatch);
    }
  } finally {
    ds.dispose();
  }
});

Deno.test("crema-d: data.frame_order=unsorted walks the directory listing", async () => {
  await useWasm();
  const ds = await loadCremaD(config(root, ["data.frame_order=unsorted"]), `${root}/cache`);
  try {
    assertEquals(ds.facts?.frame_order, "unsorted");
    const b = ds.test.batch(Int32Array.from({ length: ds.test.size }, (_, i) => i), {
      train: false,
      seed: 0,
    });
    try {
      const v = (await b.inputs.visual.data()) as Float32Array;
      for (let i = 0; i < ds.test.size; i++) {
        const dir = `${fx.folder}/Image-01-FPS/${fx.test[i].clip}`;
        const listing = await listFrames(dir, "unsorted");
        const sorted = [...listing].sort();
        const want = pickFrames(listing.length, false, new Rng(0)).map((p) =>
          sorted.indexOf(listing[p])
        );
        assertEquals([0, 1, 2].map((k) => frameOf(green(v, i, k, 16))), want);
      }
    } finally {
      disposeBatch(b);
    }
  } finally {
    ds.dispose();
  }
});

Deno.test("crema-d: the cache is reused, and rebuilt when a setting changes", async () => {
  await useWasm();
  const cache = `${root}/cache2`;
  (await loadCremaD(config(root), cache)).dispose();
  const stamp = (await Deno.stat(`${cache}/train-audio.f32`)).mtime?.getTime();
  (await loadCremaD(config(root), cache)).dispose();
  assertEquals((await Deno.stat(`${cache}/train-audio.f32`)).mtime?.getTime(), stamp);
  const ds = await loadCremaD(config(root, ["data.stft_pad=constant"]), cache);
  ds.dispose();
  const idx = JSON.parse(await Deno.readTextFile(`${cache}/train-audio.json`));
  assertEquals(idx.rows, 257);
  assert((await Deno.stat(`${cache}/train-audio.f32`)).mtime!.getTime() >= stamp!, "rebuilt");
  assertEquals(ds.facts?.stft_pad, "constant");
});

Deno.test("crema-d: check reports counts and the first problem; missing folder", async () => {
  const r = await checkCremaD(root);
  assertEquals(r.status, "found");
  assertEquals(r.counts, { train: fx.train.length - 1, test: fx.test.length });
  assertEquals(r.classes, 6);
  assert(r.problem?.includes(fx.missing[0]), r.problem);
  const empty = await tempOut();
  const m = await checkCremaD(empty);
  assertEquals(m.status, "missing");
  assert(m.problem?.includes("train.csv") && m.problem.includes("prepare crema-d"), m.problem);
  await assertRejects(() => loadCremaD(config(empty), `${empty}/cache`), "CREMA-D not found");
  await assertRejects(
    () => loadCremaD(config(root, ["data.frame_order=random"]), `${root}/cache`),
    "data.frame_order",
  );
});

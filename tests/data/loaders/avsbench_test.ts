import { assertEquals } from "../../assert.ts";
import { checkAvsbench, loadAvsbench, s4Classes } from "../../../src/data/loaders/avsbench.ts";
import { IMAGENET_MEAN, IMAGENET_STD } from "../../../src/data/image.ts";
import { disposeBatch } from "../../../src/data/types.ts";
import { resolveConfig } from "../../../src/resolve/resolve_config.ts";
import { AVS_FIXTURE, writeAvsbench } from "../../fixtures/av_layouts.ts";
import { tempOut, useWasm } from "../../helpers.ts";

const config = (root: string) =>
  resolveConfig({
    method: "concat",
    dataset: "avsbench",
    profile: "paper",
    dataRoot: root,
    sets: ["data.frame_size=8"],
  });

/** Time index (1..5 -> 0..4) of frame k of sample b, from its green level. */
function frameIndex(v: Float32Array, b: number, k: number, S: number): number {
  const len = S * S * 3, off = (b * 3 + k) * len;
  let s = 0;
  for (let i = 1; i < len; i += 3) s += v[off + i];
  return Math.round((((s / (S * S)) * IMAGENET_STD[1] + IMAGENET_MEAN[1]) * 255 - 20) / 50);
}

Deno.test("avsbench: CSV classes, listed splits, deterministic 5-frame picks", async () => {
  assertEquals(s4Classes('a,b,c,d\nx,0,cat,train\ny,0,"dog",val\nz,0,cat,test\n', "m.csv"), [
    "cat",
    "dog",
  ]);
  await useWasm();
  const root = await tempOut();
  await writeAvsbench(root);
  const ds = await loadAvsbench(config(root), `${root}/cache`);
  try {
    assertEquals(ds.info.classNames, AVS_FIXTURE.classes);
    assertEquals([ds.train.size, ds.val?.size, ds.test.size], [6, 3, 3]);
    assertEquals(Array.from(ds.train.labels), [0, 0, 1, 1, 2, 2]);
    assertEquals(ds.info.inputShapes, { audio: [257, 188, 1], visual: [3, 8, 8, 3] });
    const all = Int32Array.of(0, 1, 2);
    const te = ds.test.batch(all, { train: false, seed: 0 });
    const tr = ds.train.batch(all, { train: true, seed: 3 });
    try {
      const tv = (await te.inputs.visual.data()) as Float32Array;
      const rv = (await tr.inputs.visual.data()) as Float32Array;
      for (let b = 0; b < 3; b++) {
        // seg = 1: test takes listing[-1], [0], [1]; train listing[0], [1], [2].
        assertEquals([0, 1, 2].map((k) => frameIndex(tv, b, k, 8)), [4, 0, 1]);
        assertEquals([0, 1, 2].map((k) => frameIndex(rv, b, k, 8)), [0, 1, 2]);
      }
    } finally {
      disposeBatch(te);
      disposeBatch(tr);
    }
  } finally {
    ds.dispose();
  }
  const r = await checkAvsbench(root);
  assertEquals([r.status, r.classes], ["found", 3]);
  assertEquals(r.counts, AVS_FIXTURE.counts);
});

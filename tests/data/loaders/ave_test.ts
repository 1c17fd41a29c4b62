import { assert, assertAlmostEquals, assertEquals } from "../../assert.ts";
import { checkAve, dedupFirst, loadAve, parseAveList } from "../../../src/data/loaders/ave.ts";
import { disposeBatch } from "../../../src/data/types.ts";
import { resolveConfig } from "../../../src/resolve/resolve_config.ts";
import { AVE_FIXTURE, writeAve } from "../../fixtures/av_layouts.ts";
import { tempOut, useWasm } from "../../helpers.ts";

const config = (root: string) =>
  resolveConfig({
    method: "concat",
    dataset: "ave",
    profile: "paper",
    dataRoot: root,
    sets: ["data.frame_size=8"],
  });

Deno.test("ave: '&' lines, header skipped, first occurrence wins", () => {
  const rows = parseAveList(
    "Category&VideoID&Quality&StartTime&EndTime\nMale speech, man speaking&a&good&0&10\r\nBark&a&good&1&2\n",
    "x.txt",
  );
  assertEquals(rows, [{ category: "Male speech, man speaking", id: "a" }, {
    category: "Bark",
    id: "a",
  }]);
  assertEquals(dedupFirst(rows), [rows[0]]);
});

Deno.test("ave: dedup counts, val split, labels, npy or WAV audio, 257x1004 standardised", async () => {
  await useWasm();
  const root = await tempOut();
  await writeAve(root);
  const ds = await loadAve(config(root), `${root}/cache`);
  try {
    assertEquals(ds.info.classNames, AVE_FIXTURE.classes);
    assertEquals([ds.train.size, ds.val?.size, ds.test.size], [6, 3, 4]);
    assertEquals(ds.info.hasVal, true);
    assertEquals(ds.facts?.duplicates_train, 2);
    assertEquals(ds.facts?.duplicates_val, 1);
    // tr0 (Ukulele first), tr1 (Bark), tr2 (speech), VWi2ENBuTbw (bell), te0 (bell), tr3 (uke)
    assertEquals(Array.from(ds.train.labels), [3, 2, 1, 0, 0, 3]);
    assertEquals(Array.from(ds.val!.labels), [2, 3, 1]);
    assertEquals(Array.from(ds.test.labels), [0, 1, 2, 3]);
    assertEquals(ds.info.inputShapes, { audio: [257, 1004, 1], visual: [3, 8, 8, 3] });
    const b = ds.train.batch(Int32Array.of(0, 1), { train: true, seed: 1 });
    try {
      assertEquals(b.inputs.audio.shape, [2, 257, 1004, 1]);
      const a = (await b.inputs.audio.data()) as Float32Array;
      const n = 257 * 1004;
      assert(a.subarray(0, n).every((v) => v === 0.25), "tr0 reads Audio-1004/tr0.npy");
      let mean = 0, sq = 0;
      for (let i = n; i < 2 * n; i++) mean += a[i] / n;
      for (let i = n; i < 2 * n; i++) sq += (a[i] - mean) ** 2 / n;
      assertAlmostEquals(mean, 0, 1e-4);
      assertAlmostEquals(Math.sqrt(sq), 1, 1e-4);
    } finally {
      disposeBatch(b);
    }
  } finally {
    ds.dispose();
  }
  const r = await checkAve(root);
  assertEquals(r.status, "found");
  assertEquals(r.counts, AVE_FIXTURE.counts);
  assertEquals(r.classes, 4);
  assertEquals((await checkAve(`${root}/nothing`)).status, "missing");
});

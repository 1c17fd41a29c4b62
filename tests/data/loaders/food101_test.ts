import { assert, assertAlmostEquals, assertEquals } from "../../assert.ts";
import { checkFood101, loadFood101 } from "../../../src/data/loaders/food101.ts";
import { IMAGENET_MEAN, IMAGENET_STD } from "../../../src/data/image.ts";
import { disposeBatch } from "../../../src/data/types.ts";
import { resolveConfig } from "../../../src/resolve/resolve_config.ts";
import { idColour, writeFood101, writeGlove } from "../../fixtures/real_data.ts";
import { tempOut, useWasm } from "../../helpers.ts";

Deno.test("food101: shipped splits, first-appearance labels, empty title, images", async () => {
  await useWasm();
  const root = await tempOut();
  await writeFood101(root);
  const glove = `${root}/vectors.txt`;
  await writeGlove(glove, ["gnocchi", ",", "easy", "!", "pie"]);
  const cfg = resolveConfig({
    method: "concat",
    dataset: "food101",
    profile: "paper",
    dataRoot: root,
    sets: ["data.image_size=24", "data.image_side=24", `data.glove=${glove}`],
  });
  const ds = await loadFood101(cfg, `${root}/cache`);
  try {
    assertEquals([ds.train.size, ds.val?.size, ds.test.size], [3, 1, 2]);
    assertEquals(ds.info.classNames, ["gnocchi", "apple_pie"]);
    assertEquals(Array.from(ds.train.labels), [0, 1, 0]);
    assertEquals(Array.from(ds.test.labels), [0, 1]);
    const b = ds.train.batch(Int32Array.of(0), { train: true, seed: 3 });
    assertEquals(b.inputs.text.shape, [1, 4, 300]); // gnocchi , easy !
    assertEquals(b.inputs.image.shape, [1, 24, 24, 3]);
    disposeBatch(b);
    const t = ds.test.batch(Int32Array.of(1, 0), { train: false, seed: 0 });
    assertEquals(t.inputs.text.shape, [2, 2, 300]); // "" -> 1 step, "best gnocchi" -> 2
    assertEquals(Array.from(await t.inputs.text_mask.data()), [1, 0, 1, 1]);
    const px = await t.inputs.image.data();
    const c = idColour(6);
    assertAlmostEquals(px[0], (c[0] / 255 - IMAGENET_MEAN[0]) / IMAGENET_STD[0], 0.04);
    disposeBatch(t);
  } finally {
    ds.dispose();
  }
  await Deno.remove(`${root}/food101/images/train/gnocchi/gnocchi_3.jpg`);
  const r = await checkFood101(root);
  assertEquals(r.status, "missing");
  assertEquals(r.counts, { train: 3, dev: 1, test: 2 });
  assertEquals(r.classes, 2);
  assert(
    /gnocchi_3\.jpg, listed in train\.jsonl for id gnocchi_3\)/.test(r.problem ?? ""),
    r.problem,
  );
  await Deno.remove(root, { recursive: true });
});

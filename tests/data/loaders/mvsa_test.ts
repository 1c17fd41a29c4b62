import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../../assert.ts";
import { checkMvsa, loadMvsa, multiSentiNetLabel } from "../../../src/data/loaders/mvsa.ts";
import { IMAGENET_MEAN, IMAGENET_STD } from "../../../src/data/image.ts";
import { disposeBatch } from "../../../src/data/types.ts";
import { resolveConfig } from "../../../src/resolve/resolve_config.ts";
import { idColour, writeMvsa } from "../../fixtures/real_data.ts";
import { tempOut, useWasm } from "../../helpers.ts";

const config = (root: string, sets: string[] = []) =>
  resolveConfig({
    method: "concat",
    dataset: "mvsa",
    profile: "paper",
    dataRoot: root,
    sets: ["data.image_size=32", "data.image_side=48", ...sets],
  });

/** Normalised value of channel c of a uniform image of colour `rgb`. */
const norm = (rgb: number[], c: number) => (rgb[c] / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];

Deno.test("mvsa: shipped splits, label order, text sequences and masks, images", async () => {
  await useWasm();
  const root = await tempOut();
  await writeMvsa(root);
  const ds = await loadMvsa(config(root), `${root}/cache`);
  try {
    assertEquals([ds.train.size, ds.val?.size, ds.test.size], [6, 3, 3]);
    assertEquals(ds.info.classNames, ["positive", "neutral", "negative"]);
    assertEquals(Array.from(ds.train.labels), [0, 1, 2, 0, 2, 1]);
    assertEquals(Array.from(ds.test.labels), [2, 0, 1]);
    assertEquals(ds.info.inputShapes, { text: [-1, 300], image: [32, 32, 3] });
    assertEquals(ds.info.hasVal, true);
    const b = ds.train.batch(Int32Array.of(0, 1, 3), { train: true, seed: 1 });
    try {
      // "I love it!" -> i love it ! (4); "" -> one zero step; "great day zzqx" -> 3, zzqx OOV.
      assertEquals(b.inputs.text.shape, [3, 4, 300]);
      assertEquals(b.inputs.text_mask.shape, [3, 4]);
      assertEquals(Array.from(await b.inputs.text_mask.data()), [
        1,
        1,
        1,
        1,
        1,
        0,
        0,
        0,
        1,
        1,
        1,
        0,
      ]);
      const t = await b.inputs.text.data();
      const at = (s: number, step: number, j: number) => t[(s * 4 + step) * 300 + j];
      assertAlmostEquals(at(0, 0, 0), 99, 1e-5); // "i": the duplicate row wins
      assertAlmostEquals(at(0, 1, 1), 2.001, 1e-5); // "love"
      assertAlmostEquals(at(0, 3, 0), 4, 1e-5); // "!"
      assert(t.subarray(4 * 300, 8 * 300).every((v) => v === 0), "empty caption is zeros");
      assertAlmostEquals(at(2, 1, 0), 9, 1e-5); // "day"
      assert(t.subarray((2 * 4 + 2) * 300, (2 * 4 + 3) * 300).every((v) => v === 0), "OOV");
      assertEquals(b.inputs.image.shape, [3, 32, 32, 3]);
      const img = await b.inputs.image.data();
      // Uniform images: any crop/flip keeps the colour; sample 1 (id 2) is the second.
      assertAlmostEquals(img[32 * 32 * 3 + 5 * 3], norm(idColour(2), 0), 0.04);
      const again = ds.train.batch(Int32Array.of(0, 1, 3), { train: true, seed: 1 });
      assertEquals(Array.from(await again.inputs.image.data()), Array.from(img));
      disposeBatch(again);
    } finally {
      disposeBatch(b);
    }
    const e = ds.test.batch(Int32Array.of(2), { train: false, seed: 0 });
    assertEquals(e.inputs.text.shape, [1, 1, 300]); // "?" -> one OOV token
    assertAlmostEquals((await e.inputs.image.data())[1], norm(idColour(12), 1), 0.04);
    disposeBatch(e);
    assertEquals(ds.facts?.oov, 2); // zzqx and ?
  } finally {
    ds.dispose();
  }
  assertEquals(tf.memory().numTensors, 0);
  await Deno.remove(root, { recursive: true });
});

Deno.test("mvsa: data.label_rule=multisentinet adds one-neutral pairs, drops conflicts", async () => {
  assertEquals(multiSentiNetLabel("neutral", "negative"), "negative");
  assertEquals(multiSentiNetLabel("negative", "positive"), null);
  const root = await tempOut();
  await writeMvsa(root);
  const ds = await loadMvsa(config(root, ["data.label_rule=multisentinet"]), `${root}/cache`);
  try {
    assertEquals(ds.train.size + (ds.val?.size ?? 0) + ds.test.size, 14); // 12 + ids 13, 15
    assertEquals(ds.info.classNames, ["positive", "neutral", "negative"]);
    assertEquals(Array.from(ds.train.labels).slice(0, 6), [0, 1, 2, 0, 2, 1]);
  } finally {
    ds.dispose();
  }
  await assertRejects(
    () => loadMvsa(config(root, ["data.label_rule=both"]), `${root}/cache`),
    "unknown rule 'both'",
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("mvsa: missing data and missing GloVe are one clear error each", async () => {
  const root = await tempOut();
  await assertRejects(
    () => loadMvsa(config(root), `${root}/cache`),
    /MVSA-Single not found: searched .*MVSA_Single \(missing .*train\.jsonl\).*kaggle/,
  );
  await writeMvsa(root);
  await Deno.remove(`${root}/glove`, { recursive: true });
  await assertRejects(
    () => loadMvsa(config(root), `${root}/cache`),
    /GloVe 840B 300-d vectors not found: .*glove\.840B\.300d\.txt.*data\.glove/,
  );
  const r = await checkMvsa(root);
  assertEquals(r.status, "found");
  assertEquals(r.counts, { train: 6, dev: 3, test: 3 });
  assertEquals(r.classes, 3);
  assert(r.notes?.some((n) => n.includes("GloVe vectors not at")), String(r.notes));
  await Deno.remove(root, { recursive: true });
});

Deno.test("mvsa: a zero-byte or garbage image is listed by check and skipped (counted) by the loader", async () => {
  await useWasm();
  const root = await tempOut();
  await writeMvsa(root);
  const train = (await Deno.readTextFile(`${root}/MVSA_Single/train.jsonl`)).trim().split("\n")
    .map((l) => JSON.parse(l).img as string);
  const empty = `${root}/MVSA_Single/${train[0]}`;
  const garbage = `${root}/MVSA_Single/${train[1]}`;
  await Deno.writeFile(empty, new Uint8Array());
  await Deno.writeTextFile(garbage, "this is not a jpeg");
  const r = await checkMvsa(root);
  assertEquals(r.status, "malformed");
  const notes = (r.notes ?? []).join("\n");
  assert(notes.includes(`broken image ${empty}`) && notes.includes("empty file (0 bytes)"), notes);
  assert(notes.includes(`broken image ${garbage}`) && notes.includes("not a JPEG file"), notes);
  const ds = await loadMvsa(config(root), `${root}/cache`);
  try {
    assertEquals(ds.train.size, 4);
    assertEquals(ds.facts?.broken_train, 2);
  } finally {
    ds.dispose();
  }
  await Deno.remove(root, { recursive: true });
});

import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../../assert.ts";
import { checkMnist3d, loadMnist3d } from "../../../src/data/loaders/mnist3d.ts";
import { loadDataset } from "../../../src/data/registry.ts";
import { disposeBatch } from "../../../src/data/types.ts";
import { resolveConfig } from "../../../src/resolve/resolve_config.ts";
import { MNIST3D_COUNTS, mnistCloud, writeMnist3d } from "../../fixtures/real_data.ts";
import { tempOut, useWasm } from "../../helpers.ts";

const config = (root: string, sets: string[] = [], seed = 0) =>
  resolveConfig({
    method: "concat",
    dataset: "mnist3d",
    profile: "paper",
    dataRoot: root,
    seed,
    sets: ["data.num_points=16", ...sets],
  });

Deno.test("mnist3d: counts, labels, image broadcast, fixed point subsets", async () => {
  await useWasm();
  const root = await tempOut();
  await writeMnist3d(root);
  const ds = await loadMnist3d(config(root), `${root}/cache`);
  try {
    assertEquals(ds.train.size, MNIST3D_COUNTS.train);
    assertEquals(ds.test.size, MNIST3D_COUNTS.test);
    assertEquals(ds.val, undefined);
    assertEquals(ds.info.inputShapes, { image: [30, 30, 3], points: [16, 3] });
    assertEquals(ds.info.modalities, ["image", "points"]);
    assertEquals(Array.from(ds.train.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    const b = ds.train.batch(Int32Array.of(3, 11), { train: true, seed: 5 });
    const b2 = ds.train.batch(Int32Array.of(3, 11), { train: true, seed: 6 });
    try {
      assertEquals(b.inputs.image.shape, [2, 30, 30, 3]);
      assertEquals(b.inputs.points.shape, [2, 16, 3]);
      assertEquals(b.inputs.image.dtype, "float32");
      assertEquals(Array.from(await b.labels.data()), [3, 1]);
      const img = await b.inputs.image.data();
      assertAlmostEquals(img[3 * 5 + 2], 0.03, 1e-6); // sample 3, pixel 5, channel 2
      assertEquals(img[0], 0);
      const pts = await b.inputs.points.data();
      const rows = new Set<number>();
      for (let r = 0; r < 16; r++) {
        const [x, y, z] = pts.subarray(r * 3, r * 3 + 3);
        assertEquals([x - y, z], [3000, -y]); // a point of sample 3's cloud
        rows.add(y);
      }
      assertEquals(rows.size, 16); // without replacement
      // Fixed at load: the batch seed does not change the subset.
      assertEquals(Array.from(await b2.inputs.points.data()), Array.from(pts));
    } finally {
      disposeBatch(b);
      disposeBatch(b2);
    }
  } finally {
    ds.dispose();
  }
  // The run seed chooses the subset; the official range excludes the last point.
  const other = await loadMnist3d(config(root, [], 1), `${root}/cache`);
  const excl = await loadMnist3d(
    config(root, ["data.num_points=39", "data.exclude_last_point=true"]),
    `${root}/cache`,
  );
  try {
    const a = other.train.batch(Int32Array.of(3), { train: false, seed: 0 });
    const e = excl.train.batch(Int32Array.of(0), { train: false, seed: 0 });
    const ys = new Set(Array.from(await e.inputs.points.data()).filter((_, i) => i % 3 === 1));
    assertEquals(ys.size, 39); // cloud 0 has 40 points; 39 distinct, never the last
    assert(!ys.has(39));
    assert(mnistCloud(3).length / 3 === 43);
    disposeBatch(a);
    disposeBatch(e);
  } finally {
    other.dispose();
    excl.dispose();
  }
  // The registry dispatches the paper profile to this loader.
  const viaRegistry = await loadDataset(config(root, [`data.cache=${root}/cache2`]));
  assertEquals([viaRegistry.info.kind, viaRegistry.train.size], ["real", 12]);
  viaRegistry.dispose();
  assertEquals(tf.memory().numTensors, 0);
  await Deno.remove(root, { recursive: true });
});

Deno.test("mnist3d: missing folder is one clear error; check reports counts", async () => {
  const root = await tempOut();
  await assertRejects(
    () => loadMnist3d(config(root), `${root}/cache`),
    /3D MNIST not found: searched .*3D_MNIST .*train_point_clouds\.h5.*kaggle/,
  );
  const missing = await checkMnist3d(root);
  assertEquals(missing.status, "missing");
  await writeMnist3d(root);
  const r = await checkMnist3d(root);
  assertEquals(r.status, "found");
  assertEquals(r.counts, { train: 12, test: 4 });
  assertEquals(r.classes, 10);
  assert(r.notes?.[0].includes("[0, 0.11]"), String(r.notes));
  await Deno.remove(root, { recursive: true });
});

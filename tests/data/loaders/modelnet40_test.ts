import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../../assert.ts";
import { checkModelNet40, loadModelNet40 } from "../../../src/data/loaders/modelnet40.ts";
import { evenViews, viewPath } from "../../../src/data/loaders/modelnet40_files.ts";
import { IMAGENET_MEAN, IMAGENET_STD } from "../../../src/data/image.ts";
import { disposeBatch } from "../../../src/data/types.ts";
import { resolveConfig } from "../../../src/resolve/resolve_config.ts";
import { MODELNET_POINTS, viewColour, writeModelNet40 } from "../../fixtures/real_data.ts";
import { tempOut, useWasm } from "../../helpers.ts";

const config = (root: string, sets: string[] = []) =>
  resolveConfig({
    method: "concat",
    dataset: "modelnet40",
    profile: "paper",
    dataRoot: root,
    sets: ["data.num_points=32", "data.view_pool=4", "data.view_size=8", ...sets],
  });

const green = (v: number) => (v / 255 - IMAGENET_MEAN[1]) / IMAGENET_STD[1];
const red = (o: number) => (viewColour(o, 0)[0] / 255 - IMAGENET_MEAN[0]) / IMAGENET_STD[0];

/** Per sample and view: the (red, green) of the first pixel. */
async function viewColours(t: tf.Tensor, views: number, size: number): Promise<number[][][]> {
  const d = await t.data();
  const per = size * size * 3;
  return Array.from(
    { length: t.shape[0] },
    (_, b) =>
      Array.from(
        { length: views },
        (_, v) => [d[(b * views + v) * per], d[(b * views + v) * per + 1]],
      ),
  );
}

Deno.test("modelnet40: parts in numeric order, h5 labels, views and points per object", async () => {
  await useWasm();
  const root = await tempOut();
  await writeModelNet40(root);
  const ds = await loadModelNet40(config(root), `${root}/cache`);
  try {
    assertEquals([ds.train.size, ds.test.size], [6, 3]);
    assertEquals(Array.from(ds.train.labels), [0, 1, 0, 1, 0, 1]);
    assertEquals(ds.info.inputShapes, { image: [4, 8, 8, 3], points: [32, 3] });
    assertEquals(ds.info.modalities, ["image", "points"]);
    assertEquals(ds.val, undefined);
    // Train: 4 distinct views of the right object, augmented points of its cloud.
    const b = ds.train.batch(Int32Array.of(5, 3), { train: true, seed: 9 });
    try {
      assertEquals(b.inputs.image.shape, [2, 4, 8, 8, 3]);
      assertEquals(b.inputs.points.shape, [2, 32, 3]);
      const cols = await viewColours(b.inputs.image, 4, 8);
      for (const [k, o] of [[0, 5], [1, 3]]) {
        for (const [r] of cols[k]) assertAlmostEquals(r, red(o), 1e-3);
        const gs = cols[k].map(([, g]) =>
          [0, 45, 90, 135].findIndex((v) => Math.abs(green(v) - g) < 1e-3)
        );
        assert(gs.every((i) => i >= 0) && new Set(gs).size === 4, `views ${gs}`);
      }
      const p = await b.inputs.points.data();
      // Object 5's points (500 + r, r, 0), scaled by 2/3..3/2, shifted, turned about y: the
      // x-z radius stays within the scaled x range.
      for (let i = 0; i < 32; i++) {
        const radius = Math.hypot(p[i * 3], p[i * 3 + 2]);
        assert(radius > 500 * (2 / 3) - 1 && radius < 564 * 1.5 + 1, `radius ${radius}`);
      }
    } finally {
      disposeBatch(b);
    }
    // Test: deterministic views (0, 45, 90, 135 in order) and points, whatever the seed.
    const t1 = ds.test.batch(Int32Array.of(0, 2), { train: false, seed: 1 });
    const t2 = ds.test.batch(Int32Array.of(0, 2), { train: false, seed: 2 });
    try {
      const cols = await viewColours(t1.inputs.image, 4, 8);
      assertEquals(
        cols[1].map(([, g]) => Math.round(g * 1e3)),
        [0, 45, 90, 135].map((v) => Math.round(green(v) * 1e3)),
      );
      assertAlmostEquals(cols[1][0][0], red(8), 1e-3);
      assertEquals(
        Array.from(await t1.inputs.image.data()),
        Array.from(await t2.inputs.image.data()),
      );
      const p1 = await t1.inputs.points.data();
      assertEquals(Array.from(p1), Array.from(await t2.inputs.points.data()));
      for (let i = 0; i < 32; i++) {
        const [x, y, z] = p1.subarray(i * 3, i * 3 + 3);
        assertEquals([x - y, z], [600, 0]); // an unaugmented point of object 6's cloud
        assert(y >= 0 && y < MODELNET_POINTS);
      }
    } finally {
      disposeBatch(t1);
      disposeBatch(t2);
    }
  } finally {
    ds.dispose();
  }
  // The official stochastic test sampling is one switch away.
  const rnd = await loadModelNet40(config(root, ["data.test_sampling=random"]), `${root}/cache`);
  try {
    const a = rnd.test.batch(Int32Array.of(1), { train: false, seed: 1 });
    const b = rnd.test.batch(Int32Array.of(1), { train: false, seed: 2 });
    const pa = Array.from(await a.inputs.points.data()),
      pb = Array.from(await b.inputs.points.data());
    assert(pa.join() !== pb.join(), "random test points differ between passes");
    disposeBatch(a);
    disposeBatch(b);
  } finally {
    rnd.dispose();
  }
  assertEquals(tf.memory().numTensors, 0);
  await Deno.remove(root, { recursive: true });
});

Deno.test("modelnet40: check counts and the first missing view; missing folder error", async () => {
  const root = await tempOut();
  await assertRejects(
    () => loadModelNet40(config(root), `${root}/cache`),
    /ModelNet40 not found: searched .*ModelNet40 \(missing .*modelnet40_ply_hdf5_2048\).*issues\/2/,
  );
  await writeModelNet40(root);
  const r = await checkModelNet40(root);
  assertEquals(r.status, "found", r.problem);
  assertEquals(r.counts, { train: 6, test: 3 });
  assertEquals(r.classes, 2);
  assert(r.notes?.includes("views are 256x256 pixels"), String(r.notes));
  const obj = { cls: "bathtub", stem: "bathtub_0008" };
  await Deno.remove(viewPath(root, "180", "test", obj, 0));
  const m = await checkModelNet40(root);
  assertEquals(m.status, "missing");
  assert(m.problem?.includes("bathtub_0008.0.png, view 0 of row 1 of"), m.problem);
  assertEquals(evenViews(12, 4), [0, 3, 6, 9]);
  assertEquals(
    viewPath("d", "mvcnn12", "test", { cls: "cup", stem: "cup_0001" }, 11),
    "d/ModelNet40/modelnet40_images_new_12x/cup/test/cup_0001.obj.shaded_v012.png",
  );
  await Deno.remove(root, { recursive: true });
});

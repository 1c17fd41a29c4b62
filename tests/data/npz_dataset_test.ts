import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { encodeNpz, type NpyArray } from "../../src/data/numpy/mod.ts";
import { inspectNpz, makeNpzDataset, standardize } from "../../src/data/npz_dataset.ts";
import { runOne } from "../../src/runner/run_one.ts";
import { resolveConfig } from "../../src/resolve/resolve_config.ts";
import { standInArrays } from "../fixtures/make_npz.ts";
import { runMain, tempOut, useWasm } from "../helpers.ts";

const f32 = (rows: number[][]): NpyArray => ({
  dtype: "float32",
  shape: [rows.length, rows[0]?.length ?? 0],
  data: Float32Array.from(rows.flat()),
});
const i64 = (v: number[]): NpyArray => ({
  dtype: "int64",
  shape: [v.length],
  data: BigInt64Array.from(v, BigInt),
});

/** A small valid file: 2 modalities, 3 classes, train 6 / test 3. */
function valid(): Record<string, NpyArray> {
  return {
    audio_train: f32([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]]),
    audio_test: f32([[1, 1], [2, 2], [3, 3]]),
    visual_train: {
      dtype: "float64",
      shape: [6, 2, 2],
      data: Float64Array.from({ length: 24 }, (_, i) => i),
    },
    visual_test: {
      dtype: "float64",
      shape: [3, 2, 2],
      data: Float64Array.from({ length: 12 }, (_, i) => -i),
    },
    y_train: i64([0, 1, 2, 0, 1, 2]),
    y_test: i64([2, 1, 0]),
  };
}

async function write(arrays: Record<string, NpyArray>, compress = false): Promise<string> {
  const path = `${await tempOut()}/features.npz`;
  await Deno.writeFile(path, encodeNpz(arrays, compress));
  return path;
}

Deno.test("npz dataset: round trip gives the right modalities, shapes, labels and splits", async () => {
  await useWasm();
  const path = await write(valid(), true);
  const c = inspectNpz(path);
  assertEquals(c.modalities, ["audio", "visual"]);
  assertEquals(c.numClasses, 3);
  assertEquals(c.hasVal, false);
  assertEquals(c.dims, { audio: 2, visual: 4 });
  assertEquals(Array.from(c.splits.test.labels), [2, 1, 0]);
  const ds = makeNpzDataset(`npz:${path}`, c, "visual", false);
  assertEquals(ds.info.inputShapes, { audio: [2], visual: [4] });
  assertEquals([ds.info.strong, ds.info.lazy], ["visual", "audio"]);
  const b = ds.test.batch(Int32Array.of(1), { train: false, seed: 0 });
  assertEquals(Array.from(await b.inputs.visual.data()), [-4, -5, -6, -7]);
  ds.dispose();
  // With a val split.
  const withVal = await write({
    ...valid(),
    audio_val: f32([[0, 0]]),
    visual_val: f32([[0, 0, 0, 0]]),
    y_val: i64([1]),
  });
  assertEquals(inspectNpz(withVal).hasVal, true);
});

Deno.test("npz dataset: standardisation uses train statistics only", () => {
  const out = standardize(
    { train: Float32Array.of(1, 10, 3, 10), test: Float32Array.of(5, 99) },
    2,
  );
  // dim 0: mean 2, std 1; dim 1: constant 10 -> std 0 kept as 1.
  assertEquals(Array.from(out.train), [-1, 0, 1, 0]);
  assertAlmostEquals(out.test[0], 3, 1e-6);
  assertAlmostEquals(out.test[1], 89, 1e-6);
});

Deno.test("npz dataset: every bad input is one clear error naming the array", async () => {
  const cases: [Record<string, NpyArray>, RegExp][] = [
    [
      (() => {
        const a = valid();
        delete a.visual_test;
        return a;
      })(),
      /array 'visual_test': missing/,
    ],
    [
      (() => {
        const a = valid();
        delete a.y_train;
        return a;
      })(),
      /array 'y_train': missing/,
    ],
    [
      { ...valid(), audio_test: f32([[1, 1], [2, 2]]) },
      /'audio_test': has 2 rows but y_test has 3 labels/,
    ],
    [{ ...valid(), y_test: i64([2, 1, -1]) }, /'y_test': label -1 at row 2 is outside 0\.\.2/],
    [
      { ...valid(), y_train: i64([0, 2, 2, 0, 2, 2]), y_test: i64([0, 0, 0]) },
      /'y_train': class 1 has no training sample/,
    ],
    [
      { ...valid(), audio_train: f32([[1, NaN], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]]) },
      /'audio_train': contains NaN at row 0, feature 1/,
    ],
    [
      { ...valid(), audio_test: f32([[1, 1], [Infinity, 2], [3, 3]]) },
      /'audio_test': contains Infinity at row 1/,
    ],
    [{
      ...valid(),
      audio_train: { dtype: "int32", shape: [6, 1], data: Int32Array.of(1, 2, 3, 4, 5, 6) },
    }, /'audio_train': features must be a float array/],
    [
      { ...valid(), y_train: f32([[0], [1], [2], [0], [1], [2]]) },
      /'y_train': labels must be an integer array/,
    ],
    [
      { audio_train: f32([[1]]), audio_test: f32([[1]]), y_train: i64([0]), y_test: i64([0]) },
      /at least two modalities/,
    ],
  ];
  for (const [arrays, pattern] of cases) {
    const path = await write(arrays);
    assertThrows(() => inspectNpz(path), pattern);
  }
  const notZip = `${await tempOut()}/x.npz`;
  await Deno.writeTextFile(notZip, "hello");
  assertThrows(() => inspectNpz(notZip), "is not an NPZ file");
});

Deno.test("npz dataset: CLI errors exit 2 with one line and leave no run folder", async () => {
  const bad = await write({ ...valid(), y_test: i64([2, 1, 7]) });
  const out = await tempOut();
  const r = await runMain(["run", "--method", "concat", "--dataset", `npz:${bad}`, "--out", out]);
  assertEquals(r.code, 2);
  assert(r.stderr.includes("'y_test'") && r.stderr.trim().split("\n").length === 1, r.stderr);
  const s = await runMain([
    "run",
    "--method",
    "concat",
    "--dataset",
    `npz:${await write(valid())}`,
    "--set",
    "data.strong=text",
    "--out",
    out,
  ]);
  assertEquals(s.code, 2);
  assert(s.stderr.includes("audio, visual"), s.stderr);
  assertEquals([...Deno.readDirSync(out)].length, 0);
});

Deno.test("npz dataset: concat and ibml train on a feature file and write complete records", async () => {
  await useWasm();
  const sizes = { train_size: 240, test_size: 120, val_size: 60 };
  const path = await write(standInArrays("crema-d", true, sizes), true);
  const out = await tempOut();
  for (const method of ["concat", "ibml"]) {
    const config = resolveConfig({
      method,
      dataset: `npz:${path}`,
      epochs: 3,
      sets: ["data.strong=audio"],
    });
    const { dir, summary } = await runOne({ config, out, backend: "wasm" });
    assertEquals(summary.strong, "audio");
    assertEquals(summary.modalities, ["audio", "visual"]);
    assertEquals(summary.selected_on, "val");
    for (const k of ["fusion", "audio", "visual"]) {
      assert(Number.isFinite(summary.final[k]), `${k} finite`);
    }
    const files = [...Deno.readDirSync(dir)].map((e) => e.name);
    for (const f of ["config.json", "epochs.csv", "summary.json"]) {
      assert(files.includes(f), `${f} in ${files}`);
    }
    assert(dir.includes("npz-features"), dir);
    const cfg = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    assertEquals(cfg.config.data.strong, "audio");
  }
  // Default strong modality: the first alphabetically.
  assertEquals(resolveConfig({ method: "unimodal", dataset: `npz:${path}` }).data.strong, "audio");
  assertEquals(
    resolveConfig({ method: "unimodal", dataset: `npz:${path}`, sets: ["data.strong=visual"] })
      .method.modality,
    "audio",
  );
});

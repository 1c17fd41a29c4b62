import assert from "node:assert/strict";
import { toFloat32 } from "../../../src/data/numpy/mod.ts";
import { assertFormatError, numpyExpected, sampleArrays } from "../../fixtures/npy_samples.ts";

Deno.test("toFloat32 converts every dtype", () => {
  const f32 = numpyExpected.f32;
  assert.equal(toFloat32(f32), f32.data, "float32 is returned without copying");
  for (const arr of Object.values(sampleArrays())) {
    const out = toFloat32(arr);
    assert.ok(out instanceof Float32Array);
    assert.equal(out.length, arr.data.length);
    const expected = arr.dtype === "bool"
      ? [...arr.data].map((v) => (v ? 1 : 0))
      : [...arr.data].map((v) => Math.fround(Number(v)));
    assert.deepEqual([...out], expected, arr.dtype);
  }
  assertFormatError(
    () => toFloat32({ dtype: "int64", shape: [2], data: new BigInt64Array(3) }, "labels"),
    "array 'labels': shape (2,) needs 2 elements but data has 3",
  );
});

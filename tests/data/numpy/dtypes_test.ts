import assert from "node:assert/strict";
import {
  dataMatchesDtype,
  DTYPE_INFO,
  elementCount,
  isDtype,
  makeView,
  shapeText,
  validateArray,
} from "../../../src/data/numpy/dtypes.ts";
import { NpyFormatError } from "../../../src/data/numpy/error.ts";
import { sampleArrays } from "../../fixtures/npy_samples.ts";

Deno.test("dtypes: each dtype's view class, size and descr agree", () => {
  for (const arr of Object.values(sampleArrays())) {
    assert.ok(dataMatchesDtype(arr.dtype, arr.data), arr.dtype);
    const view = makeView(arr.dtype, new ArrayBuffer(16), 0, 2);
    assert.equal(view.constructor, arr.data.constructor, arr.dtype);
    assert.equal(view.BYTES_PER_ELEMENT, DTYPE_INFO[arr.dtype].size, arr.dtype);
    assert.equal(validateArray(arr, undefined), elementCount(arr.shape));
  }
  assert.ok(isDtype("uint64"));
  assert.ok(!isDtype("float16"));
  assert.ok(!isDtype("toString"));
  assert.equal(shapeText([]), "()");
  assert.equal(shapeText([4]), "(4,)");
  assert.equal(shapeText([2, 3]), "(2, 3)");
});

Deno.test("dtypes: validateArray names the array and the inconsistency", () => {
  assert.throws(
    () => validateArray({ dtype: "int32", shape: [3], data: new Int32Array(2) }, "array 'x'"),
    (e: unknown) =>
      e instanceof NpyFormatError &&
      e.message === "array 'x': shape (3,) needs 3 elements but data has 2",
  );
  assert.throws(
    () => validateArray({ dtype: "int32", shape: [-1], data: new Int32Array(0) }, undefined),
    /^NpyFormatError: shape \[-1\] must hold non-negative integers$/,
  );
});

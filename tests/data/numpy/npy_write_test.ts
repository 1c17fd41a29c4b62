import assert from "node:assert/strict";
import { unzipSync } from "fflate";
import { encodeNpy, type NpyDtype, parseNpy } from "../../../src/data/numpy/mod.ts";
import {
  assertFormatError,
  assertSameArray,
  fixture,
  sampleArrays,
} from "../../fixtures/npy_samples.ts";

Deno.test("parseNpy(encodeNpy(a)) round-trips every dtype and copies the data", () => {
  for (const [key, arr] of Object.entries(sampleArrays())) {
    const bytes = encodeNpy(arr);
    assert.equal(bytes.length % 64, arr.data.byteLength % 64, "data starts at a 64-byte boundary");
    const back = parseNpy(bytes, key);
    assertSameArray(back, arr, key);
    assert.notEqual(back.data.buffer, bytes.buffer);
  }
});

Deno.test("encodeNpy reproduces NumPy's .npy bytes exactly", () => {
  const members = unzipSync(fixture("numpy_written.npz"));
  for (const [name, bytes] of Object.entries(members)) {
    assert.deepEqual(encodeNpy(parseNpy(bytes, name)), bytes, name);
  }
});

Deno.test("encodeNpy rejects inconsistent arrays", () => {
  assertFormatError(
    () => encodeNpy({ dtype: "float32", shape: [2], data: new Float64Array(2) }),
    /dtype float32 does not match its data \(a Float64Array\)/,
  );
  assertFormatError(
    () => encodeNpy({ dtype: "int32", shape: [1.5], data: new Int32Array(1) }),
    /must hold non-negative integers/,
  );
  assertFormatError(
    () => encodeNpy({ dtype: "float16" as NpyDtype, shape: [1], data: new Uint16Array(1) }),
    /unsupported dtype 'float16'/,
  );
});

import assert from "node:assert/strict";
import { encodeNpy, type NpyArray, parseNpy } from "../../../src/data/numpy/mod.ts";
import { assertFormatError, assertSameArray, rawNpy } from "../../fixtures/npy_samples.ts";

Deno.test("parseNpy reads data at an unaligned offset", () => {
  const arr: NpyArray = { dtype: "float64", shape: [2], data: new Float64Array([1.5, -2]) };
  const enc = encodeNpy(arr);
  const shifted = new Uint8Array(enc.length + 3);
  shifted.set(enc, 3);
  assertSameArray(parseNpy(shifted.subarray(3)), arr, "shifted");
});

Deno.test("parses version 2.0 and 3.0 headers, double quotes, and 1-byte dtypes of any order", () => {
  const data = new Uint8Array(new Float32Array([1, 2]).buffer);
  const bytes2 = data.subarray(0, 2);
  for (const version of [2, 3] as const) {
    const arr = parseNpy(
      rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data, version),
    );
    assert.deepEqual([...arr.data], [1, 2]);
  }
  const dq = parseNpy(rawNpy('{"shape": (1, 2), "fortran_order": False, "descr": "<f4"}', data));
  assert.deepEqual(dq.shape, [1, 2]);
  const u8 = parseNpy(rawNpy("{'descr': '<u1', 'fortran_order': False, 'shape': (2L,), }", bytes2));
  assert.equal(u8.dtype, "uint8");
  assert.deepEqual(u8.shape, [2]);
});

Deno.test("rejects bad magic, unknown versions, truncation and trailing bytes", () => {
  const good = encodeNpy({ dtype: "int32", shape: [2, 2], data: new Int32Array([1, 2, 3, 4]) });
  assertFormatError(
    () => parseNpy(new TextEncoder().encode("PK\x03\x04 something"), "a.npy"),
    /^a\.npy: not an \.npy array \(bad magic bytes/,
  );
  assertFormatError(() => parseNpy(new Uint8Array(0)), /truncated .npy data \(0 bytes/);
  assertFormatError(() => parseNpy(good.subarray(0, 8)), /truncated .npy data \(8 bytes/);
  const v4 = good.slice();
  v4[6] = 4;
  assertFormatError(() => parseNpy(v4), /unsupported \.npy format version 4\.0/);
  assertFormatError(() => parseNpy(good.subarray(0, 40)), /truncated .npy data: header says/);
  assertFormatError(
    () => parseNpy(good.subarray(0, good.length - 1), "a.npy"),
    "a.npy: truncated .npy data: shape (2, 2) of int32 needs 16 data bytes but only 15 are present",
  );
  const longer = new Uint8Array(good.length + 2);
  longer.set(good);
  assertFormatError(() => parseNpy(longer), /2 unexpected bytes after the 16 data bytes/);
});

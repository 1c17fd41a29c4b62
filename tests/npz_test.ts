import assert from "node:assert/strict";
import { unzipSync, zipSync } from "fflate";
import {
  encodeNpy,
  encodeNpz,
  loadNpz,
  type NpyArray,
  type NpyDtype,
  NpyFormatError,
  parseNpy,
  readNpz,
  toFloat32,
} from "../src/data/npz.ts";

const FIXTURES = new URL("./fixtures/npz/", import.meta.url);
const fixture = (name: string) => Deno.readFileSync(new URL(name, FIXTURES));

/** One array per dtype, with boundary values, in assorted ranks. */
function sampleArrays(): Record<string, NpyArray> {
  return {
    f32: {
      dtype: "float32",
      shape: [2, 3],
      data: new Float32Array([0.5, -1.25, 3, 1e-3, NaN, -0]),
    },
    f64: { dtype: "float64", shape: [4], data: new Float64Array([Math.PI, -1e300, Infinity, 0.1]) },
    i8: { dtype: "int8", shape: [3], data: new Int8Array([-128, 0, 127]) },
    u8: { dtype: "uint8", shape: [2, 2, 3], data: Uint8Array.from({ length: 12 }, (_, i) => i) },
    i16: { dtype: "int16", shape: [2], data: new Int16Array([-32768, 32767]) },
    u16: { dtype: "uint16", shape: [2], data: new Uint16Array([0, 65535]) },
    i32: { dtype: "int32", shape: [2, 2], data: new Int32Array([1, -2, 2 ** 31 - 1, -(2 ** 31)]) },
    u32: { dtype: "uint32", shape: [2], data: new Uint32Array([0, 2 ** 32 - 1]) },
    i64: {
      dtype: "int64",
      shape: [3],
      data: new BigInt64Array([2n ** 62n + 1n, -5n, -(2n ** 63n)]),
    },
    u64: { dtype: "uint64", shape: [2], data: new BigUint64Array([0n, 2n ** 64n - 1n]) },
    flags: { dtype: "bool", shape: [5], data: new Uint8Array([1, 0, 1, 1, 0]) },
    scalar: { dtype: "float32", shape: [], data: new Float32Array([7.5]) },
    empty: { dtype: "float64", shape: [0, 3], data: new Float64Array(0) },
  };
}

function assertSameArray(actual: NpyArray | undefined, expected: NpyArray, key: string) {
  assert.ok(actual, `missing array ${key}`);
  assert.equal(actual.dtype, expected.dtype, key);
  assert.deepEqual(actual.shape, expected.shape, key);
  assert.equal(actual.data.constructor, expected.data.constructor, key);
  // Object.is semantics: NaN === NaN and -0 !== 0, so bit patterns of floats are checked too.
  assert.deepEqual([...actual.data], [...expected.data], key);
}

/** Builds a .npy file by hand from a header dict text, padded like NumPy (version 1.0). */
function rawNpy(
  dict: string,
  data = new Uint8Array(0),
  version: 1 | 2 | 3 = 1,
): Uint8Array<ArrayBuffer> {
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = new TextEncoder().encode(dict.padEnd(total - pre - 1, " ") + "\n");
  const out = new Uint8Array(pre + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, pre);
  out.set(data, pre + header.length);
  return out;
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function assertFormatError(fn: () => unknown, message: RegExp | string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof NpyFormatError, `expected NpyFormatError, got ${e}`);
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// round trips

for (const compress of [false, true]) {
  Deno.test(`encodeNpz/readNpz round-trips every dtype (${compress ? "deflate" : "stored"})`, () => {
    const arrays = sampleArrays();
    const npz = encodeNpz(arrays, compress);
    // Local file header of the first member: compression method 0 = stored, 8 = deflate.
    assert.deepEqual([...npz.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
    assert.equal(new DataView(npz.buffer).getUint16(8, true), compress ? 8 : 0);
    assert.deepEqual(Object.keys(unzipSync(npz)), Object.keys(arrays).map((k) => `${k}.npy`));

    const back = readNpz(npz, "mem.npz");
    assert.deepEqual([...back.keys()], Object.keys(arrays));
    for (const [key, expected] of Object.entries(arrays)) {
      assertSameArray(back.get(key), expected, key);
    }
  });
}

Deno.test("encodeNpz accepts a Map and is deterministic; compression shrinks redundant data", () => {
  const big: NpyArray = { dtype: "float32", shape: [1000], data: new Float32Array(1000).fill(1) };
  const a = encodeNpz(new Map([["x", big]]), true);
  const b = encodeNpz({ x: big }, true);
  assert.deepEqual(a, b);
  assert.ok(a.length < encodeNpz({ x: big }, false).length / 4);
});

Deno.test("parseNpy(encodeNpy(a)) round-trips every dtype and copies the data", () => {
  for (const [key, arr] of Object.entries(sampleArrays())) {
    const bytes = encodeNpy(arr);
    assert.equal(bytes.length % 64, arr.data.byteLength % 64, "data starts at a 64-byte boundary");
    const back = parseNpy(bytes, key);
    assertSameArray(back, arr, key);
    assert.notEqual(back.data.buffer, bytes.buffer);
  }
});

Deno.test("parseNpy reads data at an unaligned offset", () => {
  const arr: NpyArray = { dtype: "float64", shape: [2], data: new Float64Array([1.5, -2]) };
  const enc = encodeNpy(arr);
  const shifted = new Uint8Array(enc.length + 3);
  shifted.set(enc, 3);
  assertSameArray(parseNpy(shifted.subarray(3)), arr, "shifted");
});

// ---------------------------------------------------------------------------------------------
// files written by real NumPy (tests/fixtures/npz/README.md)

const numpyExpected: Record<string, NpyArray> = {
  f32: {
    dtype: "float32",
    shape: [2, 3],
    data: new Float32Array([0.5, -1.25, 3.0, 1e-3, 2.5e10, -0]),
  },
  f64: { dtype: "float64", shape: [4], data: new Float64Array([Math.PI, -1e300, 0.1, 42]) },
  i64: { dtype: "int64", shape: [3], data: new BigInt64Array([2n ** 62n + 1n, -5n, 0n]) },
  i32: { dtype: "int32", shape: [2, 2], data: new Int32Array([1, -2, 2 ** 31 - 1, -(2 ** 31)]) },
  flags: { dtype: "bool", shape: [5], data: new Uint8Array([1, 0, 1, 1, 0]) },
  cube: { dtype: "uint8", shape: [2, 2, 3], data: Uint8Array.from({ length: 12 }, (_, i) => i) },
  scalar: { dtype: "float32", shape: [], data: new Float32Array([7.5]) },
};

for (const file of ["numpy_written.npz", "numpy_written_compressed.npz"]) {
  Deno.test(`reads ${file} (np.savez${file.includes("compressed") ? "_compressed" : ""})`, async () => {
    const path = new URL(file, FIXTURES).pathname;
    const arrays = await loadNpz(path);
    assert.deepEqual([...arrays.keys()], Object.keys(numpyExpected));
    for (const [key, expected] of Object.entries(numpyExpected)) {
      assertSameArray(arrays.get(key), expected, key);
    }
  });
}

Deno.test("encodeNpy reproduces NumPy's .npy bytes exactly", () => {
  const members = unzipSync(fixture("numpy_written.npz"));
  for (const [name, bytes] of Object.entries(members)) {
    assert.deepEqual(encodeNpy(parseNpy(bytes, name)), bytes, name);
  }
});

Deno.test("unsupported arrays written by NumPy fail with a clear message", () => {
  const members = unzipSync(fixture("numpy_unsupported.npz"));
  const expected: Record<string, RegExp> = {
    fortran: /^fortran: Fortran-order arrays are not supported; .*np\.ascontiguousarray\(a\)/,
    big_endian: /^big_endian: big-endian arrays \(dtype '>f4'\) are not supported; .*newbyteorder/,
    objects: /^objects: object arrays \(dtype '\|O'\) are not supported/,
    structured: /^structured: structured \(record\) arrays are not supported/,
    complex: /^complex: complex arrays \(dtype '<c8'\) are not supported/,
    half: /^half: float16 arrays \(dtype '<f2'\) are not supported; .*astype\(np\.float32\)/,
    strings: /^strings: string arrays \(dtype '<U2'\) are not supported/,
  };
  assert.deepEqual(
    Object.keys(members).sort(),
    Object.keys(expected).map((k) => `${k}.npy`).sort(),
  );
  for (const [key, re] of Object.entries(expected)) {
    assertFormatError(() => parseNpy(members[`${key}.npy`], key), re);
  }
});

Deno.test("readNpz errors name the archive and the array", () => {
  assertFormatError(
    () => readNpz(fixture("numpy_unsupported.npz"), "features.npz"),
    "features.npz: array 'fortran': Fortran-order arrays are not supported; " +
      "save with np.ascontiguousarray(a) first",
  );
  const npz = encodeNpz({ ok: numpyExpected.f64 });
  const members = unzipSync(npz);
  members["audio_train.npy"] = rawNpy("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }");
  assertFormatError(
    () => readNpz(zipSync(members), "features.npz"),
    /^features\.npz: array 'audio_train': big-endian arrays/,
  );
  assertFormatError(() => readNpz(zipSync(members)), /^array 'audio_train': big-endian/);
});

// ---------------------------------------------------------------------------------------------
// header parsing

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

Deno.test("rejects malformed headers strictly", () => {
  const d4 = new Uint8Array(4);
  const cases: [string, RegExp][] = [
    ["{'descr': '<f4', 'fortran_order': False}", /missing key 'shape'/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", /unexpected key 'x'/],
    [
      "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}",
      /'fortran_order' must be True or False/,
    ],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", /'shape' must be a tuple/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1)}", /'shape' must be a tuple/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", /non-negative integers/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1.0,)}", /only integer numbers/],
    [
      "{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}",
      /malformed .npy header: expected ','/,
    ],
    ["{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", /duplicate key/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk", /unexpected text after/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", /malformed .npy header/],
    ["{'descr': '=f4', 'fortran_order': False, 'shape': (1,)}", /little-endian byte order/],
    [
      "{'descr': '<q9', 'fortran_order': False, 'shape': (1,)}",
      /unsupported dtype \(dtype '<q9'\)/,
    ],
    ["{'descr': 3, 'fortran_order': False, 'shape': (1,)}", /'descr' must be a dtype string/],
    ["['descr']", /expected a dict/],
  ];
  for (const [dict, re] of cases) assertFormatError(() => parseNpy(rawNpy(dict, d4), "x.npy"), re);
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

// ---------------------------------------------------------------------------------------------
// archive-level errors and loadNpz

Deno.test("loadNpz: not a zip, truncated zip, bare .npy, corrupt deflate, missing file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const notZip = `${dir}/notes.npz`;
    await Deno.writeTextFile(notZip, "this is a text file, not an archive\n");
    await assert.rejects(loadNpz(notZip), (e: unknown) => {
      assert.ok(e instanceof NpyFormatError);
      assert.equal(e.message, `${notZip} is not an NPZ file (not a zip archive)`);
      return true;
    });

    const truncated = `${dir}/truncated.npz`;
    const full = fixture("numpy_written.npz");
    await Deno.writeFile(truncated, full.subarray(0, full.length - 30));
    await assert.rejects(
      loadNpz(truncated),
      (e: unknown) =>
        e instanceof NpyFormatError &&
        e.message === `${truncated} is not an NPZ file (the zip archive is truncated or corrupt: ` +
            "no end-of-central-directory record)",
    );

    const npy = encodeNpy(numpyExpected.f32);
    assertFormatError(() => readNpz(npy, "x.npz"), /^x\.npz is not an NPZ file .*parseNpy/);

    const compressed = fixture("numpy_written_compressed.npz").slice();
    compressed.fill(0xff, 60, 90); // inside the first member's deflate stream
    assertFormatError(
      () => readNpz(compressed, "c.npz"),
      /^c\.npz: (corrupt or truncated zip|array 'f32': zip CRC-32 checksum mismatch)/,
    );

    // A flipped bit in a stored member's float data is caught by the CRC-32 check.
    const stored = fixture("numpy_written.npz").slice();
    const f32Offset = indexOfBytes(stored, encodeNpy(numpyExpected.f32));
    assert.ok(f32Offset > 0);
    stored[f32Offset + 128 + 5] ^= 0x01;
    assertFormatError(
      () => readNpz(stored, "s.npz"),
      "s.npz: array 'f32': zip CRC-32 checksum mismatch: the archive is corrupt",
    );

    const missing = `${dir}/missing.npz`;
    await assert.rejects(loadNpz(missing), (e: unknown) => {
      assert.ok(e instanceof Deno.errors.NotFound);
      assert.match(e.message, /missing\.npz/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readNpz ignores non-.npy members and reads an empty archive", () => {
  const members = unzipSync(encodeNpz({ a: numpyExpected.i32 }));
  members["README.txt"] = new TextEncoder().encode("hello");
  members["nested/b.npy"] = encodeNpy(numpyExpected.flags);
  const arrays = readNpz(zipSync(members));
  assert.deepEqual([...arrays.keys()], ["a", "nested/b"]);
  assert.equal(readNpz(encodeNpz({})).size, 0);
});

// ---------------------------------------------------------------------------------------------
// encode validation and toFloat32

Deno.test("encoders reject inconsistent arrays, naming the key", () => {
  assertFormatError(
    () => encodeNpy({ dtype: "float32", shape: [2], data: new Float64Array(2) }),
    /dtype float32 does not match its data \(a Float64Array\)/,
  );
  assertFormatError(
    () => encodeNpz({ x: { dtype: "int32", shape: [2, 2], data: new Int32Array(3) } }),
    "array 'x': shape (2, 2) needs 4 elements but data has 3",
  );
  assertFormatError(
    () => encodeNpy({ dtype: "int32", shape: [1.5], data: new Int32Array(1) }),
    /must hold non-negative integers/,
  );
  assertFormatError(() => encodeNpz({ "": numpyExpected.f32 }), /keys must be non-empty/);
  assertFormatError(
    () => encodeNpy({ dtype: "float16" as NpyDtype, shape: [1], data: new Uint16Array(1) }),
    /unsupported dtype 'float16'/,
  );
});

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

// ---------------------------------------------------------------------------------------------
// optional: NumPy reads what we write (runs only where python3 with numpy is installed)

function findNumpyPython(): string | undefined {
  for (const exe of ["python3", "/usr/bin/python3"]) {
    try {
      const r = new Deno.Command(exe, {
        args: ["-c", "import numpy"],
        stdout: "null",
        stderr: "null",
      })
        .outputSync();
      if (r.success) return exe;
    } catch {
      // not installed, or no --allow-run
    }
  }
  return undefined;
}
const numpyPython = findNumpyPython();

Deno.test({
  name: "NumPy loads encodeNpz output (stored and compressed)",
  ignore: numpyPython === undefined,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const arrays = sampleArrays();
      for (const compress of [false, true]) {
        const path = `${dir}/out_${compress}.npz`;
        await Deno.writeFile(path, encodeNpz(arrays, compress));
        const script = `
import json, sys, numpy as np
with np.load(sys.argv[1], allow_pickle=False) as z:
    out = {k: [z[k].dtype.str, list(z[k].shape), [repr(v) for v in z[k].ravel().tolist()]]
           for k in z.files}
print(json.dumps(out))`;
        const r = await new Deno.Command(numpyPython!, { args: ["-c", script, path] }).output();
        assert.ok(r.success, new TextDecoder().decode(r.stderr));
        const got = JSON.parse(new TextDecoder().decode(r.stdout));
        const descr: Record<NpyDtype, string> = {
          float32: "<f4",
          float64: "<f8",
          int8: "|i1",
          uint8: "|u1",
          int16: "<i2",
          uint16: "<u2",
          int32: "<i4",
          uint32: "<u4",
          int64: "<i8",
          uint64: "<u8",
          bool: "|b1",
        };
        assert.deepEqual(Object.keys(got), Object.keys(arrays));
        for (const [key, arr] of Object.entries(arrays)) {
          const [dt, shape, values] = got[key];
          assert.equal(dt, descr[arr.dtype], key);
          assert.deepEqual(shape, arr.shape, key);
          if (arr.dtype === "float32" || arr.dtype === "float64") {
            // tolist() gives Python floats; compare numerically (float32 widens exactly).
            assert.deepEqual(values.map(pyFloat), [...arr.data].map(Number), key);
          } else {
            const expected = [...arr.data].map((v) =>
              arr.dtype === "bool" ? (v ? "True" : "False") : v.toString()
            );
            assert.deepEqual(values, expected, key);
          }
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Parses Python's repr() of a float. */
function pyFloat(repr: string): number {
  const special: Record<string, number> = { nan: NaN, inf: Infinity, "-inf": -Infinity };
  return repr in special ? special[repr] : Number(repr);
}

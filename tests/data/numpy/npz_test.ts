import assert from "node:assert/strict";
import { unzipSync, zipSync } from "fflate";
import {
  encodeNpy,
  encodeNpz,
  loadNpz,
  type NpyArray,
  type NpyDtype,
  NpyFormatError,
  readNpz,
} from "../../../src/data/numpy/mod.ts";
import {
  assertFormatError,
  assertSameArray,
  fixture,
  FIXTURES,
  indexOfBytes,
  numpyExpected,
  rawNpy,
  sampleArrays,
} from "../../fixtures/npy_samples.ts";

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

Deno.test("encodeNpz rejects inconsistent arrays and empty keys, naming the key", () => {
  assertFormatError(
    () => encodeNpz({ x: { dtype: "int32", shape: [2, 2], data: new Int32Array(3) } }),
    "array 'x': shape (2, 2) needs 4 elements but data has 3",
  );
  assertFormatError(() => encodeNpz({ "": numpyExpected.f32 }), /keys must be non-empty/);
});

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

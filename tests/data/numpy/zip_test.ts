import assert from "node:assert/strict";
import { unzipSync } from "fflate";
import { crc32, readZip, writeZip, ZipFormatError } from "../../../src/data/numpy/zip.ts";
import { fixture } from "../../fixtures/npy_samples.ts";

/** The textbook bitwise CRC-32 (reflected polynomial 0xEDB88320), as the test's oracle. */
function bitwiseCrc32(d: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of d) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

Deno.test("crc32: the zip checksum, unsigned", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  let seed = 7;
  const bytes = Uint8Array.from(
    { length: 5000 },
    () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24,
  );
  for (const n of [1, 3, 64, 1000, 5000]) {
    assert.equal(crc32(bytes.subarray(0, n)), bitwiseCrc32(bytes.subarray(0, n)), `n=${n}`);
  }
});

Deno.test("writeZip: deterministic, stored or deflated, readable by fflate", () => {
  const data = new Uint8Array(1000).fill(7);
  const stored = writeZip([["a.bin", data], ["b/c.bin", data.subarray(0, 3)]]);
  assert.deepEqual(stored, writeZip(new Map([["a.bin", data], ["b/c.bin", data.subarray(0, 3)]])));
  assert.equal(new DataView(stored.buffer).getUint16(8, true), 0); // method 0: stored
  const deflated = writeZip([["a.bin", data]], true);
  assert.equal(new DataView(deflated.buffer).getUint16(8, true), 8); // method 8: deflate
  assert.ok(deflated.length < stored.length / 4);
  const back = unzipSync(stored);
  assert.deepEqual(Object.keys(back), ["a.bin", "b/c.bin"]);
  assert.deepEqual(back["a.bin"], data);
});

Deno.test("readZip: members in archive order, filtered, each with its CRC-32 checked", () => {
  const zip = writeZip([["x.npy", new Uint8Array([1, 2, 3])], ["notes.txt", new Uint8Array([9])]]);
  assert.deepEqual(
    readZip(zip).map((m) => [m.name, [...m.data], m.crcOk]),
    [["x.npy", [1, 2, 3], true], ["notes.txt", [9], true]],
  );
  assert.deepEqual(readZip(zip, (n) => n.endsWith(".npy")).map((m) => m.name), ["x.npy"]);
  // A flipped data byte of a stored member: fflate returns it; the CRC-32 check flags it.
  const bad = zip.slice();
  const at = 30 + "x.npy".length; // after the first local header
  bad[at + 1] ^= 0x01;
  assert.deepEqual(readZip(bad).map((m) => m.crcOk), [false, true]);
  // NumPy's own archive (zip64 extra fields).
  assert.ok(readZip(fixture("numpy_written.npz")).every((m) => m.crcOk));
});

Deno.test("readZip: fflate's error for non-zip bytes, ZipFormatError for a bad central directory", () => {
  assert.throws(
    () => readZip(new TextEncoder().encode("not a zip at all, just some text....")),
    (e: unknown) => (e as { code?: number }).code === 13,
  );
  const zip = writeZip([["a", new Uint8Array([1])]]);
  const v = new DataView(zip.buffer);
  const eocd = zip.length - 22;
  const cd = v.getUint32(eocd + 16, true);
  const damaged = zip.slice();
  damaged[cd] = 0; // the central directory entry's signature
  assert.throws(
    () => readZip(damaged),
    (e: unknown) =>
      e instanceof ZipFormatError &&
      e.message === "corrupt zip archive: bad central directory entry",
  );
});

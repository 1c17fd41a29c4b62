/**
 * Zip archives through the `fflate` npm package: reading (stored and deflated members,
 * including the zip64 fields NumPy writes), writing (deterministic bytes), and the CRC-32
 * of member data. fflate does not check the checksums it reads, so {@linkcode readZip}
 * compares each member's CRC-32 (computed by fflate) with the one its central-directory
 * entry records; reading those entries is the one piece of zip parsing done here.
 *
 * @example
 * ```ts
 * import { readZip, writeZip } from "./zip.ts";
 * const zip = writeZip([["a.txt", new TextEncoder().encode("hi")]]);
 * readZip(zip).map((m) => [m.name, m.crcOk]); // [["a.txt", true]]
 * ```
 *
 * @module
 */
import { strFromU8, unzipSync, type Zippable, ZipPassThrough, zipSync } from "fflate";

/**
 * A zip archive whose central directory cannot be read (after fflate accepted it).
 *
 * @example
 * ```ts
 * new ZipFormatError("corrupt zip archive: bad central directory entry").name; // "ZipFormatError"
 * ```
 */
export class ZipFormatError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ZipFormatError";
  }
}

/** One member of an archive, as read by {@linkcode readZip}. */
export interface ZipMember {
  /** The member's name (UTF-8 or latin1, as its entry says). */
  name: string;
  /** The uncompressed bytes, in a buffer of their own. */
  data: Uint8Array;
  /** Whether the data's CRC-32 is the one the central directory records. */
  crcOk: boolean;
}

/**
 * The CRC-32 (zip/IEEE polynomial) of `data` as an unsigned number, computed by fflate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc32 } from "./zip.ts";
 * assert.equal(crc32(new TextEncoder().encode("123456789")).toString(16), "cbf43926");
 * ```
 */
export function crc32(data: Uint8Array): number {
  // fflate exports its CRC-32 through the zip streams: a pass-through member computes the
  // CRC of what is pushed into it (the data goes nowhere here).
  const member = new ZipPassThrough("");
  member.ondata = () => {};
  member.push(data, true);
  return member.crc >>> 0;
}

/**
 * Reads the members of a zip archive (those `filter` keeps, in archive order) with fflate,
 * and checks each one's CRC-32. Throws fflate's error (with its numeric `code`) for bytes
 * that are not a readable archive, and a {@linkcode ZipFormatError} for a bad central
 * directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readZip, writeZip } from "./zip.ts";
 * const bytes = writeZip([["x.npy", new Uint8Array(3)], ["notes.txt", new Uint8Array(1)]]);
 * const members = readZip(bytes, (name) => name.endsWith(".npy"));
 * assert.deepEqual(members.map((m) => m.name), ["x.npy"]);
 * ```
 */
export function readZip(bytes: Uint8Array, filter?: (name: string) => boolean): ZipMember[] {
  const files = unzipSync(bytes, filter ? { filter: (f) => filter(f.name) } : undefined);
  let crcs: Map<string, number>;
  try {
    crcs = centralDirectoryCrcs(bytes);
  } catch (e) {
    if (e instanceof RangeError) throw new ZipFormatError(e.message, { cause: e });
    throw e;
  }
  return Object.entries(files).map(([name, data]) => ({
    name,
    data,
    crcOk: crcs.get(name) === crc32(data),
  }));
}

/** Fixed member timestamp so that writing the same members always gives the same bytes. */
const ZIP_MTIME = new Date(1980, 0, 1);

/**
 * Writes a zip archive with fflate: members stored, or deflated (level 6) with `compress`;
 * every timestamp is 1980-01-01, so the same members always give the same bytes.
 *
 * @example
 * ```ts
 * const a = writeZip([["x", new Uint8Array(4)]], true);
 * const b = writeZip([["x", new Uint8Array(4)]], true);
 * a.length === b.length; // true
 * ```
 */
export function writeZip(
  members: Iterable<readonly [string, Uint8Array]>,
  compress = false,
): Uint8Array<ArrayBuffer> {
  const zippable: Zippable = {};
  for (const [name, data] of members) zippable[name] = [data, { level: compress ? 6 : 0 }];
  return zipSync(zippable, { mtime: ZIP_MTIME });
}

/**
 * Reads member name -> CRC-32 from the zip central directory. Called only after fflate
 * accepted the archive, so the end-of-central-directory record exists; throws a
 * {@linkcode ZipFormatError} (or a RangeError past the end) if the directory is bad.
 */
function centralDirectoryCrcs(bytes: Uint8Array): Map<string, number> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => (at >= 0 && at + 4 <= bytes.length ? v.getUint32(at, true) : -1);
  let eocd = bytes.length - 22;
  while (eocd > 0 && u32(eocd) !== 0x06054b50) eocd--;
  let count = v.getUint16(eocd + 10, true);
  let offset = u32(eocd + 16);
  if (u32(eocd - 20) === 0x07064b50) { // zip64 end-of-central-directory locator
    const z = Number(v.getBigUint64(eocd - 12, true));
    if (u32(z) === 0x06064b50) {
      count = Number(v.getBigUint64(z + 32, true));
      offset = Number(v.getBigUint64(z + 48, true));
    }
  }
  const crcs = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    if (u32(offset) !== 0x02014b50 || offset + 46 > bytes.length) {
      throw new ZipFormatError("corrupt zip archive: bad central directory entry");
    }
    const flags = v.getUint16(offset + 8, true);
    const nameLen = v.getUint16(offset + 28, true);
    const extraLen = v.getUint16(offset + 30, true);
    const commentLen = v.getUint16(offset + 32, true);
    // Decode names exactly as fflate does (UTF-8 if flag bit 11 is set, else latin1).
    const name = strFromU8(bytes.subarray(offset + 46, offset + 46 + nameLen), !(flags & 0x800));
    crcs.set(name, u32(offset + 16));
    offset += 46 + nameLen + extraLen + commentLen;
  }
  return crcs;
}

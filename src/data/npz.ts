/**
 * Reader and writer for NumPy `.npy` arrays and `.npz` archives.
 *
 * Zip handling uses the `fflate` npm package (synchronous, dependency-free, handles both
 * `np.savez` (stored) and `np.savez_compressed` (deflate) archives, including the zip64 extra fields NumPy writes).
 * The `.npy` format itself is small and documented
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), so it is parsed
 * here with a strict parser for the Python-literal header dict instead of regular expressions.
 *
 * Supported: format versions 1.0, 2.0 and 3.0; little-endian ("<") or byte-order-free ("|")
 * dtypes float32, float64, int8/16/32/64, uint8/16/32/64 and bool; C-order (row-major) arrays
 * of any rank, including 0-d scalars and empty arrays.
 *
 * Not supported, each rejected with an {@linkcode NpyFormatError} that says what to do instead:
 * Fortran-order arrays, big-endian (">") dtypes, object arrays ("|O", pickled Python objects),
 * structured/record dtypes, complex, float16, string, datetime and void dtypes. Members of an
 * `.npz` archive whose names do not end in `.npy` are ignored (NumPy never writes them). Each
 * member's zip CRC-32 is verified here (fflate does not check it), and every array's byte length
 * is checked against its header, so corruption and truncation are reported, never returned.
 *
 * @module
 */

import { strFromU8, unzipSync, type Zippable, zipSync } from "fflate";

/** Element types that can be read and written. Names follow NumPy's dtype names. */
export type NpyDtype =
  | "float32"
  | "float64"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "bool";

/**
 * A dense, C-order (row-major) n-dimensional array.
 *
 * `data` holds `shape.reduce((a, b) => a * b, 1)` elements (a 0-d scalar has `shape: []` and one
 * element). The typed-array class is fixed by `dtype`: float32 -> Float32Array, float64 ->
 * Float64Array, int8 -> Int8Array, uint8 -> Uint8Array, int16 -> Int16Array, uint16 ->
 * Uint16Array, int32 -> Int32Array, uint32 -> Uint32Array, int64 -> BigInt64Array, uint64 ->
 * BigUint64Array, bool -> Uint8Array (0 = false, non-zero = true).
 *
 * @example
 * ```ts
 * const a: NpyArray = { dtype: "float32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) };
 * ```
 */
export interface NpyArray {
  /** Element type. */
  dtype: NpyDtype;
  /** Dimensions, outermost first; `[]` for a scalar. */
  shape: number[];
  /** Elements in C (row-major) order. */
  data:
    | Float32Array
    | Float64Array
    | Int8Array
    | Uint8Array
    | Int16Array
    | Uint16Array
    | Int32Array
    | Uint32Array
    | BigInt64Array
    | BigUint64Array;
}

type NpyData = NpyArray["data"];

/**
 * Thrown when bytes are not a readable `.npy`/`.npz`, or when an array uses a feature this module
 * does not support. The message starts with the file and array it concerns (when known), then
 * the problem and, for unsupported features, how to re-save the data so it can be read.
 *
 * @example
 * ```ts
 * try {
 *   await loadNpz("features.npz");
 * } catch (e) {
 *   if (e instanceof NpyFormatError) console.error(e.message);
 *   // e.g. "features.npz: array 'audio_train': Fortran-order arrays are not supported;
 *   //       save with np.ascontiguousarray(a) first"
 *   else throw e;
 * }
 * ```
 */
export class NpyFormatError extends Error {
  /**
   * @param message Full message, including the file/array prefix.
   * @param options Standard error options (e.g. `cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NpyFormatError";
  }
}

// ---------------------------------------------------------------------------------------------
// dtype table

interface DtypeInfo {
  /** descr written by encodeNpy (what NumPy writes on a little-endian machine). */
  descr: string;
  /** Bytes per element. */
  size: number;
}

const DTYPE_INFO: Record<NpyDtype, DtypeInfo> = {
  float32: { descr: "<f4", size: 4 },
  float64: { descr: "<f8", size: 8 },
  int8: { descr: "|i1", size: 1 },
  uint8: { descr: "|u1", size: 1 },
  int16: { descr: "<i2", size: 2 },
  uint16: { descr: "<u2", size: 2 },
  int32: { descr: "<i4", size: 4 },
  uint32: { descr: "<u4", size: 4 },
  int64: { descr: "<i8", size: 8 },
  uint64: { descr: "<u8", size: 8 },
  bool: { descr: "|b1", size: 1 },
};

/** kind+size (descr without the byte-order character) -> dtype. */
const CODE_TO_DTYPE: Record<string, NpyDtype> = {
  f4: "float32",
  f8: "float64",
  i1: "int8",
  u1: "uint8",
  i2: "int16",
  u2: "uint16",
  i4: "int32",
  u4: "uint32",
  i8: "int64",
  u8: "uint64",
  b1: "bool",
};

function isDtype(x: unknown): x is NpyDtype {
  return typeof x === "string" && Object.hasOwn(DTYPE_INFO, x);
}

function makeView(dtype: NpyDtype, buf: ArrayBuffer, byteOffset: number, n: number): NpyData {
  switch (dtype) {
    case "float32":
      return new Float32Array(buf, byteOffset, n);
    case "float64":
      return new Float64Array(buf, byteOffset, n);
    case "int8":
      return new Int8Array(buf, byteOffset, n);
    case "uint8":
    case "bool":
      return new Uint8Array(buf, byteOffset, n);
    case "int16":
      return new Int16Array(buf, byteOffset, n);
    case "uint16":
      return new Uint16Array(buf, byteOffset, n);
    case "int32":
      return new Int32Array(buf, byteOffset, n);
    case "uint32":
      return new Uint32Array(buf, byteOffset, n);
    case "int64":
      return new BigInt64Array(buf, byteOffset, n);
    case "uint64":
      return new BigUint64Array(buf, byteOffset, n);
  }
}

function dataMatchesDtype(dtype: NpyDtype, data: unknown): boolean {
  switch (dtype) {
    case "float32":
      return data instanceof Float32Array;
    case "float64":
      return data instanceof Float64Array;
    case "int8":
      return data instanceof Int8Array;
    case "uint8":
    case "bool":
      return data instanceof Uint8Array;
    case "int16":
      return data instanceof Int16Array;
    case "uint16":
      return data instanceof Uint16Array;
    case "int32":
      return data instanceof Int32Array;
    case "uint32":
      return data instanceof Uint32Array;
    case "int64":
      return data instanceof BigInt64Array;
    case "uint64":
      return data instanceof BigUint64Array;
  }
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A problem found while decoding; turned into an NpyFormatError with the file/array context. */
class Problem extends Error {}

/** Prefixes `problem` with its context ("file: array 'x'"), if any. */
function formatError(ctx: string | undefined, problem: string): NpyFormatError {
  return new NpyFormatError(ctx ? `${ctx}: ${problem}` : problem);
}

function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

// ---------------------------------------------------------------------------------------------
// Python literal parser for the header dict (the subset ast.literal_eval accepts in headers)

interface PyTuple {
  kind: "tuple";
  items: PyValue[];
}
interface PyList {
  kind: "list";
  items: PyValue[];
}
interface PyDict {
  kind: "dict";
  entries: Map<string, PyValue>;
}
type PyValue = string | number | boolean | null | PyTuple | PyList | PyDict;

class PyLiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  /** Parses the whole text as one literal; throws a {@linkcode Problem} on syntax errors. */
  parseAll(): PyValue {
    const v = this.value();
    this.ws();
    if (this.pos !== this.text.length) this.fail("unexpected text after the header dict");
    return v;
  }

  private fail(what: string): never {
    const snippet = JSON.stringify(this.text.slice(this.pos, this.pos + 20));
    throw new Problem(`malformed .npy header: ${what} at character ${this.pos} (near ${snippet})`);
  }

  private ws(): void {
    while (this.pos < this.text.length && " \t\n\r".includes(this.text[this.pos])) this.pos++;
  }

  private value(): PyValue {
    this.ws();
    const c = this.text[this.pos];
    if (c === "{") return this.dict();
    if (c === "(") return this.tupleOrGroup();
    if (c === "[") return { kind: "list", items: this.seq("]") };
    if (c === "'" || c === '"') return this.str();
    if (c !== undefined && /[-+0-9]/.test(c)) return this.int();
    for (const [word, v] of [["True", true], ["False", false], ["None", null]] as const) {
      if (
        this.text.startsWith(word, this.pos) && !/\w/.test(this.text[this.pos + word.length] ?? "")
      ) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? "unexpected end of header" : "unexpected character");
  }

  /** Comma-separated values up to `close` (trailing comma allowed); consumes the brackets. */
  private seq(close: string): PyValue[] {
    this.pos++; // opening bracket
    const items: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.text[this.pos] === close) break;
      items.push(this.value());
      this.ws();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== close) this.fail(`expected ',' or '${close}'`);
    }
    this.pos++; // closing bracket
    return items;
  }

  private tupleOrGroup(): PyValue {
    const start = this.pos;
    const items = this.seq(")");
    // "(x)" is just x in Python; "(x,)" and "()" are tuples.
    const inner = this.text.slice(start + 1, this.pos - 1).trim();
    if (items.length === 1 && !inner.endsWith(",")) return items[0];
    return { kind: "tuple", items };
  }

  private dict(): PyDict {
    this.pos++; // {
    const entries = new Map<string, PyValue>();
    for (;;) {
      this.ws();
      if (this.text[this.pos] === "}") break;
      const keyPos = this.pos;
      const key = this.value();
      if (typeof key !== "string") {
        this.pos = keyPos;
        this.fail("dict keys must be strings");
      }
      if (entries.has(key)) {
        this.pos = keyPos;
        this.fail(`duplicate key '${key}'`);
      }
      this.ws();
      if (this.text[this.pos] !== ":") this.fail("expected ':'");
      this.pos++;
      entries.set(key, this.value());
      this.ws();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== "}") this.fail("expected ',' or '}'");
    }
    this.pos++; // }
    return { kind: "dict", entries };
  }

  private str(): string {
    const quote = this.text[this.pos++];
    let out = "";
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined || c === "\n") {
        this.pos--;
        this.fail("unterminated string");
      }
      if (c === quote) return out;
      if (c === "\\") {
        const e = this.text[this.pos++];
        const simple: Record<string, string> = {
          "\\": "\\",
          "'": "'",
          '"': '"',
          n: "\n",
          t: "\t",
          r: "\r",
          "0": "\0",
        };
        if (e === undefined || !(e in simple)) {
          this.pos -= 2;
          this.fail("unsupported escape sequence in string");
        }
        out += simple[e];
      } else {
        out += c;
      }
    }
  }

  private int(): number {
    // Python 2-era headers may write longs as "3L"; NumPy itself still accepts them.
    const m = /^[-+]?[0-9]+L?/.exec(this.text.slice(this.pos));
    if (!m) return this.fail("expected an integer");
    const next = this.text[this.pos + m[0].length];
    if (next === "." || next === "e" || next === "E" || next === "j") {
      this.fail("only integer numbers are expected in an .npy header");
    }
    this.pos += m[0].length;
    const n = Number(m[0].replace("L", ""));
    if (!Number.isSafeInteger(n)) this.fail("integer too large");
    return n;
  }
}

// ---------------------------------------------------------------------------------------------
// .npy decoding

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Maps a descr string to a supported dtype, or throws a {@linkcode Problem} saying what to do. */
function dtypeFromDescr(descr: string): NpyDtype {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)(?:\[.*\])?$/.exec(descr);
  if (!m) throw new Problem(`unsupported dtype '${descr}'`);
  const [, order, kind, size] = m;
  const q = `(dtype '${descr}')`;
  switch (kind) {
    case "O":
      throw new Problem(
        `object arrays ${q} are not supported (they hold pickled Python objects); ` +
          `convert to a numeric array, e.g. np.asarray(a, dtype=np.float32), before saving`,
      );
    case "c":
      throw new Problem(
        `complex arrays ${q} are not supported; ` +
          `save the real and imaginary parts as separate float arrays (a.real, a.imag)`,
      );
    case "U":
    case "S":
    case "a":
      throw new Problem(
        `string arrays ${q} are not supported; ` +
          `map the strings to integer ids and save those (plus a vocabulary file) instead`,
      );
    case "M":
    case "m":
      throw new Problem(
        `datetime/timedelta arrays ${q} are not supported; save with a.astype(np.int64) instead`,
      );
    case "V":
      throw new Problem(
        `void/structured arrays ${q} are not supported; save each field as its own array`,
      );
  }
  const dtype = CODE_TO_DTYPE[kind + size];
  if (dtype === undefined) {
    if (kind === "f" && size !== "") {
      throw new Problem(
        `float${Number(size) * 8} arrays ${q} are not supported; ` +
          `save with a.astype(np.float32) (or np.float64) instead`,
      );
    }
    throw new Problem(
      `unsupported dtype ${q}; supported are float32, float64, int8/16/32/64, ` +
        `uint8/16/32/64 and bool`,
    );
  }
  if (DTYPE_INFO[dtype].size > 1) {
    if (order === ">") {
      throw new Problem(
        `big-endian arrays ${q} are not supported; ` +
          `save with a.astype(a.dtype.newbyteorder('<')) first`,
      );
    }
    if (order !== "<") {
      throw new Problem(
        `dtype ${q} does not state a little-endian byte order ('<'); re-save it with NumPy`,
      );
    }
  }
  return dtype;
}

interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
}

/** Validates the parsed header dict; throws a {@linkcode Problem} on failure. */
function interpretHeader(v: PyValue): NpyHeader {
  if (v === null || typeof v !== "object" || v.kind !== "dict") {
    throw new Problem("malformed .npy header: expected a dict");
  }
  const e = v.entries;
  for (const key of ["descr", "fortran_order", "shape"]) {
    if (!e.has(key)) throw new Problem(`malformed .npy header: missing key '${key}'`);
  }
  for (const key of e.keys()) {
    if (!["descr", "fortran_order", "shape"].includes(key)) {
      throw new Problem(`malformed .npy header: unexpected key '${key}'`);
    }
  }
  const descr = e.get("descr");
  let dtype: NpyDtype;
  if (typeof descr === "string") {
    dtype = dtypeFromDescr(descr);
  } else if (descr !== null && typeof descr === "object" && descr.kind === "list") {
    throw new Problem(
      "structured (record) arrays are not supported; save each field as its own array, " +
        "e.g. np.savez(f, x=a['x'], y=a['y'])",
    );
  } else {
    throw new Problem("malformed .npy header: 'descr' must be a dtype string");
  }

  const fortran = e.get("fortran_order");
  if (typeof fortran !== "boolean") {
    throw new Problem("malformed .npy header: 'fortran_order' must be True or False");
  }
  if (fortran) {
    throw new Problem(
      "Fortran-order arrays are not supported; save with np.ascontiguousarray(a) first",
    );
  }

  const shapeV = e.get("shape");
  if (shapeV === null || typeof shapeV !== "object" || shapeV.kind !== "tuple") {
    throw new Problem("malformed .npy header: 'shape' must be a tuple");
  }
  const shape: number[] = [];
  for (const d of shapeV.items) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
      throw new Problem("malformed .npy header: 'shape' must hold non-negative integers");
    }
    shape.push(d);
  }
  return { dtype, shape };
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Decodes one .npy buffer. With `copy` false the result may view `bytes`' buffer (used for
 * fflate's private output buffers); with `copy` true the data is always a fresh buffer.
 */
function decodeNpy(bytes: Uint8Array, ctx: string | undefined, copy: boolean): NpyArray {
  const fail = (problem: string) => formatError(ctx, problem);
  if (!HOST_IS_LITTLE_ENDIAN) {
    throw fail("this reader only runs on little-endian hosts");
  }
  for (let i = 0; i < MAGIC.length && i < bytes.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw fail("not an .npy array (bad magic bytes; expected the file to start with \\x93NUMPY)");
    }
  }
  if (bytes.length < 10) {
    throw fail(`truncated .npy data (${bytes.length} bytes, shorter than the 10-byte preamble)`);
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw fail(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerStart = 10;
    headerLen = view.getUint16(8, true);
  } else {
    if (bytes.length < 12) {
      throw fail(`truncated .npy data (${bytes.length} bytes, shorter than the preamble)`);
    }
    headerStart = 12;
    headerLen = view.getUint32(8, true);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw fail(
      `truncated .npy data: header says it is ${headerLen} bytes but only ` +
        `${bytes.length - headerStart} bytes follow the preamble`,
    );
  }
  let headerText: string;
  try {
    headerText = new TextDecoder(major === 3 ? "utf-8" : "latin1", { fatal: true })
      .decode(bytes.subarray(headerStart, dataStart));
  } catch {
    throw fail("malformed .npy header: not valid UTF-8");
  }

  let header: NpyHeader;
  try {
    header = interpretHeader(new PyLiteralParser(headerText).parseAll());
  } catch (e) {
    if (e instanceof Problem) throw fail(e.message);
    throw e;
  }
  const { dtype, shape } = header;
  const { size } = DTYPE_INFO[dtype];
  const count = elementCount(shape);
  const need = count * size;
  if (!Number.isSafeInteger(need)) throw fail(`array shape ${shapeText(shape)} is too large`);
  const have = bytes.length - dataStart;
  if (have < need) {
    throw fail(
      `truncated .npy data: shape ${shapeText(shape)} of ${dtype} needs ${need} data bytes ` +
        `but only ${have} are present`,
    );
  }
  if (have > need) {
    throw fail(
      `malformed .npy data: ${have - need} unexpected bytes after the ${need} data bytes of ` +
        `shape ${shapeText(shape)} ${dtype}`,
    );
  }
  const absStart = bytes.byteOffset + dataStart;
  let data: NpyData;
  if (!copy && absStart % size === 0 && bytes.buffer instanceof ArrayBuffer) {
    data = makeView(dtype, bytes.buffer, absStart, count);
  } else {
    const own = bytes.slice(dataStart, dataStart + need);
    data = makeView(dtype, own.buffer, 0, count);
  }
  return { dtype, shape, data };
}

/**
 * Parses the bytes of one `.npy` file (format version 1.0, 2.0 or 3.0).
 *
 * The returned `data` is a fresh copy, independent of `bytes`.
 *
 * @param bytes The complete `.npy` file contents.
 * @param name Used as the prefix of error messages, e.g. a file path.
 * @returns The array.
 * @throws {NpyFormatError} On malformed or truncated input and unsupported features
 *   (big-endian, Fortran order, object/structured/complex/float16/string dtypes).
 *
 * @example
 * ```ts
 * const arr = parseNpy(await Deno.readFile("labels.npy"), "labels.npy");
 * console.log(arr.dtype, arr.shape); // "int64" [1000]
 * ```
 */
export function parseNpy(bytes: Uint8Array, name?: string): NpyArray {
  return decodeNpy(bytes, name, true);
}

// ---------------------------------------------------------------------------------------------
// .npz decoding

const ZIP_LOCAL_MAGIC = [0x50, 0x4b, 0x03, 0x04]; // "PK\3\4"

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (zip/IEEE polynomial), as an unsigned 32-bit number. */
function crc32(d: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < d.length; i++) c = CRC_TABLE[(c ^ d[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * Reads member name -> CRC-32 from the zip central directory (fflate extracts members but does
 * not check their checksums). Called only after fflate accepted the archive, so the
 * end-of-central-directory record exists; throws a {@linkcode Problem} if the directory is bad.
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
      throw new Problem("corrupt zip archive: bad central directory entry");
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

/**
 * Reads every array of an `.npz` archive (as written by `np.savez` or `np.savez_compressed`).
 *
 * Keys are the member names without the `.npy` suffix (`np.savez(f, x=a)` gives key `"x"`).
 * Members whose names do not end in `.npy` are ignored.
 *
 * @param bytes The complete `.npz` file contents.
 * @param fileLabel Names the archive in error messages (e.g. its path).
 * @returns Arrays by key, in archive order.
 * @throws {NpyFormatError} If the bytes are not a zip archive, the archive is corrupt or
 *   truncated (including CRC-32 mismatches), or any member is not a supported `.npy` array (the message names that array).
 *
 * @example
 * ```ts
 * const arrays = readNpz(await Deno.readFile("features.npz"), "features.npz");
 * const train = arrays.get("audio_train"); // NpyArray | undefined
 * ```
 */
export function readNpz(bytes: Uint8Array, fileLabel?: string): Map<string, NpyArray> {
  const label = fileLabel ?? "input";
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => f.name.endsWith(".npy") });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 13) { // fflate: "invalid zip data" (no end-of-central-directory record)
      let why = "not a zip archive";
      if (startsWith(bytes, MAGIC)) {
        why = "not a zip archive; it looks like a single .npy array, read it with parseNpy";
      } else if (startsWith(bytes, ZIP_LOCAL_MAGIC)) {
        why = "the zip archive is truncated or corrupt: no end-of-central-directory record";
      }
      throw new NpyFormatError(`${label} is not an NPZ file (${why})`, { cause: e });
    }
    throw new NpyFormatError(
      `${label}: corrupt or truncated zip archive (${(e as Error).message})`,
      { cause: e },
    );
  }
  let crcs: Map<string, number>;
  try {
    crcs = centralDirectoryCrcs(bytes);
  } catch (e) {
    if (e instanceof Problem || e instanceof RangeError) {
      throw new NpyFormatError(`${label}: ${e.message}`, { cause: e });
    }
    throw e;
  }
  const out = new Map<string, NpyArray>();
  for (const [member, content] of Object.entries(files)) {
    const key = member.slice(0, -".npy".length);
    const ctx = fileLabel ? `${fileLabel}: array '${key}'` : `array '${key}'`;
    if (crcs.get(member) !== crc32(content)) {
      throw formatError(ctx, "zip CRC-32 checksum mismatch: the archive is corrupt");
    }
    // fflate returns freshly allocated buffers per member, so viewing them is safe.
    out.set(key, decodeNpy(content, ctx, false));
  }
  return out;
}

/**
 * Reads an `.npz` file from disk; see {@linkcode readNpz}.
 *
 * File-system errors (e.g. `Deno.errors.NotFound`) propagate unchanged; their messages name the
 * path. Format problems are {@linkcode NpyFormatError}s prefixed with the path, e.g.
 * `"x.npz is not an NPZ file (not a zip archive)"`.
 *
 * @param path Path of the `.npz` file (needs read permission).
 * @returns Arrays by key (member name without `.npy`).
 *
 * @example
 * ```ts
 * const arrays = await loadNpz("data/features.npz");
 * for (const [key, arr] of arrays) console.log(key, arr.dtype, arr.shape);
 * ```
 */
export async function loadNpz(path: string): Promise<Map<string, NpyArray>> {
  const bytes = await Deno.readFile(path);
  return readNpz(bytes, path);
}

// ---------------------------------------------------------------------------------------------
// encoding

function validateArray(arr: NpyArray, ctx: string | undefined): number {
  const fail = (problem: string) => formatError(ctx, problem);
  if (!isDtype(arr.dtype)) throw fail(`unsupported dtype '${String(arr.dtype)}'`);
  if (!Array.isArray(arr.shape)) throw fail("shape must be an array of integers");
  for (const d of arr.shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw fail(`shape [${arr.shape.join(", ")}] must hold non-negative integers`);
    }
  }
  if (!dataMatchesDtype(arr.dtype, arr.data)) {
    const got = (arr.data as { constructor?: { name?: string } })?.constructor?.name ?? "value";
    throw fail(`dtype ${arr.dtype} does not match its data (a ${got})`);
  }
  const count = elementCount(arr.shape);
  if (arr.data.length !== count) {
    throw fail(
      `shape ${shapeText(arr.shape)} needs ${count} elements but data has ${arr.data.length}`,
    );
  }
  return count;
}

function encodeNpyChecked(arr: NpyArray, ctx: string | undefined): Uint8Array<ArrayBuffer> {
  validateArray(arr, ctx);
  const dict = `{'descr': '${DTYPE_INFO[arr.dtype].descr}', 'fortran_order': False, ` +
    `'shape': ${shapeText(arr.shape)}, }`;
  // Pad with spaces and a final newline so the data starts at a multiple of 64 bytes, as NumPy
  // does. Version 1.0 stores the header length in 2 bytes; longer headers need version 2.0.
  let preamble = 10;
  let total = Math.ceil((preamble + dict.length + 1) / 64) * 64;
  if (total - preamble > 0xffff) {
    preamble = 12;
    total = Math.ceil((preamble + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - preamble;
  const header = dict + " ".repeat(headerLen - dict.length - 1) + "\n";
  const data = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  if (preamble === 10) {
    out[6] = 1;
    view.setUint16(8, headerLen, true);
  } else {
    out[6] = 2;
    view.setUint32(8, headerLen, true);
  }
  for (let i = 0; i < header.length; i++) out[preamble + i] = header.charCodeAt(i);
  out.set(data, total);
  return out;
}

/**
 * Serialises an array as a `.npy` file: format version 1.0 (2.0 only if the header would exceed
 * 64 KiB), little-endian, C order, data aligned to 64 bytes like NumPy writes it.
 *
 * @param arr The array; `data` must be the typed-array class of `dtype` and hold exactly
 *   `product(shape)` elements.
 * @returns The file bytes.
 * @throws {NpyFormatError} If `arr` is inconsistent.
 *
 * @example
 * ```ts
 * const bytes = encodeNpy({ dtype: "int32", shape: [3], data: new Int32Array([1, 2, 3]) });
 * await Deno.writeFile("x.npy", bytes); // np.load("x.npy") -> array([1, 2, 3], dtype=int32)
 * ```
 */
export function encodeNpy(arr: NpyArray): Uint8Array<ArrayBuffer> {
  return encodeNpyChecked(arr, undefined);
}

/** Fixed member timestamp so that encoding the same arrays always gives the same bytes. */
const ZIP_MTIME = new Date(1980, 0, 1);

/**
 * Serialises arrays as an `.npz` archive readable by `np.load`. Each key becomes the member
 * `<key>.npy`, like `np.savez(f, **arrays)`.
 *
 * @param arrays Arrays by key (keys must be non-empty).
 * @param compress Deflate-compress members like `np.savez_compressed` (default: stored, like
 *   `np.savez`).
 * @returns The archive bytes (deterministic: member timestamps are fixed to 1980-01-01).
 * @throws {NpyFormatError} If a key is empty or an array is inconsistent (names the key).
 *
 * @example
 * ```ts
 * const npz = encodeNpz({ x: { dtype: "float32", shape: [2], data: new Float32Array([1, 2]) } });
 * await Deno.writeFile("out.npz", npz); // np.load("out.npz")["x"] -> array([1., 2.], dtype=float32)
 * ```
 */
export function encodeNpz(
  arrays: Record<string, NpyArray> | Map<string, NpyArray>,
  compress = false,
): Uint8Array<ArrayBuffer> {
  const entries = arrays instanceof Map ? [...arrays] : Object.entries(arrays);
  const members: Zippable = {};
  for (const [key, arr] of entries) {
    if (key.length === 0) throw new NpyFormatError("encodeNpz: array keys must be non-empty");
    members[`${key}.npy`] = [encodeNpyChecked(arr, `array '${key}'`), { level: compress ? 6 : 0 }];
  }
  return zipSync(members, { mtime: ZIP_MTIME });
}

// ---------------------------------------------------------------------------------------------
// conversion

/**
 * Returns the elements as a Float32Array (e.g. to build a tfjs tensor).
 *
 * - float32: returns `arr.data` itself (no copy; mutating one mutates the other).
 * - float64 and all integer dtypes: converted to a new Float32Array, rounding to the nearest
 *   float32 (int64/uint64 go through `Number`, so magnitudes above 2^24 lose precision).
 * - bool: converted to 0 / 1.
 *
 * @param arr The array.
 * @param name Names the array in error messages.
 * @returns The elements in C order.
 * @throws {NpyFormatError} If `arr.data` does not match `arr.dtype` or `arr.shape`.
 *
 * @example
 * ```ts
 * const arrays = await loadNpz("features.npz");
 * const x = arrays.get("audio_train")!;
 * const t = tf.tensor(toFloat32(x, "audio_train"), x.shape);
 * ```
 */
export function toFloat32(arr: NpyArray, name?: string): Float32Array {
  const count = validateArray(arr, name === undefined ? undefined : `array '${name}'`);
  const d = arr.data;
  if (d instanceof Float32Array) return d;
  const out = new Float32Array(count);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    for (let i = 0; i < count; i++) out[i] = Number(d[i]);
  } else if (arr.dtype === "bool") {
    for (let i = 0; i < count; i++) out[i] = d[i] ? 1 : 0;
  } else {
    out.set(d);
  }
  return out;
}

/**
 * Header checks of media files (WAV, JPEG, PNG) for `datasets check` and the loaders,
 * so that an empty or garbage file is reported with its path instead of failing late
 * inside a decoder.
 *
 * @module
 */
async function head(path: string, n: number): Promise<{ bytes: Uint8Array; size: number }> {
  const f = await Deno.open(path, { read: true });
  try {
    const size = (await f.stat()).size;
    const bytes = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = await f.read(bytes.subarray(got));
      if (r === null || r === 0) break;
      got += r;
    }
    return { bytes: bytes.subarray(0, got), size };
  } finally {
    f.close();
  }
}

const ascii = (b: Uint8Array, from: number, to: number) =>
  String.fromCharCode(...b.subarray(from, to));

/**
 * What is wrong with a media file's header, or null when it looks usable: an empty file,
 * a `.wav` without its RIFF/WAVE header (or shorter than one), a `.jpg`/`.jpeg` without the
 * JPEG start marker, a `.png` without the PNG signature.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mediaProblem } from "./media_check.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/empty.wav`, new Uint8Array());
 * await Deno.writeTextFile(`${dir}/fake.png`, "not an image");
 * assert.equal(await mediaProblem(`${dir}/empty.wav`), "empty file (0 bytes)");
 * assert.match((await mediaProblem(`${dir}/fake.png`))!, /^not a PNG file/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function mediaProblem(path: string): Promise<string | null> {
  const { bytes, size } = await head(path, 12);
  if (size === 0) return "empty file (0 bytes)";
  const ext = path.toLowerCase().split(".").pop();
  if (ext === "wav") {
    if (size < 44 || ascii(bytes, 0, 4) !== "RIFF" || ascii(bytes, 8, 12) !== "WAVE") {
      return `not a WAV file (no RIFF/WAVE header, ${size} bytes)`;
    }
  } else if (ext === "jpg" || ext === "jpeg") {
    if (!(bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)) {
      return `not a JPEG file (no FF D8 FF start marker, ${size} bytes)`;
    }
  } else if (ext === "png") {
    if (!(bytes[0] === 0x89 && ascii(bytes, 1, 4) === "PNG")) {
      return `not a PNG file (no PNG signature, ${size} bytes)`;
    }
  }
  return null;
}

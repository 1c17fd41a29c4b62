import { assert, assertAlmostEquals, assertEquals } from "../assert.ts";
import {
  cropResize,
  decodeImage,
  horizontalFlip,
  imagenetNormalize,
  randomResizedCrop,
  randomResizedCropBox,
  resizeFloat,
  resizeImage,
  type RgbImage,
  testTransform,
} from "../../src/data/image.ts";
import { Rng } from "../../src/rng.ts";
import { writeImage } from "../fixtures/media.ts";
import { tempOut } from "../helpers.ts";

/** PIL reference (tests/fixtures/image/make_reference.py). */
const ref: {
  width: number;
  height: number;
  source: number[];
  cases: { box: number[]; size: number[]; values: number[] }[];
} = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/image/reference.json", import.meta.url)),
);

const source: RgbImage = {
  data: Uint8Array.from(ref.source),
  width: ref.width,
  height: ref.height,
  channels: 3,
};

Deno.test("cropResize matches PIL's bilinear resize and crop+resize (torchvision on PIL)", () => {
  for (const c of ref.cases) {
    const [top, left, height, width] = c.box;
    const out = cropResize(source, { top, left, height, width }, c.size[0], c.size[1]);
    assertEquals(out.data.length, c.values.length);
    let m = 0;
    for (let i = 0; i < out.data.length; i++) m = Math.max(m, Math.abs(out.data[i] - c.values[i]));
    // PIL rounds to uint8 with fixed-point weights: within one grey level.
    assert(m <= 1, `box ${c.box} -> ${c.size}: max |diff| ${m}`);
  }
});

Deno.test("resizeImage (the cache's Resize) matches PIL to one grey level", async () => {
  for (const c of ref.cases.filter((c) => c.box[0] === 0 && c.box[2] === ref.height)) {
    const out = await resizeImage(source, c.size[0], c.size[1]);
    let m = 0;
    for (let i = 0; i < out.data.length; i++) m = Math.max(m, Math.abs(out.data[i] - c.values[i]));
    assert(m <= 1, `${c.size}: max |diff| ${m}`);
  }
});

Deno.test("randomResizedCropBox: torchvision's ranges, fallback, determinism", () => {
  const rng = new Rng(3);
  for (let i = 0; i < 500; i++) {
    const b = randomResizedCropBox(480, 360, rng);
    assert(b.width >= 1 && b.left + b.width <= 480 && b.top + b.height <= 360, JSON.stringify(b));
    const area = (b.width * b.height) / (480 * 360);
    assert(area >= 0.08 * 0.95 && area <= 1.0001, `area ${area}`);
    const r = b.width / b.height;
    assert(r >= 0.75 * 0.97 && r <= (4 / 3) * 1.03, `ratio ${r}`);
  }
  // No box of area >= 1.5 fits: centre crop clamped to the ratio range.
  assertEquals(randomResizedCropBox(400, 100, new Rng(0), [1.5, 2]), {
    top: 0,
    left: 133,
    height: 100,
    width: 133,
  });
  assertEquals(randomResizedCropBox(50, 40, new Rng(9)), randomResizedCropBox(50, 40, new Rng(9)));
});

Deno.test("randomResizedCrop maps a box drawn on the original onto the cached image", () => {
  const img: RgbImage = { data: new Uint8Array(8 * 8 * 3), width: 8, height: 8, channels: 3 };
  for (let x = 0; x < 8; x++) for (let y = 0; y < 8; y++) img.data[(y * 8 + x) * 3] = x * 30;
  const a = randomResizedCrop(img, 4, new Rng(5), { source: { width: 800, height: 800 } });
  const box = randomResizedCropBox(800, 800, new Rng(5));
  const b = cropResize(
    img,
    {
      top: box.top / 100,
      left: box.left / 100,
      height: box.height / 100,
      width: box.width / 100,
    },
    4,
    4,
  );
  assertEquals(a.data, b.data);
});

Deno.test("flip, normalisation and the test transform", () => {
  const f = { data: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), width: 3, height: 1 };
  horizontalFlip(f, new Rng(0), 1);
  assertEquals(Array.from(f.data), [7, 8, 9, 4, 5, 6, 1, 2, 3]);
  horizontalFlip(f, new Rng(0), 0);
  assertEquals(Array.from(f.data), [7, 8, 9, 4, 5, 6, 1, 2, 3]);
  const n = imagenetNormalize({ data: Float32Array.of(255, 0, 127.5), width: 1, height: 1 });
  assertAlmostEquals(n.data[0], (1 - 0.485) / 0.229, 1e-5);
  assertAlmostEquals(n.data[1], -0.456 / 0.224, 1e-5);
  assertAlmostEquals(n.data[2], (0.5 - 0.406) / 0.225, 1e-5);
  assertEquals(resizeFloat(source, 9, 7).data, Float32Array.from(source.data));
  assertEquals(testTransform(source, 4).data.length, 4 * 4 * 3);
});

Deno.test("decodeImage gives RGB for grey PNGs and JPEGs; resizeImage resizes", async () => {
  const dir = await tempOut();
  await writeImage(`${dir}/a.png`, 6, 4, (x) => [x * 40, x * 40, x * 40]);
  const sharp = (await import("sharp")).default;
  await sharp(`${dir}/a.png`).greyscale().toFile(`${dir}/g.png`);
  const g = await decodeImage(`${dir}/g.png`);
  assertEquals([g.width, g.height, g.channels, g.data.length], [6, 4, 3, 72]);
  assertEquals(Array.from(g.data.subarray(3, 6)), [40, 40, 40]);
  await writeImage(`${dir}/c.jpg`, 10, 8, () => [200, 30, 90]);
  const c = await decodeImage(`${dir}/c.jpg`);
  assert(
    Math.abs(c.data[0] - 200) <= 3 && Math.abs(c.data[1] - 30) <= 3,
    `${c.data.subarray(0, 3)}`,
  );
  const r = await resizeImage(c, 5, 3);
  assertEquals([r.width, r.height, r.data.length], [5, 3, 45]);
  assert(Math.abs(r.data[2] - c.data[2]) <= 2, "flat colour survives resizing");
});

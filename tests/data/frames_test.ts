import { assert, assertEquals, assertThrows } from "../assert.ts";
import { byName, listFrames, pickFrames } from "../../src/data/frames.ts";
import { Rng } from "../../src/rng.ts";
import { tempOut } from "../helpers.ts";

Deno.test("pickFrames: the official test indices, including seg = 1 -> last file", () => {
  const rng = new Rng(0);
  assertEquals(pickFrames(3, false, rng), [2, 0, 1]);
  assertEquals(pickFrames(5, false, rng), [4, 0, 1]);
  assertEquals(pickFrames(6, false, rng), [0, 2, 4]);
  assertEquals(pickFrames(9, false, rng), [0, 3, 6]);
  assertEquals(pickFrames(12, false, rng), [1, 5, 9]);
  assertEquals(pickFrames(2, false, rng), [0, 1, 1]);
  assertThrows(() => pickFrames(0, false, rng), "no frames");
});

Deno.test("pickFrames: train draws one frame per third, every one reachable", () => {
  const rng = new Rng(1);
  const seen = [new Set<number>(), new Set<number>(), new Set<number>()];
  for (let t = 0; t < 300; t++) {
    pickFrames(10, true, rng).forEach((f, i) => seen[i].add(f));
  }
  assertEquals(seen.map((s) => [...s].sort((a, b) => a - b)), [[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
  assertEquals(pickFrames(5, true, rng), [0, 1, 2]);
});

Deno.test("listFrames: image files only, name order or directory order", async () => {
  const dir = await tempOut();
  for (const n of ["00060.jpg", "00000.jpg", "00030.JPG", "notes.txt"]) {
    await Deno.writeFile(`${dir}/${n}`, new Uint8Array(1));
  }
  await Deno.mkdir(`${dir}/sub.jpg`);
  assertEquals(await listFrames(dir, "sorted"), ["00000.jpg", "00030.JPG", "00060.jpg"]);
  const raw: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile && e.name !== "notes.txt") raw.push(e.name);
  assertEquals(await listFrames(dir, "unsorted"), raw);
  assert(["B", "a"].sort(byName)[0] === "B");
});

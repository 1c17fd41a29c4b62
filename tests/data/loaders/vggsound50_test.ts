import { assert, assertEquals } from "../../assert.ts";
import {
  checkVggsound50,
  loadVggsound50,
  parseVggList,
} from "../../../src/data/loaders/vggsound50.ts";
import { resolveConfig } from "../../../src/resolve/resolve_config.ts";
import { VGG_FIXTURE, writeVggsound50 } from "../../fixtures/av_layouts.ts";
import { tempOut, useWasm } from "../../helpers.ts";

const config = (root: string) =>
  resolveConfig({
    method: "concat",
    dataset: "vggsound50",
    profile: "paper",
    dataRoot: root,
    sets: ["data.frame_size=8"],
  });

Deno.test("vggsound50: list parsing trims the label (no extra class from a final line)", () => {
  assertEquals(parseVggList("a.mp4,x\r\nb.mp4,x", "t"), [{ name: "a", label: "x" }, {
    name: "b",
    label: "x",
  }]);
});

Deno.test("vggsound50: classes from train.txt, unknown test labels dropped, val = test", async () => {
  await useWasm();
  const root = await tempOut();
  await writeVggsound50(root, false);
  const ds = await loadVggsound50(config(root), `${root}/cache`);
  try {
    assertEquals(ds.info.classNames, VGG_FIXTURE.classes);
    assertEquals([ds.train.size, ds.test.size], [6, 3]);
    assertEquals(ds.val, undefined);
    assertEquals(Array.from(ds.test.labels), [1, 2, 0]);
    assertEquals(ds.facts?.test_rows_unknown_label, 1);
    assertEquals(ds.facts?.subset, undefined);
  } finally {
    ds.dispose();
  }
  const r = await checkVggsound50(root);
  assertEquals([r.status, r.classes, r.problem], ["found", 3, undefined]);
  assertEquals(r.counts, VGG_FIXTURE.counts);
});

Deno.test("vggsound50: a folder built from the VGGSound list says it is not the paper's subset", async () => {
  await useWasm();
  const root = await tempOut();
  await writeVggsound50(root, true);
  const ds = await loadVggsound50(config(root), `${root}/cache`);
  ds.dispose();
  assert(String(ds.facts?.subset).includes("not the paper's subset"));
  assert((await checkVggsound50(root)).problem?.includes("not the paper's subset"));
});

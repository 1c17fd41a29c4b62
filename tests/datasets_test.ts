import { assert, assertEquals } from "./assert.ts";
import { checkAll, formatCheck, main } from "../src/cli/datasets.ts";
import { LOADERS } from "../src/data/loaders/mod.ts";
import { DATASET_SPECS } from "../src/data/specs.ts";
import { capture } from "./fixtures/capture.ts";
import { writeFood101, writeMnist3d, writeMvsa } from "./fixtures/real_data.ts";
import { tempOut } from "./helpers.ts";

Deno.test("datasets check: counts, the first problem, missing sets, sets without a loader", async () => {
  const root = await tempOut();
  await writeMvsa(root);
  await writeFood101(root);
  await writeMnist3d(root);
  await Deno.remove(`${root}/food101/images/test/apple_pie/apple_pie_6.jpg`);
  const rows = await checkAll(root);
  assertEquals(rows.map((r) => r.dataset), Object.keys(DATASET_SPECS));
  const by = Object.fromEntries(rows.map((r) => [r.dataset, r]));
  assertEquals(by.mvsa.status, "found");
  assertEquals("counts" in by.mvsa && by.mvsa.counts, { train: 6, dev: 3, test: 3 });
  assertEquals(by.mnist3d.status, "found");
  assertEquals(by.food101.status, "missing");
  assert("problem" in by.food101 && by.food101.problem?.includes("apple_pie_6.jpg"));
  assertEquals(by.modelnet40.status, "missing");
  const ave = LOADERS.ave;
  delete LOADERS.ave;
  try {
    assertEquals(await checkAll(root, ["ave"]), [{ dataset: "ave", status: "no loader yet" }]);
  } finally {
    if (ave) LOADERS.ave = ave;
  }
  const text = formatCheck(rows);
  assert(/^mvsa\s+found\s+train 6 \/ dev 3 \/ test 3\s+3\s+/m.test(text), text);
  assert(
    /^\s+problem: UPMC Food-101 not found: .*listed in test\.jsonl for id apple_pie_6\)/m.test(
      text,
    ),
    text,
  );

  const all = await capture(() => main(["check", "--data-root", root]));
  assertEquals(all.code, 0);
  assert(all.out.includes("mnist3d") && all.out.includes("train 12 / test 4"), all.out);
  const one = await capture(() => main(["check", "--data-root", root, "--dataset", "food101"]));
  assertEquals(one.code, 1);
  const ok = await capture(() => main(["check", "--data-root", root, "--dataset", "mvsa"]));
  assertEquals(ok.code, 0);
  // header, one row, the cache line
  assertEquals(ok.out.split("\n").filter((l) => /^\S/.test(l)).length, 3);
  assert(/^cache \S+: /m.test(ok.out), ok.out);
  const bad = await capture(() => main(["check", "--dataset", "nope"]));
  assertEquals(bad.code, 2);
  assert(bad.err.includes("unknown dataset 'nope'"), bad.err);
  assertEquals((await capture(() => main(["list"]))).code, 2);
  await Deno.remove(root, { recursive: true });
});

import assert from "node:assert/strict";
import { main } from "../src/cli/table.ts";
import { capture } from "./fixtures/capture.ts";
import { writeFixtureRuns } from "./fixtures/report_fixture.ts";

Deno.test("table: prints and writes the table in each format", async () => {
  const out = await Deno.makeTempDir();
  try {
    await writeFixtureRuns(out);
    const md = await capture(() => main(["table4", "--out", out]));
    assert.equal(md.code, 0, md.err);
    assert.match(md.out, /^## Table 4: average discrepancy ratio during training/);
    assert.match(
      md.out,
      /\| IBML \(ours\) \| \*\*1\.55 ± 0\.07\*\* \[2\/3\] \| \*\*1\.55 ± 0\.00\*\* \| 0\.00 \|/,
    );
    // The fixture has 2 of the 3 seeds the experiment plans: every cell is marked.
    assert.match(md.out, /Incomplete cells: 12 cells have fewer runs than the experiment plans/);
    assert.equal(
      md.err,
      `wrote ${out}/tables/table4.md\nwarning: 12 cells have fewer runs than planned (marked [n/N])`,
    );
    for (const format of ["csv", "tex"]) {
      const r = await capture(() => main(["table4", "--format", format, "--out", out]));
      assert.equal(r.code, 0);
      assert.equal(
        await Deno.readTextFile(`${out}/tables/table4.${format}`),
        `${r.out}\n`.replace(/\n\n$/, "\n"),
      );
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("table: no runs, bad format or bad name exit 2 with one line", async () => {
  const out = await Deno.makeTempDir();
  try {
    const none = await capture(() => main(["table4", "--out", out]));
    assert.equal(none.code, 2);
    assert.match(
      none.err,
      /^error: no finished runs under .*runs\/table4: run "deno task reproduce table4" first$/,
    );
    assert.deepEqual([...Deno.readDirSync(out)], [], "nothing written");
    assert.equal((await capture(() => main(["table4", "--format", "pdf"]))).code, 2);
    assert.equal((await capture(() => main(["nope"]))).code, 2);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

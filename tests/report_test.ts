import assert from "node:assert/strict";
import { loadExperiment } from "../src/experiment/catalog.ts";
import {
  figureSpec,
  isFigure,
  loadReport,
  renderTable,
  writeAtomic,
  writeFigure,
  writeTables,
} from "../src/report/report.ts";
import { writeFixtureRuns } from "./fixtures/report_fixture.ts";
import { writeCurveRuns } from "./fixtures/figure_fixture.ts";

Deno.test("report: loads runs, published numbers and claims; writes every table format", async () => {
  const out = await Deno.makeTempDir();
  try {
    await writeFixtureRuns(out);
    const exp = await loadExperiment("table4");
    const report = await loadReport(exp, { out, implemented: (m) => m !== "mla" });
    assert.equal(report.table.facts.runs, 18);
    assert.equal(report.table.hasPublished, true);
    assert.equal(report.table.groups[3].status, "not implemented");
    assert.equal(report.table.claims[0].verdict, "holds");
    const paths = await writeTables(report.table, ["md", "csv", "tex"], out);
    assert.deepEqual(paths, ["md", "csv", "tex"].map((f) => `${out}/tables/table4.${f}`));
    assert.equal(await Deno.readTextFile(paths[0]), renderTable(report.table, "md"));
    const only = await loadReport(exp, { out, filter: (r) => r.dataset === "mvsa", expected: 54 });
    assert.equal(only.table.facts.runs, 6);
    assert.ok(only.table.header.includes("Incomplete: 6 of 54 planned runs have finished."));
    assert.equal(isFigure(exp), false);
    await assert.rejects(() => figureSpec(report), /not a figure: use "main.ts table table4"/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("report: figure experiments write SVG and PNG", async () => {
  const out = await Deno.makeTempDir();
  try {
    const exp = await loadExperiment("fig4");
    await writeCurveRuns(out, "fig4", ["ogm-ge", "ibml"]);
    const report = await loadReport(exp, { out });
    const [svg, png] = await writeFigure(report, ["svg", "png"], out);
    assert.ok((await Deno.readTextFile(svg)).startsWith("<svg"));
    assert.ok((await Deno.stat(png)).size > 1000);
    assert.ok(report.table.rowHeader === "Value");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("report: atomic writes leave no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeAtomic(`${dir}/a/b.txt`, "x");
    assert.deepEqual([...Deno.readDirSync(`${dir}/a`)].map((e) => e.name), ["b.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

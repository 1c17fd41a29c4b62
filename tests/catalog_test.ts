import assert from "node:assert/strict";
import { experimentPath, listExperiments, loadExperiment } from "../src/experiment/catalog.ts";
import { expandRuns } from "../src/experiment/expand.ts";
import { ExperimentError } from "../src/experiment/error.ts";

Deno.test("catalog: every shipped experiment validates and has a title", async () => {
  const list = await listExperiments();
  const names = list.map((e) => e.name);
  for (
    const n of [
      "ci",
      "fig2",
      "fig3",
      "fig4",
      "fig5",
      "fig6",
      "table2",
      "table3",
      "table4",
      "table5",
    ]
  ) {
    assert.ok(names.includes(n), `${n} missing`);
  }
  for (const e of list) assert.ok(e.valid, `${e.name}: ${e.title}`);
});

Deno.test("catalog: the paper's experiments have the expected shapes", async () => {
  const t2 = await loadExperiment("table2");
  assert.equal(expandRuns(t2).length, 12 * 4 * 3);
  assert.equal(t2.report.published, "table2.csv");
  assert.ok(t2.claims.length >= 3);
  const t5 = await loadExperiment("table5");
  assert.deepEqual(t5.entries.map((e) => e.name), [
    "full",
    "no-tcm",
    "no-warmup",
    "bio-only",
    "tcm-only",
    "concat",
  ]);
  const fig6 = await loadExperiment("fig6");
  assert.deepEqual(fig6.profiles.paper.infoEpochs, [10, 30, 50, 100]);
  const ci = await loadExperiment("ci");
  assert.equal(ci.report.kind, "regress");
  assert.equal(expandRuns(ci).length, 6);
});

Deno.test("catalog: a missing experiment lists the known ones", async () => {
  assert.ok(experimentPath("table2").endsWith("/experiments/table2.yaml"));
  assert.equal(experimentPath("some/dir/x.yaml"), "some/dir/x.yaml");
  await assert.rejects(() => loadExperiment("tabel2"), (e: unknown) => {
    assert.ok(e instanceof ExperimentError);
    assert.match(
      e.message,
      /tabel2\.yaml: \(file\): expected an experiment file \(known: ci, fig2/,
    );
    return true;
  });
});

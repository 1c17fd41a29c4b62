import assert from "node:assert/strict";
import { loadExperiment } from "../src/experiment/catalog.ts";
import { runExperiment } from "../src/runner/run_experiment.ts";
import { FAKE_WORKER, fakeDeps, invocations } from "./fixtures/fake_runner.ts";

Deno.test("run_experiment: expand, sweep, skip on rerun, write the report", async () => {
  const out = await Deno.makeTempDir();
  try {
    const exp = await loadExperiment("table4");
    const opts = {
      out,
      seeds: 1,
      jobs: 2,
      deps: fakeDeps(["mla"]),
      worker: FAKE_WORKER,
      handleSignals: false,
    };
    const r = await runExperiment(exp, opts);
    assert.equal(r.plan.length, 18);
    assert.equal(r.sweep.done.length, 15);
    assert.equal(r.sweep.notImplemented.length, 3);
    assert.deepEqual(r.files, ["md", "csv", "tex"].map((f) => `${out}/tables/table4.${f}`));
    const md = await Deno.readTextFile(r.files[0]);
    assert.match(md, /\| MLA \| not implemented \| 3\.74 ± 1\.47 \|/);
    assert.match(md, /### Claims/);
    const again = await runExperiment(exp, opts);
    assert.equal(again.sweep.skipped.length, 15);
    assert.equal(again.sweep.done.length, 0);
    assert.equal((await invocations(out)).length, 15);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

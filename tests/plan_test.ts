import assert from "node:assert/strict";
import { finishedHash, planRuns, runFolder } from "../src/runner/plan.ts";
import { trainerDeps } from "../src/runner/defaults.ts";
import { expandRuns } from "../src/experiment/expand.ts";
import { loadExperiment } from "../src/experiment/catalog.ts";
import { fakeDeps, spec } from "./fixtures/fake_runner.ts";

/** The fields a finished record must have (report/record_check.ts). */
const RECORD = { method: "concat", dataset: "crema-d", seed: 0, final: {}, best: {} };

Deno.test("plan: runs with the same config hash are done, others to do, unknown methods not implemented", async () => {
  const out = await Deno.makeTempDir();
  try {
    const runs = [spec("concat", 0), spec("concat", 1), spec("ibml", 0), spec("mla", 0)];
    const done = runFolder(out, "t", "concat__crema-d__s0");
    await Deno.mkdir(done, { recursive: true });
    await Deno.writeTextFile(
      `${done}/summary.json`,
      JSON.stringify({ ...RECORD, config_hash: "concat.crema-d.0" }),
    );
    const stale = runFolder(out, "t", "concat__crema-d__s1");
    await Deno.mkdir(stale, { recursive: true });
    await Deno.writeTextFile(
      `${stale}/summary.json`,
      JSON.stringify({ ...RECORD, config_hash: "an-older-config" }),
    );
    const plan = await planRuns(runs, fakeDeps(["mla"]), { out });
    assert.deepEqual(plan.map((r) => r.state), ["done", "todo", "todo", "not implemented"]);
    assert.equal(plan[2].dir, `${out}/runs/t/ibml__crema-d__s0`);
    assert.equal(await finishedHash(stale), "an-older-config");
    assert.equal(await finishedHash(`${out}/nothing`), undefined);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("plan: config hashes come from the trainer's resolveConfig and follow every override", async () => {
  const deps = trainerDeps();
  const exp = await loadExperiment("table5");
  const runs = expandRuns(exp, { seeds: 2 });
  const hashes = runs.map((r) => deps.hash(r));
  assert.ok(hashes.every((h) => /^[0-9a-f]{16}$/.test(h)));
  assert.equal(new Set(hashes).size, runs.length, "every run of Table 5 has its own configuration");
  assert.deepEqual(expandRuns(exp, { seeds: 2 }).map((r) => deps.hash(r)), hashes, "stable");
  const more = expandRuns(exp, { seeds: 1, epochs: 7 }).map((r) => deps.hash(r));
  assert.notEqual(more[0], hashes[0]);
  assert.equal(deps.implemented("ibml"), true);
  assert.equal(deps.implemented("no-such-method"), false);
});

import assert from "node:assert/strict";
import { collectRunStatus } from "../src/report/run_status.ts";
import { writeHtmlFixture } from "./fixtures/html_fixture.ts";

Deno.test("run status: from the sweep's plan and failures", async () => {
  const out = await Deno.makeTempDir();
  try {
    const fx = await writeHtmlFixture(out);
    const rows = await collectRunStatus(fx.exp, fx.report.index.records, {
      out,
      plan: fx.plan,
      failed: fx.failed,
    });
    assert.equal(rows.length, 16);
    const by = (id: string) => rows.find((r) => r.runId === id)!;
    assert.deepEqual(
      { ...by("ibml__ave__s1"), dir: undefined },
      {
        runId: "ibml__ave__s1",
        entry: "ibml",
        dataset: "ave",
        seed: 1,
        state: "done",
        dir: undefined,
        backend: "wasm",
        profile: "quick",
        epochs: 3,
        version: "0.1.0",
        configHash: "hash-ibml__ave__s1",
        wallS: 1.5,
      },
    );
    assert.equal(by("ibml__ave__s1").dir, `${out}/runs/mini/ibml__ave__s1`);
    assert.deepEqual(by("arl__ave__s0"), {
      runId: "arl__ave__s0",
      entry: "arl",
      dataset: "ave",
      seed: 0,
      state: "failed",
      log: `${out}/runs/.logs/mini/arl__ave__s0.log`,
      code: 1,
      tail: "error: non-finite loss at epoch 2",
    });
    assert.equal(by("arl__ave__s1").state, "not finished");
    assert.equal(by("arl__ave__s1").log, `${out}/runs/.logs/mini/arl__ave__s1.log`);
    assert.deepEqual(
      rows.filter((r) => r.state === "not implemented").map((r) => r.runId),
      ["mla__crema-d__s0", "mla__ave__s0", "mla__crema-d__s1", "mla__ave__s1"],
    );
    assert.deepEqual(
      rows.map((r) => r.state).filter((s, i, a) => a.indexOf(s) === i),
      ["done", "failed", "not finished", "not implemented"],
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("run status: without a sweep, from worker logs and the registry", async () => {
  const out = await Deno.makeTempDir();
  try {
    const fx = await writeHtmlFixture(out);
    const rows = await collectRunStatus(fx.exp, fx.report.index.records, {
      out,
      implemented: (m) => m !== "mla",
    });
    assert.equal(rows.filter((r) => r.state === "done").length, 10);
    assert.deepEqual(
      rows.filter((r) => r.state !== "done").map((r) => [r.runId, r.state, r.seed, r.log]),
      [
        ["arl__ave__s0", "not finished", 0, `${out}/runs/.logs/mini/arl__ave__s0.log`],
        ["arl__ave__s1", "not finished", 1, `${out}/runs/.logs/mini/arl__ave__s1.log`],
        ["mla__crema-d", "not implemented", null, undefined],
        ["mla__ave", "not implemented", null, undefined],
      ],
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

import assert from "node:assert/strict";
import {
  infoEpochs,
  parseNumericCsv,
  readEpochs,
  readExperimentRuns,
  readInfo,
  readRun,
  toNumber,
} from "../src/report/records.ts";
import { epochRows, writeRun } from "./fixtures/runs.ts";

Deno.test("records: finished runs only, entry/dataset/seed from the run id", async () => {
  const out = await Deno.makeTempDir();
  try {
    await writeRun(out, {
      experiment: "t5",
      entry: "no-tcm",
      method: "ibml",
      dataset: "crema-d",
      seed: 1,
      best: { fusion: 0.7 },
      epochs: epochRows("audio", "visual", 2, 0.3, 2),
      info: { 2: [{ index: 0, label: 1, fused_logp: -0.1, audio_logp: -0.2, visual_logp: -1 }] },
    });
    await Deno.mkdir(`${out}/runs/t5/bio-only__crema-d__s0`, { recursive: true }); // unfinished: no summary.json
    await Deno.writeTextFile(`${out}/runs/t5/bio-only__crema-d__s0/epochs.csv`, "epoch\n1\n");
    const runs = await readExperimentRuns(out, "t5");
    assert.equal(runs.length, 1);
    assert.deepEqual([runs[0].entry, runs[0].dataset, runs[0].seed, runs[0].summary.method], [
      "no-tcm",
      "crema-d",
      1,
      "ibml",
    ]);
    assert.equal(await readRun(`${out}/runs/t5/bio-only__crema-d__s0`), undefined);
    const rows = await readEpochs(runs[0].dir);
    assert.equal(rows.length, 2);
    assert.equal(rows[1].epoch, 2);
    assert.deepEqual(infoEpochs(runs[0].dir), [2]);
    assert.equal((await readInfo(runs[0].dir, 2))[0].audio_logp, -0.2);
    assert.deepEqual(await readInfo(runs[0].dir, 9), []);
    assert.deepEqual(await readExperimentRuns(out, "nothing"), []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("records: numeric CSV cells", () => {
  assert.equal(toNumber(" 1e-3 "), 0.001);
  assert.equal(toNumber("NaN"), null);
  assert.equal(toNumber(""), null);
  assert.deepEqual(parseNumericCsv("a,b\n1,x\n"), [{ a: 1, b: null }]);
});

import assert from "node:assert/strict";
import { main } from "../src/cli/reproduce.ts";
import { capture } from "./fixtures/capture.ts";

Deno.test("reproduce: a bad experiment file is one error line naming file:line and field, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      file,
      "title: t\nmethods: [concat]\ndatasets: [crema-d]\nseeds: [zero]\nprofiles: {quick: {}, paper: {}}\nreport: {kind: ratio-table}\n",
    );
    const r = await capture(() => main([file]));
    assert.equal(r.code, 2);
    assert.equal(
      r.err,
      `error: ${file}:4:9: seeds[0]: expected a non-empty list of non-negative integers, got "zero"`,
    );
    assert.equal(r.out, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reproduce: bad flags and unknown experiments exit 2", async () => {
  assert.equal((await capture(() => main(["table2", "--jobs", "0"]))).code, 2);
  assert.equal((await capture(() => main(["table2", "--bogus"]))).code, 2);
  assert.equal((await capture(() => main([]))).code, 2);
  const r = await capture(() => main(["tabel2"]));
  assert.equal(r.code, 2);
  assert.match(r.err, /expected an experiment file \(known: ci, fig2/);
  const bad = await capture(() => main(["ci", "--set", "train.nope=1", "--dry-run"]));
  assert.equal(bad.code, 2);
  assert.match(bad.err, /train\.nope/);
});

Deno.test("reproduce: --dry-run lists the plan without running anything", async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await capture(() => main(["ci", "--dry-run", "--out", out, "--epochs", "2"]));
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^ci \(.*\), profile quick: 6 runs: 0 already done, 6 to do/);
    assert.match(r.out, /^todo {12}concat__crema-d__s0/m);
    assert.deepEqual([...Deno.readDirSync(out)], []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

import assert from "node:assert/strict";
import {
  CROSS_BACKEND_TOLERANCE,
  main,
  regressPublished,
  regressReference,
} from "../src/cli/regress.ts";
import { parseExperiment } from "../src/experiment/schema.ts";
import { parseReference, renderReference } from "../src/report/reference.ts";
import { capture } from "./fixtures/capture.ts";
import { FAKE_WORKER, fakeDeps } from "./fixtures/fake_runner.ts";
import { writeRun } from "./fixtures/runs.ts";

const CI = parseExperiment(
  "title: ci\nmethods: [concat, ibml]\ndatasets: [crema-d]\nseeds: [0]\nprofiles: {quick: {epochs: 2}, paper: {epochs: 2}}\nreport: {kind: regress}\n",
  "experiments/ci.yaml",
);

Deno.test("regress: --update pins the numbers, a rerun matches, a changed cell is detected", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const referencePath = `${dir}/ci.csv`;
    const lines: string[] = [];
    const base = {
      workDir: dir,
      experiment: CI,
      referencePath,
      deps: fakeDeps(),
      worker: FAKE_WORKER,
      jobs: 2,
      print: (l: string) => lines.push(l),
    };
    assert.equal(await regressReference({ ...base, update: true }), 0);
    assert.match(lines[0], /wrote a new reference .*ci\.csv \(\d+ cells, backend fake\)/);
    const pinned = parseReference(await Deno.readTextFile(referencePath));
    assert.equal(pinned.meta.backend, "fake");
    lines.length = 0;
    assert.equal(await regressReference(base), 0);
    assert.match(lines[0], /on backend fake vs reference on fake, exact: no number moved/);
    // Change one pinned number: regress must report exactly that cell.
    const i = pinned.cells.findIndex((c) =>
      c.run === "ibml__crema-d__s0" && c.key === "summary.best.fusion"
    );
    pinned.cells[i] = { ...pinned.cells[i], value: "0.55" };
    await Deno.writeTextFile(referencePath, renderReference(pinned));
    lines.length = 0;
    assert.equal(await regressReference(base), 1);
    assert.match(lines[0], /1 numbers moved/);
    assert.equal(lines[1], "  ibml__crema-d__s0 summary.best.fusion: 0.55 -> 0.6");
    // A changed config hash alone is a note, not a failure.
    const h = pinned.cells.findIndex((c) =>
      c.run === "concat__crema-d__s0" && c.key === "config_hash"
    );
    const hashOnly = pinned.cells.map((
      c,
      k,
    ) => (k === i ? { ...c, value: "0.6" } : k === h ? { ...c, value: "old" } : c));
    await Deno.writeTextFile(referencePath, renderReference({ ...pinned, cells: hashOnly }));
    lines.length = 0;
    assert.equal(await regressReference(base), 0);
    assert.match(lines[1], /^note: the resolved configuration changed for 1 runs/);
    assert.equal(lines[2], "  concat__crema-d__s0 config_hash: old -> concat.crema-d.0");
    await Deno.writeTextFile(referencePath, renderReference(pinned));
    // Another backend: compared within the documented tolerance (0.05 >= |0.6 - 0.55|).
    await Deno.writeTextFile(
      referencePath,
      renderReference({ ...pinned, meta: { ...pinned.meta, backend: "tensorflow" } }),
    );
    lines.length = 0;
    assert.equal(await regressReference(base), 0);
    assert.match(
      lines[0],
      new RegExp(`vs reference on tensorflow, tolerance ${CROSS_BACKEND_TOLERANCE}`),
    );
    // --update says what changed.
    lines.length = 0;
    assert.equal(await regressReference({ ...base, update: true }), 0);
    assert.match(lines[0], /updated .*: \d+ cells, 1 changed \(backend tensorflow -> fake\)/);
    assert.equal(lines[1], "  ibml__crema-d__s0 summary.best.fusion: 0.55 -> 0.6");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("regress: failed runs and a missing reference", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lines: string[] = [];
    const missing = regressReference({
      experiment: CI,
      workDir: dir,
      referencePath: `${dir}/none.csv`,
      deps: fakeDeps(),
      worker: FAKE_WORKER,
      print: (l) => lines.push(l),
    });
    await assert.rejects(
      () => missing,
      /no reference .*none\.csv: create it with "main.ts regress --update"/,
    );
    // A valid reference (regress parses it before any run starts).
    await Deno.writeTextFile(
      `${dir}/x.csv`,
      "# experiment=ci\n# backend=fake\n# profile=quick\n# runs=2\nrun,key,value\n" +
        "concat__crema-d__s0,config_hash,a\nibml__crema-d__s0,config_hash,b\n",
    );
    const failing = await regressReference({
      experiment: CI,
      workDir: dir,
      referencePath: `${dir}/x.csv`,
      deps: fakeDeps(["ibml"]),
      worker: FAKE_WORKER,
      print: (l) => lines.push(l),
    });
    assert.equal(failing, 1);
    assert.ok(lines.some((l) => /ibml__crema-d__s0: method not implemented/.test(l)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("regress: --against published flags cells outside mean ± k std of paper-profile runs", async () => {
  const out = await Deno.makeTempDir();
  try {
    // Quick runs only: nothing to compare.
    await writeRun(out, {
      experiment: "table4",
      entry: "ibml",
      dataset: "crema-d",
      seed: 0,
      ratio: 3,
      best: { fusion: 0.5 },
    });
    await assert.rejects(
      () => regressPublished({ out, k: 2, print: () => {} }),
      /no paper-profile runs/,
    );
    for (const [seed, ratio] of [[0, 1.55], [1, 1.56]]) {
      await writeRun(out, {
        experiment: "table4",
        entry: "concat",
        dataset: "crema-d",
        seed,
        ratio,
        best: { fusion: 0.5 },
        profile: "paper",
      });
    }
    const lines: string[] = [];
    assert.equal(await regressPublished({ out, k: 2, print: (l) => lines.push(l) }), 1);
    assert.equal(lines[0], "table4: 1 cells, 1 outside published mean ± 2 std");
    assert.match(lines[1], /concat crema-d ratio: 1\.56 vs published 4\.33 ± 0\.33/);
    const flags = await capture(() => main(["--against", "published", "--update"]));
    assert.equal(flags.code, 2);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

import assert from "node:assert/strict";
import {
  expandRuns,
  infoEpochsFor,
  parseRunId,
  runId,
  seedList,
  substituteRoles,
} from "../src/experiment/expand.ts";
import { parseExperiment } from "../src/experiment/schema.ts";

const TEXT = `title: t
methods:
  - concat
  - name: no-tcm
    method: ibml
    sets: [method.tcm=false]
  - name: uni-lazy
    method: unimodal
    sets: ["method.modality={lazy}"]
datasets: [crema-d, mnist3d]
seeds: [0, 1, 2]
profiles:
  quick:
    epochs: 10
    sets: [train.lr=0.02]
    info_epochs: [5, 10]
  paper:
    epochs: 100
    seeds: [7]
report:
  kind: curves
`;

Deno.test("expand: entry x dataset x seed, seed-major, with stable ids and ordered sets", () => {
  const exp = parseExperiment(TEXT, "experiments/x.yaml");
  const runs = expandRuns(exp);
  assert.equal(runs.length, 3 * 2 * 3);
  assert.deepEqual(runs.slice(0, 3).map((r) => r.runId), [
    "concat__crema-d__s0",
    "no-tcm__crema-d__s0",
    "uni-lazy__crema-d__s0",
  ]);
  assert.equal(runs[3].runId, "concat__mnist3d__s0");
  const r = runs[1];
  assert.equal(r.method, "ibml");
  assert.equal(r.variant, "no-tcm");
  assert.equal(r.epochs, 10);
  assert.equal(r.profile, "quick");
  assert.deepEqual(r.sets, ["train.lr=0.02", "train.info_epochs=[5,10]", "method.tcm=false"]);
  assert.deepEqual(runs[2].sets.at(-1), "method.modality=visual");
  assert.deepEqual(runs[5].sets.at(-1), "method.modality=image");
  assert.equal(runs[0].variant, null);
  // Same inputs, same runs.
  assert.deepEqual(expandRuns(exp), runs);
});

Deno.test("expand: command-line seeds, epochs, sets and profile", () => {
  const exp = parseExperiment(TEXT, "experiments/x.yaml");
  const runs = expandRuns(exp, { seeds: 1, epochs: 4, sets: ["train.lr=0.5"] });
  assert.equal(runs.length, 6);
  assert.ok(runs.every((r) => r.seed === 0 && r.epochs === 4));
  assert.deepEqual(runs[0].sets, ["train.lr=0.02", "train.info_epochs=[2,4]", "train.lr=0.5"]);
  const paper = expandRuns(exp, { profile: "paper" });
  assert.ok(paper.every((r) => r.seed === 7 && r.epochs === 100 && r.profile === "paper"));
  assert.equal(paper.length, 6);
});

Deno.test("expand: helpers", () => {
  assert.equal(runId("bio+pmr", "crema-d", 2), "bio+pmr__crema-d__s2");
  assert.deepEqual(parseRunId("bio+pmr__crema-d__s2"), {
    entry: "bio+pmr",
    dataset: "crema-d",
    seed: 2,
  });
  assert.deepEqual(parseRunId("no-tcm__crema-d__s0"), {
    entry: "no-tcm",
    dataset: "crema-d",
    seed: 0,
  });
  assert.equal(parseRunId("adhoc-name"), undefined);
  assert.deepEqual(seedList([0, 1, 2], 2), [0, 1]);
  assert.deepEqual(seedList([3], 3), [3, 4, 5]);
  assert.deepEqual(seedList([0, 1]), [0, 1]);
  assert.equal(substituteRoles("method.modality={strong}", "mnist3d"), "method.modality=points");
  assert.deepEqual(infoEpochsFor([10, 30, 50, 100], 100, 30), [3, 9, 15, 30]);
  assert.deepEqual(infoEpochsFor([10, 30], 100, undefined), [10, 30]);
  assert.deepEqual(infoEpochsFor([1, 2, 3], 30, 2), [1]);
});

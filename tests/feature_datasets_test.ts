import { assert, assertEquals, assertThrows } from "./assert.ts";
import { encodeNpz } from "../src/data/numpy/mod.ts";
import { expandRuns } from "../src/experiment/expand.ts";
import { parseExperiment } from "../src/experiment/schema.ts";
import { standInArrays } from "./fixtures/make_npz.ts";
import { runMain, tempOut } from "./helpers.ts";

const SIZES = { train_size: 120, test_size: 60 };

async function setup(): Promise<{ dir: string; yaml: (extra: string) => string }> {
  const dir = await tempOut();
  await Deno.writeFile(`${dir}/feats.npz`, encodeNpz(standInArrays("crema-d", false, SIZES), true));
  const yaml = (extra: string) =>
    `title: "Feature file demo"\nfeature_datasets:\n  feats:\n    file: feats.npz\n${extra}` +
    `methods: [concat, ibml]\ndatasets: [feats]\nseeds: [0]\n` +
    `profiles: {quick: {epochs: 2}, paper: {epochs: 2}}\n` +
    `report: {kind: accuracy-table, rows: [{label: Fusion, metric: fusion}, {label: Visual, metric: visual}]}\n`;
  return { dir, yaml };
}

Deno.test("feature datasets: an experiment names a feature file; runs get npz:PATH and data.strong", async () => {
  const { dir, yaml } = await setup();
  const exp = parseExperiment(
    yaml("    strong: visual\n    modalities: [audio, visual]\n"),
    `${dir}/demo.yaml`,
  );
  const runs = expandRuns(exp);
  assertEquals(runs.map((r) => r.runId), ["concat__feats__s0", "ibml__feats__s0"]);
  assertEquals(runs[0].dataset, `npz:${dir}/feats.npz`);
  assert(runs[0].sets.includes("data.strong=visual"), runs[0].sets.join(" "));
});

Deno.test("feature datasets: bad entries are file:line errors naming the field", async () => {
  const { dir, yaml } = await setup();
  assertThrows(
    () => parseExperiment(yaml("    strong: text\n"), `${dir}/demo.yaml`),
    /demo\.yaml:5:.*feature_datasets\.feats\.strong.*audio, visual/,
  );
  assertThrows(
    () => parseExperiment(yaml("    modalities: [audio]\n"), `${dir}/demo.yaml`),
    /feature_datasets\.feats\.modalities/,
  );
  const missing = yaml("").replace("file: feats.npz", "file: nope.npz");
  assertThrows(
    () => parseExperiment(missing, `${dir}/demo.yaml`),
    /demo\.yaml:4:.*feature_datasets\.feats\.file/,
  );
});

Deno.test("feature datasets: reproduce and table work on a declared feature file", async () => {
  const { dir, yaml } = await setup();
  await Deno.writeTextFile(`${dir}/demo.yaml`, yaml("    strong: audio\n"));
  const out = `${dir}/out`;
  const r = await runMain(["reproduce", `${dir}/demo.yaml`, "--out", out, "--jobs", "1"]);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  const t = await runMain(["table", `${dir}/demo.yaml`, "--format", "md", "--out", out]);
  assertEquals(t.code, 0, t.stderr);
  assert(/IBML[^\n]*\|[^\n]*\d+\.\d\d/.test(t.stdout), t.stdout);
  assert(t.stdout.includes("feats"), t.stdout);
});

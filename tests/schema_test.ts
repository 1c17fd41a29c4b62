import assert from "node:assert/strict";
import { ExperimentError } from "../src/experiment/error.ts";
import { parseExperiment } from "../src/experiment/schema.ts";

const BASE = `title: t
methods: [concat, ibml]
datasets: [crema-d]
seeds: [0, 1]
profiles:
  quick:
    epochs: 2
  paper: {}
report:
  kind: ratio-table
`;

function errorOf(text: string): ExperimentError {
  try {
    parseExperiment(text, "experiments/bad.yaml");
  } catch (e) {
    assert.ok(e instanceof ExperimentError, String(e));
    return e;
  }
  throw new Error("expected an ExperimentError");
}

Deno.test("schema: a valid file parses with defaults", () => {
  const exp = parseExperiment(BASE, "experiments/ok.yaml");
  assert.equal(exp.name, "ok");
  assert.deepEqual(exp.entries.map((e) => [e.name, e.method, e.variant]), [[
    "concat",
    "concat",
    null,
  ], ["ibml", "ibml", null]]);
  assert.equal(exp.entries[1].label, "IBML (ours)");
  assert.equal(exp.profiles.quick.epochs, 2);
  assert.deepEqual(exp.profiles.paper.sets, []);
  assert.equal(exp.report.select, "best");
  assert.equal(exp.report.threshold, 0);
  assert.deepEqual(exp.claims, []);
});

Deno.test("schema: an unknown method names file, line, column, field and the choices", () => {
  const e = errorOf(BASE.replace("[concat, ibml]", "[concat, ibmll]"));
  assert.equal(e.info.line, 2);
  assert.equal(e.info.col, 19);
  assert.equal(e.info.field, "methods[1]");
  assert.match(
    e.message,
    /^experiments\/bad\.yaml:2:19: methods\[1\]: expected a method name \(sum, concat/,
  );
  assert.match(e.message, /got "ibmll"$/);
});

Deno.test("schema: a wrong type points at the value", () => {
  const e = errorOf(BASE.replace("epochs: 2", "epochs: two"));
  assert.equal(
    e.message,
    'experiments/bad.yaml:7:13: profiles.quick.epochs: expected a positive integer, got "two"',
  );
});

Deno.test("schema: an unknown key points at the key", () => {
  const e = errorOf(BASE.replace("epochs: 2", "epoch: 2"));
  assert.equal(e.info.line, 7);
  assert.equal(e.info.col, 5);
  assert.equal(e.info.field, "profiles.quick.epoch");
  assert.match(e.message, /expected one of the keys epochs, sets, seeds, info_epochs/);
});

Deno.test("schema: a missing required field names it", () => {
  const e = errorOf(BASE.replace("  paper: {}\n", ""));
  assert.equal(e.info.field, "profiles.paper");
  assert.match(e.message, /expected a value \(the field is required\), got nothing/);
  assert.equal(errorOf(BASE.replace("title: t\n", "")).info.field, "title");
});

Deno.test("schema: claims must reference entries and datasets of the experiment", () => {
  const claim = (body: string) => `${BASE}claims:\n  - id: c\n    text: x\n${body}`;
  const e1 = errorOf(claim("    kind: best\n    subject: mla\n    metric: fusion\n"));
  assert.equal(e1.info.field, "claims[0].subject");
  assert.equal(e1.info.line, 15);
  const e2 = errorOf(
    claim(
      "    kind: compare\n    left: ibml\n    op: '<'\n    right: concat\n    metric: fusion\n    datasets: [ave]\n",
    ),
  );
  assert.equal(e2.info.field, "claims[0].datasets[0]");
  assert.match(e2.message, /a dataset of this experiment \(crema-d\)/);
  const e3 = errorOf(
    claim(
      "    kind: compare\n    left: ibml\n    op: '=='\n    right: concat\n    metric: fusion\n",
    ),
  );
  assert.equal(e3.info.field, "claims[0].op");
  const ok = parseExperiment(
    claim(
      "    kind: compare\n    left: [ibml]\n    op: '>'\n    right: concat\n    metric: lazy\n",
    ),
    "x.yaml",
  );
  assert.equal(ok.claims[0].kind, "compare");
});

Deno.test("schema: variants need a name when they carry sets, and names are unique", () => {
  const withEntry = (entry: string) =>
    BASE.replace("methods: [concat, ibml]", `methods:\n${entry}`);
  const e1 = errorOf(withEntry("  - method: ibml\n    sets: [method.tcm=false]\n"));
  assert.equal(e1.info.field, "methods[0].name");
  const e2 = errorOf(withEntry("  - concat\n  - name: concat\n    method: ibml\n"));
  assert.match(e2.message, /entry names to be unique/);
  const e3 = errorOf(withEntry("  - name: x\n    method: ibml\n    sets: [tcm]\n"));
  assert.equal(e3.info.field, "methods[0].sets[0]");
  assert.match(e3.message, /"dotted\.key=value"/);
});

Deno.test("schema: YAML syntax errors carry their position", () => {
  const e = errorOf("title: t\nmethods: [concat\n");
  assert.equal(e.info.field, "(yaml)");
  assert.ok(e.info.line >= 2, e.message);
  assert.match(e.message, /^experiments\/bad\.yaml:\d+:\d+: \(yaml\): expected valid YAML/);
});

Deno.test("schema: report kinds need their layout fields", () => {
  const e = errorOf(BASE.replace("kind: ratio-table", "kind: accuracy-table"));
  assert.equal(e.info.field, "report");
  assert.match(e.message, /"rows"/);
  const e2 = errorOf(BASE.replace("kind: ratio-table", "kind: tabel"));
  assert.equal(e2.info.field, "report.kind");
});

Deno.test("schema: info_epochs must not exceed the profile's epochs", () => {
  const e = errorOf(BASE.replace("epochs: 2", "epochs: 2\n    info_epochs: [1, 5]"));
  assert.equal(e.info.field, "profiles.quick.info_epochs[1]");
});

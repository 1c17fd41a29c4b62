import { assert, assertEquals, assertThrows } from "../assert.ts";
import { runMain } from "../helpers.ts";
import { DATASET_SPECS } from "../../src/data/specs.ts";
import { listDatasets } from "../../src/data/registry.ts";
import {
  allowedOf,
  defineParams,
  describeParams,
  fromDataset,
  type ParamValues,
  perDataset,
} from "../../src/methods/params.ts";
import { getMethodEntry, listMethods } from "../../src/methods/registry.ts";
import { IBML_PARAMS } from "../../src/methods/ibml.ts";
import { MLA_PARAMS } from "../../src/methods/mla.ts";
import { ConfigError } from "../../src/config/error.ts";
import type { ConfigValue } from "../../src/config/types.ts";
import { resolveConfig } from "../../src/resolve/resolve_config.ts";

const TOY = defineParams({
  rate: { type: "number", above: 0, default: 0.5, doc: "a rate" },
  share: { type: "number", min: 0, max: 1, default: 0.1, doc: "a share" },
  rank: { type: "integer", min: 0, default: 2, doc: "a rank" },
  on: { type: "boolean", default: true, doc: "a switch" },
  mode: { type: "enum", choices: ["a", "b"], default: "a", doc: "a mode" },
  label: { type: "string", default: fromDataset((s) => s.strong, "the strong one"), doc: "x" },
  weights: { type: "number[]", default: [0.55, 0.45], doc: "weights" },
  lam: { type: "number", default: perDataset(10, { modelnet40: 40 }), doc: "lambda" },
});

Deno.test("params: the declaration gives defaults in order, per dataset", () => {
  const d = TOY.defaults(DATASET_SPECS["crema-d"], "quick");
  assertEquals(Object.keys(d), [
    "rate",
    "share",
    "rank",
    "on",
    "mode",
    "label",
    "weights",
    "lam",
  ]);
  assertEquals(d, {
    rate: 0.5,
    share: 0.1,
    rank: 2,
    on: true,
    mode: "a",
    label: "audio",
    weights: [0.55, 0.45],
    lam: 10,
  });
  assertEquals(TOY.defaults(DATASET_SPECS["modelnet40"], "paper").lam, 40);
  // A list default is copied, so a run cannot change the declaration.
  (d.weights as number[])[0] = 9;
  assertEquals(TOY.specs.weights.default, [0.55, 0.45]);
});

Deno.test("params: read gives typed values and checks them", () => {
  const values: Record<string, ConfigValue> = {
    name: "toy",
    ...TOY.defaults(DATASET_SPECS["ave"], "quick"),
  };
  const p = TOY.read(values);
  // Typed: each of these lines fails `deno check` if the declared type is lost.
  const rate: number = p.rate;
  const on: boolean = p.on;
  const mode: "a" | "b" = p.mode;
  const weights: number[] = p.weights;
  // @ts-expect-error a number parameter is not a string
  const wrong: string = p.rate;
  // @ts-expect-error an enum parameter is one of its choices only
  const notChoice: "c" = p.mode;
  assertEquals([rate, on, mode, weights, wrong, notChoice], [
    0.5,
    true,
    "a",
    [0.55, 0.45],
    0.5,
    "a",
  ]);
  assertThrows(() => TOY.read({ ...values, rate: 0 }), "method.rate of toy must be a number > 0");
  assertThrows(() => TOY.read({ ...values, rank: 1.5 }), "must be an integer >= 0");
  assertThrows(() => TOY.read({ ...values, mode: "c" }), "must be one of a, b");
  assertThrows(() => TOY.read({ ...values, on: "yes" }), "must be true or false");
  assertThrows(() => TOY.read({ ...values, typo: 1 }), "has no parameter 'typo'");
  const missing = { ...values };
  delete missing.rate;
  assertThrows(() => TOY.read(missing), "method.rate of toy is missing");
  const err = assertThrows(() => TOY.read({ ...values, share: 2 }), "in [0, 1]");
  assert(err instanceof ConfigError, "a bad value is a ConfigError (exit code 2)");
});

Deno.test("params: parse converts --set strings and names field, value and range", () => {
  assertEquals(TOY.parse("toy", "rate", "0.25"), 0.25);
  assertEquals(TOY.parse("toy", "on", "off"), false);
  assertEquals(TOY.parse("toy", "on", "1"), true);
  assertEquals(TOY.parse("toy", "mode", "b"), "b");
  assertEquals(TOY.parse("toy", "weights", "0.5, 0.5"), [0.5, 0.5]);
  assertEquals(TOY.parse("toy", "weights", "[0.6,0.4]"), [0.6, 0.4]);
  assertEquals(TOY.parse("toy", "label", "visual"), "visual");
  assertThrows(
    () => TOY.parse("toy", "rate", "-1"),
    "--set method.rate=-1: method.rate of toy must be a number > 0 (got -1)",
  );
  assertThrows(() => TOY.parse("toy", "rate", "fast"), 'must be a number > 0 (got "fast")');
  assertThrows(() => TOY.parse("toy", "rate", " "), "must be a number > 0");
  assertThrows(() => TOY.parse("toy", "rank", "2.5"), "must be an integer >= 0 (got 2.5)");
  assertThrows(() => TOY.parse("toy", "share", "1.5"), "must be a number in [0, 1] (got 1.5)");
  assertThrows(() => TOY.parse("toy", "mode", "c"), 'must be one of a, b (got "c")');
  assertThrows(() => TOY.parse("toy", "weights", "0.5,x"), "comma-separated list of numbers");
  const err = assertThrows(
    () => TOY.parse("toy", "rat", "1"),
    "method toy has no parameter 'rat'. Its parameters: rate, share, rank, on, mode, label",
  );
  assert(err instanceof ConfigError);
  assertThrows(() => defineParams({}).parse("sum", "x", "1"), "method sum has no parameters");
});

Deno.test("params: a default outside its own range is refused when declared", () => {
  assertThrows(
    () => defineParams({ x: { type: "number", min: 0, default: -1, doc: "" } }),
    "parameter 'x': default -1 must be a number >= 0",
  );
  assertThrows(
    () => defineParams({ m: { type: "enum", choices: ["a"], default: "b" as "a", doc: "" } }),
    "must be one of a",
  );
});

Deno.test("params: allowed values and descriptions in words", () => {
  assertEquals(allowedOf({ type: "number", default: 1, doc: "" }), "a number");
  assertEquals(allowedOf({ type: "number", min: 0, default: 1, doc: "" }), "a number >= 0");
  assertEquals(allowedOf({ type: "number", max: 5, default: 1, doc: "" }), "a number <= 5");
  assertEquals(
    allowedOf({ type: "number", above: 0, max: 1, default: 1, doc: "" }),
    "a number in (0, 1]",
  );
  assertEquals(allowedOf({ type: "integer", min: 0, default: 1, doc: "" }), "an integer >= 0");
  const d = describeParams(TOY);
  assertEquals(d.find((x) => x.name === "lam"), {
    name: "lam",
    type: "number",
    default: "10 (modelnet40: 40)",
    allowed: "a number",
    doc: "lambda",
  });
  assertEquals(d.find((x) => x.name === "label")!.default, "the strong one");
  assertEquals(d.find((x) => x.name === "weights")!.default, "0.55,0.45");
});

Deno.test("params: every method's defaults satisfy its declaration on every dataset", () => {
  for (const m of listMethods()) {
    for (const d of listDatasets()) {
      for (const profile of ["quick", "paper"] as const) {
        const cfg = resolveConfig({ method: m.name, dataset: d.name, profile });
        assertEquals(Object.keys(cfg.method), ["name", ...m.params.names], m.name);
        m.params.read(cfg.method); // throws on a default outside its declaration
      }
    }
    for (const p of describeParams(m.params)) {
      assert(p.doc.length > 0, `${m.name}.${p.name} has a doc line`);
    }
  }
});

Deno.test("params: the methods read typed parameters", () => {
  const p: ParamValues<typeof IBML_PARAMS.specs> = IBML_PARAMS.read(
    resolveConfig({ method: "ibml", dataset: "modelnet40" }).method,
  );
  const lambda: number = p.lambda;
  const bio: boolean = p.bio;
  assertEquals([lambda, bio], [40, true]);
  const mla = MLA_PARAMS.read(resolveConfig({ method: "mla", dataset: "crema-d" }).method);
  const fusion: "entropy-sample" | "entropy-batch" | "fixed" = mla.fusion;
  assertEquals([fusion, mla.fixed_weights], ["entropy-sample", [0.55, 0.45]]);
  assertEquals(getMethodEntry("ibml").params, IBML_PARAMS);
});

Deno.test("params: a bad --set method.X is one clear ConfigError naming method and range", () => {
  const resolve = (method: string, set: string) =>
    resolveConfig({ method, dataset: "crema-d", sets: [set] });
  assertEquals(resolve("ibml", "method.lambda=2").method.lambda, 2);
  assertEquals(resolve("mla", "method.fixed_weights=0.5,0.5").method.fixed_weights, [0.5, 0.5]);
  const unknown = assertThrows(
    () => resolve("ibml", "method.lamda=2"),
    /method ibml has no parameter 'lamda'\. Its parameters: bio, tcm, warmup, lambda, base_lr/,
  );
  assert(unknown instanceof ConfigError);
  assertThrows(
    () => resolve("ibml", "method.lambda=0"),
    "--set method.lambda=0: method.lambda of ibml must be a number > 0 (got 0)",
  );
  assertThrows(
    () => resolve("ibml", "method.tcm=maybe"),
    "method.tcm of ibml must be true or false",
  );
  assertThrows(
    () => resolve("ogm-ge", "method.grad_min_rank=2.5"),
    "method.grad_min_rank of ogm-ge must be an integer >= 0 (got 2.5)",
  );
  assertThrows(
    () => resolve("pmr", "method.proto_fraction=0"),
    "method.proto_fraction of pmr must be a number in (0, 1] (got 0)",
  );
  assertThrows(
    () => resolve("arl", "method.omega=later"),
    'method.omega of arl must be one of lagged, current, off (got "later")',
  );
  assertThrows(
    () => resolve("bio+pmr", "method.bio_window_end=x"),
    "method.bio_window_end of bio+pmr must be a number",
  );
  assertThrows(() => resolve("concat", "method.alpha=1"), "method concat has no parameters");
  assertThrows(() => resolve("dgl", "method.lr_scale.x=1"), "method dgl has no parameter");
});

Deno.test("params: the CLI exits 2 on a bad --set method.X", async () => {
  const out = await Deno.makeTempDir();
  try {
    for (
      const [set, message] of [
        ["method.lamda=1", "method ibml has no parameter 'lamda'"],
        ["method.lambda=-3", "method.lambda of ibml must be a number > 0 (got -3)"],
      ]
    ) {
      const r = await runMain([
        "run",
        "--method",
        "ibml",
        "--dataset",
        "crema-d",
        "--out",
        out,
        "--set",
        set,
      ]);
      assertEquals(r.code, 2, r.stderr);
      assert(r.stderr.includes(message), r.stderr);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

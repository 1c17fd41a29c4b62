import { assert, assertEquals, assertThrows } from "./assert.ts";
import { configHash } from "../src/config/hash.ts";
import { applySet } from "../src/resolve/apply_set.ts";
import { resolveConfig } from "../src/resolve/resolve_config.ts";

Deno.test("config: --set coerces to the default's type and is recorded", () => {
  const cfg = resolveConfig({
    method: "ibml",
    dataset: "crema-d",
    sets: ["train.lr=0.05", "method.tcm=false", "model.hidden=256,128", "data.snr_lazy=0.7"],
  });
  assertEquals(cfg.train.lr, 0.05);
  assertEquals(cfg.method.tcm, false);
  assertEquals(cfg.model.hidden, [256, 128]);
  assertEquals(cfg.data.snr_lazy, 0.7);
  assertEquals(resolveConfig({ method: "ibml", dataset: "modelnet40" }).method.lambda, 40);
});

Deno.test("config: unknown keys, wrong types and bad names are one clear error", () => {
  const cfg = resolveConfig({ method: "concat", dataset: "crema-d" });
  assertThrows(() => applySet(cfg, "train.lrr=1"), /unknown key 'train.lrr'.*train\.lr/);
  assertThrows(() => applySet(cfg, "train.lr=fast"), "expected a number");
  assertThrows(() => applySet(cfg, "method.name=ibml"), "use --method");
  assertThrows(() => applySet(cfg, "nokey"), "expected key=value");
  assertThrows(
    () => resolveConfig({ method: "nope", dataset: "crema-d" }),
    /unknown method 'nope'.*Valid methods: .*ibml/,
  );
  assertThrows(
    () => resolveConfig({ method: "ibml", dataset: "cremad" }),
    /unknown dataset 'cremad'.*crema-d/,
  );
  assertThrows(
    () => resolveConfig({ method: "ibml", dataset: "crema-d", sets: ["method.bio=maybe"] }),
    "true or false",
  );
});

Deno.test("config: the hash changes with any value and not with key order", () => {
  const a = resolveConfig({ method: "ibml", dataset: "crema-d" });
  const b = resolveConfig({ method: "ibml", dataset: "crema-d" });
  assertEquals(configHash(a), configHash(b));
  const reordered = JSON.parse(JSON.stringify({ ...a, train: { ...a.train } }));
  assertEquals(configHash(reordered), configHash(a));
  assert(
    configHash(resolveConfig({ method: "ibml", dataset: "crema-d", seed: 1 })) !== configHash(a),
  );
});

import assert from "node:assert/strict";
import { describeValue, formatPath, YamlSource } from "../src/experiment/yaml_source.ts";

Deno.test("yaml_source: positions of values, keys and missing fields", () => {
  const src = new YamlSource("a:\n  b: [1, 2]\n  c:\n    - x: 1\n", "f.yaml");
  assert.deepEqual(src.position(["a", "b"]), { line: 2, col: 6 });
  assert.deepEqual(src.position(["a", "b", 1]), { line: 2, col: 10 });
  assert.deepEqual(src.position(["a", "c"], true), { line: 3, col: 3 });
  assert.deepEqual(src.position(["a", "c", 0, "x"]), { line: 4, col: 10 });
  // a missing field points at its deepest existing ancestor
  assert.deepEqual(src.position(["a", "zzz"]), { line: 2, col: 3 });
});

Deno.test("yaml_source: formatting helpers", () => {
  assert.equal(formatPath(["methods", 2, "sets", 0]), "methods[2].sets[0]");
  assert.equal(formatPath([]), "(document)");
  assert.equal(describeValue(undefined), "nothing");
  assert.equal(describeValue({}), "a mapping");
  assert.equal(describeValue("x".repeat(60)).length, 40);
});

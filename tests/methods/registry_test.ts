import assert from "node:assert/strict";
import {
  getMethodEntry,
  hasMethod,
  listMethods,
  methodLabel,
  PAPER_METHODS,
} from "../../src/methods/registry.ts";
import { isKnownMethod, KNOWN_METHODS } from "../../src/experiment/names.ts";

Deno.test("registry: one list of names, each the name of its method's entry", () => {
  assert.equal(PAPER_METHODS.length, 15);
  assert.equal(new Set(PAPER_METHODS).size, PAPER_METHODS.length, "no name twice");
  assert.deepEqual(listMethods().map((m) => m.name), [...PAPER_METHODS]);
  for (const name of PAPER_METHODS) {
    assert.equal(getMethodEntry(name).name, name);
    assert.ok(hasMethod(name), name);
  }
  // The experiment files accept exactly the registry's names.
  assert.equal(KNOWN_METHODS, PAPER_METHODS);
  assert.ok(isKnownMethod("bio+pmr"));
  assert.ok(!isKnownMethod("nope"));
  assert.throws(
    () => getMethodEntry("nope"),
    /^ConfigError: unknown method 'nope'\. Valid methods: sum, concat, /,
  );
});

Deno.test("registry: the paper's labels, unknown names as given", () => {
  assert.equal(methodLabel("ogm-ge"), "OGM-GE");
  assert.equal(methodLabel("ibml"), "IBML (ours)");
  assert.equal(methodLabel("bio+pmr"), "BIO+PMR");
  assert.equal(methodLabel("toString"), "toString");
  assert.equal(methodLabel("my-method"), "my-method");
});

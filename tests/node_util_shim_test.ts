import assert from "node:assert/strict";
import { createRequire } from "node:module";
import util from "node:util";
import { installNodeUtilShim } from "../src/backend/node_util_shim.ts";

Deno.test("installNodeUtilShim: defines Node's isNullOrUndefined/isArray where missing, once", () => {
  const u = util as unknown as Record<string, unknown>;
  const hadNull = typeof u.isNullOrUndefined === "function";
  const added = installNodeUtilShim();
  // Deno's node:util lacks isNullOrUndefined; the shim must have added it (not skipped).
  assert.equal(added.includes("isNullOrUndefined"), !hadNull);
  assert.deepEqual(installNodeUtilShim(), [], "a second call adds nothing");

  const isNull = u.isNullOrUndefined as (v: unknown) => boolean;
  const isArray = u.isArray as (v: unknown) => boolean;
  assert.deepEqual([null, undefined, 0, "", false, NaN, {}].map(isNull), [
    true,
    true,
    false,
    false,
    false,
    false,
    false,
  ]);
  assert.deepEqual([[], [1], new Float32Array(1), "ab", { length: 1 }].map(isArray), [
    true,
    true,
    false,
    false,
    false,
  ]);
});

Deno.test("installNodeUtilShim: CommonJS require('util') (what tfjs-node calls) sees the helpers", () => {
  installNodeUtilShim();
  const require = createRequire(import.meta.url);
  const cjsUtil = require("util") as Record<string, unknown>;
  assert.equal(typeof cjsUtil.isNullOrUndefined, "function");
  assert.equal((cjsUtil.isNullOrUndefined as (v: unknown) => boolean)(null), true);
  assert.equal(typeof cjsUtil.isArray, "function");
});

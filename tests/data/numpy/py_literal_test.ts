import assert from "node:assert/strict";
import { parsePyLiteral, PyLiteralError } from "../../../src/data/numpy/py_literal.ts";

Deno.test("parsePyLiteral: the literals of NumPy headers", () => {
  const v = parsePyLiteral(
    "{'descr': '<f4', \"fortran_order\": False, 'shape': (2, 3L,), 'x': [None, True, -1, +2], }",
  );
  assert.ok(v !== null && typeof v === "object" && v.kind === "dict");
  assert.deepEqual([...v.entries.keys()], ["descr", "fortran_order", "shape", "x"]);
  assert.equal(v.entries.get("descr"), "<f4");
  assert.equal(v.entries.get("fortran_order"), false);
  assert.deepEqual(v.entries.get("shape"), { kind: "tuple", items: [2, 3] });
  assert.deepEqual(v.entries.get("x"), { kind: "list", items: [null, true, -1, 2] });
  assert.deepEqual(parsePyLiteral("()"), { kind: "tuple", items: [] });
  assert.deepEqual(parsePyLiteral("(7,)"), { kind: "tuple", items: [7] });
  assert.equal(parsePyLiteral("(7)"), 7);
  assert.equal(parsePyLiteral(" 'a\\'b\\n' "), "a'b\n");
});

Deno.test("parsePyLiteral: syntax errors say what, where and near what", () => {
  const cases: [string, string][] = [
    ["{'a' 1}", `expected ':' at character 5 (near "1}")`],
    ["{1: 2}", `dict keys must be strings at character 1 (near "1: 2}")`],
    ["{'a': 1, 'a': 2}", `duplicate key 'a' at character 9 (near "'a': 2}")`],
    ["(1.5,)", `only integer numbers are expected in an .npy header at character 1 (near "1.5,)")`],
    ["{} x", `unexpected text after the header dict at character 3 (near "x")`],
    ["'abc", `unterminated string at character 4 (near "")`],
    ["'\\q'", `unsupported escape sequence in string at character 1 (near "\\\\q'")`],
    ["[1 2]", `expected ',' or ']' at character 3 (near "2]")`],
    ["", `unexpected end of header at character 0 (near "")`],
    ["Truth", `unexpected character at character 0 (near "Truth")`],
    ["99999999999999999999", `integer too large at character 20 (near "")`],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parsePyLiteral(text), (e: unknown) => {
      assert.ok(e instanceof PyLiteralError, String(e));
      assert.equal(e.message, message, text);
      return true;
    });
  }
});

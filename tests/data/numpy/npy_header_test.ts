import assert from "node:assert/strict";
import { unzipSync } from "fflate";
import { parseNpy } from "../../../src/data/numpy/mod.ts";
import { dtypeFromDescr, interpretHeader } from "../../../src/data/numpy/npy_header.ts";
import { NpyProblem } from "../../../src/data/numpy/error.ts";
import { parsePyLiteral } from "../../../src/data/numpy/py_literal.ts";
import { assertFormatError, fixture, rawNpy } from "../../fixtures/npy_samples.ts";

Deno.test("interpretHeader: dtype and shape of a NumPy header dict", () => {
  const dict = parsePyLiteral("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 0, 2), }");
  assert.deepEqual(interpretHeader(dict), { dtype: "int64", shape: [3, 0, 2] });
  assert.deepEqual(
    interpretHeader(parsePyLiteral("{'descr': '|b1', 'fortran_order': False, 'shape': ()}")),
    { dtype: "bool", shape: [] },
  );
  assert.equal(dtypeFromDescr("|u1"), "uint8");
  assert.equal(dtypeFromDescr("<u1"), "uint8");
  assert.throws(() => dtypeFromDescr("<f2"), NpyProblem);
});

Deno.test("unsupported arrays written by NumPy fail with a clear message", () => {
  const members = unzipSync(fixture("numpy_unsupported.npz"));
  const expected: Record<string, RegExp> = {
    fortran: /^fortran: Fortran-order arrays are not supported; .*np\.ascontiguousarray\(a\)/,
    big_endian: /^big_endian: big-endian arrays \(dtype '>f4'\) are not supported; .*newbyteorder/,
    objects: /^objects: object arrays \(dtype '\|O'\) are not supported/,
    structured: /^structured: structured \(record\) arrays are not supported/,
    complex: /^complex: complex arrays \(dtype '<c8'\) are not supported/,
    half: /^half: float16 arrays \(dtype '<f2'\) are not supported; .*astype\(np\.float32\)/,
    strings: /^strings: string arrays \(dtype '<U2'\) are not supported/,
  };
  assert.deepEqual(
    Object.keys(members).sort(),
    Object.keys(expected).map((k) => `${k}.npy`).sort(),
  );
  for (const [key, re] of Object.entries(expected)) {
    assertFormatError(() => parseNpy(members[`${key}.npy`], key), re);
  }
});

Deno.test("rejects malformed headers strictly", () => {
  const d4 = new Uint8Array(4);
  const cases: [string, RegExp][] = [
    ["{'descr': '<f4', 'fortran_order': False}", /missing key 'shape'/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", /unexpected key 'x'/],
    [
      "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}",
      /'fortran_order' must be True or False/,
    ],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", /'shape' must be a tuple/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1)}", /'shape' must be a tuple/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", /non-negative integers/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1.0,)}", /only integer numbers/],
    [
      "{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}",
      /malformed .npy header: expected ','/,
    ],
    ["{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", /duplicate key/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk", /unexpected text after/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", /malformed .npy header/],
    ["{'descr': '=f4', 'fortran_order': False, 'shape': (1,)}", /little-endian byte order/],
    [
      "{'descr': '<q9', 'fortran_order': False, 'shape': (1,)}",
      /unsupported dtype \(dtype '<q9'\)/,
    ],
    ["{'descr': 3, 'fortran_order': False, 'shape': (1,)}", /'descr' must be a dtype string/],
    ["['descr']", /expected a dict/],
  ];
  for (const [dict, re] of cases) assertFormatError(() => parseNpy(rawNpy(dict, d4), "x.npy"), re);
});

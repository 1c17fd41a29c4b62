import { assertEquals } from "../assert.ts";
import { fmt, table } from "../../bench/table.ts";

Deno.test("bench table: fmt rounds from 100 up to whole numbers and shows missing as -", () => {
  assertEquals(fmt(3.14159), "3.1");
  assertEquals(fmt(3.14159, 2), "3.14");
  assertEquals(fmt(99.96), "100.0");
  assertEquals(fmt(1234.5), "1235");
  assertEquals(fmt(undefined), "-");
  assertEquals(fmt(NaN), "-");
  assertEquals(fmt(Infinity), "-");
});

Deno.test("bench table: columns padded to the widest cell, header rule as wide", () => {
  assertEquals(
    table(["model", "ms"], [["cnn", "31.2"], ["multiview", "2184"]]),
    [
      "| model     | ms   |",
      "|-----------|------|",
      "| cnn       | 31.2 |",
      "| multiview | 2184 |",
    ].join("\n"),
  );
});

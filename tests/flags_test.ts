import assert from "node:assert/strict";
import {
  choice,
  errorExitCode,
  FlagError,
  nonNegative,
  positiveInt,
  profileFlag,
} from "../src/runner/flags.ts";
import { ExperimentError } from "../src/experiment/error.ts";

Deno.test("flags: values and one-line errors with exit code 2 for bad input", () => {
  assert.equal(positiveInt("jobs", undefined), undefined);
  assert.throws(() => positiveInt("jobs", "0"), /--jobs must be a positive integer \(got '0'\)/);
  assert.throws(() => nonNegative("tolerance", "-1"), FlagError);
  assert.equal(nonNegative("tolerance", "0"), 0);
  assert.equal(profileFlag("paper"), "paper");
  assert.throws(() => profileFlag("fast"), /--profile must be quick or paper/);
  assert.throws(
    () => choice("format", "pdf", ["md", "csv"] as const, "md"),
    /--format must be one of md, csv/,
  );
  const lines: string[] = [];
  assert.equal(errorExitCode(new FlagError("bad"), (l) => lines.push(l)), 2);
  assert.equal(
    errorExitCode(
      new ExperimentError({ file: "f", line: 1, col: 1, field: "x", expected: "y" }),
      () => {},
    ),
    2,
  );
  const config = new Error("unknown key");
  config.name = "ConfigError";
  assert.equal(errorExitCode(config, () => {}), 2);
  assert.equal(errorExitCode(new Error("boom"), () => {}), 1);
  assert.deepEqual(lines, ["error: bad"]);
});

import assert from "node:assert/strict";
import { UsageError } from "../src/cli/command.ts";
import {
  choice,
  integerFlag,
  MAX_COUNT,
  nonNegative,
  positiveInt,
  profileFlag,
} from "../src/runner/flag_values.ts";

Deno.test("flag_values: values, and one UsageError naming the flag for bad input", () => {
  assert.equal(positiveInt("jobs", undefined), undefined);
  assert.equal(positiveInt("jobs", " 4 "), 4);
  assert.throws(() => positiveInt("jobs", "0"), /--jobs must be a positive integer \(got '0'\)/);
  assert.throws(() => positiveInt("jobs", "1.5"), UsageError);
  assert.throws(
    () => positiveInt("seeds", String(MAX_COUNT + 1)),
    /^UsageError: --seeds must be a positive integer of at most 1000000 \(got '1000001'\)$/,
  );
  assert.throws(() => positiveInt("jobs", "5", 4), /of at most 4 \(got '5'\)/);
  assert.equal(integerFlag("seed", "0", 0), 0);
  assert.throws(
    () => integerFlag("seed", "-1", 0),
    /^UsageError: --seed must be a non-negative integer \(got '-1'\)$/,
  );
  assert.throws(() => nonNegative("tolerance", "-1"), UsageError);
  assert.throws(() => nonNegative("tolerance", " "), /non-negative number \(got ' '\)/);
  assert.equal(nonNegative("tolerance", "0"), 0);
  assert.equal(profileFlag("paper"), "paper");
  assert.equal(profileFlag(undefined), "quick");
  assert.throws(() => profileFlag("fast"), /--profile must be quick or paper/);
  assert.equal(choice("format", undefined, ["md", "csv"] as const, "md"), "md");
  assert.throws(
    () => choice("format", "pdf", ["md", "csv"] as const, "md"),
    /--format must be one of md, csv \(got 'pdf'\)/,
  );
});

import assert from "node:assert/strict";
import {
  exitCode,
  joinNegativeValues,
  parseFlags,
  runCommand,
  UsageError,
} from "../../src/cli/command.ts";
import { ExperimentError } from "../../src/experiment/error.ts";
import { ConfigError } from "../../src/config/error.ts";
import { DataMissingError } from "../../src/data/loaders/errors.ts";
import { capture } from "../fixtures/capture.ts";

const SPEC = {
  usage: "usage: main.ts demo <name> [--out DIR] [--epochs N] [--set k=v ...] [--dry-run]",
  options: {
    out: { type: "string" },
    epochs: { type: "string" },
    set: { type: "string", multiple: true },
    "dry-run": { type: "boolean" },
  },
  positionals: true,
  negativeValues: ["epochs"],
} as const;

Deno.test("command: parseFlags reads values, positionals and negative values", () => {
  const flags = parseFlags(
    ["x", "--out", "o", "--set", "a=1", "--set", "b=2", "--epochs", "-1", "--dry-run"],
    SPEC,
  );
  assert.ok(flags);
  assert.deepEqual(flags.positionals, ["x"]);
  assert.deepEqual({ ...flags.values }, {
    out: "o",
    set: ["a=1", "b=2"],
    epochs: "-1",
    "dry-run": true,
  });
  assert.deepEqual(joinNegativeValues(["--seed", "-3", "--out", "-x"], ["seed"]), [
    "--seed=-3",
    "--out",
    "-x",
  ]);
});

Deno.test("command: a rejected flag is a UsageError ending in the usage line", () => {
  assert.throws(
    () => parseFlags(["--bogus"], SPEC),
    (e: Error) =>
      e instanceof UsageError && /^Unknown option '--bogus'/.test(e.message) &&
      e.message.endsWith(`\n${SPEC.usage}`),
  );
  assert.throws(
    () => parseFlags(["x"], { ...SPEC, positionals: false }),
    /Unexpected argument 'x'/,
  );
  assert.throws(
    () => parseFlags(["--help"], { ...SPEC, help: false, usageSeparator: "; " }),
    (e: Error) => e.message.endsWith(`; ${SPEC.usage}`),
  );
});

Deno.test("command: --help prints the usage and exits 0; unparsed commands see every argument", async () => {
  const help = await capture(() => runCommand(["-h"], SPEC, () => 7));
  assert.deepEqual([help.code, help.out.trim()], [0, SPEC.usage]);
  const raw = await capture(() =>
    runCommand(["--anything", "x"], { usage: "u", help: false }, ({ positionals }) => {
      console.log(positionals.join(" "));
      return 3;
    })
  );
  assert.deepEqual([raw.code, raw.out.trim()], [3, "--anything x"]);
  const anywhere = await capture(() =>
    runCommand(["--seeds", "1", "--help"], { usage: "u" }, () => 5)
  );
  assert.deepEqual([anywhere.code, anywhere.out.trim()], [0, "u"]);
});

Deno.test("command: a thrown error is one line; exit code 2 for bad input, 1 otherwise", async () => {
  const failed = await capture(() =>
    runCommand([], SPEC, () => {
      throw new UsageError("expected one experiment name");
    })
  );
  assert.deepEqual([failed.code, failed.err.trim()], [2, "error: expected one experiment name"]);

  const lines: string[] = [];
  assert.equal(exitCode(new UsageError("bad"), (l) => lines.push(l)), 2);
  assert.deepEqual(lines, ["error: bad"]);
  const info = { file: "f", line: 1, col: 1, field: "x", expected: "y" };
  assert.equal(exitCode(new ExperimentError(info), () => {}), 2);
  assert.equal(exitCode(new ConfigError("unknown key"), () => {}), 2);
  const missing = new DataMissingError({ what: "w", folder: "d", contents: "c", how: "h" });
  assert.equal(exitCode(missing, () => {}), 2);
  const byName = new Error("unknown key");
  byName.name = "ConfigError";
  assert.equal(exitCode(byName, () => {}), 2);
  assert.equal(exitCode(new Deno.errors.NotCapable("no read"), () => {}), 2);
  assert.equal(exitCode(new Error("boom"), () => {}), 1);
  assert.equal(exitCode("boom", () => {}), 1);
});

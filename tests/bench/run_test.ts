import { assert, assertEquals } from "../assert.ts";
import { run } from "../../bench/run.ts";

const deno = Deno.execPath();

Deno.test("bench run: output, exit code and environment of a child", async () => {
  const r = await run(
    deno,
    [
      "eval",
      "console.log(Deno.env.get('IBML_RUN_TEST')); console.error('e'); Deno.exit(3)",
    ],
    60,
    { IBML_RUN_TEST: "x" },
  );
  assertEquals([r.code, r.stdout.trim(), r.stderr.trim(), r.timedOut, r.capped], [
    3,
    "x",
    "e",
    false,
    false,
  ]);
});

Deno.test("bench run: killed after the overall time limit", async () => {
  const r = await run(deno, ["eval", "await new Promise((r) => setTimeout(r, 60000))"], 1);
  assert(r.timedOut && !r.capped, JSON.stringify(r));
  assert(r.code !== 0);
});

Deno.test("bench run: killed when STARTED is not followed by FIRST within the cap", async () => {
  const r = await run(
    deno,
    ["eval", "console.log('STARTED'); await new Promise((r) => setTimeout(r, 60000))"],
    60,
    {},
    1,
  );
  assert(r.capped && !r.timedOut, JSON.stringify(r));
});

Deno.test("bench run: a FIRST within the cap lets the child finish", async () => {
  const r = await run(
    deno,
    [
      "eval",
      "console.log('STARTED'); console.log('FIRST 1'); await new Promise((r) => setTimeout(r, 1500)); console.log('done')",
    ],
    60,
    {},
    1,
  );
  assertEquals([r.code, r.capped, r.timedOut, r.stdout.includes("done")], [0, false, false, true]);
});

import assert from "node:assert/strict";
import { main } from "../src/cli/reproduce.ts";
import { claimRun } from "../src/runner/claim.ts";
import { formatStatus } from "../src/runner/status.ts";
import { capture } from "./fixtures/capture.ts";

const YAML = `title: status test
methods: [concat, sum, ibml]
datasets: [crema-d]
seeds: [0]
profiles: {quick: {epochs: 1}, paper: {}}
report: {kind: ratio-table}
`;

Deno.test("status: local runs: failed (log and last lines), running (claim held), pending", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/st.yaml`;
    const out = `${dir}/out`;
    await Deno.writeTextFile(file, YAML);
    await Deno.mkdir(`${out}/runs/.logs/st`, { recursive: true });
    await Deno.writeTextFile(
      `${out}/runs/.logs/st/concat__crema-d__s0.log`,
      "backend: wasm\nepoch 1 ...\n\nerror: the loss is not finite at epoch 1\n",
    );
    const held = await claimRun(`${out}/runs/st/sum__crema-d__s0`);
    assert.ok(held.claimed);
    try {
      const r = await capture(() => main([file, "--status", "--out", out]));
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.out,
        /^failed +concat__crema-d__s0 +its worker ended without a finished record/m,
      );
      assert.match(
        r.out,
        new RegExp(`^running +sum__crema-d__s0 +held by pid ${Deno.pid} on `, "m"),
      );
      assert.match(r.out, /^pending +ibml__crema-d__s0 +not started$/m);
      assert.match(
        r.out,
        /concat__crema-d__s0: .*; log \S+\/runs\/\.logs\/st\/concat__crema-d__s0\.log/,
      );
      assert.match(r.out, /^ {4}error: the loss is not finite at epoch 1$/m);
      assert.match(r.out, /3 runs: 0 done, 1 running, 1 failed, 1 pending$/);
    } finally {
      await held.claim.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("status: formatStatus counts every state and prints notes", () => {
  const text = formatStatus(
    [
      { runId: "a__d__s0", state: "done", detail: "r/a" },
      { runId: "b__d__s0", state: "not implemented", detail: "method b" },
    ],
    ["squeue is not on the PATH here"],
  );
  assert.equal(
    text,
    "done            a__d__s0  r/a\nnot implemented b__d__s0  method b\nnote: squeue is not on the PATH here\n\n" +
      "2 runs: 1 done, 0 running, 0 failed, 0 pending, 1 not implemented",
  );
});

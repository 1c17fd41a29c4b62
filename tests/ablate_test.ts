import assert from "node:assert/strict";
import { main } from "../src/cli/ablate.ts";
import { capture } from "./fixtures/capture.ts";

Deno.test("ablate: is reproduce table5", async () => {
  const out = await Deno.makeTempDir();
  try {
    const help = await capture(() => main(["--help"]));
    assert.equal(help.code, 0);
    assert.match(help.out, /reproduce table5/);
    const r = await capture(() => main(["--dry-run", "--seeds", "1", "--out", out]));
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      /^table5 \(Table 5: ablation of BIO, TCM and warmup on CREMA-D\), profile quick: 6 runs/,
    );
    for (const id of ["full", "no-tcm", "no-warmup", "bio-only", "tcm-only", "concat"]) {
      assert.match(r.out, new RegExp(`${id}__crema-d__s0`));
    }
    assert.match(
      r.out,
      /tcm-only__crema-d__s0 {2}method\.bio=false method\.tcm=true method\.warmup=false/,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

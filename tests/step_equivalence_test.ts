/**
 * Step equivalence: every method's training step equals a PyTorch port of its official
 * update (tests/reference/torch/), step by step, on small MLP encoders and on a conv +
 * BatchNorm encoder. See tests/reference/suite.ts. The engine is `$IBML_STEP_BACKEND`
 * (default wasm). Without PyTorch the suite is skipped locally with one line; under CI
 * (`CI=true`) a missing PyTorch fails it.
 */
import { assert } from "./assert.ts";
import { casesOf, DEVIATIONS, METHODS } from "./reference/cases.ts";
import { useStepEngine } from "./reference/engine.ts";
import { type CaseOutcome, runSuite } from "./reference/suite.ts";
import { isCi, torchVersion } from "./reference/torch_side.ts";
import { TOLERANCE } from "./reference/compare.ts";

const torch = await torchVersion();
const skip = torch.version === null && !isCi();
if (skip) {
  console.log(
    `step equivalence: SKIPPED, ${torch.reason}; install it with \`bash .ci/install_torch.sh\``,
  );
}

let all: Promise<Map<string, CaseOutcome>> | null = null;
/** Every case and deviation, recorded once, with one Python run for all of them. */
function outcomes(): Promise<Map<string, CaseOutcome>> {
  return all ??= (async () => {
    if (!torch.version) {
      throw new Error(`${torch.reason}: run \`bash .ci/install_torch.sh\` before the tests`);
    }
    await useStepEngine();
    const specs = [...METHODS.flatMap((m) => casesOf(m)), ...DEVIATIONS.map((d) => d.spec)];
    const out = await runSuite(specs);
    return new Map(out.map((o) => [o.spec.id, o]));
  })();
}

Deno.test({
  name: "step equivalence: PyTorch is available (required under CI)",
  ignore: skip,
  fn() {
    assert(
      torch.version !== null,
      `CI=true but ${torch.reason}: run \`bash .ci/install_torch.sh\` before the tests`,
    );
  },
});

for (const method of METHODS) {
  Deno.test({
    name: `step equivalence: ${method} equals its official PyTorch update (MLP and conv+BN)`,
    ignore: skip,
    async fn() {
      const map = await outcomes();
      const failures: string[] = [];
      for (const spec of casesOf(method)) {
        const o = map.get(spec.id)!;
        if (o.failure) failures.push(o.failure);
        else {
          assert(o.comparison && o.comparison.steps >= 5, `${spec.id}: fewer than 5 steps`);
          assert(o.comparison.maxRel <= TOLERANCE, `${spec.id}: max rel. diff above tolerance`);
        }
      }
      assert(failures.length === 0, failures.join("\n"));
    },
  });
}

Deno.test({
  name:
    "step equivalence: each documented deviation differs from the official update where documented",
  ignore: skip,
  async fn() {
    const map = await outcomes();
    const wrong: string[] = [];
    for (const d of DEVIATIONS) {
      const o = map.get(d.spec.id)!;
      const first = o.comparison?.first;
      const at = first ? `step ${first.step}, ${first.quantity}` : "no divergence";
      if (!first || !d.expect.test(at)) {
        wrong.push(
          `${d.spec.id}: expected the documented difference (${d.note}) at ${d.expect}, got ${at}` +
            (o.failure && !o.comparison ? ` (${o.failure})` : ""),
        );
      }
    }
    assert(wrong.length === 0, wrong.join("\n"));
  },
});

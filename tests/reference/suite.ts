/**
 * Runs the step-equivalence suite: records every case on the current tfjs backend, runs the
 * PyTorch ports once, and compares step by step. Shared by tests/step_equivalence_test.ts
 * and tests/reference/fill_methods_doc.ts.
 *
 * @module
 */
import { compareSteps, type Comparison, describe } from "./compare.ts";
import { type CaseSpec, recordCase, type RecordedCase, type StepResult } from "./step_case.ts";
import { runPorts } from "./torch_side.ts";

/** The outcome of one case. */
export interface CaseOutcome {
  /** The case. */
  spec: CaseSpec;
  /** The comparison (null when a side failed). */
  comparison: Comparison | null;
  /** Failure line (first divergence, or a side's error), or null when equivalent. */
  failure: string | null;
  /** The harness's per-step results (null when its side failed). */
  ts: StepResult[] | null;
}

/**
 * Records `specs` in this process and compares them with the ports.
 *
 * @example
 * ```ts ignore
 * const outcomes = await runSuite(casesOf("sum"));
 * ```
 */
export async function runSuite(specs: CaseSpec[]): Promise<CaseOutcome[]> {
  const recorded: RecordedCase[] = [];
  const errors = new Map<string, string>();
  for (const spec of specs) {
    try {
      recorded.push(await recordCase(spec));
    } catch (e) {
      errors.set(spec.id, `${spec.id}: the harness side failed: ${(e as Error).message}`);
    }
  }
  const ports = recorded.length ? await runPorts(recorded.map((r) => r.input)) : {};
  return specs.map((spec) => {
    const err = errors.get(spec.id);
    if (err) return { spec, comparison: null, failure: err, ts: null };
    const rec = recorded.find((r) => r.input.id === spec.id)!;
    const port = ports[spec.id];
    if (!port || port.error || !port.steps) {
      return {
        spec,
        comparison: null,
        ts: rec.ts,
        failure: `${spec.id}: the PyTorch port failed: ${port?.error ?? "no result"}\n${
          port?.trace ?? ""
        }`,
      };
    }
    const comparison = compareSteps(rec.ts, port.steps);
    const failure = comparison.first
      ? describe(comparison.first, spec.id, spec.method, rec.input.train.steps_per_epoch)
      : null;
    return { spec, comparison, failure, ts: rec.ts };
  });
}

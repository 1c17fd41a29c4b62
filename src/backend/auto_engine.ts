/**
 * Which engine `--backend auto` runs a profile on: the one the bench measured faster on
 * this machine (`results/bench/latest.csv`, written by `deno task bench --backends
 * tensorflow,wasm`), or, before any such measurement, a default that says so.
 *
 * A profile is decided by the models that dominate its steps: the quick profile's MLPs,
 * the paper profile's backbones. The engine with the lower geometric mean of step time
 * over the models measured `ok` on both engines wins.
 *
 * @module
 */
import { parse } from "csv-parse/sync";

/** An engine `auto` can pick. */
export type AutoEngine = "tensorflow" | "wasm";

/** The decision for one profile, with its reason for the backend line. */
export interface AutoDecision {
  /** The engine to run. */
  engine: AutoEngine;
  /** Why, in a few words (shown in the one-line backend reason). */
  why: string;
}

/** The bench models that stand for each profile. */
export const PROFILE_MODELS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  quick: ["mlp-concat", "mlp-ibml"],
  paper: ["cnn", "resnet18", "crema-d", "dgcnn", "multiview", "bigru"],
});

/** Used until the bench has measured both engines for a profile (bench/README.md). */
export const DEFAULT_ENGINE: Readonly<Record<string, AutoDecision>> = Object.freeze({
  paper: {
    engine: "tensorflow",
    why: "paper profile: whole batches, no wasm heap cap (not benched here yet)",
  },
  quick: {
    engine: "wasm",
    why: "quick profile: small MLPs, per-op N-API cost on native (not benched here yet)",
  },
});

/** The bench results `auto` reads: `<project>/results/bench/latest.csv`. */
export const BENCH_CSV: string = new URL("../../results/bench/latest.csv", import.meta.url)
  .pathname;

/**
 * Decides from the text of a bench CSV; null when it lacks an `ok` measurement on both
 * engines for any of the profile's models.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decideFromBench } from "./auto_engine.ts";
 * const csv = "model,backend,status,median_ms\n" +
 *   "mlp-concat,wasm,ok,1.3\nmlp-concat,tensorflow,ok,4.2\n";
 * assert.equal(decideFromBench(csv, "quick")?.engine, "wasm");
 * assert.equal(decideFromBench("model\n", "quick"), null); // nothing measured
 * ```
 */
export function decideFromBench(csvText: string, profile: string): AutoDecision | null {
  const models = PROFILE_MODELS[profile];
  if (!models) return null;
  let rows: Record<string, string>[];
  try {
    rows = parse(csvText, { columns: true, skip_empty_lines: true, relax_column_count: true });
  } catch {
    return null;
  }
  const ms = (model: string, backend: string) => {
    // Rows with tf_threads (bench --native-threads) ran on fewer threads than a run gets.
    const r = rows.find((x) =>
      x.model === model && x.backend === backend && x.status === "ok" && !x.tf_threads
    );
    const v = r ? Number(r.median_ms) : NaN;
    return Number.isFinite(v) && v > 0 ? v : null;
  };
  let logRatio = 0, n = 0;
  for (const m of models) {
    const native = ms(m, "tensorflow"), wasm = ms(m, "wasm");
    if (native === null || wasm === null) continue;
    logRatio += Math.log(native / wasm);
    n++;
  }
  if (n === 0) return null;
  const ratio = Math.exp(logRatio / n);
  const engine: AutoEngine = ratio < 1 ? "tensorflow" : "wasm";
  return {
    engine,
    why: `${profile} profile: the bench measured native at ${ratio.toFixed(2)}x wasm's step time ` +
      `(geometric mean over ${n} model${n === 1 ? "" : "s"})`,
  };
}

/**
 * The engine for a profile: measured by the bench on this machine where it has been, else
 * {@link DEFAULT_ENGINE} (the quick profile's for an unknown profile).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { autoEngine } from "./auto_engine.ts";
 * const d = autoEngine("quick", "/nonexistent/latest.csv");
 * assert.equal(d.engine, "wasm"); // nothing measured: the default
 * ```
 */
export function autoEngine(profile: string, csvPath: string = BENCH_CSV): AutoDecision {
  let text: string | null = null;
  try {
    text = Deno.readTextFileSync(csvPath);
  } catch {
    text = null;
  }
  const measured = text === null ? null : decideFromBench(text, profile);
  if (measured) return { ...measured, why: `${measured.why}, ${csvPath}` };
  return DEFAULT_ENGINE[profile] ?? DEFAULT_ENGINE.quick;
}

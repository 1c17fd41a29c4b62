/**
 * The hash that identifies a run: the resolved configuration's hash (`configHash`), and,
 * where the run reads input files, their identity (`src/data/input_identity.ts`): a
 * feature file's content hash or a real dataset's manifest. A changed input gives a new
 * hash, so a finished run on the old input is not taken as done. Runs on the built-in
 * stand-ins read no files and keep the plain config hash.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type InputIdentity, inputIdentity } from "../data/input_identity.ts";
import { configHash } from "../config/hash.ts";
import type { RunConfig } from "../config/types.ts";

/** A run's hash and what went into it. */
export interface RunIdentity {
  /** The run's hash (16 hex digits): recorded as `config_hash`. */
  hash: string;
  /** The configuration's own hash (equal to `hash` when there are no inputs). */
  settingsHash: string;
  /** The inputs' identity, or null for a stand-in. */
  inputs: InputIdentity | null;
}

/**
 * The identity of a run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * const id = runIdentity(resolveConfig({ method: "concat", dataset: "crema-d" }));
 * assert.equal(id.hash, id.settingsHash); // a stand-in has no input files
 * ```
 */
export function runIdentity(cfg: RunConfig): RunIdentity {
  const settingsHash = configHash(cfg);
  const inputs = inputIdentity(cfg.data as { name: string }, cfg.profile);
  if (!inputs) return { hash: settingsHash, settingsHash, inputs };
  const hash = createHash("sha256")
    .update(`${settingsHash}|${inputs.kind}|${inputs.sha256}`)
    .digest("hex")
    .slice(0, 16);
  return { hash, settingsHash, inputs };
}

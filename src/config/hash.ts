/**
 * The hash of a resolved configuration: the part of a run's `config_hash` that its settings
 * make (src/runner/run_hash.ts). Part of the configuration leaf (src/config/).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { RunConfig } from "./types.ts";

/** JSON with object keys sorted, so equal configs hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort((
      [a],
      [b],
    ) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * A stable hash of a configuration (sha-256 of canonical JSON, 16 hex digits).
 *
 * @example
 * ```ts
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { configHash } from "./hash.ts";
 *
 * const h = configHash(resolveConfig({ method: "concat", dataset: "crema-d" }));
 * h.length; // 16
 * h === configHash(resolveConfig({ method: "concat", dataset: "crema-d" })); // true
 * ```
 */
export function configHash(cfg: RunConfig): string {
  // Whole batches (micro_batch 0) are what every run did before the key existed: leave it
  // out, so those runs keep their hashes.
  const hashed = cfg.train.micro_batch === 0
    ? {
      ...cfg,
      train: Object.fromEntries(Object.entries(cfg.train).filter(([k]) => k !== "micro_batch")),
    }
    : cfg;
  return createHash("sha256").update(canonical(hashed)).digest("hex").slice(0, 16);
}

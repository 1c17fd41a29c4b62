/**
 * `--set key=value` overrides: the key must exist in the resolved configuration and the
 * value is parsed to the type of the default it replaces, so an unknown key or a value of
 * the wrong type is one clear {@linkcode ConfigError}. `method.<name>` is checked against the
 * method's parameter declaration instead (src/methods/params.ts: type and allowed range).
 *
 * @module
 */
import { ConfigError } from "../config/error.ts";
import type { ConfigValue, RunConfig } from "../config/types.ts";
import { getMethodEntry } from "../methods/registry.ts";

/** Parses a `--set` value to the type of the default it replaces. */
function coerce(key: string, raw: string, current: ConfigValue): ConfigValue {
  const bad = (what: string) =>
    new ConfigError(
      `--set ${key}=${raw}: expected ${what} (current value ${JSON.stringify(current)})`,
    );
  if (key === "train.micro_batch") {
    if (raw.trim() === "auto") return "auto";
    const v = Number(raw);
    if (raw.trim() === "" || !Number.isInteger(v) || v < 0) {
      throw bad("auto or a non-negative integer (0: whole batches)");
    }
    return v;
  }
  if (typeof current === "number") {
    const v = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(v)) throw bad("a number");
    return v;
  }
  if (typeof current === "boolean") {
    if (["true", "1", "yes", "on"].includes(raw)) return true;
    if (["false", "0", "no", "off"].includes(raw)) return false;
    throw bad("true or false");
  }
  if (Array.isArray(current)) {
    const text = raw.trim();
    const items = text === "" || text === "[]"
      ? []
      : text.replace(/^\[|\]$/g, "").split(",").map((s) => s.trim());
    const numeric = current.length === 0
      ? items.every((x) => Number.isFinite(Number(x)))
      : typeof current[0] === "number";
    if (numeric) {
      const nums = items.map(Number);
      if (nums.some((n) => !Number.isFinite(n))) {
        throw bad("a comma-separated list of numbers, e.g. 256,128");
      }
      return nums;
    }
    return items;
  }
  return raw;
}

/** All dotted leaf keys of an object (for error messages). */
function leafKeys(obj: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? leafKeys(v as Record<string, unknown>, `${prefix}${k}.`)
      : [`${prefix}${k}`]
  );
}

/**
 * Applies one `key=value` override in place, checking that the key exists and the value
 * has the right type.
 *
 * @example
 * ```ts
 * import { applySet } from "./apply_set.ts";
 * import { resolveConfig } from "./resolve_config.ts";
 *
 * const cfg = resolveConfig({ method: "concat", dataset: "crema-d" });
 * applySet(cfg, "train.lr=0.05");
 * cfg.train.lr; // 0.05
 * ```
 */
export function applySet(cfg: RunConfig, assignment: string): void {
  const eq = assignment.indexOf("=");
  if (eq <= 0) {
    throw new ConfigError(`--set ${assignment}: expected key=value, e.g. --set train.lr=0.01`);
  }
  const key = assignment.slice(0, eq).trim();
  const raw = assignment.slice(eq + 1);
  if (key === "method.name" || key === "data.name") {
    throw new ConfigError(
      `--set ${key}: use --${key === "method.name" ? "method" : "dataset"} instead`,
    );
  }
  if (key.startsWith("method.")) {
    // Checked against the method's parameter declaration (src/methods/params.ts).
    const name = key.slice("method.".length);
    cfg.method[name] = getMethodEntry(cfg.method.name).params.parse(cfg.method.name, name, raw);
    return;
  }
  const path = key.split(".");
  let node = cfg as unknown as Record<string, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const next = node[path[i]];
    if (!next || typeof next !== "object" || Array.isArray(next)) {
      throw new ConfigError(
        `--set ${key}: unknown key '${key}'. Valid keys: ${
          leafKeys(cfg as unknown as Record<string, unknown>).join(", ")
        }`,
      );
    }
    node = next as Record<string, unknown>;
  }
  const leaf = path[path.length - 1];
  if (
    !(leaf in node) || (node[leaf] && typeof node[leaf] === "object" && !Array.isArray(node[leaf]))
  ) {
    const scope = path.length > 1 ? path.slice(0, -1).join(".") : "";
    const valid = leafKeys(node, scope ? `${scope}.` : "");
    throw new ConfigError(
      `--set ${key}: unknown key '${key}'. Valid keys${scope ? ` under ${scope}` : ""}: ${
        valid.join(", ")
      }`,
    );
  }
  node[leaf] = coerce(key, raw, node[leaf] as ConfigValue);
}

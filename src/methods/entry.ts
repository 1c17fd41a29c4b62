/**
 * What a method file exports for the registry.
 *
 * @module
 */
import type { DatasetSpec } from "../data/specs.ts";
import type { ConfigValue, Profile } from "../config/types.ts";
import type { Method, MethodContext } from "./types.ts";

/** A registered method: defaults (shown in config.json, settable with --set) and a factory. */
export interface MethodEntry {
  /** Registry name (`--method`). */
  name: string;
  /** One line for `list methods`. */
  description: string;
  /** Hyper-parameter defaults for a dataset and profile (`config.method`). */
  defaults(spec: DatasetSpec, profile: Profile): Record<string, ConfigValue>;
  /** Builds the method (its model and state) for one run. */
  create(ctx: MethodContext): Method;
}

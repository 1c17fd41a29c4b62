/**
 * What a method file exports for the registry.
 *
 * @module
 */
import type { MethodParams } from "./params.ts";
import type { Method, MethodContext } from "./types.ts";

/**
 * A registered method: its parameter declaration (defaults shown in config.json, settable
 * with --set, described by `list methods`) and a factory.
 */
export interface MethodEntry {
  /** Registry name (`--method`). */
  name: string;
  /** One line for `list methods`. */
  description: string;
  /** Hyper-parameters (`config.method`), declared once with `defineParams`. */
  params: MethodParams;
  /** Builds the method (its model and state) for one run. */
  create(ctx: MethodContext): Method;
}

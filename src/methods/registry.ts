/**
 * The method registry: every method file's entry, by name, with the paper's label. The
 * one list of method names: the CLI contract (`PAPER_METHODS`), experiment files
 * (src/experiment/names.ts) and `list methods` all read it.
 *
 * @module
 */
import { ConfigError } from "../config/error.ts";
import { agm } from "./agm.ts";
import { arl } from "./arl.ts";
import { concat } from "./concat.ts";
import { dgl } from "./dgl.ts";
import type { MethodEntry } from "./entry.ts";
import { ibml } from "./ibml.ts";
import { inforeg } from "./inforeg.ts";
import { mla } from "./mla.ts";
import { mmcosine } from "./mmcosine.ts";
import { mmpareto } from "./mmpareto.ts";
import { bioOgmGe, ogmGe } from "./ogm_ge.ts";
import type { MethodParams } from "./params.ts";
import { bioPmr, pmr } from "./pmr.ts";
import { sum } from "./sum.ts";
import { unimodal } from "./unimodal.ts";

/** A registered method: its entry and the paper's name for it. */
interface Registered {
  /** The method file's entry (its `name` is the registry name, `--method`). */
  entry: MethodEntry;
  /** The paper's name (tables and legends). */
  label: string;
}

/**
 * Every method, in `list methods` order: the one list of method names (each name is its
 * entry's `name`). The entries are read at import: no method file imports this registry.
 */
const METHODS: readonly Registered[] = [
  { entry: sum, label: "Summation" },
  { entry: concat, label: "Concatenation" },
  { entry: unimodal, label: "Unimodal" },
  { entry: mmpareto, label: "MMPareto" },
  { entry: mla, label: "MLA" },
  { entry: dgl, label: "DGL" },
  { entry: arl, label: "ARL" },
  { entry: ogmGe, label: "OGM-GE" },
  { entry: pmr, label: "PMR" },
  { entry: mmcosine, label: "MMCosine" },
  { entry: agm, label: "AGM" },
  { entry: inforeg, label: "InfoReg" },
  { entry: ibml, label: "IBML (ours)" },
  { entry: bioOgmGe, label: "BIO+OGM-GE" },
  { entry: bioPmr, label: "BIO+PMR" },
];

const BY_NAME: ReadonlyMap<string, Registered> = new Map(METHODS.map((m) => [m.entry.name, m]));

/**
 * The paper's method names (design contract), in `list methods` order.
 *
 * @example
 * ```ts
 * import { PAPER_METHODS } from "./registry.ts";
 *
 * PAPER_METHODS.includes("ogm-ge"); // true
 * ```
 */
export const PAPER_METHODS: readonly string[] = Object.freeze(METHODS.map((m) => m.entry.name));

/**
 * The paper's name for a method (tables and legends); other names are returned as given.
 *
 * @example
 * ```ts
 * import { methodLabel } from "./registry.ts";
 *
 * methodLabel("ogm-ge"); // "OGM-GE"
 * ```
 */
export function methodLabel(name: string): string {
  return BY_NAME.get(name)?.label ?? name;
}

/**
 * Whether a method is implemented.
 *
 * @example
 * ```ts
 * import { hasMethod } from "./registry.ts";
 *
 * hasMethod("ibml"); // true
 * ```
 */
export function hasMethod(name: string): boolean {
  return BY_NAME.has(name);
}

/**
 * The registry entry of a method, or a {@linkcode ConfigError} listing the valid names.
 *
 * @example
 * ```ts
 * import { getMethodEntry } from "./registry.ts";
 *
 * getMethodEntry("concat").name; // "concat"
 * ```
 */
export function getMethodEntry(name: string): MethodEntry {
  const m = BY_NAME.get(name);
  if (!m) {
    throw new ConfigError(`unknown method '${name}'. Valid methods: ${PAPER_METHODS.join(", ")}`);
  }
  return m.entry;
}

/**
 * Implemented methods with one-line descriptions and their parameter declarations.
 *
 * @example
 * ```ts
 * import { listMethods } from "./registry.ts";
 *
 * listMethods().map((m) => m.name).includes("sum"); // true
 * ```
 */
export function listMethods(): { name: string; description: string; params: MethodParams }[] {
  return METHODS.map(({ entry: e }) => ({
    name: e.name,
    description: e.description,
    params: e.params,
  }));
}

/**
 * The method registry: every method file's entry, by name, with the paper's label. The
 * one list of method names: the CLI contract (`PAPER_METHODS`), experiment files
 * (src/experiment/names.ts) and `list methods` all read it.
 *
 * @module
 */
import { ConfigError } from "../train/config.ts";
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
import { bioPmr, pmr } from "./pmr.ts";
import { sum } from "./sum.ts";
import { unimodal } from "./unimodal.ts";

/** A registered method: its entry (read on use) and the paper's name for it. */
interface Registered {
  /** The method file's entry. */
  entry: () => MethodEntry;
  /** The paper's name (tables and legends). */
  label: string;
}

// Registry name (`--method`) -> method, in `list methods` order. The entries are read on
// first use, not at import: method files import modules that import this registry
// (config.ts), and reading them here would meet exports that do not exist yet.
const METHODS: Readonly<Record<string, Registered>> = {
  sum: { entry: () => sum, label: "Summation" },
  concat: { entry: () => concat, label: "Concatenation" },
  unimodal: { entry: () => unimodal, label: "Unimodal" },
  mmpareto: { entry: () => mmpareto, label: "MMPareto" },
  mla: { entry: () => mla, label: "MLA" },
  dgl: { entry: () => dgl, label: "DGL" },
  arl: { entry: () => arl, label: "ARL" },
  "ogm-ge": { entry: () => ogmGe, label: "OGM-GE" },
  pmr: { entry: () => pmr, label: "PMR" },
  mmcosine: { entry: () => mmcosine, label: "MMCosine" },
  agm: { entry: () => agm, label: "AGM" },
  inforeg: { entry: () => inforeg, label: "InfoReg" },
  ibml: { entry: () => ibml, label: "IBML (ours)" },
  "bio+ogm-ge": { entry: () => bioOgmGe, label: "BIO+OGM-GE" },
  "bio+pmr": { entry: () => bioPmr, label: "BIO+PMR" },
};

let cached: MethodEntry[] | null = null;
function entries(): MethodEntry[] {
  return cached ??= Object.values(METHODS).map((m) => m.entry());
}

/**
 * The paper's method names (design contract), in `list methods` order.
 *
 * @example
 * ```ts
 * PAPER_METHODS.includes("ogm-ge"); // true
 * ```
 */
export const PAPER_METHODS: readonly string[] = Object.freeze(Object.keys(METHODS));

/**
 * The paper's name for a method (tables and legends); other names are returned as given.
 *
 * @example
 * ```ts
 * methodLabel("ogm-ge"); // "OGM-GE"
 * ```
 */
export function methodLabel(name: string): string {
  return Object.hasOwn(METHODS, name) ? METHODS[name].label : name;
}

/**
 * Whether a method is implemented.
 *
 * @example
 * ```ts
 * hasMethod("ibml"); // true
 * ```
 */
export function hasMethod(name: string): boolean {
  return entries().some((e) => e.name === name);
}

/**
 * The registry entry of a method, or a {@linkcode ConfigError} listing the valid names.
 *
 * @example
 * ```ts
 * getMethodEntry("concat").name; // "concat"
 * ```
 */
export function getMethodEntry(name: string): MethodEntry {
  const e = entries().find((x) => x.name === name);
  if (!e) {
    const planned = PAPER_METHODS.includes(name)
      ? ` ('${name}' is planned but not implemented yet)`
      : "";
    throw new ConfigError(
      `unknown method '${name}'${planned}. Valid methods: ${
        entries().map((x) => x.name).join(", ")
      }`,
    );
  }
  return e;
}

/**
 * Implemented methods with one-line descriptions.
 *
 * @example
 * ```ts
 * listMethods().map((m) => m.name).includes("sum"); // true
 * ```
 */
export function listMethods(): { name: string; description: string }[] {
  return entries().map((e) => ({ name: e.name, description: e.description }));
}

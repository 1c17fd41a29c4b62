/**
 * The method registry: every method file's entry, by name.
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

/** Every implemented method's entry, in `list methods` order. */
const ENTRIES: readonly MethodEntry[] = [
  sum,
  concat,
  unimodal,
  mmpareto,
  mla,
  dgl,
  arl,
  ogmGe,
  pmr,
  mmcosine,
  agm,
  inforeg,
  ibml,
  bioOgmGe,
  bioPmr,
];

/** The paper's method names (design contract), implemented or not. */
export const PAPER_METHODS: readonly string[] = [
  "sum",
  "concat",
  "unimodal",
  "ogm-ge",
  "pmr",
  "mmcosine",
  "agm",
  "inforeg",
  "mmpareto",
  "mla",
  "dgl",
  "arl",
  "ibml",
  "bio+ogm-ge",
  "bio+pmr",
];

/**
 * Whether a method is implemented.
 *
 * @example
 * ```ts
 * hasMethod("ibml"); // true
 * ```
 */
export function hasMethod(name: string): boolean {
  return ENTRIES.some((e) => e.name === name);
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
  const e = ENTRIES.find((x) => x.name === name);
  if (!e) {
    const planned = PAPER_METHODS.includes(name)
      ? ` ('${name}' is planned but not implemented yet)`
      : "";
    throw new ConfigError(
      `unknown method '${name}'${planned}. Valid methods: ${ENTRIES.map((x) => x.name).join(", ")}`,
    );
  }
  return e;
}

/**
 * Implemented methods with one-line descriptions and their parameter declarations.
 *
 * @example
 * ```ts
 * listMethods().map((m) => m.name).includes("sum"); // true
 * ```
 */
export function listMethods(): { name: string; description: string; params: MethodParams }[] {
  return ENTRIES.map((e) => ({ name: e.name, description: e.description, params: e.params }));
}

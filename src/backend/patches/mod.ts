/**
 * The training patches for the JavaScript engines (wasm and cpu): install.ts has the
 * table of what each patches and where.
 *
 * @example
 * ```ts ignore
 * import { installGradPatches } from "./mod.ts";
 * installGradPatches();
 * ```
 *
 * @module
 */
export { installGradPatches } from "./install.ts";

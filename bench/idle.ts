/**
 * How this machine's idle CPUs sleep, for the bench's header line. On a virtual machine an
 * idle virtual CPU that halts has to be woken by the host before it can run the second half
 * of the next op, which costs thread scaling more than anything the engine does
 * (bench/README.md, "Img_FC's thread ratio and this VM's idle CPUs"). Linux's `haltpoll`
 * driver polls for a while before halting, up to `guest_halt_poll_ns`; 0 turns polling off.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { idleNote } from "./idle.ts";
 * const files: Record<string, string> = {
 *   "/sys/devices/system/cpu/cpuidle/current_driver": "haltpoll\n",
 *   "/sys/module/haltpoll/parameters/guest_halt_poll_ns": "0\n",
 * };
 * assert.equal(
 *   idleNote((path) => files[path]),
 *   "idle CPUs: cpuidle haltpoll, guest halt polling off (an idle CPU halts at once)",
 * );
 * assert.equal(idleNote(() => undefined), null); // not Linux, or /sys not readable
 * ```
 *
 * @module
 */

/** Reads a text file; `undefined` when it cannot be read. */
export type ReadText = (path: string) => string | undefined;

const DRIVER = "/sys/devices/system/cpu/cpuidle/current_driver";
const HALT_POLL_NS = "/sys/module/haltpoll/parameters/guest_halt_poll_ns";

/** The file's text, or `undefined` when it is missing or unreadable. */
export const readSys: ReadText = (path) => {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
};

/**
 * One phrase on the idle CPUs' sleep (the cpuidle driver, and the guest's halt-polling limit
 * under `haltpoll`), or `null` when the driver cannot be read.
 *
 * @example
 * ```ts
 * import { idleNote, readSys } from "./idle.ts";
 * console.log(idleNote(readSys) ?? "idle CPUs: unknown");
 * ```
 */
export function idleNote(read: ReadText = readSys): string | null {
  const driver = read(DRIVER)?.trim();
  if (!driver) return null;
  if (driver !== "haltpoll") return `idle CPUs: cpuidle ${driver}`;
  const ns = Number(read(HALT_POLL_NS)?.trim());
  if (!Number.isFinite(ns)) return "idle CPUs: cpuidle haltpoll";
  return ns === 0
    ? "idle CPUs: cpuidle haltpoll, guest halt polling off (an idle CPU halts at once)"
    : `idle CPUs: cpuidle haltpoll, guest halt polling up to ${ns / 1000} us`;
}

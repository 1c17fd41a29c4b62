/**
 * Minimal assertions (JSR's @std/assert is not reachable here; node:assert is used for
 * deep equality).
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Asserts |actual - expected| <= tolerance. */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance = 1e-7,
  msg = "",
): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new Error(`${msg ? msg + ": " : ""}expected ${expected} ± ${tolerance}, got ${actual}`);
  }
}

/** Asserts deep equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg ?? "values differ");
}

/** Asserts a truthy condition. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Asserts that `fn` throws and the message matches. */
export function assertThrows(fn: () => unknown, match?: RegExp | string): Error {
  try {
    fn();
  } catch (e) {
    const err = e as Error;
    if (
      match && !(typeof match === "string" ? err.message.includes(match) : match.test(err.message))
    ) {
      throw new Error(`error message '${err.message}' does not match ${match}`);
    }
    return err;
  }
  throw new Error("expected a throw");
}

/** Asserts that a promise rejects and the message matches. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  match?: RegExp | string,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    const err = e as Error;
    if (
      match && !(typeof match === "string" ? err.message.includes(match) : match.test(err.message))
    ) {
      throw new Error(`error message '${err.message}' does not match ${match}`);
    }
    return err;
  }
  throw new Error("expected a rejection");
}

/**
 * The error of a bad experiment file: names file, line, column, field and what was
 * expected, in one line.
 *
 * @module
 */

/** Where and what went wrong in an experiment file. */
export interface ExperimentErrorInfo {
  /** File path as given. */
  file: string;
  /** 1-based line (0 when unknown). */
  line: number;
  /** 1-based column (0 when unknown). */
  col: number;
  /** Dotted field path, e.g. `profiles.quick.epochs` or `methods[2]`. */
  field: string;
  /** What the field must be. */
  expected: string;
  /** What was found, already formatted (optional). */
  got?: string;
}

/**
 * A validation error of an experiment file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new ExperimentError({ file: "x.yaml", line: 3, col: 5, field: "seeds", expected: "a list of integers" });
 * assert.equal(e.message, "x.yaml:3:5: seeds: expected a list of integers");
 * ```
 */
export class ExperimentError extends Error {
  /** The details. */
  readonly info: ExperimentErrorInfo;

  /** Builds the one-line message from `info`. */
  constructor(info: ExperimentErrorInfo) {
    const where = info.line > 0 ? `${info.file}:${info.line}:${info.col}` : info.file;
    const got = info.got === undefined ? "" : `, got ${info.got}`;
    super(`${where}: ${info.field}: expected ${info.expected}${got}`);
    this.name = "ExperimentError";
    this.info = info;
  }
}

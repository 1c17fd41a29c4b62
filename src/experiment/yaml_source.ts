/**
 * A parsed YAML document that can point at any field: it turns a field path into
 * `file:line:col` for error messages (yaml's `parseDocument` + `LineCounter`).
 *
 * @module
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node } from "yaml";
import { ExperimentError } from "./error.ts";

/** A path into the document: map keys and sequence indices. */
export type FieldPath = (string | number)[];

/**
 * Formats a field path as `a.b[2].c`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(formatPath(["methods", 2, "sets"]), "methods[2].sets");
 * ```
 */
export function formatPath(path: FieldPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out === "" ? "(document)" : out;
}

/**
 * Formats a found value for an error message (short, JSON-like).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(describeValue("abc"), '"abc"');
 * assert.equal(describeValue([1, 2]), "a list");
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** A YAML source with positions. */
export class YamlSource {
  /** File path used in messages. */
  readonly file: string;
  /** The plain JavaScript value of the document. */
  readonly value: unknown;
  readonly #doc: Document.Parsed;
  readonly #lines: LineCounter;

  /**
   * Parses `text`; a YAML syntax error throws an {@linkcode ExperimentError} at its position.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const src = new YamlSource("a:\n  b: 1\n", "x.yaml");
   * assert.deepEqual(src.position(["a", "b"]), { line: 2, col: 6 });
   * ```
   */
  constructor(text: string, file: string) {
    this.file = file;
    this.#lines = new LineCounter();
    this.#doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false });
    const err = this.#doc.errors[0];
    if (err) {
      const pos = this.#lines.linePos(err.pos[0]);
      const first = err.message.split("\n")[0];
      throw new ExperimentError({
        file,
        line: pos.line,
        col: pos.col,
        field: "(yaml)",
        expected: "valid YAML",
        got: first,
      });
    }
    this.value = this.#doc.toJS();
  }

  /**
   * Line and column of the field at `path` (or of its deepest existing ancestor);
   * with `key` true, of the key itself rather than its value.
   */
  position(path: FieldPath, key = false): { line: number; col: number } {
    let node: unknown = this.#doc.contents;
    let offset = (node as Node | null)?.range?.[0] ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      let next: unknown = undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) =>
          isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === seg
        );
        if (pair) {
          const keyNode = pair.key as Node | null;
          const last = i === path.length - 1;
          if (last && key && keyNode?.range) {
            offset = keyNode.range[0];
            break;
          }
          next = pair.value ?? keyNode;
          if (!pair.value && keyNode?.range) {
            offset = keyNode.range[0];
            break;
          }
        }
      } else if (isSeq(node) && typeof seg === "number") {
        next = node.items[seg];
      }
      const range = (next as Node | null | undefined)?.range;
      if (!range) break;
      node = next;
      offset = range[0];
    }
    return this.#lines.linePos(offset);
  }

  /**
   * Throws an {@linkcode ExperimentError} for the field at `path`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const src = new YamlSource("seeds: x\n", "x.yaml");
   * assert.throws(
   *   () => src.fail(["seeds"], "a list of integers", "x"),
   *   { message: 'x.yaml:1:8: seeds: expected a list of integers, got "x"' },
   * );
   * ```
   */
  fail(path: FieldPath, expected: string, got: unknown, atKey = false): never {
    const pos = this.position(path, atKey);
    throw new ExperimentError({
      file: this.file,
      line: pos.line,
      col: pos.col,
      field: formatPath(path),
      expected,
      got: describeValue(got),
    });
  }
}

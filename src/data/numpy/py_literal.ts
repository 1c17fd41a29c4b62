/**
 * A strict parser for the Python literal of an `.npy` header: the subset of what
 * `ast.literal_eval` accepts that NumPy writes there (a dict with string keys, strings,
 * integers, `True`/`False`/`None`, tuples and lists), instead of regular expressions.
 *
 * @example
 * ```ts
 * import { parsePyLiteral } from "./py_literal.ts";
 * const v = parsePyLiteral("{'shape': (2, 3), 'fortran_order': False}");
 * typeof v === "object" && v !== null && v.kind === "dict"; // true
 * ```
 *
 * @module
 */

/** A Python tuple. */
export interface PyTuple {
  /** Discriminant. */
  kind: "tuple";
  /** Items in order. */
  items: PyValue[];
}

/** A Python list. */
export interface PyList {
  /** Discriminant. */
  kind: "list";
  /** Items in order. */
  items: PyValue[];
}

/** A Python dict (string keys only, as in `.npy` headers). */
export interface PyDict {
  /** Discriminant. */
  kind: "dict";
  /** Entries in order. */
  entries: Map<string, PyValue>;
}

/** A parsed Python literal: `None` is `null`, integers are numbers. */
export type PyValue = string | number | boolean | null | PyTuple | PyList | PyDict;

/**
 * A syntax error in the literal; the message says what was expected, where, and the text
 * near that position.
 *
 * @example
 * ```ts
 * try {
 *   parsePyLiteral("{'a' 1}");
 * } catch (e) {
 *   (e as PyLiteralError).message; // "expected ':' at character 5 (near \"1}\")"
 * }
 * ```
 */
export class PyLiteralError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PyLiteralError";
  }
}

/**
 * Parses `text` as one Python literal; throws a {@linkcode PyLiteralError} on a syntax error.
 *
 * @example
 * ```ts
 * parsePyLiteral("(3,)"); // { kind: "tuple", items: [3] }
 * parsePyLiteral("(3)"); // 3
 * ```
 */
export function parsePyLiteral(text: string): PyValue {
  return new PyLiteralParser(text).parseAll();
}

class PyLiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseAll(): PyValue {
    const v = this.value();
    this.ws();
    if (this.pos !== this.text.length) this.fail("unexpected text after the header dict");
    return v;
  }

  private fail(what: string): never {
    const snippet = JSON.stringify(this.text.slice(this.pos, this.pos + 20));
    throw new PyLiteralError(`${what} at character ${this.pos} (near ${snippet})`);
  }

  private ws(): void {
    while (this.pos < this.text.length && " \t\n\r".includes(this.text[this.pos])) this.pos++;
  }

  private value(): PyValue {
    this.ws();
    const c = this.text[this.pos];
    if (c === "{") return this.dict();
    if (c === "(") return this.tupleOrGroup();
    if (c === "[") return { kind: "list", items: this.seq("]") };
    if (c === "'" || c === '"') return this.str();
    if (c !== undefined && /[-+0-9]/.test(c)) return this.int();
    for (const [word, v] of [["True", true], ["False", false], ["None", null]] as const) {
      if (
        this.text.startsWith(word, this.pos) && !/\w/.test(this.text[this.pos + word.length] ?? "")
      ) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? "unexpected end of header" : "unexpected character");
  }

  /** Comma-separated values up to `close` (trailing comma allowed); consumes the brackets. */
  private seq(close: string): PyValue[] {
    this.pos++; // opening bracket
    const items: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.text[this.pos] === close) break;
      items.push(this.value());
      this.ws();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== close) this.fail(`expected ',' or '${close}'`);
    }
    this.pos++; // closing bracket
    return items;
  }

  private tupleOrGroup(): PyValue {
    const start = this.pos;
    const items = this.seq(")");
    // "(x)" is just x in Python; "(x,)" and "()" are tuples.
    const inner = this.text.slice(start + 1, this.pos - 1).trim();
    if (items.length === 1 && !inner.endsWith(",")) return items[0];
    return { kind: "tuple", items };
  }

  private dict(): PyDict {
    this.pos++; // {
    const entries = new Map<string, PyValue>();
    for (;;) {
      this.ws();
      if (this.text[this.pos] === "}") break;
      const keyPos = this.pos;
      const key = this.value();
      if (typeof key !== "string") {
        this.pos = keyPos;
        this.fail("dict keys must be strings");
      }
      if (entries.has(key)) {
        this.pos = keyPos;
        this.fail(`duplicate key '${key}'`);
      }
      this.ws();
      if (this.text[this.pos] !== ":") this.fail("expected ':'");
      this.pos++;
      entries.set(key, this.value());
      this.ws();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== "}") this.fail("expected ',' or '}'");
    }
    this.pos++; // }
    return { kind: "dict", entries };
  }

  private str(): string {
    const quote = this.text[this.pos++];
    let out = "";
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined || c === "\n") {
        this.pos--;
        this.fail("unterminated string");
      }
      if (c === quote) return out;
      if (c === "\\") {
        const e = this.text[this.pos++];
        const simple: Record<string, string> = {
          "\\": "\\",
          "'": "'",
          '"': '"',
          n: "\n",
          t: "\t",
          r: "\r",
          "0": "\0",
        };
        if (e === undefined || !(e in simple)) {
          this.pos -= 2;
          this.fail("unsupported escape sequence in string");
        }
        out += simple[e];
      } else {
        out += c;
      }
    }
  }

  private int(): number {
    // Python 2-era headers may write longs as "3L"; NumPy itself still accepts them.
    const m = /^[-+]?[0-9]+L?/.exec(this.text.slice(this.pos));
    if (!m) return this.fail("expected an integer");
    const next = this.text[this.pos + m[0].length];
    if (next === "." || next === "e" || next === "E" || next === "j") {
      this.fail("only integer numbers are expected in an .npy header");
    }
    this.pos += m[0].length;
    const n = Number(m[0].replace("L", ""));
    if (!Number.isSafeInteger(n)) this.fail("integer too large");
    return n;
  }
}

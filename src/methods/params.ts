/**
 * Typed method hyper-parameters. Each method file declares its parameters once with
 * {@linkcode defineParams} (name, type, default, allowed range, one doc line); that
 * declaration is the single source of
 *
 * - the defaults in `config.method` (`MethodParams.defaults`, in declaration order),
 * - the validation of `--set method.<name>=value` (`MethodParams.parse`),
 * - the typed values a method reads (`MethodParams.read`: `p.lambda` is a `number`),
 * - the `list methods` help and docs/methods.md's parameter table (`describeParams`,
 *   written by scripts/methods_doc.ts).
 *
 * @module
 */
import type { DatasetSpec } from "../data/specs.ts";
import type { ConfigValue, Profile } from "../config/types.ts";
import { ConfigError } from "../config/error.ts";

/** A default that depends on the dataset (and profile) of the run. */
export interface DatasetDefault<T> {
  /** The value for a dataset and profile. */
  of(spec: DatasetSpec, profile: Profile): T;
  /** How `list methods` and docs/methods.md show it, e.g. `10 (modelnet40: 40)`. */
  readonly text: string;
}

interface Common<T> {
  /** One line for `list methods` and docs/methods.md. */
  doc: string;
  /** The default: a value, or one that depends on the dataset ({@linkcode perDataset}). */
  default: T | DatasetDefault<T>;
}

/** A real number (`type: "number"`) or an integer (`type: "integer"`), optionally bounded. */
export interface NumberParam extends Common<number> {
  /** `number` or `integer`. */
  type: "number" | "integer";
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound (`value > above`). */
  above?: number;
  /** Inclusive upper bound. */
  max?: number;
}

/** A switch; `--set` accepts true/false, 1/0, yes/no, on/off. */
export interface BooleanParam extends Common<boolean> {
  /** `boolean`. */
  type: "boolean";
}

/** Free text (e.g. a modality name, checked against the dataset when the method is built). */
export interface StringParam extends Common<string> {
  /** `string`. */
  type: "string";
}

/** One of a fixed set of words. */
export interface EnumParam<C extends string = string> extends Common<C> {
  /** `enum`. */
  type: "enum";
  /** The allowed values. */
  choices: readonly C[];
}

/** A list of numbers; `--set` takes them comma-separated (`0.5,0.5`). */
export interface NumberListParam extends Common<number[]> {
  /** `number[]`. */
  type: "number[]";
}

/** The declaration of one parameter. */
export type ParamSpec = NumberParam | BooleanParam | StringParam | EnumParam | NumberListParam;

/** A method's declarations, by parameter name (in the order of `config.method`). */
export type ParamSpecs = Record<string, ParamSpec>;

/** The TypeScript type of a declared parameter's value. */
export type ParamValue<P> = P extends { type: "number" | "integer" } ? number
  : P extends { type: "boolean" } ? boolean
  : P extends { type: "enum"; choices: readonly (infer C)[] } ? C
  : P extends { type: "string" } ? string
  : P extends { type: "number[]" } ? number[]
  : never;

/** The typed values of a method's parameters. */
export type ParamValues<S> = { readonly [K in keyof S]: ParamValue<S[K]> };

/** What {@linkcode defineParams} returns: the declaration and what is derived from it. */
export interface MethodParams<S extends ParamSpecs = ParamSpecs> {
  /** The declarations (spread them into another method's `defineParams` to extend them). */
  readonly specs: S;
  /** Parameter names in declaration order. */
  readonly names: readonly string[];
  /** The defaults of a run (`config.method` without `name`), in declaration order. */
  defaults(spec: DatasetSpec, profile: Profile): Record<string, ConfigValue>;
  /**
   * Parses and checks `--set method.<name>=<raw>` for method `method`; a
   * {@linkcode ConfigError} names an unknown parameter (with the known ones) or the field,
   * the value and the allowed range.
   */
  parse(method: string, name: string, raw: string): ConfigValue;
  /**
   * The typed values of `config.method` (its `name` key aside), checked against the
   * declaration; a {@linkcode ConfigError} for a missing, unknown or invalid value.
   */
  read(values: Record<string, ConfigValue>): ParamValues<S>;
}

/** A default given per dataset name ({@linkcode perDataset}). */
export interface PerDatasetDefault<T> extends DatasetDefault<T> {
  /** The value for a dataset name. */
  forName(name: string): T;
}

/**
 * A default that differs on some datasets.
 *
 * @example
 * ```ts
 * import { perDataset } from "./params.ts";
 *
 * const d = perDataset(10, { modelnet40: 40 });
 * d.text; // "10 (modelnet40: 40)"
 * d.forName("modelnet40"); // 40
 * ```
 */
export function perDataset<T extends ConfigValue>(
  otherwise: T,
  byName: Record<string, T>,
): PerDatasetDefault<T> {
  const cases = Object.entries(byName).map(([k, v]) => `${k}: ${show(v)}`).join(", ");
  const forName = (name: string) => Object.hasOwn(byName, name) ? byName[name] : otherwise;
  return { forName, of: (spec) => forName(spec.name), text: `${show(otherwise)} (${cases})` };
}

/**
 * A default computed from the dataset (e.g. its lazy modality), shown as `text`.
 *
 * @example
 * ```ts
 * import { fromDataset } from "./params.ts";
 *
 * const d = fromDataset((spec) => spec.strong, "the dataset's strong modality");
 * d.text; // "the dataset's strong modality"
 * ```
 */
export function fromDataset<T extends ConfigValue>(
  of: (spec: DatasetSpec, profile: Profile) => T,
  text: string,
): DatasetDefault<T> {
  return { of, text };
}

function isDatasetDefault<T>(d: T | DatasetDefault<T>): d is DatasetDefault<T> {
  return typeof d === "object" && d !== null && !Array.isArray(d) &&
    typeof (d as DatasetDefault<T>).of === "function";
}

function show(v: ConfigValue): string {
  return Array.isArray(v) ? v.join(",") : String(v);
}

/**
 * The allowed values of a parameter in words: `a number > 0`, `an integer >= 0`,
 * `one of cosine, linear`, `true or false`, ...
 *
 * @example
 * ```ts
 * import { allowedOf } from "./params.ts";
 *
 * allowedOf({ type: "number", above: 0, default: 1, doc: "" }); // "a number > 0"
 * ```
 */
export function allowedOf(s: ParamSpec): string {
  switch (s.type) {
    case "boolean":
      return "true or false";
    case "string":
      return "a string";
    case "enum":
      return `one of ${s.choices.join(", ")}`;
    case "number[]":
      return "a comma-separated list of numbers";
    default: {
      const what = s.type === "integer" ? "an integer" : "a number";
      const lo = s.above !== undefined ? `> ${s.above}` : s.min !== undefined ? `>= ${s.min}` : "";
      if (lo && s.max !== undefined) {
        return `${what} in ${s.above !== undefined ? "(" : "["}${s.above ?? s.min}, ${s.max}]`;
      }
      if (lo) return `${what} ${lo}`;
      return s.max !== undefined ? `${what} <= ${s.max}` : what;
    }
  }
}

/** The problem with a value, or null when the declaration allows it. */
function problem(s: ParamSpec, v: unknown): string | null {
  const bad = `must be ${allowedOf(s)}`;
  switch (s.type) {
    case "boolean":
      return typeof v === "boolean" ? null : bad;
    case "string":
      return typeof v === "string" ? null : bad;
    case "enum":
      return typeof v === "string" && s.choices.includes(v) ? null : bad;
    case "number[]":
      return Array.isArray(v) && v.every((x) => typeof x === "number" && Number.isFinite(x))
        ? null
        : bad;
    default:
      if (typeof v !== "number" || !Number.isFinite(v)) return bad;
      if (s.type === "integer" && !Number.isInteger(v)) return bad;
      if (s.min !== undefined && v < s.min) return bad;
      if (s.above !== undefined && !(v > s.above)) return bad;
      if (s.max !== undefined && v > s.max) return bad;
      return null;
  }
}

/** Converts a `--set` string to the declared type (range checks are `problem`'s). */
function convert(s: ParamSpec, raw: string): ConfigValue | undefined {
  switch (s.type) {
    case "boolean":
      if (["true", "1", "yes", "on"].includes(raw)) return true;
      if (["false", "0", "no", "off"].includes(raw)) return false;
      return undefined;
    case "string":
    case "enum":
      return raw;
    case "number[]": {
      const text = raw.trim();
      const items = text === "" || text === "[]"
        ? []
        : text.replace(/^\[|\]$/g, "").split(",").map((x) => x.trim());
      const nums = items.map((x) => (x === "" ? NaN : Number(x)));
      return nums.some((n) => !Number.isFinite(n)) ? undefined : nums;
    }
    default: {
      if (raw.trim() === "") return undefined;
      const v = Number(raw);
      return Number.isFinite(v) ? v : undefined;
    }
  }
}

/**
 * Declares a method's parameters; the one place their names, types, defaults, ranges and
 * documentation are written.
 *
 * @example
 * ```ts
 * import { defineParams } from "./params.ts";
 *
 * const P = defineParams({
 *   lambda: { type: "number", above: 0, default: 10, doc: "TCM noise cap" },
 *   tcm: { type: "boolean", default: true, doc: "training-condition modulation" },
 * });
 * const p = P.read({ name: "x", lambda: 2, tcm: false });
 * p.lambda + 1; // 3
 * P.parse("x", "lambda", "4"); // 4
 * ```
 */
export function defineParams<const S extends ParamSpecs>(specs: S): MethodParams<S> {
  const names = Object.keys(specs);
  for (const [name, s] of Object.entries(specs)) {
    if (!isDatasetDefault(s.default)) {
      const why = problem(s, s.default);
      if (why) throw new Error(`parameter '${name}': default ${JSON.stringify(s.default)} ${why}`);
    }
    if (s.type === "enum" && s.choices.length === 0) {
      throw new Error(`parameter '${name}': an enum needs choices`);
    }
  }
  const unknown = (method: string, name: string) =>
    names.length === 0
      ? `method ${method} has no parameters`
      : `method ${method} has no parameter '${name}'. Its parameters: ${
        names.join(", ")
      } (\`list methods\` describes them)`;
  return {
    specs,
    names,
    defaults(spec, profile) {
      const out: Record<string, ConfigValue> = {};
      for (const name of names) {
        const d = specs[name].default;
        const v = isDatasetDefault(d) ? d.of(spec, profile) : d;
        out[name] = Array.isArray(v) ? [...v] as ConfigValue : v;
      }
      return out;
    },
    parse(method, name, raw) {
      if (!Object.hasOwn(specs, name)) {
        throw new ConfigError(`--set method.${name}=${raw}: ${unknown(method, name)}`);
      }
      const s = specs[name];
      const v = convert(s, raw);
      const why = v === undefined ? `must be ${allowedOf(s)}` : problem(s, v);
      if (why) {
        throw new ConfigError(
          `--set method.${name}=${raw}: method.${name} of ${method} ${why} (got ${
            JSON.stringify(v ?? raw)
          })`,
        );
      }
      return v!;
    },
    read(values) {
      const method = typeof values.name === "string" ? values.name : null;
      const field = (name: string) => `method.${name}${method ? ` of ${method}` : ""}`;
      for (const key of Object.keys(values)) {
        if (key !== "name" && !Object.hasOwn(specs, key)) {
          throw new ConfigError(`method.${key}: ${unknown(method ?? "this method", key)}`);
        }
      }
      const out: Record<string, ConfigValue> = {};
      for (const name of names) {
        if (!Object.hasOwn(values, name)) throw new ConfigError(`${field(name)} is missing`);
        const why = problem(specs[name], values[name]);
        if (why) {
          throw new ConfigError(`${field(name)} ${why} (got ${JSON.stringify(values[name])})`);
        }
        out[name] = values[name];
      }
      return out as ParamValues<S>;
    },
  };
}

/** One parameter as `list methods` and docs/methods.md describe it. */
export interface ParamDescription {
  /** Parameter name (`--set method.<name>`). */
  name: string;
  /** Declared type (`number`, `integer`, `boolean`, `string`, `enum`, `number[]`). */
  type: string;
  /** The default as text (dataset-dependent ones spelled out). */
  default: string;
  /** The allowed values in words. */
  allowed: string;
  /** The doc line. */
  doc: string;
}

/**
 * The declaration of each parameter in words, in declaration order.
 *
 * @example
 * ```ts
 * import { defineParams, describeParams } from "./params.ts";
 *
 * const P = defineParams({ scaling: { type: "number", above: 0, default: 10, doc: "s" } });
 * describeParams(P)[0].allowed; // "a number > 0"
 * ```
 */
export function describeParams(params: MethodParams): ParamDescription[] {
  return params.names.map((name) => {
    const s = params.specs[name];
    return {
      name,
      type: s.type,
      default: isDatasetDefault(s.default) ? s.default.text : show(s.default),
      allowed: allowedOf(s),
      doc: s.doc,
    };
  });
}

/**
 * Declarations several methods share; a method spreads them into its `defineParams` at the
 * place the parameter belongs (the order of `config.method` is the declaration order).
 * `lr_scale`: DGL, InfoReg, MMPareto (official lr 2e-3 = 2 x the paper profile's shared
 * base 1e-3; docs/methods.md, "Learning rates").
 *
 * @example
 * ```ts
 * import { defineParams, LR_SCALE_SPEC } from "./params.ts";
 *
 * const P = defineParams({ gamma: { type: "number", default: 1.5, doc: "g" }, ...LR_SCALE_SPEC });
 * P.names; // ["gamma", "lr_scale"]
 * P.read({ gamma: 1.5, lr_scale: 2 }).lr_scale; // 2
 * ```
 */
export const LR_SCALE_SPEC = {
  lr_scale: {
    type: "number",
    above: 0,
    default: 2,
    doc: "lr = lr_scale x train.lr (official 2e-3 at the paper base 1e-3)",
  },
} as const satisfies ParamSpecs;

/**
 * DGL's and ARL's shared tail of declarations: `clip_grad_norm_(all parameters, 40)` and the
 * official MultiStepLR stepped at epoch starts (src/optim/schedule.ts `stepLr`, `at`).
 *
 * @example
 * ```ts
 * import { CLIP_SCHED_SPECS } from "./params.ts";
 *
 * Object.keys(CLIP_SCHED_SPECS); // ["clip_norm", "sched_at_start"]
 * ```
 */
export const CLIP_SCHED_SPECS = {
  clip_norm: {
    type: "number",
    min: 0,
    default: 40,
    doc: "clip_grad_norm_ of all gradients (0: no clipping)",
  },
  sched_at_start: {
    type: "boolean",
    default: true,
    doc: "official MultiStepLR stepped at epoch start; false: harness StepLR",
  },
} as const satisfies ParamSpecs;

/**
 * The inclusive window `window_start`..`window_end` (protocol epochs) of a method's
 * modulation (OGM-GE, AGM) or loss (PMR): start 0, end `end`; `what` names it in the docs,
 * `endNote` adds to the end's doc line.
 *
 * @example
 * ```ts
 * import { inclusiveWindowSpecs } from "./params.ts";
 *
 * const w = inclusiveWindowSpecs("modulation", 50);
 * w.window_end.doc; // "modulation window end, protocol epochs (inclusive)"
 * w.window_end.default; // 50
 * ```
 */
export function inclusiveWindowSpecs(what: string, end: number, endNote = "") {
  return {
    window_start: {
      type: "number",
      default: 0,
      doc: `${what} window start, protocol epochs (inclusive)`,
    },
    window_end: {
      type: "number",
      default: end,
      doc: `${what} window end, protocol epochs (inclusive${endNote})`,
    },
  } as const satisfies ParamSpecs;
}

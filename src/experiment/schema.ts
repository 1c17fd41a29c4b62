/**
 * Schema validation of experiment files. Every error names file:line:col, the field and
 * what was expected (see {@linkcode ExperimentError}).
 *
 * @module
 */
import { inspectNpz } from "../data/npz_dataset.ts";
import {
  datasetRoles,
  type FeatureDataset,
  GENERIC_METRICS,
  isKnownMethod,
  isKnownMetric,
  KNOWN_METHODS,
  knownDatasets,
  methodLabel,
  registerFeatureDataset,
} from "./names.ts";
import { type FieldPath, YamlSource } from "./yaml_source.ts";
import {
  type Claim,
  type CompareOp,
  type Entry,
  type Experiment,
  type LauncherSettings,
  type MetricRef,
  type Profile,
  PROFILES,
  type ProfileSettings,
  type Quantifier,
  REPORT_KINDS,
  type ReportKind,
  type ReportSpec,
  type SlurmOptionMap,
  type TableColumn,
  type TableRow,
} from "./types.ts";

const NAME_RE = /^[a-z0-9][a-z0-9+._-]*$/;
const SET_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+=.*$/;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Field-level checks bound to one source. */
class Checker {
  constructor(readonly src: YamlSource) {}

  obj(v: unknown, path: FieldPath, keys: readonly string[], required: readonly string[]): Obj {
    if (!isObj(v)) this.src.fail(path, `a mapping with keys ${keys.join(", ")}`, v);
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) {
        this.src.fail([...path, k], `one of the keys ${keys.join(", ")}`, k, true);
      }
    }
    for (const k of required) {
      if (v[k] === undefined || v[k] === null) {
        this.src.fail([...path, k], "a value (the field is required)", undefined);
      }
    }
    return v;
  }

  str(v: unknown, path: FieldPath, what = "a non-empty string"): string {
    if (typeof v !== "string" || v.trim() === "") this.src.fail(path, what, v);
    return v;
  }

  optStr(v: unknown, path: FieldPath): string | undefined {
    return v === undefined || v === null ? undefined : this.str(v, path);
  }

  int(v: unknown, path: FieldPath, min: number, what: string): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) this.src.fail(path, what, v);
    return v;
  }

  num(v: unknown, path: FieldPath, what = "a number"): number {
    if (typeof v !== "number" || !Number.isFinite(v)) this.src.fail(path, what, v);
    return v;
  }

  list(v: unknown, path: FieldPath, what: string, nonEmpty = true): unknown[] {
    if (!Array.isArray(v) || (nonEmpty && v.length === 0)) this.src.fail(path, what, v);
    return v;
  }

  strList(v: unknown, path: FieldPath, what: string): string[] {
    if (typeof v === "string") return [this.str(v, path, what)];
    return this.list(v, path, what).map((x, i) => this.str(x, [...path, i], what));
  }

  oneOf<T extends string>(v: unknown, path: FieldPath, options: readonly T[]): T {
    if (typeof v !== "string" || !options.includes(v as T)) {
      this.src.fail(path, `one of ${options.join(", ")}`, v);
    }
    return v as T;
  }

  sets(v: unknown, path: FieldPath): string[] {
    if (v === undefined || v === null) return [];
    const what = 'a list of "dotted.key=value" strings';
    return this.list(v, path, what, false).map((x, i) => {
      const s = this.str(x, [...path, i], what);
      if (!SET_RE.test(s)) this.src.fail([...path, i], what, s);
      return s;
    });
  }

  intList(v: unknown, path: FieldPath, min: number, what: string): number[] {
    return this.list(v, path, what).map((x, i) => this.int(x, [...path, i], min, what));
  }
}

function parseEntries(c: Checker, v: unknown): Entry[] {
  const path: FieldPath = ["methods"];
  const list = c.list(v, path, "a non-empty list of method names or {name, method, sets}");
  const methodWhat = `a method name (${KNOWN_METHODS.join(", ")})`;
  const entries = list.map((item, i): Entry => {
    const p: FieldPath = [...path, i];
    if (typeof item === "string") {
      if (!isKnownMethod(item)) c.src.fail(p, methodWhat, item);
      return { name: item, method: item, label: methodLabel(item), sets: [], variant: null };
    }
    const o = c.obj(item, p, ["name", "method", "label", "sets"], ["method"]);
    const method = c.str(o.method, [...p, "method"]);
    if (!isKnownMethod(method)) c.src.fail([...p, "method"], methodWhat, method);
    const sets = c.sets(o.sets, [...p, "sets"]);
    if (o.name === undefined || o.name === null) {
      if (sets.length > 0) {
        c.src.fail([...p, "name"], "a variant name for an entry with sets", undefined);
      }
      const label = c.optStr(o.label, [...p, "label"]) ?? methodLabel(method);
      return { name: method, method, label, sets, variant: null };
    }
    const name = c.str(o.name, [...p, "name"]);
    if (!NAME_RE.test(name)) {
      c.src.fail([...p, "name"], "a lower-case name of letters, digits, + . _ -", name);
    }
    const label = c.optStr(o.label, [...p, "label"]) ?? name;
    return { name, method, label, sets, variant: name };
  });
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (seen.has(e.name)) c.src.fail([...path, i], "entry names to be unique", e.name);
    seen.add(e.name);
  });
  return entries;
}

function parseProfile(c: Checker, v: unknown, profile: Profile): ProfileSettings {
  const p: FieldPath = ["profiles", profile];
  const o = c.obj(v, p, ["epochs", "sets", "seeds", "info_epochs"], []);
  const out: ProfileSettings = { sets: c.sets(o.sets, [...p, "sets"]) };
  if (o.epochs !== undefined) {
    out.epochs = c.int(o.epochs, [...p, "epochs"], 1, "a positive integer");
  }
  if (o.seeds !== undefined) {
    out.seeds = c.intList(o.seeds, [...p, "seeds"], 0, "a list of non-negative integers");
  }
  if (o.info_epochs !== undefined) {
    out.infoEpochs = c.intList(
      o.info_epochs,
      [...p, "info_epochs"],
      1,
      "a list of positive integers",
    );
    if (out.epochs !== undefined) {
      out.infoEpochs.forEach((e, i) => {
        if (e > out.epochs!) {
          c.src.fail([...p, "info_epochs", i], `an epoch <= epochs (${out.epochs})`, e);
        }
      });
    }
  }
  return out;
}

function parseMetricRef(c: Checker, v: unknown, path: FieldPath, datasets: string[]): MetricRef {
  const what = `a metric (${GENERIC_METRICS.join(", ")} or a modality name)`;
  if (typeof v === "string") {
    if (!isKnownMetric(v)) c.src.fail(path, what, v);
    return v;
  }
  const o = c.obj(v, path, datasets, datasets);
  const out: Record<string, string> = {};
  for (const d of datasets) {
    const m = c.str(o[d], [...path, d], what);
    const roles = datasetRoles(d);
    const ok = GENERIC_METRICS.includes(m) ||
      (roles?.modalities.includes(m) ?? false);
    if (!ok) c.src.fail([...path, d], `a metric of ${d} (${roles?.modalities.join(", ")})`, m);
    out[d] = m;
  }
  return out;
}

function parseReport(
  c: Checker,
  v: unknown,
  exp: { entries: Entry[]; datasets: string[] },
): ReportSpec {
  const p: FieldPath = ["report"];
  const o = c.obj(
    v,
    p,
    ["kind", "published", "select", "rows", "columns", "show", "reference", "layout", "threshold"],
    ["kind"],
  );
  const kind: ReportKind = c.oneOf(o.kind, [...p, "kind"], REPORT_KINDS);
  const names = exp.entries.map((e) => e.name);
  const entryList = (x: unknown, key: string): string[] => {
    if (x === undefined || x === null) return [];
    const list = c.strList(x, [...p, key], "a list of entry names");
    list.forEach((n, i) => {
      if (!names.includes(n)) {
        c.src.fail([...p, key, i], `an entry of methods (${names.join(", ")})`, n);
      }
    });
    return list;
  };
  const rows: TableRow[] = o.rows === undefined
    ? []
    : c.list(o.rows, [...p, "rows"], "a list of {label, metric}").map(
      (r, i) => {
        const rp: FieldPath = [...p, "rows", i];
        const ro = c.obj(r, rp, ["label", "metric"], ["label", "metric"]);
        return {
          label: c.str(ro.label, [...rp, "label"]),
          metric: parseMetricRef(c, ro.metric, [...rp, "metric"], exp.datasets),
        };
      },
    );
  const columns: TableColumn[] = o.columns === undefined
    ? []
    : c.list(o.columns, [...p, "columns"], "a list of {label, metric}").map((r, i) => {
      const rp: FieldPath = [...p, "columns", i];
      const ro = c.obj(r, rp, ["label", "metric"], ["label", "metric"]);
      const metric = parseMetricRef(c, ro.metric, [...rp, "metric"], exp.datasets);
      if (typeof metric !== "string") c.src.fail([...rp, "metric"], "a single metric name", metric);
      return { label: c.str(ro.label, [...rp, "label"]), metric };
    });
  if (kind === "accuracy-table" && rows.length === 0) {
    c.src.fail(p, 'a field "rows" (the metric rows of an accuracy table)', undefined);
  }
  if (kind === "ablation-table" && columns.length === 0) {
    c.src.fail(p, 'a field "columns" (the metric columns of an ablation table)', undefined);
  }
  let published: string | undefined;
  if (o.published !== undefined && o.published !== null) {
    published = c.str(o.published, [...p, "published"]);
    if (!/^[A-Za-z0-9_.-]+\.csv$/.test(published)) {
      c.src.fail([...p, "published"], "a CSV file name in results/published/", published);
    }
  }
  return {
    kind,
    published,
    select: o.select === undefined
      ? "best"
      : c.oneOf(o.select, [...p, "select"], ["best", "final"] as const),
    rows,
    columns,
    show: entryList(o.show, "show"),
    reference: entryList(o.reference, "reference"),
    layout: o.layout === undefined
      ? "per-entry"
      : c.oneOf(o.layout, [...p, "layout"], ["per-entry", "overlay"] as const),
    threshold: o.threshold === undefined ? 0 : c.num(o.threshold, [...p, "threshold"]),
  };
}

function parseClaim(
  c: Checker,
  v: unknown,
  i: number,
  exp: { entries: Entry[]; datasets: string[] },
): Claim {
  const p: FieldPath = ["claims", i];
  const common = ["id", "text", "source", "kind", "metric", "datasets", "require"];
  const pre = c.obj(v, p, [
    ...common,
    "subject",
    "among",
    "goal",
    "rank",
    "left",
    "op",
    "right",
    "right_metric",
  ], [
    "id",
    "text",
    "kind",
    "metric",
  ]);
  const kind = c.oneOf(pre.kind, [...p, "kind"], ["best", "compare"] as const);
  const o = kind === "best"
    ? c.obj(v, p, [...common, "subject", "among", "goal", "rank"], ["subject"])
    : c.obj(v, p, [...common, "left", "op", "right", "right_metric"], ["left", "op", "right"]);
  const names = exp.entries.map((e) => e.name);
  const entry = (x: unknown, path: FieldPath): string => {
    const n = c.str(x, path, "an entry name");
    if (!names.includes(n)) c.src.fail(path, `an entry of methods (${names.join(", ")})`, n);
    return n;
  };
  const entries = (x: unknown, path: FieldPath): string[] => {
    if (x === "all") return names;
    if (typeof x === "string") return [entry(x, path)];
    return c.list(x, path, 'a list of entry names or "all"').map((n, j) => entry(n, [...path, j]));
  };
  const metricWhat = `a metric (${GENERIC_METRICS.join(", ")} or a modality name)`;
  const metric = c.str(o.metric, [...p, "metric"], metricWhat);
  if (!isKnownMetric(metric)) c.src.fail([...p, "metric"], metricWhat, metric);
  let datasets = exp.datasets;
  if (o.datasets !== undefined && o.datasets !== "all") {
    datasets = c.strList(o.datasets, [...p, "datasets"], 'a list of datasets or "all"');
    datasets.forEach((d, j) => {
      if (!exp.datasets.includes(d)) {
        c.src.fail(
          [...p, "datasets", j],
          `a dataset of this experiment (${exp.datasets.join(", ")})`,
          d,
        );
      }
    });
  }
  const base = {
    id: c.str(o.id, [...p, "id"]),
    text: c.str(o.text, [...p, "text"]),
    source: c.optStr(o.source, [...p, "source"]),
    metric,
    datasets,
    require: o.require === undefined
      ? "all" as Quantifier
      : c.oneOf(o.require, [...p, "require"], ["all", "majority", "any"] as const),
  };
  if (kind === "best") {
    const subject = entry(o.subject, [...p, "subject"]);
    const among = o.among === undefined ? names : entries(o.among, [...p, "among"]);
    return {
      ...base,
      kind,
      subject,
      among: among.includes(subject) ? among : [subject, ...among],
      goal: o.goal === undefined
        ? "max"
        : c.oneOf(o.goal, [...p, "goal"], ["max", "min", "closest-to-1"] as const),
      rank: o.rank === undefined ? 1 : c.int(o.rank, [...p, "rank"], 1, "a positive integer"),
    };
  }
  let rightMetric = metric;
  if (o.right_metric !== undefined) {
    rightMetric = c.str(o.right_metric, [...p, "right_metric"], metricWhat);
    if (!isKnownMetric(rightMetric)) c.src.fail([...p, "right_metric"], metricWhat, rightMetric);
  }
  return {
    ...base,
    kind,
    left: entries(o.left, [...p, "left"]),
    op: c.oneOf(o.op, [...p, "op"], ["<", "<=", ">", ">="] as readonly CompareOp[]),
    right: entry(o.right, [...p, "right"]),
    rightMetric,
  };
}

/**
 * Parses and validates an experiment file's text.
 *
 * @param text YAML text.
 * @param file Path used in error messages.
 * @param name Experiment name (default: the file name without `.yaml`).
 * @throws {ExperimentError} on the first problem, naming file:line:col and field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const exp = parseExperiment(
 *   "title: t\nmethods: [concat]\ndatasets: [crema-d]\nseeds: [0]\n" +
 *     "profiles: {quick: {epochs: 2}, paper: {}}\nreport: {kind: ratio-table}\n",
 *   "experiments/mini.yaml",
 * );
 * assert.equal(exp.name, "mini");
 * ```
 */
export function parseExperiment(text: string, file: string, name?: string): Experiment {
  const src = new YamlSource(text, file);
  const c = new Checker(src);
  const top = c.obj(
    src.value,
    [],
    [
      "title",
      "paper",
      "description",
      "methods",
      "datasets",
      "seeds",
      "profiles",
      "report",
      "claims",
      "notes",
      "feature_datasets",
      "launcher",
    ],
    ["title", "methods", "datasets", "seeds", "profiles", "report"],
  );
  const entries = parseEntries(c, top.methods);
  const featureDatasets = parseFeatureDatasets(c, top.feature_datasets, file);
  const names = [...knownDatasets(), ...Object.keys(featureDatasets)];
  const dsWhat = `a list of datasets (${names.join(", ")})`;
  const datasets = c.strList(top.datasets, ["datasets"], dsWhat);
  datasets.forEach((d, i) => {
    if (!names.includes(d)) c.src.fail(["datasets", i], dsWhat, d);
  });
  const seeds = c.intList(top.seeds, ["seeds"], 0, "a non-empty list of non-negative integers");
  const prof = c.obj(top.profiles, ["profiles"], PROFILES, PROFILES);
  const profiles = {
    quick: parseProfile(c, prof.quick, "quick"),
    paper: parseProfile(c, prof.paper, "paper"),
  };
  const exp = { entries, datasets };
  const report = parseReport(c, top.report, exp);
  const claims = top.claims === undefined || top.claims === null
    ? []
    : c.list(top.claims, ["claims"], "a list of claims", false).map((x, i) =>
      parseClaim(c, x, i, exp)
    );
  const ids = new Set<string>();
  claims.forEach((cl, i) => {
    if (ids.has(cl.id)) c.src.fail(["claims", i, "id"], "claim ids to be unique", cl.id);
    ids.add(cl.id);
  });
  const notes = top.notes === undefined ? [] : c.strList(top.notes, ["notes"], "a list of strings");
  const launcher = parseLauncher(c, top.launcher);
  const base = file.split(/[\\/]/).pop() ?? file;
  return {
    name: name ?? base.replace(/\.ya?ml$/, ""),
    file,
    title: c.str(top.title, ["title"]),
    paper: c.optStr(top.paper, ["paper"]),
    description: c.optStr(top.description, ["description"]),
    entries,
    datasets,
    featureDatasets,
    seeds,
    profiles,
    report,
    claims,
    notes,
    ...(launcher ? { launcher } : {}),
  };
}

/** Keys of `launcher.slurm` and the `sbatch` option each one sets. */
const SLURM_KEYS: Record<string, string> = {
  partition: "partition",
  account: "account",
  time: "time",
  mem: "mem",
  gpus: "gpus",
  cpus_per_task: "cpus-per-task",
};

/**
 * `launcher: {slurm: {partition, account, time, mem, gpus, cpus_per_task, extra}}`: each
 * option is one value or `{quick: v, paper: v}`; `extra` lists `#SBATCH` lines.
 */
function parseLauncher(c: Checker, v: unknown): LauncherSettings | undefined {
  if (v === undefined || v === null) return undefined;
  const top = c.obj(v, ["launcher"], ["slurm"], ["slurm"]);
  const p: FieldPath = ["launcher", "slurm"];
  const o = c.obj(top.slurm, p, [...Object.keys(SLURM_KEYS), "extra"], []);
  const options: Record<Profile, SlurmOptionMap> = { quick: {}, paper: {} };
  for (const [key, option] of Object.entries(SLURM_KEYS)) {
    const raw = o[key];
    if (raw === undefined || raw === null) continue;
    const perProfile = isObj(raw)
      ? c.obj(raw, [...p, key], PROFILES, [])
      : { quick: raw, paper: raw };
    for (const profile of PROFILES) {
      const value = perProfile[profile];
      if (value === undefined || value === null) continue;
      const path: FieldPath = isObj(raw) ? [...p, key, profile] : [...p, key];
      options[profile][option] = slurmValue(c, key, value, path);
    }
  }
  const extra = o.extra === undefined || o.extra === null
    ? []
    : c.strList(o.extra, [...p, "extra"], 'a list of "#SBATCH --option=value" lines').map(
      (line, i) => {
        const t = line.trim();
        const full = t.startsWith("#SBATCH") ? t : `#SBATCH ${t}`;
        if (!/^#SBATCH --?[A-Za-z]/.test(full) || /[\n\r]/.test(full)) {
          c.src.fail([...p, "extra", i], 'an "#SBATCH --option=value" line', line);
        }
        return full;
      },
    );
  return { slurm: { options, extra } };
}

function slurmValue(c: Checker, key: string, v: unknown, path: FieldPath): string {
  if (key === "gpus") return String(c.int(v, path, 0, "a number of GPUs per task (0 or more)"));
  if (key === "cpus_per_task") return String(c.int(v, path, 1, "a positive integer"));
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  const s = c.str(v, path, "a string (or {quick: ..., paper: ...})");
  if (/\s/.test(s.trim())) c.src.fail(path, "a value without spaces", v);
  return s.trim();
}

/**
 * `feature_datasets:` maps a name to a bring-your-own-features file:
 * `{file: path.npz, strong?: modality, modalities?: [..], class_names?: [..]}`. The file is
 * read and validated here (errors name the YAML field), and each entry is registered so
 * expansion and reports know its modalities.
 */
function parseFeatureDatasets(
  c: Checker,
  v: unknown,
  file: string,
): Record<string, FeatureDataset> {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) {
    c.src.fail(
      ["feature_datasets"],
      "a mapping of name: {file, strong, modalities, class_names}",
      v,
    );
  }
  const out: Record<string, FeatureDataset> = {};
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
  for (const [name, raw] of Object.entries(v)) {
    const p: FieldPath = ["feature_datasets", name];
    if (knownDatasets().includes(name)) {
      c.src.fail(p, "a name that is not one of the paper's datasets", name, true);
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
      c.src.fail(p, "a name of letters, digits, '.', '_' or '-'", name, true);
    }
    const o = c.obj(raw, p, ["file", "strong", "modalities", "class_names"], ["file"]);
    const rel = c.str(o.file, [...p, "file"], "the path of an .npz feature file");
    const path = rel.startsWith("/") ? rel : `${dir}${rel}`;
    const d: FeatureDataset = { name, file: path };
    if (o.strong !== undefined) d.strong = c.str(o.strong, [...p, "strong"]);
    if (o.modalities !== undefined) {
      d.modalities = c.strList(o.modalities, [...p, "modalities"], "a list of modality names");
    }
    if (o.class_names !== undefined) {
      d.classNames = c.strList(o.class_names, [...p, "class_names"], "a list of class names");
    }
    let contents;
    try {
      contents = inspectNpz(path, d.classNames);
    } catch (e) {
      c.src.fail([...p, "file"], `a valid feature file (${(e as Error).message})`, rel);
    }
    if (d.modalities && d.modalities.join(",") !== contents.modalities.join(",")) {
      c.src.fail(
        [...p, "modalities"],
        `the file's modalities (${contents.modalities.join(", ")})`,
        d.modalities.join(", "),
      );
    }
    if (d.strong && !contents.modalities.includes(d.strong)) {
      c.src.fail(
        [...p, "strong"],
        `one of the file's modalities (${contents.modalities.join(", ")})`,
        d.strong,
      );
    }
    registerFeatureDataset(d);
    out[name] = d;
  }
  return out;
}

/**
 * One self-contained HTML page per experiment, `<out>/reports/<experiment>.html` (the table
 * beside the published numbers with links to each cell's run folders, the claims with
 * their evidence, the experiment's figure and the training curves inlined as SVG, and the
 * status of every run), and the index of every experiment with results,
 * `<out>/reports/index.html`.
 *
 * @module
 */
import { relative } from "node:path";
import { loadExperiment } from "../experiment/catalog.ts";
import { VERSION } from "../version.ts";
import type { Verdict } from "./claims.ts";
import {
  type HtmlCell,
  type HtmlFigure,
  type HtmlIndexEntry,
  type HtmlReportView,
  type HtmlRow,
  type HtmlRun,
  renderIndexHtml,
  renderReportHtml,
} from "./html.ts";
import { renderSvg } from "./render.ts";
import { figureSpec, isFigure, type Report, writeAtomic } from "./report.ts";
import {
  collectRunStatus,
  type FailedStatus,
  type PlannedStatus,
  type RunStatus,
  type RunStatusState,
} from "./run_status.ts";
import { incompleteMark, meanStd, signed } from "./table_model.ts";
import { trainingCurves, trainingCurvesSpec } from "./training_curves.ts";

/** Options of {@linkcode writeHtmlReport}. */
export interface HtmlReportOptions {
  /** Output root (default `results`). */
  out?: string;
  /** The sweep's plan, when written right after a sweep. */
  plan?: PlannedStatus[];
  /** The sweep's failed runs. */
  failed?: FailedStatus[];
  /** Whether a method is implemented. */
  implemented?: (method: string) => boolean;
  /** Generation time (default now). */
  now?: Date;
}

/**
 * The path of an experiment's HTML report.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(htmlReportPath("results", "table5"), "results/reports/table5.html");
 * ```
 */
export function htmlReportPath(out: string, experiment: string): string {
  return `${reportsDir(out)}/${experiment}.html`;
}

function reportsDir(out: string): string {
  return `${out.replace(/\/+$/, "") || "."}/reports`;
}

/**
 * A relative URL from the reports folder to a path (each segment percent-encoded).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(reportHref("results", "results/runs/table5/full__crema-d__s0", true), "../runs/table5/full__crema-d__s0/");
 * ```
 */
export function reportHref(out: string, path: string, folder = false): string {
  const rel = relative(reportsDir(out), path).split("/").map(encodeURIComponent).join("/");
  return folder ? `${rel}/` : rel;
}

/**
 * Makes the ids of an SVG unique in a page holding several (vega numbers its clip paths
 * from 1 in every figure): prefixes every `id` and every `#id` reference.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(scopeSvgIds('<clipPath id="clip1"/><g clip-path="url(#clip1)"/>', "f1"), '<clipPath id="f1-clip1"/><g clip-path="url(#f1-clip1)"/>');
 * ```
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\sid="([^"]+)"/g, ` id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/(\s(?:xlink:)?href)="#([^"]+)"/g, `$1="#${prefix}-$2"`);
}

const VERDICT_CLASS: Record<Verdict, string> = {
  holds: "holds",
  "does not hold": "fails",
  inconclusive: "inconclusive",
};

const STATE_CLASS: Record<RunStatusState, string> = {
  done: "done",
  failed: "failed",
  "not finished": "unfinished",
  "not implemented": "missing",
};

function list<T>(xs: T[]): string {
  return xs.length ? xs.join(", ") : "none";
}

/**
 * The experiment's figures as inline SVG: its paper figure (figure experiments) and the
 * per-method training curves (every experiment whose runs have `epochs.csv`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reportFigures } from "./html_report.ts";
 * import { loadReport } from "./report.ts";
 * import { loadExperiment } from "../experiment/catalog.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/table2/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * await Deno.writeTextFile(
 *   `${dir}/epochs.csv`,
 *   "epoch,train_loss,test_acc_fusion,test_acc_audio,test_acc_visual,ratio_mean\n" +
 *     "1,1.2,0.6,0.5,0.6,1.8\n2,0.9,0.8,0.6,0.7,1.5\n",
 * );
 * const report = await loadReport(await loadExperiment("table2"), { out });
 * const figures = await reportFigures(report);
 * // a table: training curves only; a figure experiment adds its figure first ("figure")
 * assert.deepEqual(figures.map((f) => f.id), ["training-curves"]);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function reportFigures(report: Report): Promise<HtmlFigure[]> {
  const exp = report.experiment;
  const figures: HtmlFigure[] = [];
  if (isFigure(exp) && report.table.facts.runs > 0) {
    const svg = await renderSvg(await figureSpec(report));
    figures.push({
      id: "figure",
      caption: `${exp.paper ? `${exp.paper} of the paper, reproduced` : exp.title}: ${
        exp.report.kind === "curves"
          ? "per-epoch test accuracies and discrepancy ratio, mean over seeds"
          : "the per-sample information lower bound, seeds pooled"
      } (the same figure as main.ts figure ${exp.name}).`,
      svg: scopeSvgIds(svg, "figure"),
    });
  }
  const tc = await trainingCurves(exp, report.index);
  if (tc.data.length > 0) {
    const svg = await renderSvg(
      trainingCurvesSpec(tc, {
        title: "Training curves per method",
        subtitle: [`Mean over seeds ${tc.seeds.join(", ")} of each epoch (epochs.csv).`],
      }),
    );
    figures.push({
      id: "training-curves",
      caption:
        `Training curves per method: training loss, fused, strong and lazy test accuracy and the ` +
        `discrepancy ratio per epoch, mean over seeds ${tc.seeds.join(", ")}.`,
      svg: scopeSvgIds(svg, "training-curves"),
    });
  }
  return figures;
}

function tableView(report: Report, out: string): { head: string[]; rows: HtmlRow[] } {
  const t = report.table;
  const head = ["Method"];
  if (t.rowHeader !== null) head.push(t.rowHeader);
  for (const c of t.columns) {
    head.push(c.label);
    if (t.hasPublished) head.push("paper", "Δ");
  }
  const rows: HtmlRow[] = [];
  for (const g of t.groups) {
    g.rows.forEach((row, i) => {
      const cells: HtmlCell[] = [{ text: i === 0 ? `${g.label}${g.marks}` : "" }];
      if (t.rowHeader !== null) cells.push({ text: row.label });
      for (const cell of row.cells) {
        const runs = report.index.runs(g.entry, cell.dataset);
        const text = g.status === "not implemented"
          ? "not implemented"
          : meanStd(cell.mean, cell.std);
        cells.push({
          text,
          bold: cell.best && text !== "—",
          mark: g.status === "not implemented" ? "" : incompleteMark(cell),
          cls: g.status === "ok" ? "num" : "num missing",
          links: runs.map((r) => ({ href: reportHref(out, r.dir, true), text: `s${r.seed}` })),
        });
        if (t.hasPublished) {
          cells.push({
            text: cell.published ? meanStd(cell.published.mean, cell.published.std) : "",
            bold: cell.publishedBest && !!cell.published,
            cls: "num",
          });
          cells.push({ text: signed(cell.diff), cls: "num" });
        }
      }
      rows.push({ cells, first: i === 0 });
    });
  }
  return { head, rows };
}

function runView(r: RunStatus, out: string, label: (e: string) => string): HtmlRun {
  return {
    runId: r.runId,
    href: r.dir ? reportHref(out, r.dir, true) : undefined,
    entry: label(r.entry),
    dataset: r.dataset,
    seed: r.seed === null ? "—" : String(r.seed),
    state: r.state,
    cls: STATE_CLASS[r.state],
    backend: r.backend ?? "—",
    profile: r.profile ?? "—",
    epochs: r.epochs === undefined ? "—" : String(r.epochs),
    version: r.version ?? "—",
    configHash: r.configHash ?? "—",
    wall: r.wallS === undefined ? "—" : `${r.wallS.toFixed(1)} s`,
    log: r.log ? { href: reportHref(out, r.log), text: r.log } : undefined,
    tail: r.state === "failed" && (r.tail || r.code !== undefined)
      ? `exit code ${r.code ?? "?"}${r.tail ? `\n${r.tail.trimEnd()}` : ""}`
      : undefined,
  };
}

/**
 * Builds everything an experiment page shows from a loaded report, its run states and
 * its figures.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildReportView } from "./html_report.ts";
 * import { loadReport } from "./report.ts";
 * import { collectRunStatus } from "./run_status.ts";
 * import { loadExperiment } from "../experiment/catalog.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/table2/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * const report = await loadReport(await loadExperiment("table2"), { out });
 * const status = await collectRunStatus(report.experiment, report.index.records, { out });
 * const view = buildReportView(report, status, [], { out });
 * assert.equal(view.experiment, "table2");
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function buildReportView(
  report: Report,
  status: RunStatus[],
  figures: HtmlFigure[],
  opts: { out: string; now?: Date },
): HtmlReportView {
  const exp = report.experiment;
  const t = report.table;
  const label = (e: string) => exp.entries.find((x) => x.name === e)?.label ?? e;
  const versions = [...new Set(status.map((s) => s.version).filter((v): v is string => !!v))]
    .sort();
  const count = (s: RunStatusState) => status.filter((r) => r.state === s).length;
  const { head, rows } = tableView(report, opts.out);
  return {
    experiment: exp.name,
    title: exp.title,
    paper: exp.paper,
    description: exp.description,
    header: t.header,
    facts: [
      { label: "Engine (tfjs backend)", value: list(t.facts.backends) },
      { label: "Profile", value: list(t.facts.profiles) },
      { label: "Seeds", value: list(t.facts.seeds) },
      { label: "Epochs", value: list(t.facts.epochs) },
      { label: "Project version (runs)", value: list(versions) },
      { label: "Finished runs", value: String(t.facts.runs) },
      { label: "Config hashes", value: "per run, in the run status table" },
    ],
    head,
    rows,
    footnotes: t.footnotes,
    claims: t.claims.map((c, i) => ({
      n: i + 1,
      verdict: c.verdict,
      cls: VERDICT_CLASS[c.verdict],
      text: c.claim.text,
      source: c.claim.source,
      require: c.claim.require === "all" ? undefined : c.claim.require,
      cases: c.cases.map((k) => ({
        dataset: k.dataset,
        verdict: k.verdict,
        cls: VERDICT_CLASS[k.verdict],
        detail: k.detail,
      })),
    })),
    figures,
    statusLine: `${status.length} runs: ${count("done")} done, ${count("failed")} failed, ` +
      `${count("not finished")} not finished, ${count("not implemented")} not implemented.`,
    runs: status.map((r) => runView(r, opts.out, label)),
    indexHref: "index.html",
    generated: `Written by ibml ${VERSION} on ${
      (opts.now ?? new Date()).toISOString()
    } from the run records under ${opts.out}.`,
  };
}

/**
 * Writes `<out>/reports/<experiment>.html` and refreshes `<out>/reports/index.html`;
 * returns the report's path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeHtmlReport } from "./html_report.ts";
 * import { loadReport } from "./report.ts";
 * import { loadExperiment } from "../experiment/catalog.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/table2/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * const report = await loadReport(await loadExperiment("table2"), { out });
 * assert.equal(await writeHtmlReport(report, { out }), `${out}/reports/table2.html`);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function writeHtmlReport(
  report: Report,
  opts: HtmlReportOptions = {},
): Promise<string> {
  const out = opts.out ?? "results";
  const status = await collectRunStatus(report.experiment, report.index.records, {
    out,
    plan: opts.plan,
    failed: opts.failed,
    implemented: opts.implemented,
  });
  const view = buildReportView(report, status, await reportFigures(report), {
    out,
    now: opts.now,
  });
  const path = htmlReportPath(out, report.experiment.name);
  await writeAtomic(path, renderReportHtml(view));
  const sidecar: ReportStatus = {
    experiment: view.experiment,
    title: view.title,
    status: view.statusLine,
    done: status.filter((r) => r.state === "done").length,
    failed: status.filter((r) => r.state === "failed" || r.state === "not finished").length,
  };
  await writeAtomic(statusPath(out, view.experiment), JSON.stringify(sidecar, null, 2) + "\n");
  await writeReportIndex(out, opts.now);
  return path;
}

/** What the index reads back from a written report (`<out>/reports/<experiment>.status.json`). */
interface ReportStatus {
  experiment: string;
  title: string;
  status: string;
  done: number;
  failed: number;
}

function statusPath(out: string, experiment: string): string {
  return `${reportsDir(out)}/${experiment}.status.json`;
}

function readStatus(out: string, experiment: string): ReportStatus | undefined {
  try {
    const s = JSON.parse(Deno.readTextFileSync(statusPath(out, experiment)));
    return typeof s?.title === "string" && typeof s?.status === "string" ? s : undefined;
  } catch {
    return undefined;
  }
}

function countFinished(dir: string): { finished: Set<string> } {
  const finished = new Set<string>();
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isDirectory) continue;
      try {
        if (Deno.statSync(`${dir}/${e.name}/summary.json`).isFile) finished.add(e.name);
      } catch {
        // not finished
      }
    }
  } catch {
    // no folder
  }
  return { finished };
}

/**
 * Writes `<out>/reports/index.html`: every experiment with a finished run under
 * `<out>/runs/`, its status and a link to its report; returns the path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeReportIndex } from "./html_report.ts";
 * const out = await Deno.makeTempDir();
 * const path = await writeReportIndex(out);
 * assert.equal(path, `${out}/reports/index.html`);
 * assert.ok((await Deno.readTextFile(path)).includes("No experiment has results yet."));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function writeReportIndex(out: string, now?: Date): Promise<string> {
  const root = `${out.replace(/\/+$/, "") || "."}/runs`;
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(root)].filter((e) => e.isDirectory && !e.name.startsWith("."))
      .map((e) => e.name).sort();
  } catch {
    names = [];
  }
  const entries: HtmlIndexEntry[] = [];
  for (const name of names) {
    const { finished } = countFinished(`${root}/${name}`);
    let unfinished = 0;
    try {
      for (const e of Deno.readDirSync(`${root}/.logs/${name}`)) {
        if (e.isFile && e.name.endsWith(".log") && !finished.has(e.name.slice(0, -4))) {
          unfinished++;
        }
      }
    } catch {
      // no logs
    }
    if (finished.size === 0 && unfinished === 0) continue;
    const path = htmlReportPath(out, name);
    const written = readStatus(out, name);
    let title = written?.title ?? (name === "adhoc" ? "Single runs (main.ts run)" : name);
    if (!written && name !== "adhoc") {
      try {
        title = (await loadExperiment(name)).title;
      } catch {
        // an experiment folder without an experiment file: keep its name
      }
    }
    let when = `not written: main.ts table ${name} --format html --out ${out}`;
    let href: string | undefined;
    try {
      const st = Deno.statSync(path);
      when = st.mtime ? st.mtime.toISOString() : "yes";
      href = `${encodeURIComponent(name)}.html`;
    } catch {
      // no report yet
    }
    const scanned = `${finished.size} finished run${finished.size === 1 ? "" : "s"}` +
      (unfinished ? `, ${unfinished} failed or not finished` : "");
    const current = written && href && written.done === finished.size;
    entries.push({
      name,
      title,
      href,
      status: current
        ? written.status
        : href
        ? `${scanned} (the report is older than these runs: write it again)`
        : scanned,
      cls: (current ? written.failed : unfinished) ? "unfinished" : "done",
      written: when,
    });
  }
  const path = `${reportsDir(out)}/index.html`;
  await writeAtomic(
    path,
    renderIndexHtml({
      out,
      entries,
      generated: `Written by ibml ${VERSION} on ${(now ?? new Date()).toISOString()}.`,
    }),
  );
  return path;
}

/**
 * HTML pages of the reports, rendered with Handlebars templates: `{{value}}` escapes
 * everything (run records, YAML text); only the SVG figures, which vega renders with its
 * own escaping, are inserted raw (`{{{svg}}}`). The pages are self-contained: inline CSS
 * and SVG, no script, no network.
 *
 * @module
 */
import Handlebars from "handlebars";

/** A link. */
export interface HtmlLink {
  /** URL (relative to the page). */
  href: string;
  /** Text. */
  text: string;
}

/** One cell of the HTML table. */
export interface HtmlCell {
  /** Text shown. */
  text: string;
  /** Bold (best of its column). */
  bold?: boolean;
  /** Text after the (bold) value, e.g. " [2/3]" for a cell with seeds missing. */
  mark?: string;
  /** CSS class. */
  cls?: string;
  /** Links to the cell's run folders. */
  links?: HtmlLink[];
}

/** One row of the HTML table. */
export interface HtmlRow {
  /** Cells, the label cells first. */
  cells: HtmlCell[];
  /** First row of an entry (draws a separator). */
  first: boolean;
}

/** One claim with its cases. */
export interface HtmlClaim {
  /** Number (1-based). */
  n: number;
  /** Verdict. */
  verdict: string;
  /** CSS class of the verdict. */
  cls: string;
  /** The paper's statement. */
  text: string;
  /** Where the paper says it. */
  source?: string;
  /** The quantifier, when not "all". */
  require?: string;
  /** Per-case verdicts and evidence. */
  cases: { dataset: string; verdict: string; cls: string; detail: string }[];
}

/** One inline figure. */
export interface HtmlFigure {
  /** Element id. */
  id: string;
  /** Caption. */
  caption: string;
  /** SVG markup (rendered by vega; inserted as is). */
  svg: string;
}

/** One line of the run-status table. */
export interface HtmlRun {
  /** Run id. */
  runId: string;
  /** Link to its folder (done runs). */
  href?: string;
  /** Entry label. */
  entry: string;
  /** Dataset. */
  dataset: string;
  /** Seed text. */
  seed: string;
  /** State. */
  state: string;
  /** CSS class of the state. */
  cls: string;
  /** Engine. */
  backend: string;
  /** Profile. */
  profile: string;
  /** Epochs. */
  epochs: string;
  /** Project version. */
  version: string;
  /** Config hash. */
  configHash: string;
  /** Wall time text. */
  wall: string;
  /** Log path and link (failed or unfinished runs). */
  log?: HtmlLink;
  /** Exit code and last lines of the log (failed runs of the sweep). */
  tail?: string;
}

/** Everything an experiment page shows. */
export interface HtmlReportView {
  /** Experiment name. */
  experiment: string;
  /** Title. */
  title: string;
  /** What it reproduces ("Table 5"). */
  paper?: string;
  /** Longer description. */
  description?: string;
  /** Header lines of the table model (profile, engine, seeds, epochs, comparability). */
  header: string[];
  /** Key facts (label and value pairs). */
  facts: { label: string; value: string }[];
  /** Table head. */
  head: string[];
  /** Table rows. */
  rows: HtmlRow[];
  /** Footnotes. */
  footnotes: string[];
  /** Claims. */
  claims: HtmlClaim[];
  /** Figures. */
  figures: HtmlFigure[];
  /** Run status counts, in words. */
  statusLine: string;
  /** Runs. */
  runs: HtmlRun[];
  /** Link back to the index. */
  indexHref: string;
  /** Generation line (version, time). */
  generated: string;
}

/** One experiment on the index page. */
export interface HtmlIndexEntry {
  /** Experiment name. */
  name: string;
  /** Title. */
  title: string;
  /** Report link, when written. */
  href?: string;
  /** Status in words. */
  status: string;
  /** CSS class of the status. */
  cls: string;
  /** When the report was written. */
  written: string;
}

/** Everything the index page shows. */
export interface HtmlIndexView {
  /** Output root shown in the heading. */
  out: string;
  /** Experiments. */
  entries: HtmlIndexEntry[];
  /** Generation line. */
  generated: string;
}

const STYLE = `
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 1400px;
  padding: 0 1.5rem; color: #1b1b1b; background: #fff; line-height: 1.45; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.sub { color: #555; margin-top: 0; }
nav a { color: #0b5cad; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .92rem; }
th, td { padding: .3rem .55rem; border-bottom: 1px solid #e4e4e4; vertical-align: top; }
th { background: #f3f5f8; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.first td { border-top: 2px solid #c9ced6; }
td.runs a, td a.run { font-size: .75rem; color: #0b5cad; margin-left: .25rem; }
td .runs { display: block; }
.muted { color: #777; }
div.scroll { overflow-x: auto; max-width: 100%; }
.holds { color: #11702b; font-weight: bold; }
.fails { color: #b3261e; font-weight: bold; }
.inconclusive { color: #8a6100; font-weight: bold; }
.done { color: #11702b; }
.failed { color: #b3261e; font-weight: bold; }
.unfinished { color: #8a6100; }
.missing { color: #777; }
ol.claims li { margin-bottom: .6rem; }
ol.claims ul { margin: .2rem 0; }
figure { margin: 1rem 0 2rem; }
figure .svg { overflow-x: auto; border: 1px solid #eee; padding: .25rem; background: #fff; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #444; font-size: .9rem; margin-top: .3rem; }
pre.tail { background: #fbf3f2; padding: .4rem; margin: .2rem 0 0; font-size: .75rem;
  white-space: pre-wrap; overflow-wrap: anywhere; max-width: 32rem; }
table.runs td:first-child, table.runs code { white-space: nowrap; }
table.runs td.status { min-width: 14rem; }
table.runs td.status code { white-space: normal; overflow-wrap: anywhere; }
code { font-size: .85rem; }
footer { margin-top: 3rem; color: #777; font-size: .8rem; }
`;

const REPORT_TEMPLATE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{title}}</title>
<style>{{{style}}}</style>
</head>
<body>
<nav><a href="{{indexHref}}">All experiments</a></nav>
<header>
<h1 id="title">{{title}}</h1>
<p class="sub">Experiment <code>{{experiment}}</code>{{#if paper}}: reproduces {{paper}} of the paper{{/if}}.</p>
{{#if description}}<p>{{description}}</p>{{/if}}
</header>
<section id="setup">
<h2>Setup</h2>
<dl class="facts">
{{#each facts}}<dt>{{label}}</dt><dd>{{value}}</dd>
{{/each}}</dl>
<ul>
{{#each header}}<li>{{this}}</li>
{{/each}}</ul>
</section>
<section id="results">
<h2>Results</h2>
<div class="scroll"><table id="results-table" class="results">
<thead><tr>{{#each head}}<th{{#unless @first}} class="num"{{/unless}}>{{this}}</th>{{/each}}</tr></thead>
<tbody>
{{#each rows}}<tr{{#if first}} class="first"{{/if}}>{{#each cells}}<td{{#if cls}} class="{{cls}}"{{/if}}>{{#if bold}}<strong>{{text}}</strong>{{else}}{{text}}{{/if}}{{mark}}{{#if links}}<span class="runs">{{#each links}}<a class="run" href="{{href}}">{{text}}</a>{{/each}}</span>{{/if}}</td>{{/each}}</tr>
{{/each}}</tbody>
</table></div>
{{#if footnotes}}<ul class="notes">
{{#each footnotes}}<li>{{this}}</li>
{{/each}}</ul>{{/if}}
</section>
<section id="claims">
<h2>Claims of the paper, checked on these runs</h2>
{{#if claims}}<ol class="claims">
{{#each claims}}<li><span class="{{cls}}">{{verdict}}</span>: {{text}}{{#if source}} <span class="muted">({{source}})</span>{{/if}}{{#if require}} <span class="muted">[required: {{require}} of the cases]</span>{{/if}}
<ul>{{#each cases}}<li>{{dataset}}: <span class="{{cls}}">{{verdict}}</span>: {{detail}}</li>{{/each}}</ul></li>
{{/each}}</ol>{{else}}<p class="muted">This experiment states no claims.</p>{{/if}}
</section>
<section id="figures">
<h2>Figures</h2>
{{#each figures}}<figure id="{{id}}"><div class="svg">{{{svg}}}</div><figcaption>{{caption}}</figcaption></figure>
{{else}}<p class="muted">No figure: no finished run has per-epoch records.</p>
{{/each}}</section>
<section id="runs">
<h2>Run status</h2>
<p>{{statusLine}}</p>
<div class="scroll"><table id="runs-table" class="runs">
<thead><tr><th>Run</th><th>Method</th><th>Dataset</th><th class="num">Seed</th><th>Status</th><th>Engine</th><th>Profile</th><th class="num">Epochs</th><th>Version</th><th>Config hash</th><th class="num">Wall</th></tr></thead>
<tbody>
{{#each runs}}<tr><td>{{#if href}}<a href="{{href}}">{{runId}}</a>{{else}}{{runId}}{{/if}}</td><td>{{entry}}</td><td>{{dataset}}</td><td class="num">{{seed}}</td><td class="status"><span class="{{cls}}">{{state}}</span>{{#if log}}<br>log: <a href="{{log.href}}"><code>{{log.text}}</code></a>{{/if}}{{#if tail}}<pre class="tail">{{tail}}</pre>{{/if}}</td><td>{{backend}}</td><td>{{profile}}</td><td class="num">{{epochs}}</td><td>{{version}}</td><td><code>{{configHash}}</code></td><td class="num">{{wall}}</td></tr>
{{/each}}</tbody>
</table></div>
</section>
<footer>{{generated}}</footer>
</body>
</html>
`;

const INDEX_TEMPLATE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>ibml reports: {{out}}</title>
<style>{{{style}}}</style>
</head>
<body>
<h1 id="title">Experiment reports</h1>
<p class="sub">Experiments with results under <code>{{out}}</code>.</p>
{{#if entries}}<table id="index-table">
<thead><tr><th>Experiment</th><th>Title</th><th>Status</th><th>Report written</th></tr></thead>
<tbody>
{{#each entries}}<tr><td>{{#if href}}<a href="{{href}}">{{name}}</a>{{else}}{{name}}{{/if}}</td><td>{{title}}</td><td><span class="{{cls}}">{{status}}</span></td><td>{{written}}</td></tr>
{{/each}}</tbody>
</table>{{else}}<p class="muted">No experiment has results yet.</p>{{/if}}
<footer>{{generated}}</footer>
</body>
</html>
`;

const hb = Handlebars.create();
type Template = ReturnType<typeof hb.compile>;
let compiled: { report: Template; index: Template } | undefined;

function templates() {
  compiled ??= {
    report: hb.compile(REPORT_TEMPLATE, { strict: true, knownHelpersOnly: true }),
    index: hb.compile(INDEX_TEMPLATE, { strict: true, knownHelpersOnly: true }),
  };
  return compiled;
}

/**
 * Renders an experiment's report page.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderReportHtml } from "./html.ts";
 * import { buildReportView } from "./html_report.ts";
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
 * const html = renderReportHtml(buildReportView(report, [], [], { out }));
 * assert.ok(html.startsWith("<!DOCTYPE html>"));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function renderReportHtml(view: HtmlReportView): string {
  return templates().report({ ...withOptionals(view), style: STYLE });
}

/**
 * Renders the index page.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const html = renderIndexHtml({ out: "results", entries: [], generated: "" });
 * assert.ok(html.includes("No experiment has results yet."));
 * ```
 */
export function renderIndexHtml(view: HtmlIndexView): string {
  return templates().index({
    ...view,
    entries: view.entries.map((e) => ({ href: undefined, ...e })),
    style: STYLE,
  });
}

// Strict templates throw on a missing field; optional fields are made explicit here.
function withOptionals(view: HtmlReportView): HtmlReportView {
  return {
    ...view,
    paper: view.paper ?? "",
    description: view.description ?? "",
    rows: view.rows.map((r) => ({
      ...r,
      cells: r.cells.map((c) => ({ bold: false, mark: "", cls: "", links: undefined, ...c })),
    })),
    claims: view.claims.map((c) => ({ source: "", require: "", ...c })),
    runs: view.runs.map((r) => ({ href: undefined, log: undefined, tail: undefined, ...r })),
  };
}

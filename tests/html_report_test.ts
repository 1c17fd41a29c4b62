import assert from "node:assert/strict";
import { dirname, resolve } from "node:path";
import { main as figureMain } from "../src/cli/figure.ts";
import { main as tableMain } from "../src/cli/table.ts";
import {
  htmlReportPath,
  reportHref,
  scopeSvgIds,
  writeHtmlReport,
  writeReportIndex,
} from "../src/report/html_report.ts";
import { loadReport } from "../src/report/report.ts";
import { capture } from "./fixtures/capture.ts";
import { writeCurvesFixture, writeHtmlFixture } from "./fixtures/html_fixture.ts";
import { writeCurveRuns } from "./fixtures/figure_fixture.ts";
import { MINI_TEXT, writeFixtureRuns } from "./fixtures/report_fixture.ts";

const NOW = new Date("2026-01-02T03:04:05Z");

/** Every href of a page that is not an anchor, resolved against the page's folder. */
function linkedPaths(html: string, page: string): string[] {
  return [...html.matchAll(/href="([^"#][^"]*)"/g)].map((m) =>
    resolve(dirname(page), decodeURIComponent(m[1].replaceAll("&amp;", "&")))
  );
}

/** Handlebars' escaping of text. */
function esc(text: string): string {
  const map: Record<string, string> = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#x27;",
    "`": "&#x60;",
    "=": "&#x3D;",
  };
  return text.replace(/[&<>"'`=]/g, (c) => map[c]);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("html report: table, claims, training curves and run status with working links", async () => {
  const out = await Deno.makeTempDir();
  try {
    const fx = await writeHtmlFixture(out);
    const path = await writeHtmlReport(fx.report, {
      out,
      plan: fx.plan,
      failed: fx.failed,
      implemented: (m) => m !== "mla",
      now: NOW,
    });
    assert.equal(path, `${out}/reports/mini.html`);
    assert.equal(path, htmlReportPath(out, "mini"));
    const html = await Deno.readTextFile(path);
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.match(html, /<h1 id="title">Mini: test accuracy \(%\)<\/h1>/);
    assert.match(html, /reproduces Table 2 of the paper/);
    // Same cells, Δ and bold rules as the Markdown table.
    assert.match(html, /<strong>80\.00 ± 1\.41<\/strong>/);
    assert.match(html, /<strong>80\.78 ± 0\.77<\/strong><\/td><td class="num">−0\.78<\/td>/);
    assert.match(
      html,
      />62\.00 ± 1\.41<span class="runs"><a class="run" href="\.\.\/runs\/mini\/concat__crema-d__s0\/">s0<\/a>/,
    );
    assert.match(html, /<td class="num missing">not implemented<\/td>/);
    assert.match(html, /A note from the experiment file\./);
    // Claims with verdicts and evidence.
    for (const c of fx.report.table.claims) {
      assert.ok(html.includes(`>${c.verdict}</span>: ${esc(c.claim.text)}`));
      for (const k of c.cases) {
        assert.ok(html.includes(esc(k.detail)), k.detail);
      }
    }
    // Training curves inline.
    assert.match(html, /<figure id="training-curves"><div class="svg"><svg /);
    assert.equal([...html.matchAll(/<svg /g)].length, 1);
    // Run status, engine, profile, version and config hash per run.
    assert.ok(html.includes("16 runs: 10 done, 1 failed, 1 not finished, 4 not implemented."));
    assert.match(
      html,
      /<td class="status"><span class="failed">failed<\/span><br>log: <a href="\.\.\/runs\/\.logs\/mini\/arl__ave__s0\.log"><code>[^<]*arl__ave__s0\.log<\/code><\/a><pre class="tail">exit code 1\nerror: non-finite loss at epoch 2<\/pre>/,
    );
    assert.match(
      html,
      /<span class="unfinished">not finished<\/span><br>log: <a href="\.\.\/runs\/\.logs\/mini\/arl__ave__s1\.log">/,
    );
    assert.equal([...html.matchAll(/<span class="missing">not implemented<\/span>/g)].length, 4);
    assert.match(
      html,
      /<a href="\.\.\/runs\/mini\/ibml__crema-d__s0\/">ibml__crema-d__s0<\/a><\/td><td>IBML \(ours\)<\/td><td>crema-d<\/td><td class="num">0<\/td><td class="status"><span class="done">done<\/span><\/td><td>wasm<\/td><td>quick<\/td><td class="num">3<\/td><td>0\.1\.0<\/td><td><code>hash-ibml__crema-d__s0<\/code>/,
    );
    assert.match(html, /<dt>Engine \(tfjs backend\)<\/dt><dd>wasm<\/dd>/);
    assert.match(html, /<dt>Project version \(runs\)<\/dt><dd>0\.1\.0<\/dd>/);
    assert.match(html, /Incomplete: 10 of 12 planned runs have finished\./);
    assert.ok(html.includes("on 2026-01-02T03:04:05.000Z"));
    // Self-contained: no script, no external resource; every link resolves on disk.
    assert.doesNotMatch(html, /<script|<link|src="http|href="http/);
    const links = linkedPaths(html, path);
    assert.ok(links.length >= 20 + 2 + 1, `${links.length} links`);
    for (const p of links) assert.ok(exists(p), `broken link to ${p}`);
    // The index lists the experiment with its status and a link.
    const index = await Deno.readTextFile(`${out}/reports/index.html`);
    assert.match(index, /<a href="mini\.html">mini<\/a><\/td><td>Mini: test accuracy \(%\)<\/td>/);
    assert.ok(index.includes(
      '<span class="unfinished">16 runs: 10 done, 1 failed, 1 not finished, 4 not implemented.</span>',
    ));
    assert.ok(exists(`${out}/reports/mini.status.json`));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("html report: a figure experiment inlines its figure and the curves with unique ids", async () => {
  const out = await Deno.makeTempDir();
  try {
    const report = await writeCurvesFixture(out);
    const html = await Deno.readTextFile(await writeHtmlReport(report, { out, now: NOW }));
    assert.match(html, /<figure id="figure"><div class="svg"><svg /);
    assert.match(html, /<figure id="training-curves"><div class="svg"><svg /);
    assert.match(html, /Figure 5 of the paper, reproduced: per-epoch test accuracies/);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], "ids are unique");
    for (const m of html.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(m[1]), m[1]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("html report: escapes everything from the experiment file and the run records", async () => {
  const out = await Deno.makeTempDir();
  try {
    const text = MINI_TEXT
      .replace(
        'title: "Mini: test accuracy (%)"',
        `title: "<script>alert('t')</script> & <b>x</b>"`,
      )
      .replace(
        "methods: [concat, arl, mla, ibml]",
        'methods:\n  - { name: concat, method: concat, label: "<img src=x onerror=alert(1)>" }\n  - arl\n  - mla\n  - ibml',
      )
      .replace("A note from the experiment file.", "A <i>note</i>")
      .replace("IBML has the best fused accuracy", "IBML <u>wins</u>")
      .replace("  published: mini.csv\n", "");
    const fx = await writeHtmlFixture(out, text);
    const summary = `${out}/runs/mini/ibml__ave__s1/summary.json`;
    const s = JSON.parse(await Deno.readTextFile(summary));
    await Deno.writeTextFile(summary, JSON.stringify({ ...s, backend: "<script>b</script>" }));
    const report = await loadReport(fx.exp, { out });
    const html = await Deno.readTextFile(await writeHtmlReport(report, { out, now: NOW }));
    assert.doesNotMatch(html, /<script|<b>|<i>|<u>|<img/);
    assert.ok(
      html.includes("&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;"),
    );
    assert.ok(html.includes("&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;"));
    assert.ok(html.includes("A &lt;i&gt;note&lt;/i&gt;"));
    assert.ok(html.includes("IBML &lt;u&gt;wins&lt;/u&gt;"));
    assert.ok(html.includes("&lt;script&gt;b&lt;/script&gt;"));
    // The entry label reaches the training-curve legend inside the SVG, escaped by vega.
    assert.ok(html.includes("&lt;img src=x onerror=alert(1)&gt;</text>"));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("html report: table and figure write it with --format html", async () => {
  const out = await Deno.makeTempDir();
  try {
    await writeFixtureRuns(out);
    const t = await capture(() => tableMain(["table4", "--format", "html", "--out", out]));
    assert.equal(t.code, 0, t.err);
    assert.equal(t.out, `${out}/reports/table4.html`);
    const html = await Deno.readTextFile(t.out);
    assert.match(html, /<h1 id="title">Table 4: average discrepancy ratio during training/);
    await writeCurveRuns(out, "fig4", ["ogm-ge", "ibml"]);
    const f = await capture(() => figureMain(["fig4", "--format", "html", "--out", out]));
    assert.equal(f.code, 0, f.err);
    assert.equal(f.out, `${out}/reports/fig4.html`);
    assert.match(await Deno.readTextFile(f.out), /<figure id="figure">/);
    const index = await Deno.readTextFile(`${out}/reports/index.html`);
    assert.match(index, /href="fig4\.html"/);
    assert.match(index, /href="table4\.html"/);
    assert.match(
      index,
      /<td>mini<\/td><td>mini<\/td><td><span class="done">10 finished runs<\/span><\/td><td>not written: main\.ts table mini --format html/,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("html report: the index of an output root without runs says so", async () => {
  const out = await Deno.makeTempDir();
  try {
    const path = await writeReportIndex(out, NOW);
    assert.match(await Deno.readTextFile(path), /No experiment has results yet\./);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("html report: relative links and scoped SVG ids", () => {
  assert.equal(
    reportHref("results", "results/runs/t5/a b__crema-d__s0", true),
    "../runs/t5/a%20b__crema-d__s0/",
  );
  assert.equal(reportHref("/tmp/o/", "/tmp/o/runs/.logs/t5/x.log"), "../runs/.logs/t5/x.log");
  assert.equal(
    scopeSvgIds(
      '<svg><clipPath id="clip1"/><g clip-path="url(#clip1)"/><use href="#clip1"/></svg>',
      "f",
    ),
    '<svg><clipPath id="f-clip1"/><g clip-path="url(#f-clip1)"/><use href="#f-clip1"/></svg>',
  );
});

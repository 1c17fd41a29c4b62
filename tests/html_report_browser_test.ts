/**
 * The HTML reports in a real browser: renders the report of a small finished experiment
 * (hand-made run records, no training) and of a figure experiment, opens them and the
 * index in headless Debian Chromium through playwright-core (the installed binary, no
 * browser download) and checks that there is no console error, no request leaves the
 * page's folder, and every table and figure is present and visible; screenshots go to
 * `results/test-output/` (or `$IBML_TEST_OUTPUT`).
 *
 * Without Chromium the test is skipped with one line, except under `CI=true`, where a
 * missing Chromium fails it (`.ci/install_chromium.sh` installs it).
 *
 * @module
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { writeHtmlReport } from "../src/report/html_report.ts";
import { writeCurvesFixture, writeHtmlFixture } from "./fixtures/html_fixture.ts";

// `CHROMIUM_PATH` names the browser to use (and nothing else is tried then).
const CANDIDATES = Deno.env.get("CHROMIUM_PATH")
  ? [Deno.env.get("CHROMIUM_PATH")!]
  : ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

function findChromium(): string | undefined {
  for (const c of CANDIDATES) {
    try {
      if (Deno.statSync(c).isFile) return c;
    } catch {
      // not there
    }
  }
  return undefined;
}

const executable = findChromium();
const inCi = Deno.env.get("CI") === "true";
if (!executable && !inCi) {
  console.log(
    `skip: html report browser test: no Chromium at ${
      CANDIDATES.join(" or ")
    } (install it with: sudo bash .ci/install_chromium.sh)`,
  );
}

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const OUTPUT = Deno.env.get("IBML_TEST_OUTPUT") ??
  new URL("../results/test-output", import.meta.url).pathname;

Deno.test({
  name: "html report in headless Chromium: no console error, every table and figure visible",
  ignore: !executable && !inCi,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    if (!executable) {
      throw new Error(
        `CI=true but no Chromium at ${
          CANDIDATES.join(" or ")
        }: install it with .ci/install_chromium.sh (Debian package chromium)`,
      );
    }
    const out = await Deno.makeTempDir({ prefix: "ibml-browser-" });
    await Deno.mkdir(OUTPUT, { recursive: true });
    // playwright-core starts Chromium with a fresh temporary profile (--user-data-dir).
    const browser = await chromium.launch({ executablePath: executable, args: ARGS });
    try {
      const fx = await writeHtmlFixture(out);
      const tablePage = await writeHtmlReport(fx.report, {
        out,
        plan: fx.plan,
        failed: fx.failed,
        implemented: (m) => m !== "mla",
      });
      const figurePage = await writeHtmlReport(await writeCurvesFixture(out), { out });
      const pages = [
        { path: tablePage, tables: 2, figures: 1, shot: "report_mini.png" },
        { path: figurePage, tables: 2, figures: 2, shot: "report_curves.png" },
        { path: `${out}/reports/index.html`, tables: 1, figures: 0, shot: "report_index.png" },
      ];
      for (const p of pages) {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        const problems: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error" || m.type() === "warning") {
            problems.push(`console ${m.type()}: ${m.text()}`);
          }
        });
        page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
        page.on("request", (r) => {
          if (!r.url().startsWith(`file://${out}/reports/`)) {
            problems.push(`request outside the report: ${r.url()}`);
          }
        });
        page.on("requestfailed", (r) => problems.push(`failed request: ${r.url()}`));
        const response = await page.goto(`file://${p.path}`, { waitUntil: "load" });
        assert.ok(response === null || response.ok(), `${p.path} did not load`);
        assert.ok((await page.title()).length > 0, "page has a title");
        assert.ok(await page.locator("h1").isVisible(), "heading visible");

        const tables = page.locator("table");
        assert.equal(await tables.count(), p.tables, `${p.path}: tables`);
        for (let i = 0; i < p.tables; i++) {
          const t = tables.nth(i);
          assert.ok(await t.isVisible(), `${p.path}: table ${i} visible`);
          const box = await t.boundingBox();
          assert.ok(box && box.width > 100 && box.height > 40, `${p.path}: table ${i} has a size`);
          assert.ok((await t.locator("tbody tr").count()) > 0, `${p.path}: table ${i} has rows`);
        }
        const figures = page.locator("figure");
        assert.equal(await figures.count(), p.figures, `${p.path}: figures`);
        for (let i = 0; i < p.figures; i++) {
          const svg = figures.nth(i).locator("svg").first();
          await svg.scrollIntoViewIfNeeded();
          assert.ok(await svg.isVisible(), `${p.path}: figure ${i} visible`);
          const box = await svg.boundingBox();
          assert.ok(
            box && box.width > 300 && box.height > 200,
            `${p.path}: figure ${i} has a size`,
          );
          // The figure has drawn marks (lines), not only an empty frame.
          const marks = await figures.nth(i).locator("path").count();
          assert.ok(marks > 5, `${p.path}: figure ${i} draws ${marks} paths`);
        }
        if (p.path === tablePage) {
          await assertReportContent(page);
        }
        const shot = `${OUTPUT}/${p.shot}`;
        await page.screenshot({ path: shot, fullPage: true });
        assert.ok(Deno.statSync(shot).size > 10_000, `${shot} written`);
        console.log(`screenshot: ${shot}`);
        assert.deepEqual(problems, [], `${p.path}: ${problems.join("; ")}`);
        await page.close();
      }
    } finally {
      await browser.close();
      await Deno.remove(out, { recursive: true });
    }
  },
});

/** What a reader sees on the mini report: bold best cells, claims, failures with logs. */
async function assertReportContent(page: import("playwright-core").Page): Promise<void> {
  const best = page.locator("#results-table strong", { hasText: "80.00 ± 1.41" });
  assert.ok(await best.isVisible(), "bold best cell visible");
  const claims = page.locator("#claims ol.claims > li");
  assert.equal(await claims.count(), 2);
  assert.ok(await claims.first().isVisible());
  const failed = page.locator("#runs-table tr", { hasText: "arl__ave__s0" });
  assert.match(await failed.innerText(), /failed\s+log: \S*arl__ave__s0\.log/);
  // A cell's run link opens that run's folder (a directory listing from disk).
  const link = page.locator("#results-table a.run").first();
  const href = await link.getAttribute("href");
  assert.match(href ?? "", /^\.\.\/runs\/mini\/[^/]+__s\d\/$/);
  const target = new URL(href!, page.url());
  assert.ok(Deno.statSync(`${decodeURIComponent(target.pathname)}summary.json`).isFile);
}

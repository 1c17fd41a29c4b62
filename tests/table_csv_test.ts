import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { renderCsv, TABLE_CSV_COLUMNS } from "../src/report/table_csv.ts";
import { fixtureTables } from "./fixtures/report_fixture.ts";
import { assertGolden } from "./fixtures/golden.ts";

Deno.test("table_csv: golden CSV, one line per cell", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { table4, mini } = await fixtureTables(out);
    const text = renderCsv(table4);
    await assertGolden("table4.csv.golden", text);
    await assertGolden("mini.csv.golden", renderCsv(mini));
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(rows[0]), [...TABLE_CSV_COLUMNS]);
    assert.equal(rows.length, 6 * 3);
    assert.equal(rows[0].comparable_to_published, "no: synthetic stand-in");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

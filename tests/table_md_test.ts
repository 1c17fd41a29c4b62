import { renderMarkdown } from "../src/report/table_md.ts";
import { fixtureTables } from "./fixtures/report_fixture.ts";
import { assertGolden } from "./fixtures/golden.ts";

Deno.test("table_md: golden Markdown for Table 4 and an accuracy table", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { table4, mini } = await fixtureTables(out);
    await assertGolden("table4.md.golden", renderMarkdown(table4));
    await assertGolden("mini.md.golden", renderMarkdown(mini));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

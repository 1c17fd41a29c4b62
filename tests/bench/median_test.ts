import { assertEquals } from "../assert.ts";
import { median } from "../../bench/median.ts";

Deno.test("bench median of odd, even and empty lists", () => {
  assertEquals(median([3, 1, 2]), 2);
  assertEquals(median([4, 1, 3, 2]), 2.5);
  assertEquals(Number.isNaN(median([])), true);
});

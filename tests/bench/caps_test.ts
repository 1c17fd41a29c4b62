import { assertEquals } from "../assert.ts";
import { CAPS, stepCaps } from "../../bench/caps.ts";

Deno.test("bench stepCaps: quick defaults, --compare sized for the paper backbones, flags win", () => {
  assertEquals(stepCaps({ compare: false }), CAPS.quick);
  assertEquals(stepCaps({ compare: true }), CAPS.compare);
  // The CREMA-D pair's first step (about 20 s native, 60-70 s wasm) fits the compare cap.
  assertEquals(CAPS.compare.capS >= 70 && CAPS.quick.capS < 20, true);
  assertEquals(stepCaps({ compare: true, capS: "600", maxS: "600" }), { capS: 600, maxS: 600 });
  assertEquals(stepCaps({ compare: false, maxS: "5" }), { capS: 15, maxS: 5 });
});

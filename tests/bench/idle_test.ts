import { assertEquals } from "../assert.ts";
import { idleNote, type ReadText } from "../../bench/idle.ts";

const sys = (driver?: string, pollNs?: string): ReadText => (path) =>
  path.endsWith("current_driver")
    ? driver
    : path.endsWith("guest_halt_poll_ns")
    ? pollNs
    : undefined;

Deno.test("bench idleNote: haltpoll with polling off, on, unreadable; other drivers; no driver", () => {
  assertEquals(
    idleNote(sys("haltpoll\n", "0\n")),
    "idle CPUs: cpuidle haltpoll, guest halt polling off (an idle CPU halts at once)",
  );
  assertEquals(
    idleNote(sys("haltpoll\n", "200000\n")),
    "idle CPUs: cpuidle haltpoll, guest halt polling up to 200 us",
  );
  assertEquals(idleNote(sys("haltpoll", undefined)), "idle CPUs: cpuidle haltpoll");
  assertEquals(idleNote(sys("intel_idle\n")), "idle CPUs: cpuidle intel_idle");
  assertEquals(idleNote(sys("none\n")), "idle CPUs: cpuidle none");
  assertEquals(idleNote(sys(undefined)), null);
  assertEquals(idleNote(sys("  \n")), null);
});

import { assert, assertEquals } from "./assert.ts";
import { main } from "../src/cli/prepare.ts";
import { checkCremaD } from "../src/data/loaders/crema_d.ts";
import { checkAve } from "../src/data/loaders/ave.ts";
import { parseNpy } from "../src/data/numpy/mod.ts";
import { hasFfmpeg } from "../src/data/prepare_media.ts";
import { encodeWav, tone } from "./fixtures/media.ts";
import { tempOut } from "./helpers.ts";

const ffmpeg = await hasFfmpeg();
if (!ffmpeg) console.warn("prepare_test: ffmpeg not installed (apt-get install ffmpeg): skipping");

async function video(path: string, seconds: number): Promise<void> {
  const codecs = path.endsWith(".mp4")
    ? ["-c:v", "mpeg4", "-c:a", "aac", "-ar", "44100"]
    : ["-c:v", "flv", "-c:a", "adpcm_swf", "-ar", "22050"];
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      `testsrc=size=64x48:rate=30:duration=${seconds}`,
      "-f",
      "lavfi",
      "-i",
      `sine=frequency=440:duration=${seconds}`,
      ...codecs,
      path,
    ],
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

const names = async (dir: string) => {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
};

Deno.test({
  name: "prepare crema-d: 1-fps frames (>= 3), WAVs, splits; resumable, never overwrites",
  ignore: !ffmpeg,
  fn: async () => {
    const raw = await tempOut(), root = await tempOut();
    await Deno.mkdir(`${raw}/VideoFlash`);
    await Deno.mkdir(`${raw}/AudioWAV`);
    await video(`${raw}/VideoFlash/1001_DFA_ANG_XX.flv`, 2.5);
    await video(`${raw}/VideoFlash/1002_IEO_SAD_HI.flv`, 1.2);
    await Deno.writeFile(
      `${raw}/AudioWAV/1001_DFA_ANG_XX.wav`,
      encodeWav(tone(300, 2.5, 16000), 16000, 1),
    );
    await Deno.writeTextFile(`${raw}/train.csv`, "1001_DFA_ANG_XX,ANG\r\n");
    await Deno.writeTextFile(`${raw}/test.csv`, "1002_IEO_SAD_HI,SAD\r\n1001_DFA_ANG_XX,ANG\r\n");
    const args = ["crema-d", "--from", raw, "--to", root];
    assertEquals(await main(args), 0);
    const out = `${root}/CREMA-D`;
    assertEquals(await names(`${out}/Image-01-FPS/1001_DFA_ANG_XX`), [
      "00000.jpg",
      "00030.jpg",
      "00060.jpg",
    ]);
    const short = await names(`${out}/Image-01-FPS/1002_IEO_SAD_HI`);
    assertEquals(short.length, 3); // 00000, 00030 + one extra frame (min_save_frame = 3)
    assert(short.includes("00000.jpg") && short.includes("00030.jpg"), String(short));
    assertEquals(await names(`${out}/AudioWAV`), ["1001_DFA_ANG_XX.wav", "1002_IEO_SAD_HI.wav"]);
    assertEquals(await Deno.readTextFile(`${out}/train.csv`), "1001_DFA_ANG_XX,ANG\r\n");
    const stamp = (await Deno.stat(`${out}/Image-01-FPS/1001_DFA_ANG_XX/00030.jpg`)).mtime;
    assertEquals(await main(args), 0); // second run: nothing to redo
    assertEquals((await Deno.stat(`${out}/Image-01-FPS/1001_DFA_ANG_XX/00030.jpg`)).mtime, stamp);
    assertEquals(await names(`${out}/Image-01-FPS`), ["1001_DFA_ANG_XX", "1002_IEO_SAD_HI"]);
    const r = await checkCremaD(root);
    assertEquals([r.status, r.counts], ["found", { train: 1, test: 2 }]);
  },
});

Deno.test({
  name: "prepare ave: WAVs, frames and the Audio-1004 spectrogram of every listed VideoID",
  ignore: !ffmpeg,
  fn: async () => {
    const raw = await tempOut(), root = await tempOut();
    await Deno.mkdir(`${raw}/AVE`);
    await video(`${raw}/AVE/vidA.mp4`, 1.5);
    await video(`${raw}/AVE/vidB.mp4`, 3.2);
    await Deno.writeTextFile(`${raw}/trainSet.txt`, "Bark&vidA&good&0&1\nBark&vidA&good&1&2\n");
    await Deno.writeTextFile(`${raw}/valSet.txt`, "Flute&vidB&good&0&3\n");
    await Deno.writeTextFile(`${raw}/testSet.txt`, "Bark&vidA&good&0&10\nFlute&vidC&good&0&10\n");
    // vidC has no video: reported as failed (exit 1), the others are complete.
    assertEquals(await main(["ave", "--from", raw, "--to", root]), 1);
    const out = `${root}/AVE`;
    const npy = parseNpy(await Deno.readFile(`${out}/Audio-1004/vidA.npy`));
    assertEquals([npy.dtype, npy.shape], ["float32", [257, 1004]]);
    assertEquals(await names(`${out}/Image-01-FPS/vidB`), [
      "00000.jpg",
      "00030.jpg",
      "00060.jpg",
      "00090.jpg",
    ]);
    assertEquals(await names(`${out}/Audios`), ["vidA.wav", "vidB.wav"]);
    const r = await checkAve(root);
    assertEquals(r.counts, { train: 1, val: 1, test: 1 });
  },
});

Deno.test({
  name: "prepare vggsound50 --list/--classes: a substitute marked 'not the paper's subset'",
  ignore: !ffmpeg,
  fn: async () => {
    const raw = await tempOut(), root = await tempOut();
    await Deno.mkdir(`${raw}/video`);
    await video(`${raw}/video/abc_000030.mp4`, 1.1);
    await video(`${raw}/video/xyz_12.mp4`, 1.1);
    await Deno.writeTextFile(
      `${raw}/vggsound.csv`,
      'abc,30,dog barking,train\nxyz,12,"vehicle horn, car horn, honking",test\n' +
        "qqq,0,dog barking,train\nabc,40,rain,train\n",
    );
    await Deno.writeTextFile(
      `${raw}/classes.txt`,
      "dog barking\nvehicle horn, car horn, honking\n",
    );
    const args = ["vggsound50", "--from", raw, "--to", root, "--list", `${raw}/vggsound.csv`];
    assertEquals(await main([...args, "--classes", `${raw}/classes.txt`]), 0);
    const out = `${root}/VGGSound50`;
    assertEquals(await Deno.readTextFile(`${out}/train.txt`), "abc_000030.mp4,dog barking\n");
    assertEquals(
      await Deno.readTextFile(`${out}/test.txt`),
      "xyz_000012.mp4,vehicle horn; car horn; honking\n",
    );
    assertEquals(await names(`${out}/audios`), ["abc_000030.wav", "xyz_000012.wav"]);
    assert(await Deno.readTextFile(`${out}/NOT_THE_PAPER_SUBSET.txt`));
  },
});

Deno.test("prepare: usage errors exit 2", async () => {
  assertEquals(await main([]), 2);
  assertEquals(await main(["mvsa", "--from", "a", "--to", "b"]), 2);
  assertEquals(await main(["crema-d", "--to", "b"]), 2);
});

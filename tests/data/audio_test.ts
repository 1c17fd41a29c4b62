import { assert, assertEquals } from "../assert.ts";
import {
  avAudioFeature,
  aveSpectrogram,
  decodeWav,
  hannWindow,
  logStft,
  resample,
  tileClip,
  tukeyWindow,
} from "../../src/data/audio.ts";
import { encodeWav } from "../fixtures/media.ts";

/** Reference values from tests/fixtures/audio/make_reference.py (numpy/scipy/librosa). */
interface Reference {
  stft: Record<"reflect" | "constant", { shape: number[]; rows: Record<string, number[]> }> & {
    tones: number[][];
  };
  ave: {
    tones: number[][];
    shape: number[];
    every: number;
    rows: Record<string, number[]>;
    psd_rows: Record<string, number[]>;
    window: number[];
  };
  resample: Record<string, { n: number; length: number; every: number; values: number[] }> & {
    tones: number[][];
  };
  av_feature: { n: number; shape: number[]; rows: Record<string, number[]> };
}

const ref: Reference = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/audio/reference.json", import.meta.url)),
);

/** The closed-form test signal of make_reference.py, rounded to float32. */
function signal(n: number, sr: number, tones: number[][]): Float32Array {
  const x = new Float32Array(n);
  for (let t = 0; t < n; t++) {
    let v = 0;
    for (const [amp, freq, phase] of tones) {
      v += amp * Math.sin(2 * Math.PI * freq * t / sr + phase);
    }
    x[t] = v + 0.05 * Math.sin(t * t * 1e-5);
  }
  return x;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length, "length");
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function row(data: Float32Array, cols: number, r: number, every = 1): number[] {
  const out: number[] = [];
  for (let c = 0; c < cols; c += every) out.push(data[r * cols + c]);
  return out;
}

Deno.test("logStft matches librosa.stft (reflect and constant centre padding)", () => {
  const x = signal(66150, 22050, ref.stft.tones);
  for (const mode of ["reflect", "constant"] as const) {
    const s = logStft(x, { nFft: 512, hop: 353, padMode: mode });
    assertEquals([s.rows, s.cols], ref.stft[mode].shape);
    for (const [r, values] of Object.entries(ref.stft[mode].rows)) {
      // Log-magnitudes; librosa works in float32 (measured max |diff| 5e-6).
      const d = maxAbsDiff(row(s.data, s.cols, Number(r)), values);
      assert(d < 1e-4, `${mode} row ${r}: max |diff| ${d}`);
    }
  }
  // The pad modes differ only in the first and last frames.
  const a = logStft(x, { padMode: "reflect" }), b = logStft(x, { padMode: "constant" });
  assert(a.data[0] !== b.data[0], "first frame differs");
  assertEquals(a.data[5], b.data[5]);
});

Deno.test("aveSpectrogram matches scipy.signal.spectrogram + log + standardisation", () => {
  const w = tukeyWindow(512, 0.25);
  assert(maxAbsDiff(w.filter((_, i) => i % 8 === 0), ref.ave.window) < 1e-6, "tukey window");
  const x = signal(160000, 16000, ref.ave.tones);
  const raw = aveSpectrogram(x, { logStandardise: false });
  for (const [r, values] of Object.entries(ref.ave.psd_rows)) {
    const got = row(raw.data, raw.cols, Number(r)).slice(0, values.length);
    for (let i = 0; i < values.length; i++) {
      const rel = Math.abs(got[i] - values[i]) / Math.max(Math.abs(values[i]), 1e-12);
      assert(rel < 2e-3, `psd row ${r} col ${i}: ${got[i]} vs ${values[i]}`);
    }
  }
  const s = aveSpectrogram(x);
  assertEquals([s.rows, s.cols], ref.ave.shape);
  for (const [r, values] of Object.entries(ref.ave.rows)) {
    const d = maxAbsDiff(row(s.data, s.cols, Number(r), ref.ave.every), values);
    assert(d < 1e-4, `ave row ${r}: max |diff| ${d}`);
  }
});

Deno.test("resample is close to librosa's soxr_hq (16k->22.05k, 44.1k->16k)", () => {
  for (const key of ["16000_22050", "44100_16000"]) {
    const [src, dst] = key.split("_").map(Number);
    const r = ref.resample[key];
    const y = resample(signal(r.n, src, ref.resample.tones), src, dst);
    assertEquals(y.length, r.length);
    // Compare away from the edges (both treat the outside as silence, with different
    // filter lengths).
    const got: number[] = [], want: number[] = [];
    for (let i = 0; i < r.values.length; i++) {
      const pos = i * r.every;
      if (pos < 200 || pos > y.length - 200) continue;
      got.push(y[pos]);
      want.push(r.values[i]);
    }
    const d = maxAbsDiff(got, want);
    assert(d < 5e-4, `${key}: max |diff| ${d}`);
  }
});

Deno.test("avAudioFeature follows librosa.load + tile x3 + 3 s + clip + log-STFT", () => {
  const s = avAudioFeature({
    samples: signal(40000, 16000, ref.resample.tones),
    sampleRate: 16000,
  });
  assertEquals([s.rows, s.cols], ref.av_feature.shape);
  for (const [r, values] of Object.entries(ref.av_feature.rows)) {
    const got = row(s.data, s.cols, Number(r));
    // Compare magnitudes (the resamplers differ slightly, which matters only relative to
    // the strongest bins).
    let m = 0, peak = 0;
    for (let i = 0; i < got.length; i++) {
      m = Math.max(m, Math.abs(Math.exp(got[i]) - Math.exp(values[i])));
      peak = Math.max(peak, Math.exp(values[i]));
    }
    assert(m < 0.01 * Math.max(peak, 1), `row ${r}: max |diff| ${m} (peak ${peak})`);
  }
});

Deno.test("tileClip tiles, truncates and clips; hann is periodic", () => {
  assertEquals(Array.from(tileClip(Float32Array.of(0.5, 2, -3), 3, 7)), [
    0.5,
    1,
    -1,
    0.5,
    1,
    -1,
    0.5,
  ]);
  assertEquals(Array.from(tileClip(Float32Array.of(0.25), 3, 5)), [0.25, 0.25, 0.25, 0.25, 0.25]);
  assertEquals(Array.from(tileClip(new Float32Array(0), 3, 2)), [0, 0]);
  assertEquals(Array.from(hannWindow(4)).map((v) => Math.round(v * 1e9) / 1e9), [0, 0.5, 1, 0.5]);
});

Deno.test("decodeWav scales PCM like soundfile and averages channels", async () => {
  const mono = await decodeWav(encodeWav(Int16Array.of(0, 16384, -32768, 32767), 16000, 1));
  assertEquals(mono.sampleRate, 16000);
  assertEquals(Array.from(mono.samples), [0, 0.5, -1, 32767 / 32768].map(Math.fround));
  const stereo = await decodeWav(encodeWav(Int16Array.of(16384, 0, -16384, -16384), 44100, 2));
  assertEquals(Array.from(stereo.samples), [0.25, -0.5]);
  assertEquals(stereo.sampleRate, 44100);
});

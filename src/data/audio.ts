/**
 * Audio front ends of the official IBML audio-visual loaders, in plain TypeScript.
 *
 * - {@linkcode decodeWav}: WAV bytes (wavefile) to mono float samples, scaled as
 *   libsndfile/soundfile do (int PCM divided by 2^(bits-1), 8-bit unsigned centred at 128;
 *   channels averaged, as `librosa.load(mono=True)`).
 * - {@linkcode resample}: band-limited resampling, what `librosa.load(sr=...)` does. librosa
 *   (>= 0.10) uses soxr's "HQ" filter, which is not available in JS; this is a polyphase
 *   Kaiser-windowed sinc with resampy's `kaiser_best` parameters (64 zero crossings,
 *   beta 14.77, roll-off 0.9476), output length `ceil(n * to / from)` and the output sample
 *   n aligned to input time `n * from / to` like soxr/librosa. Away from the clip edges it matches
 *   soxr_hq to ~5e-5 (absolute, signals in [-1, 1]) on tones up to 0.8 x the lower Nyquist
 *   (tests/fixtures/audio/); the filters differ in the transition band near the lower
 *   Nyquist frequency and within ~10 ms of the edges (~5e-3 there).
 * - {@linkcode tileClip}: `np.tile(x, reps)[:length]` then clip to [-1, 1].
 * - {@linkcode logStft}: `log(|librosa.stft(x, n_fft, hop_length)| + 1e-7)` with librosa's
 *   defaults (periodic Hann window of n_fft, center=True). The centre padding is `reflect`
 *   (librosa < 0.10, the OGM-GE-era environment the research notes name) by default;
 *   `constant` (zeros; librosa >= 0.10) is one option away.
 * - {@linkcode aveSpectrogram}: `scipy.signal.spectrogram(x, fs, nperseg=512, noverlap=353)`
 *   with scipy's defaults (periodic Tukey(0.25) window, per-segment mean removal, one-sided
 *   PSD with density scaling |X|^2/(fs*sum(w^2)), bins 1..n/2-1 doubled, no padding), then
 *   log(S + 1e-7) and per-clip standardisation (S - mean)/(std + 1e-9), as IBML's
 *   `data_process/AVE/v_p.py` `extractWav` does.
 * - {@linkcode avAudioFeature} / {@linkcode aveAudioFeature}: the two full recipes
 *   (CREMA-D/AVSBench/VGGSound50: 22,050 Hz, x3 tiled, 3 s, 257x188; AVE: 16 kHz, x10
 *   tiled, 10 s, 257x1004).
 *
 * Spectrograms are returned row-major as [freq, time] (257 rows), the layout the models
 * take as NHWC `[257, T, 1]`. Arithmetic is float64 inside, float32 out (librosa and scipy
 * compute these in float32, so values agree to ~1e-5 relative).
 *
 * @module
 */

/** Mono audio samples at a sample rate. */
export interface Audio {
  /** Samples in [-1, 1] (for integer PCM sources). */
  samples: Float32Array;
  /** Samples per second. */
  sampleRate: number;
}

/** A real matrix, row-major. */
export interface Spectrogram {
  /** `rows * cols` values; row r, column c at `r * cols + c`. */
  data: Float32Array;
  /** Frequency bins (n_fft / 2 + 1). */
  rows: number;
  /** Time frames. */
  cols: number;
}

/** Centre-padding mode of {@linkcode logStft}. */
export type StftPadMode = "reflect" | "constant";

/** The CREMA-D / AVSBench / VGGSound50 recipe constants (OGM-GE and IBML `AVdataset.py`). */
export const AV_AUDIO = { sampleRate: 22050, tiles: 3, seconds: 3, nFft: 512, hop: 353 } as const;
/** The AVE recipe constants (IBML `data_process/AVE/v_p.py`). */
export const AVE_AUDIO = {
  sampleRate: 16000,
  tiles: 10,
  seconds: 10,
  nperseg: 512,
  noverlap: 353,
} as const;

interface WavLike {
  fmt: { sampleRate: number; numChannels: number; audioFormat: number };
  bitDepth: string;
  getSamples(interleaved?: boolean, OutputObject?: Float64ArrayConstructor): Float64Array;
  fromALaw(bitDepthCode?: string): void;
  fromMuLaw(bitDepthCode?: string): void;
  fromIMAADPCM(bitDepthCode?: string): void;
}

type WaveFileCtor = new (bytes: Uint8Array) => WavLike;
let waveFileCtor: Promise<WaveFileCtor> | null = null;

function loadWaveFile(): Promise<WaveFileCtor> {
  waveFileCtor ??= import("wavefile").then((m) =>
    (m as unknown as { default: { WaveFile: WaveFileCtor } }).default.WaveFile
  );
  return waveFileCtor;
}

/**
 * Decodes WAV bytes to mono float samples (channels averaged).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeWav } from "./audio.ts";
 * // A 3-sample 16-bit mono PCM WAV, built in memory.
 * const pcm = Int16Array.of(0, 16384, -16384);
 * const bytes = new Uint8Array(44 + pcm.byteLength);
 * const v = new DataView(bytes.buffer);
 * const tag = (at: number, s: string) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
 * tag(0, "RIFF"), v.setUint32(4, 36 + pcm.byteLength, true), tag(8, "WAVEfmt ");
 * v.setUint32(16, 16, true), v.setUint16(20, 1, true), v.setUint16(22, 1, true);
 * v.setUint32(24, 16000, true), v.setUint32(28, 32000, true), v.setUint16(32, 2, true);
 * v.setUint16(34, 16, true), tag(36, "data"), v.setUint32(40, pcm.byteLength, true);
 * bytes.set(new Uint8Array(pcm.buffer), 44);
 * const { samples, sampleRate } = await decodeWav(bytes);
 * assert.equal(sampleRate, 16000);
 * assert.deepEqual(Array.from(samples), [0, 0.5, -0.5]);
 * ```
 */
export async function decodeWav(bytes: Uint8Array, name = "WAV data"): Promise<Audio> {
  const WaveFile = await loadWaveFile();
  let wav: WavLike;
  try {
    wav = new WaveFile(bytes);
  } catch (e) {
    throw new Error(`cannot decode ${name}: ${(e as Error).message}`);
  }
  const fmt = wav.fmt.audioFormat;
  if (fmt === 6) wav.fromALaw();
  else if (fmt === 7) wav.fromMuLaw();
  else if (fmt === 17) wav.fromIMAADPCM();
  const channels = wav.fmt.numChannels;
  const depth = wav.bitDepth;
  const raw = wav.getSamples(true, Float64Array);
  let scale = 1, offset = 0;
  if (depth === "8") {
    scale = 1 / 128;
    offset = -128;
  } else if (!depth.endsWith("f")) {
    const bits = Number(depth);
    if (!Number.isFinite(bits) || bits < 2) {
      throw new Error(`${name}: unsupported bit depth ${depth}`);
    }
    scale = 1 / 2 ** (bits - 1);
  }
  const n = Math.floor(raw.length / channels);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += raw[i * channels + c];
    out[i] = ((s / channels) + offset) * scale;
  }
  return { samples: out, sampleRate: wav.fmt.sampleRate };
}

/**
 * Reads and decodes a WAV file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readWav } from "./audio.ts";
 * // A 2-sample 8-bit mono WAV (unsigned, 128 = silence) in a temp file.
 * const bytes = new Uint8Array(46);
 * const v = new DataView(bytes.buffer);
 * const tag = (at: number, s: string) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
 * tag(0, "RIFF"), v.setUint32(4, 38, true), tag(8, "WAVEfmt "), v.setUint32(16, 16, true);
 * v.setUint16(20, 1, true), v.setUint16(22, 1, true), v.setUint32(24, 8000, true);
 * v.setUint32(28, 8000, true), v.setUint16(32, 1, true), v.setUint16(34, 8, true);
 * tag(36, "data"), v.setUint32(40, 2, true), bytes.set([128, 192], 44);
 * const path = await Deno.makeTempFile({ suffix: ".wav" });
 * await Deno.writeFile(path, bytes);
 * const a = await readWav(path);
 * assert.deepEqual([a.sampleRate, Array.from(a.samples)], [8000, [0, 0.5]]);
 * await Deno.remove(path);
 * ```
 */
export async function readWav(path: string): Promise<Audio> {
  return decodeWav(await Deno.readFile(path), path);
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (series). */
function besselI0(x: number): number {
  let sum = 1, term = 1;
  const q = x * x / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

const KAISER_BEST = { zeros: 64, beta: 14.769656459379492, rolloff: 0.9475937167399596 };

/**
 * Resamples `x` from `from` Hz to `to` Hz (polyphase Kaiser-windowed sinc; see the module
 * notes). Returns `ceil(x.length * to / from)` samples.
 *
 * @example
 * ```ts
 * resample(new Float32Array(16000), 16000, 22050).length; // 22050
 * ```
 */
export function resample(x: Float32Array, from: number, to: number): Float32Array {
  if (!(from > 0 && to > 0) || !Number.isInteger(from) || !Number.isInteger(to)) {
    throw new Error(`resample: sample rates must be positive integers, got ${from} -> ${to}`);
  }
  if (from === to) return x.slice();
  const g = gcd(from, to);
  const up = to / g, down = from / g;
  const nOut = Math.ceil(x.length * to / from);
  const scale = Math.min(1, to / from);
  const cutoff = KAISER_BEST.rolloff * scale;
  const half = KAISER_BEST.zeros / scale; // filter half-width in input samples
  const i0b = besselI0(KAISER_BEST.beta);
  const h = (tau: number): number => {
    const r = tau / half;
    if (r <= -1 || r >= 1) return 0;
    const arg = cutoff * tau;
    const sinc = arg === 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
    return cutoff * sinc * besselI0(KAISER_BEST.beta * Math.sqrt(1 - r * r)) / i0b;
  };
  // Taps j = base + m for m in [mLo, mHi]; tau = frac - m with frac in [0, 1).
  const mLo = -Math.ceil(half), mHi = Math.ceil(half);
  const taps = mHi - mLo + 1;
  const out = new Float32Array(nOut);
  const n = x.length;
  const table = up <= 4096 ? new Float64Array(up * taps) : null;
  if (table) {
    for (let p = 0; p < up; p++) {
      const frac = p / up;
      for (let k = 0; k < taps; k++) table[p * taps + k] = h(frac - (mLo + k));
    }
  }
  const coeffs = new Float64Array(taps);
  for (let o = 0; o < nOut; o++) {
    const num = o * down;
    const base = Math.floor(num / up);
    const p = num - base * up;
    let c: Float64Array;
    let off = 0;
    if (table) {
      c = table;
      off = p * taps;
    } else {
      const frac = p / up;
      for (let k = 0; k < taps; k++) coeffs[k] = h(frac - (mLo + k));
      c = coeffs;
    }
    let kLo = 0, kHi = taps - 1;
    if (base + mLo < 0) kLo = -(base + mLo);
    if (base + mHi > n - 1) kHi = n - 1 - base - mLo;
    let s = 0;
    const j0 = base + mLo;
    for (let k = kLo; k <= kHi; k++) s += c[off + k] * x[j0 + k];
    out[o] = s;
  }
  return out;
}

/**
 * `np.tile(x, reps)[:length]` then clip to [-1, 1], as the official loaders do. A signal
 * too short to reach `length` after `reps` copies (the official code would then give fewer
 * frames and fail to batch) keeps being tiled until it does; an empty one gives zeros.
 *
 * @example
 * ```ts
 * tileClip(Float32Array.of(0.5, 2), 3, 5); // [0.5, 1, 0.5, 1, 0.5]
 * ```
 */
export function tileClip(x: Float32Array, reps: number, length: number): Float32Array {
  const out = new Float32Array(length);
  if (x.length === 0) return out;
  const n = Math.min(length, Math.max(x.length * reps, length));
  for (let i = 0; i < n; i++) {
    const v = x[i % x.length];
    out[i] = v > 1 ? 1 : v < -1 ? -1 : v;
  }
  return out;
}

/** In-place iterative radix-2 complex FFT. */
class Fft {
  readonly n: number;
  #cos: Float64Array;
  #sin: Float64Array;
  #rev: Uint32Array;

  constructor(n: number) {
    if (n < 2 || (n & (n - 1)) !== 0) throw new Error(`FFT size must be a power of two, got ${n}`);
    this.n = n;
    this.#cos = new Float64Array(n / 2);
    this.#sin = new Float64Array(n / 2);
    for (let i = 0; i < n / 2; i++) {
      this.#cos[i] = Math.cos(-2 * Math.PI * i / n);
      this.#sin[i] = Math.sin(-2 * Math.PI * i / n);
    }
    this.#rev = new Uint32Array(n);
    const bits = Math.log2(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.#rev[i] = r;
    }
  }

  /** Transforms (re, im) in place. */
  run(re: Float64Array, im: Float64Array): void {
    const n = this.n, rev = this.#rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i];
      if (j > i) {
        let t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    for (let size = 2; size <= n; size *= 2) {
      const halfSize = size / 2, step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0; k < halfSize; k++) {
          const wr = this.#cos[k * step], wi = this.#sin[k * step];
          const a = start + k, b = a + halfSize;
          const xr = re[b] * wr - im[b] * wi;
          const xi = re[b] * wi + im[b] * wr;
          re[b] = re[a] - xr;
          im[b] = im[a] - xi;
          re[a] += xr;
          im[a] += xi;
        }
      }
    }
  }
}

/**
 * The periodic Hann window of length n (`scipy.signal.get_window("hann", n)`).
 *
 * @example
 * ```ts
 * hannWindow(4); // [0, 0.5, 1, 0.5]
 * ```
 */
export function hannWindow(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / n);
  return w;
}

/**
 * The periodic Tukey window (`scipy.signal.get_window(("tukey", alpha), n)`, i.e.
 * `tukey(n + 1, alpha)[:-1]`).
 *
 * @example
 * ```ts
 * tukeyWindow(512, 0.25)[256]; // 1
 * ```
 */
export function tukeyWindow(n: number, alpha: number): Float64Array {
  const m = n + 1; // symmetric window of n + 1 points, last one dropped
  const w = new Float64Array(n);
  if (alpha <= 0) return w.fill(1);
  const width = Math.floor(alpha * (m - 1) / 2);
  for (let i = 0; i < n; i++) {
    if (i <= width) {
      w[i] = 0.5 * (1 + Math.cos(Math.PI * (-1 + 2 * i / alpha / (m - 1))));
    } else if (i >= m - width - 1) {
      w[i] = 0.5 * (1 + Math.cos(Math.PI * (-2 / alpha + 1 + 2 * i / alpha / (m - 1))));
    } else w[i] = 1;
  }
  return w;
}

/** Options of {@linkcode logStft}. */
export interface StftOptions {
  /** FFT size and window length (default 512). */
  nFft?: number;
  /** Hop length (default 353). */
  hop?: number;
  /** Centre padding (default `reflect`, librosa < 0.10). */
  padMode?: StftPadMode;
}

/**
 * `log(|librosa.stft(x, n_fft, hop_length, center=True)| + 1e-7)` as [freq, time].
 *
 * @example
 * ```ts
 * const s = logStft(new Float32Array(66150));
 * [s.rows, s.cols]; // [257, 188]
 * ```
 */
export function logStft(x: Float32Array, opts: StftOptions = {}): Spectrogram {
  const nFft = opts.nFft ?? AV_AUDIO.nFft, hop = opts.hop ?? AV_AUDIO.hop;
  const padMode = opts.padMode ?? "reflect";
  const pad = nFft / 2;
  const n = x.length;
  if (padMode === "reflect" && n <= pad) {
    throw new Error(`logStft: reflect padding needs more than ${pad} samples, got ${n}`);
  }
  const padded = new Float64Array(n + 2 * pad);
  for (let i = 0; i < n; i++) padded[pad + i] = x[i];
  if (padMode === "reflect") {
    for (let i = 1; i <= pad; i++) {
      padded[pad - i] = x[i];
      padded[pad + n - 1 + i] = x[n - 1 - i];
    }
  }
  const frames = 1 + Math.floor((padded.length - nFft) / hop);
  const rows = nFft / 2 + 1;
  const out = new Float32Array(rows * frames);
  const win = hannWindow(nFft);
  const fft = new Fft(nFft);
  const re = new Float64Array(nFft), im = new Float64Array(nFft);
  for (let t = 0; t < frames; t++) {
    const s = t * hop;
    for (let i = 0; i < nFft; i++) {
      re[i] = padded[s + i] * win[i];
      im[i] = 0;
    }
    fft.run(re, im);
    for (let f = 0; f < rows; f++) {
      out[f * frames + t] = Math.log(Math.hypot(re[f], im[f]) + 1e-7);
    }
  }
  return { data: out, rows, cols: frames };
}

/** Options of {@linkcode aveSpectrogram}. */
export interface AveSpectrogramOptions {
  /** Sample rate (default 16000). */
  fs?: number;
  /** Segment length (default 512). */
  nperseg?: number;
  /** Overlap (default 353). */
  noverlap?: number;
  /** Apply log(S + 1e-7) and per-clip standardisation (default true). */
  logStandardise?: boolean;
}

/**
 * `scipy.signal.spectrogram(x, fs, nperseg=512, noverlap=353)` (its defaults), then
 * log(S + 1e-7) and (S - mean) / (std + 1e-9) over the whole matrix, as [freq, time].
 *
 * @example
 * ```ts
 * const s = aveSpectrogram(new Float32Array(160000).map((_, i) => Math.sin(i / 7)));
 * [s.rows, s.cols]; // [257, 1004]
 * ```
 */
export function aveSpectrogram(x: Float32Array, opts: AveSpectrogramOptions = {}): Spectrogram {
  const fs = opts.fs ?? AVE_AUDIO.sampleRate;
  const nper = opts.nperseg ?? AVE_AUDIO.nperseg;
  const step = nper - (opts.noverlap ?? AVE_AUDIO.noverlap);
  if (x.length < nper) throw new Error(`aveSpectrogram: need at least ${nper} samples`);
  const frames = 1 + Math.floor((x.length - nper) / step);
  const rows = nper / 2 + 1;
  const win = tukeyWindow(nper, 0.25);
  let w2 = 0;
  for (let i = 0; i < nper; i++) w2 += win[i] * win[i];
  const scale = 1 / (fs * w2);
  const fft = new Fft(nper);
  const re = new Float64Array(nper), im = new Float64Array(nper);
  const psd = new Float64Array(rows * frames);
  for (let t = 0; t < frames; t++) {
    const s = t * step;
    let mean = 0;
    for (let i = 0; i < nper; i++) mean += x[s + i];
    mean /= nper;
    for (let i = 0; i < nper; i++) {
      re[i] = (x[s + i] - mean) * win[i];
      im[i] = 0;
    }
    fft.run(re, im);
    for (let f = 0; f < rows; f++) {
      let v = (re[f] * re[f] + im[f] * im[f]) * scale;
      if (f > 0 && (f < rows - 1 || nper % 2 === 1)) v *= 2;
      psd[f * frames + t] = v;
    }
  }
  const out = new Float32Array(rows * frames);
  if (opts.logStandardise === false) {
    out.set(psd);
    return { data: out, rows, cols: frames };
  }
  let sum = 0;
  for (let i = 0; i < psd.length; i++) {
    psd[i] = Math.log(psd[i] + 1e-7);
    sum += psd[i];
  }
  const mean = sum / psd.length;
  let sq = 0;
  for (let i = 0; i < psd.length; i++) sq += (psd[i] - mean) ** 2;
  const std = Math.sqrt(sq / psd.length);
  for (let i = 0; i < psd.length; i++) out[i] = (psd[i] - mean) / (std + 1e-9);
  return { data: out, rows, cols: frames };
}

/**
 * The CREMA-D / AVSBench / VGGSound50 audio input: resample to 22,050 Hz, tile x3, keep
 * 3 s, clip, log-STFT (n_fft 512, hop 353) -> 257 x 188.
 *
 * @example
 * ```ts
 * const s = avAudioFeature({ samples: new Float32Array(16000), sampleRate: 16000 });
 * [s.rows, s.cols]; // [257, 188]
 * ```
 */
export function avAudioFeature(audio: Audio, padMode: StftPadMode = "reflect"): Spectrogram {
  const y = resample(audio.samples, audio.sampleRate, AV_AUDIO.sampleRate);
  const clip = tileClip(y, AV_AUDIO.tiles, AV_AUDIO.sampleRate * AV_AUDIO.seconds);
  return logStft(clip, { nFft: AV_AUDIO.nFft, hop: AV_AUDIO.hop, padMode });
}

/**
 * The AVE audio input: resample to 16 kHz, tile x10, keep 10 s, clip, scipy-style log
 * PSD, per-clip standardisation -> 257 x 1004.
 *
 * @example
 * ```ts
 * const s = aveAudioFeature({ samples: new Float32Array(16000).fill(0.1), sampleRate: 16000 });
 * [s.rows, s.cols]; // [257, 1004]
 * ```
 */
export function aveAudioFeature(audio: Audio): Spectrogram {
  const y = resample(audio.samples, audio.sampleRate, AVE_AUDIO.sampleRate);
  const clip = tileClip(y, AVE_AUDIO.tiles, AVE_AUDIO.sampleRate * AVE_AUDIO.seconds);
  return aveSpectrogram(clip);
}

"""Music beds for the generated ads: a seeded four-part arrangement synthesized with numpy, and the mix.

No soundfont and no samples: every sound is computed here (so the beds differ from the DEV beds, which
FluidSynth rendered with FluidR3_GM). Per bed, drawn from its seed: tempo 86–130 bpm, a key and a
major/minor four-chord progression; drums (sine-sweep kick, noise-burst snare/clap, high-passed noise
hats) in one of five patterns (pop backbeat, four-on-the-floor, half-time, hip-hop, shuffle) with a fill
every four bars; a bass line (eighths, root–fifth, syncopated or walking) with a band-limited saw or
sine timbre; a chord part (sustained pad of detuned saws, organ drawbars, plucked/comping keys or an
arpeggio); and a pentatonic melody in two-bar motifs (A B A' B') with a bell, flute-like or square lead.
A short multi-tap echo gives some room. Everything is additive synthesis with band-limited harmonics
(no aliasing above 8 kHz at 16 kHz output).

The mix follows ../shared/data/ads-music/README.md: the bed plays from t = 0 to the end of the ad at a
steady level (5 ms fade-in, 30 ms fade-out); `snr_db` is the voice's RMS over the voiced span (first word
onset to last word end, pauses included) over the music's RMS over the same span; the sum is scaled to a
-1 dBFS peak and the gains are recorded.
"""
from __future__ import annotations

import math
import random

import numpy as np

SR = 16000
_MAJOR = [0, 2, 4, 5, 7, 9, 11]
_MINOR = [0, 2, 3, 5, 7, 8, 10]
_PROGS = {"major": [("I-V-vi-IV", [0, 4, 5, 3]), ("vi-IV-I-V", [5, 3, 0, 4]), ("I-vi-IV-V", [0, 5, 3, 4]),
                    ("IV-I-V-vi", [3, 0, 4, 5]), ("I-IV-ii-V", [0, 3, 1, 4])],
          "minor": [("i-VI-III-VII", [0, 5, 2, 6]), ("i-iv-VII-III", [0, 3, 6, 2]), ("i-VII-VI-VII", [0, 6, 5, 6]),
                    ("i-iv-v-i", [0, 3, 4, 0])]}
_NOTE = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _env(n: int, attack: float, decay: float, sustain: float = 0.0, release: float = 0.02) -> np.ndarray:
    """Attack / exponential decay to `sustain` / short release, n samples."""
    t = np.arange(n) / SR
    a = np.clip(t / max(attack, 1e-4), 0, 1)
    d = sustain + (1 - sustain) * np.exp(-np.maximum(t - attack, 0) / max(decay, 1e-4))
    r = np.clip((n / SR - t) / max(release, 1e-4), 0, 1)
    return a * d * r


def _tone(f: float, n: int, harmonics: list[float], detune: float = 0.0, vibrato: float = 0.0,
          rng: random.Random | None = None) -> np.ndarray:
    """Additive tone: harmonic k has amplitude harmonics[k-1]; partials above 7.6 kHz are dropped."""
    t = np.arange(n) / SR
    phase = 2 * np.pi * f * t
    if vibrato:
        phase += vibrato * np.sin(2 * np.pi * 5.2 * t) * (t > 0.15)
    out = np.zeros(n)
    for k, amp in enumerate(harmonics, start=1):
        if amp == 0 or f * k * (1 + detune) > 7600:
            continue
        ph0 = rng.random() * 2 * np.pi if rng else 0.0
        out += amp * np.sin(k * phase * (1 + detune) + ph0)
    return out


def _saw(k_max: int) -> list[float]:
    return [1.0 / k for k in range(1, k_max + 1)]


def _square(k_max: int) -> list[float]:
    return [(1.0 / k if k % 2 else 0.0) for k in range(1, k_max + 1)]


class _Track:
    def __init__(self, n: int) -> None:
        self.buf = np.zeros(n)

    def add(self, start_s: float, sig: np.ndarray, gain: float = 1.0) -> None:
        i = int(round(start_s * SR))
        if i >= len(self.buf) or i + len(sig) <= 0:
            return
        j = min(len(self.buf), i + len(sig))
        self.buf[max(i, 0):j] += gain * sig[max(0, -i):j - i]


def compose(seed: int, duration_s: float) -> tuple[np.ndarray, dict]:
    """A mono bed of `duration_s` at 16 kHz (float, peak 1) and its description for meta.json."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    n = int(round(duration_s * SR))
    bpm = rng.randint(86, 130)
    beat = 60.0 / bpm
    bar = 4 * beat
    mode = rng.choice(["major", "minor"])
    root = rng.randint(0, 11)
    prog_name, prog = rng.choice(_PROGS[mode])
    scale = _MAJOR if mode == "major" else _MINOR
    drum_pattern = rng.choice(["pop", "four-on-the-floor", "half-time", "hip-hop", "shuffle"])
    bass_style = rng.choice(["eighths", "root-fifth", "syncopated", "walking"])
    bass_timbre = rng.choice(["saw", "sine", "square"])
    pad_style = rng.choice(["pad", "organ", "keys", "arpeggio"])
    lead = rng.choice(["bell", "flute", "square", "pluck"])
    swing = drum_pattern == "shuffle"
    n_bars = int(math.ceil(duration_s / bar)) + 1

    drums, bass, chords, melody = (_Track(n) for _ in range(4))

    def kick(t0: float, g: float = 1.0) -> None:
        m = int(0.32 * SR)
        t = np.arange(m) / SR
        f = 45 + 85 * np.exp(-t / 0.04)
        sig = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t / 0.12)
        drums.add(t0, sig, 0.9 * g)

    def snare(t0: float, g: float = 1.0) -> None:
        m = int(0.2 * SR)
        t = np.arange(m) / SR
        noise = nrng.standard_normal(m)
        noise = np.convolve(noise, [1, 0, -1], mode="same") * 0.5  # band-pass-ish
        body = np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.05)
        drums.add(t0, (0.45 * noise * np.exp(-t / 0.06) + 0.4 * body), 0.8 * g)

    def hat(t0: float, open_: bool = False, g: float = 1.0) -> None:
        m = int((0.18 if open_ else 0.06) * SR)
        t = np.arange(m) / SR
        noise = np.diff(nrng.standard_normal(m + 1))
        drums.add(t0, noise * np.exp(-t / (0.06 if open_ else 0.015)), 0.18 * g)

    for b in range(n_bars):
        t_bar = b * bar
        fill = b % 4 == 3
        steps = 16
        for s in range(steps):
            t = t_bar + s * beat / 4
            if swing and s % 2 == 1:
                t += beat / 12
            on_beat = s % 4 == 0
            if drum_pattern == "four-on-the-floor":
                if on_beat:
                    kick(t)
                if s in (4, 12):
                    snare(t, 0.8)
                if s % 4 == 2:
                    hat(t, open_=True)
            elif drum_pattern == "half-time":
                if s == 0 or s == 10:
                    kick(t)
                if s == 8:
                    snare(t)
                if s % 2 == 0:
                    hat(t)
            elif drum_pattern == "hip-hop":
                if s in (0, 7, 10):
                    kick(t)
                if s in (4, 12):
                    snare(t)
                if s % 2 == 0:
                    hat(t, g=0.8 + 0.4 * (s % 4 == 2))
            else:  # pop / shuffle
                if s in (0, 8) or (s == 6 and b % 2):
                    kick(t)
                if s in (4, 12):
                    snare(t)
                if s % 2 == 0:
                    hat(t)
            if fill and s >= 12 and s % 1 == 0 and s % 2 == 1:
                snare(t, 0.5)

    def degree_midi(deg: int, octave_base: int) -> int:
        return octave_base + root + scale[deg % 7] + 12 * (deg // 7)

    bass_harm = {"saw": _saw(10), "sine": [1.0, 0.15], "square": _square(9)}[bass_timbre]
    for b in range(n_bars):
        deg = prog[b % 4]
        r = degree_midi(deg, 36)
        fifth = degree_midi(deg + 4, 36)
        t_bar = b * bar
        if bass_style == "eighths":
            notes = [(i * beat / 2, r, beat / 2 * 0.9) for i in range(8)]
        elif bass_style == "root-fifth":
            notes = [(0, r, beat * 0.95), (beat, fifth, beat * 0.95), (2 * beat, r, beat * 0.95),
                     (3 * beat, fifth, beat * 0.95)]
        elif bass_style == "syncopated":
            notes = [(0, r, beat * 1.4), (1.5 * beat, r, beat * 0.45), (2.5 * beat, fifth, beat * 0.9),
                     (3.5 * beat, r + 12, beat * 0.45)]
        else:  # walking
            notes = [(i * beat, degree_midi(deg + step, 36), beat * 0.9) for i, step in enumerate((0, 2, 4, 5))]
        for off, midi, dur in notes:
            m = int(dur * SR)
            sig = _tone(_hz(midi), m, bass_harm) * _env(m, 0.005, 0.25, 0.5, 0.03)
            bass.add(t_bar + off, sig, 0.55)

    for b in range(n_bars):
        deg = prog[b % 4]
        triad = [degree_midi(deg, 60), degree_midi(deg + 2, 60), degree_midi(deg + 4, 60)]
        t_bar = b * bar
        if pad_style == "pad":
            m = int(bar * SR)
            sig = sum(_tone(_hz(x), m, _saw(6), detune=d, rng=rng) for x in triad for d in (-0.003, 0.003))
            chords.add(t_bar, sig * _env(m, 0.25, 10.0, 1.0, 0.2), 0.12)
        elif pad_style == "organ":
            m = int(bar * SR)
            sig = sum(_tone(_hz(x), m, [1.0, 0.6, 0.0, 0.4, 0.0, 0.25, 0.0, 0.15]) for x in triad)
            chords.add(t_bar, sig * _env(m, 0.02, 10.0, 1.0, 0.05), 0.13)
        elif pad_style == "keys":
            for k in (0.5, 1.5, 2.5, 3.5) if rng.random() < 0.5 else (0, 1, 2, 3):
                m = int(beat * 0.8 * SR)
                sig = sum(_tone(_hz(x), m, [1.0, 0.5, 0.25, 0.12]) for x in triad)
                chords.add(t_bar + k * beat, sig * _env(m, 0.004, 0.3, 0.1, 0.05), 0.16)
        else:  # arpeggio
            order = triad + [triad[0] + 12, triad[2], triad[1]] * 2
            for i in range(8):
                m = int(beat / 2 * SR)
                sig = _tone(_hz(order[i % len(order)]), m, [1.0, 0.4, 0.2, 0.1])
                chords.add(t_bar + i * beat / 2, sig * _env(m, 0.003, 0.18, 0.0, 0.03), 0.3)

    penta = [0, 2, 4, 7, 9] if mode == "major" else [0, 3, 5, 7, 10]

    def motif() -> list[tuple[float, int, float]]:
        out, t = [], 0.0
        while t < 2 * bar - 1e-6:
            dur = rng.choice([beat / 2, beat / 2, beat, beat, 1.5 * beat, 2 * beat])
            dur = min(dur, 2 * bar - t)
            if rng.random() < 0.8:
                out.append((t, 72 + root % 12 + rng.choice(penta) - (12 if rng.random() < 0.3 else 0), dur))
            t += dur
        return out

    a, bm = motif(), motif()
    a2 = [(t, m + rng.choice([0, 0, 2, -3]), d) for t, m, d in a]
    lead_harm = {"bell": [1.0, 0.0, 0.3, 0.0, 0.0, 0.15], "flute": [1.0, 0.2, 0.05],
                 "square": _square(9), "pluck": _saw(8)}[lead]
    phrases = [a, bm, a2, bm]
    for p in range(int(math.ceil(n_bars / 2))):
        for t, midi, dur in phrases[p % 4]:
            m = int(dur * SR)
            if lead in ("bell", "pluck"):
                e = _env(m, 0.003, 0.35, 0.0, 0.03)
            else:
                e = _env(m, 0.04, 2.0, 0.8, 0.06)
            sig = _tone(_hz(midi), m, lead_harm, vibrato=0.004 if lead == "flute" else 0.0)
            melody.add(p * 2 * bar + t, sig * e, 0.22)

    levels = {"drums": rng.uniform(0.8, 1.2), "bass": rng.uniform(0.8, 1.2), "chords": rng.uniform(0.7, 1.2),
              "melody": rng.uniform(0.6, 1.1)}
    mix = (levels["drums"] * drums.buf + levels["bass"] * bass.buf + levels["chords"] * chords.buf
           + levels["melody"] * melody.buf)
    # room: a few echo taps (feed-forward, deterministic)
    wet = np.zeros_like(mix)
    for delay, g in ((0.031, 0.25), (0.047, 0.2), (0.073, 0.15), (0.11, 0.1)):
        d = int(delay * SR)
        wet[d:] += g * mix[:-d]
    mix = mix + wet
    peak = float(np.max(np.abs(mix))) or 1.0
    mix = mix / peak
    info = {"seed": seed, "engine": "numpy additive synthesis (benchmarks/genads_music.py)", "tempo_bpm": bpm,
            "key": f"{_NOTE[root]} {mode}", "progression": prog_name, "drum_pattern": drum_pattern,
            "bass_style": bass_style, "instruments": {"drums": "synth kit (sine kick, noise snare/hats)",
                                                      "bass": f"{bass_timbre} bass", "chords": pad_style,
                                                      "melody": lead},
            "levels": {k: round(v, 3) for k, v in levels.items()}}
    return mix.astype(np.float64), info


def mix(voice: np.ndarray, music: np.ndarray, span: tuple[float, float], snr_db: float) -> tuple[np.ndarray, dict]:
    """Voice + music at `snr_db` over `span` (seconds), summed and scaled to a -1 dBFS peak."""
    n = len(voice)
    music = music[:n].copy()
    fi, fo = int(0.005 * SR), int(0.030 * SR)
    music[:fi] *= np.linspace(0, 1, fi)
    music[-fo:] *= np.linspace(1, 0, fo)
    a, b = int(round(span[0] * SR)), int(round(span[1] * SR))
    rms_v = float(np.sqrt(np.mean(voice[a:b] ** 2)))
    rms_m = float(np.sqrt(np.mean(music[a:b] ** 2)))
    g_m = rms_v / (rms_m * 10 ** (snr_db / 20))
    total = voice + g_m * music
    scale = 10 ** (-1 / 20) / float(np.max(np.abs(total)))
    out = total * scale
    return out, {"speech_gain_db": round(20 * math.log10(scale), 3),
                 "music_gain_db": round(20 * math.log10(g_m * scale), 3)}

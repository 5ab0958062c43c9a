"""Music beds for the generated ads: a seeded four-part arrangement, rendered two ways, and the mix.

`arrange(seed)` draws the piece: tempo 86–130 bpm, a key and a major/minor four-chord progression; drums
in one of five patterns (pop backbeat, four-on-the-floor, half-time, hip-hop, shuffle) with a fill every
four bars; a bass line (eighths, root–fifth, syncopated or walking); a chord part (sustained pad, organ,
comping keys or an arpeggio); a pentatonic melody in two-bar motifs (A B A' B'); part levels; and a
General MIDI instrument per part. Two renderers:
- `numpy`: additive synthesis here, no samples (sine-sweep kick, noise-burst snare, high-passed noise
  hats, band-limited saw/sine/square bass, detuned-saw pad / drawbar organ / keys / plucked arpeggio,
  bell/flute/square/pluck lead), a few echo taps for room. Unlike any recorded instrument.
- `fluidsynth`: the same notes as a MIDI file (mido) rendered offline by FluidSynth with the FluidR3 GM
  soundfont (Debian `fluidsynth` + `fluid-soundfont-gm`, MIT) — realistic instruments, like the DEV beds
  (which used the same soundfont with other compositions).

The mix follows ../shared/data/ads-music/README.md: the bed plays from t = 0 to the end of the ad at a
steady level (5 ms fade-in, 30 ms fade-out); `snr_db` is the voice's RMS over the voiced span (first word
onset to last word end, pauses included) over the music's RMS over the same span; the sum is scaled to a
-1 dBFS peak and the gains are recorded.
"""
from __future__ import annotations

import math
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

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


@dataclass
class Note:
    part: str  # drums | bass | chords | melody
    start: float  # seconds
    midi: int  # pitch; drums: GM drum key (36 kick, 38 snare, 42 closed hat, 46 open hat)
    dur: float  # seconds
    vel: float  # 0..1


def arrange(seed: int, duration_s: float) -> tuple[list[Note], dict]:
    """The bed as notes (seeded): tempo, key, progression, drum pattern, bass line, chords, melody."""
    rng = random.Random(seed)
    bpm = rng.randint(86, 130)
    beat = 60.0 / bpm
    bar = 4 * beat
    mode = rng.choice(["major", "minor"])
    root = rng.randint(0, 11)
    prog_name, prog = rng.choice(_PROGS[mode])
    scale = _MAJOR if mode == "major" else _MINOR
    drum_pattern = rng.choice(["pop", "four-on-the-floor", "half-time", "hip-hop", "shuffle"])
    bass_style = rng.choice(["eighths", "root-fifth", "syncopated", "walking"])
    pad_style = rng.choice(["pad", "organ", "keys", "arpeggio"])
    lead = rng.choice(["bell", "flute", "square", "pluck"])
    swing = drum_pattern == "shuffle"
    n_bars = int(math.ceil(duration_s / bar)) + 1
    notes: list[Note] = []

    def hit(t: float, key: int, vel: float) -> None:
        notes.append(Note("drums", t, key, 0.1, vel))

    for b in range(n_bars):
        t_bar = b * bar
        fill = b % 4 == 3
        for s in range(16):
            t = t_bar + s * beat / 4
            if swing and s % 2 == 1:
                t += beat / 12
            if drum_pattern == "four-on-the-floor":
                if s % 4 == 0:
                    hit(t, 36, 0.9)
                if s in (4, 12):
                    hit(t, 38, 0.7)
                if s % 4 == 2:
                    hit(t, 46, 0.5)
            elif drum_pattern == "half-time":
                if s in (0, 10):
                    hit(t, 36, 0.9)
                if s == 8:
                    hit(t, 38, 0.85)
                if s % 2 == 0:
                    hit(t, 42, 0.45)
            elif drum_pattern == "hip-hop":
                if s in (0, 7, 10):
                    hit(t, 36, 0.9)
                if s in (4, 12):
                    hit(t, 38, 0.85)
                if s % 2 == 0:
                    hit(t, 42, 0.4 + 0.2 * (s % 4 == 2))
            else:  # pop / shuffle
                if s in (0, 8) or (s == 6 and b % 2):
                    hit(t, 36, 0.9)
                if s in (4, 12):
                    hit(t, 38, 0.85)
                if s % 2 == 0:
                    hit(t, 42, 0.45)
            if fill and s >= 12 and s % 2 == 1:
                hit(t, 38, 0.5)

    def degree_midi(deg: int, octave_base: int) -> int:
        return octave_base + root + scale[deg % 7] + 12 * (deg // 7)

    for b in range(n_bars):
        deg = prog[b % 4]
        r = degree_midi(deg, 36)
        fifth = degree_midi(deg + 4, 36)
        t_bar = b * bar
        if bass_style == "eighths":
            line = [(i * beat / 2, r, beat / 2 * 0.9) for i in range(8)]
        elif bass_style == "root-fifth":
            line = [(k * beat, (r, fifth)[k % 2], beat * 0.95) for k in range(4)]
        elif bass_style == "syncopated":
            line = [(0, r, beat * 1.4), (1.5 * beat, r, beat * 0.45), (2.5 * beat, fifth, beat * 0.9),
                    (3.5 * beat, r + 12, beat * 0.45)]
        else:  # walking
            line = [(i * beat, degree_midi(deg + step, 36), beat * 0.9) for i, step in enumerate((0, 2, 4, 5))]
        notes += [Note("bass", t_bar + off, m, d, 0.8) for off, m, d in line]

    for b in range(n_bars):
        deg = prog[b % 4]
        triad = [degree_midi(deg, 60), degree_midi(deg + 2, 60), degree_midi(deg + 4, 60)]
        t_bar = b * bar
        if pad_style in ("pad", "organ"):
            notes += [Note("chords", t_bar, m, bar * 0.98, 0.6) for m in triad]
        elif pad_style == "keys":
            offs = (0.5, 1.5, 2.5, 3.5) if rng.random() < 0.5 else (0, 1, 2, 3)
            notes += [Note("chords", t_bar + k * beat, m, beat * 0.8, 0.65) for k in offs for m in triad]
        else:  # arpeggio
            order = triad + [triad[0] + 12, triad[2], triad[1]] * 2
            notes += [Note("chords", t_bar + i * beat / 2, order[i % len(order)], beat / 2, 0.6) for i in range(8)]

    penta = [0, 2, 4, 7, 9] if mode == "major" else [0, 3, 5, 7, 10]

    def motif() -> list[tuple[float, int, float]]:
        out, t = [], 0.0
        while t < 2 * bar - 1e-6:
            dur = min(rng.choice([beat / 2, beat / 2, beat, beat, 1.5 * beat, 2 * beat]), 2 * bar - t)
            if rng.random() < 0.8:
                out.append((t, 72 + root % 12 + rng.choice(penta) - (12 if rng.random() < 0.3 else 0), dur))
            t += dur
        return out

    a, bm = motif(), motif()
    a2 = [(t, m + rng.choice([0, 0, 2, -3]), d) for t, m, d in a]
    phrases = [a, bm, a2, bm]
    for p in range(int(math.ceil(n_bars / 2))):
        notes += [Note("melody", p * 2 * bar + t, m, d, 0.75) for t, m, d in phrases[p % 4]]

    levels = {"drums": rng.uniform(0.8, 1.2), "bass": rng.uniform(0.8, 1.2), "chords": rng.uniform(0.7, 1.2),
              "melody": rng.uniform(0.6, 1.1)}
    gm = {"drums": rng.choice(_GM_KITS), "bass": rng.choice(_GM_BASS), "chords": rng.choice(_GM_CHORDS[pad_style]),
          "melody": rng.choice(_GM_LEAD[lead])}
    info = {"seed": seed, "tempo_bpm": bpm, "key": f"{_NOTE[root]} {mode}", "progression": prog_name,
            "drum_pattern": drum_pattern, "bass_style": bass_style, "chord_style": pad_style, "lead": lead,
            "levels": {k: round(v, 3) for k, v in levels.items()}, "_gm": gm,
            "_timbre": rng.choice(["saw", "sine", "square"])}
    return [n for n in notes if n.start < duration_s], info


# General MIDI choices per part (FluidR3_GM programs; kits on channel 10 are bank 128 presets).
_GM_KITS = [(0, "Standard"), (8, "Room"), (16, "Power"), (24, "Electronic"), (25, "TR-808"), (32, "Jazz"),
            (40, "Brush")]
_GM_BASS = [(32, "Acoustic Bass"), (33, "Electric Bass (finger)"), (34, "Electric Bass (pick)"),
            (35, "Fretless Bass"), (38, "Synth Bass 1"), (39, "Synth Bass 2")]
_GM_CHORDS = {"pad": [(88, "Pad 1 (new age)"), (89, "Pad 2 (warm)"), (48, "String Ensemble 1"),
                      (50, "Synth Strings 1"), (52, "Choir Aahs")],
              "organ": [(16, "Drawbar Organ"), (17, "Percussive Organ"), (19, "Church Organ")],
              "keys": [(0, "Acoustic Grand Piano"), (4, "Electric Piano 1"), (5, "Electric Piano 2")],
              "arpeggio": [(24, "Acoustic Guitar (nylon)"), (25, "Acoustic Guitar (steel)"), (46, "Orchestral Harp"),
                           (11, "Vibraphone")]}
_GM_LEAD = {"bell": [(8, "Celesta"), (9, "Glockenspiel"), (14, "Tubular Bells"), (10, "Music Box")],
            "flute": [(73, "Flute"), (74, "Recorder"), (71, "Clarinet"), (68, "Oboe")],
            "square": [(80, "Lead 1 (square)"), (81, "Lead 2 (sawtooth)")],
            "pluck": [(12, "Marimba"), (13, "Xylophone"), (105, "Banjo")]}


def render_numpy(notes: list[Note], info: dict, duration_s: float) -> np.ndarray:
    """Additive synthesis of the notes at 16 kHz (no samples, no soundfont)."""
    n = int(round(duration_s * SR))
    nrng = np.random.default_rng(info["seed"])
    rng = random.Random(info["seed"] + 1)
    tracks = {p: _Track(n) for p in ("drums", "bass", "chords", "melody")}
    bass_harm = {"saw": _saw(10), "sine": [1.0, 0.15], "square": _square(9)}[info["_timbre"]]
    lead_harm = {"bell": [1.0, 0.0, 0.3, 0.0, 0.0, 0.15], "flute": [1.0, 0.2, 0.05], "square": _square(9),
                 "pluck": _saw(8)}[info["lead"]]
    style = info["chord_style"]
    for nt in notes:
        m = max(1, int(nt.dur * SR))
        if nt.part == "drums":
            if nt.midi == 36:
                m = int(0.32 * SR)
                t = np.arange(m) / SR
                f = 45 + 85 * np.exp(-t / 0.04)
                sig = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t / 0.12)
            elif nt.midi == 38:
                m = int(0.2 * SR)
                t = np.arange(m) / SR
                noise = np.convolve(nrng.standard_normal(m), [1, 0, -1], mode="same") * 0.5
                sig = 0.45 * noise * np.exp(-t / 0.06) + 0.4 * np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.05)
            else:
                open_ = nt.midi == 46
                m = int((0.18 if open_ else 0.06) * SR)
                t = np.arange(m) / SR
                sig = 0.2 * np.diff(nrng.standard_normal(m + 1)) * np.exp(-t / (0.06 if open_ else 0.015))
            tracks["drums"].add(nt.start, sig, nt.vel)
        elif nt.part == "bass":
            tracks["bass"].add(nt.start, _tone(_hz(nt.midi), m, bass_harm) * _env(m, 0.005, 0.25, 0.5, 0.03),
                               0.55 * nt.vel)
        elif nt.part == "chords":
            if style == "pad":
                sig = sum(_tone(_hz(nt.midi), m, _saw(6), detune=d, rng=rng) for d in (-0.003, 0.003))
                sig = sig * _env(m, 0.25, 10.0, 1.0, 0.2) * 0.2
            elif style == "organ":
                sig = _tone(_hz(nt.midi), m, [1.0, 0.6, 0.0, 0.4, 0.0, 0.25, 0.0, 0.15]) * _env(m, 0.02, 10.0, 1.0, 0.05)
                sig = sig * 0.22
            elif style == "keys":
                sig = _tone(_hz(nt.midi), m, [1.0, 0.5, 0.25, 0.12]) * _env(m, 0.004, 0.3, 0.1, 0.05) * 0.25
            else:
                sig = _tone(_hz(nt.midi), m, [1.0, 0.4, 0.2, 0.1]) * _env(m, 0.003, 0.18, 0.0, 0.03) * 0.5
            tracks["chords"].add(nt.start, sig, nt.vel)
        else:
            if info["lead"] in ("bell", "pluck"):
                e = _env(m, 0.003, 0.35, 0.0, 0.03)
            else:
                e = _env(m, 0.04, 2.0, 0.8, 0.06)
            sig = _tone(_hz(nt.midi), m, lead_harm, vibrato=0.004 if info["lead"] == "flute" else 0.0)
            tracks["melody"].add(nt.start, sig * e, 0.3 * nt.vel)
    lv = info["levels"]
    out = sum(lv[p] * tr.buf for p, tr in tracks.items())
    wet = np.zeros_like(out)
    for delay, g in ((0.031, 0.25), (0.047, 0.2), (0.073, 0.15), (0.11, 0.1)):
        d = int(delay * SR)
        wet[d:] += g * out[:-d]
    out = out + wet
    return out / (float(np.max(np.abs(out))) or 1.0)


SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def fluidsynth_available() -> bool:
    return shutil.which("fluidsynth") is not None and SOUNDFONT.is_file()


def render_fluidsynth(notes: list[Note], info: dict, duration_s: float) -> np.ndarray:
    """The same notes as General MIDI (mido) rendered offline by FluidSynth with FluidR3_GM, mono 16 kHz."""
    import mido

    if not fluidsynth_available():
        raise RuntimeError("FluidSynth engine needs: apt-get install fluidsynth fluid-soundfont-gm")
    tpb, tempo = 480, 500000  # 120 bpm grid: ticks = seconds * 960
    mid = mido.MidiFile(ticks_per_beat=tpb)
    channels = {"drums": 9, "bass": 0, "chords": 1, "melody": 2}
    gm = info["_gm"]
    for part, ch in channels.items():
        tr = mido.MidiTrack()
        mid.tracks.append(tr)
        tr.append(mido.MetaMessage("set_tempo", tempo=tempo, time=0))
        tr.append(mido.Message("program_change", channel=ch, program=gm[part][0], time=0))
        tr.append(mido.Message("control_change", channel=ch, control=7,
                               value=int(min(127, 90 * info["levels"][part])), time=0))
        events = []
        for nt in notes:
            if nt.part != part:
                continue
            on, off = int(round(nt.start * 960)), int(round((nt.start + nt.dur) * 960))
            events.append((on, 1, mido.Message("note_on", channel=ch, note=nt.midi, velocity=int(20 + 100 * nt.vel))))
            events.append((off, 0, mido.Message("note_off", channel=ch, note=nt.midi, velocity=0)))
        events.sort(key=lambda e: (e[0], e[1]))
        now = 0
        for tick, _, msg in events:
            tr.append(msg.copy(time=tick - now))
            now = tick
    with tempfile.TemporaryDirectory() as tmp:
        mp, wp = Path(tmp) / "bed.mid", Path(tmp) / "bed.raw"
        mid.save(str(mp))
        subprocess.run(["fluidsynth", "-ni", "-q", "-r", "44100", "-g", "0.6", "-T", "raw", "-O", "float",
                        "-F", str(wp), str(SOUNDFONT), str(mp)], check=True, capture_output=True)
        st = np.frombuffer(wp.read_bytes(), dtype=np.float32).reshape(-1, 2).astype(np.float64)
    mono = st.mean(axis=1)
    need = int(round(duration_s * 44100))
    mono = np.pad(mono, (0, max(0, need - len(mono))))[:need]
    out = resample(mono, 44100, SR)
    return out / (float(np.max(np.abs(out))) or 1.0)


def resample(x: np.ndarray, sr_in: int, sr_out: int = SR) -> np.ndarray:
    """Band-limited resampling by FFT (exact time line; the signal is zero-padded so nothing wraps)."""
    if sr_in == sr_out:
        return x.astype(np.float64)
    pad = int(0.1 * sr_in)
    y = np.concatenate([x.astype(np.float64), np.zeros(pad)])
    n_out = int(round(len(y) * sr_out / sr_in))
    spec = np.fft.rfft(y)
    keep = n_out // 2 + 1
    spec = spec[:keep] if keep <= len(spec) else np.pad(spec, (0, keep - len(spec)))
    out = np.fft.irfft(spec, n_out) * (n_out / len(y))
    return out[:int(round(len(x) * sr_out / sr_in))]


def compose(seed: int, duration_s: float, engine: str = "numpy") -> tuple[np.ndarray, dict]:
    """A mono bed of `duration_s` at 16 kHz (float, peak 1) and its description for meta.json."""
    notes, info = arrange(seed, duration_s)
    if engine == "fluidsynth":
        audio = render_fluidsynth(notes, info, duration_s)
        gm = info["_gm"]
        desc = {"engine": "FluidSynth 2.3.1 (offline, 44.1 kHz, reverb/chorus on) + FluidR3_GM.sf2 "
                          "(Debian fluid-soundfont-gm 3.1, MIT) -> mono 16 kHz",
                "instruments": {"drums": f"kit {gm['drums'][0]} {gm['drums'][1]} (channel 10)",
                                "bass": f"GM {gm['bass'][0]} {gm['bass'][1]}",
                                "chords": f"GM {gm['chords'][0]} {gm['chords'][1]}",
                                "melody": f"GM {gm['melody'][0]} {gm['melody'][1]}"}}
    elif engine == "numpy":
        audio = render_numpy(notes, info, duration_s)
        desc = {"engine": "numpy additive synthesis (benchmarks/genads_music.py)",
                "instruments": {"drums": "synth kit (sine-sweep kick, noise snare/hats)",
                                "bass": f"{info['_timbre']} bass", "chords": info["chord_style"],
                                "melody": info["lead"]}}
    else:
        raise ValueError(engine)
    info = {k: v for k, v in info.items() if not k.startswith("_")}
    return audio, {**info, **desc}


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

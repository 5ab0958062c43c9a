"""Preset previews: an animated WebP + still PNG of every preset on a neutral 9:16 background, cached, and an
`index.html` gallery; plus a free low-resolution preview of one preset on the user's own ad."""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Optional, Sequence

from .errors import InputError, LanguageError, OutputError
from .presets import Preset, list_presets
from .types import LANGUAGES, Word

RENDERER_VERSION = "1"
"""Bump when the preview pictures change for a reason the cache key cannot see."""

# A natural ad line per language, one token per caption word (zh: one token per word, no spaces).
SAMPLES: dict[str, list[str]] = {
    "en": "Stop scrolling! This serum changed my skin.".split(),
    "de": "Dieses Serum hat meine Haut verändert!".split(),
    "fr": "Ce sérum a changé ma peau en 7 jours".split(),
    "es": "¡Este sérum cambió mi piel en una semana!".split(),
    "hi": "यह सीरम सच में कमाल का है!".split(),
    "zh": ["这款", "精华", "真的", "改变了", "我的", "皮肤！"],
}

# What a face must draw to caption a language: the letters of its alphabet, digits and ad punctuation.
_LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,!?'%$€&-:;\"()"
COVERAGE_TEXT: dict[str, str] = {
    "en": _LATIN,
    "de": _LATIN + "ÄÖÜäöüß„“",
    "fr": _LATIN + "ÀÂÆÇÉÈÊËÎÏÔŒÙÛÜŸàâæçéèêëîïôœùûüÿ«»",
    "es": _LATIN + "ÁÉÍÓÚÜÑáéíóúüñ¿¡",
    "hi": "".join(chr(c) for c in range(0x0905, 0x093A)) + "".join(chr(c) for c in range(0x093E, 0x094E))
          + "ंः।०१२३४५६७८९",
    "zh": "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自可么去过家学对小多然于心能好都"
          "款精华真改变皮肤买送折扣今天限时免费，。！？：",
}
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español", "hi": "हिन्दी", "zh": "中文"}

TIER_ORDER = ("karaoke", "basic", "dynamic")
TIER_TITLES = {"karaoke": "Karaoke", "basic": "Basic", "dynamic": "Dynamic"}


@dataclass
class PreviewOptions:
    """How gallery previews are drawn. Sizes in pixels (9:16); the layout scales with the frame."""

    width: int = 360
    height: int = 640
    fps: int = 20
    seconds: float = 2.8
    quality: int = 70  # libwebp lossy quality 0–100
    compression_level: int = 3  # libwebp effort 0–6: at 360x640 the encode is a small share of the CPU; 3 is ~20 % smaller than 1
    workers: int = 2  # previews rendered at once (each is one single-threaded ffmpeg process)
    safe_zone: str = "tiktok"

    def fingerprint(self) -> dict:
        return {k: getattr(self, k) for k in ("width", "height", "fps", "seconds", "quality", "compression_level", "safe_zone")}


@dataclass
class LanguageSupport:
    code: str
    name: str
    via: str  # "font": the preset's own face draws it; "fallback": a shipped script fallback face does


@dataclass
class PresetPreview:
    """One gallery tile: the preset, its price, the languages its faces cover and its two media files."""

    name: str
    tier: str
    description: str
    font: str
    price_milli: int
    price_label: str
    languages: list[LanguageSupport]
    animated: Path
    still: Path
    key: str
    status: str  # "cached" | "built" | "rebuilt" (a corrupt cache entry was found and replaced)


@dataclass
class GalleryResult:
    out_dir: Path
    index: Path
    language: str
    previews: list[PresetPreview]
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


# --- inputs -----------------------------------------------------------------------------------------------


def check_gallery_language(language: str) -> str:
    lang = (language or "").strip().lower()
    if lang not in SAMPLES:
        raise LanguageError(f"unknown language {language!r} for previews: use one of {', '.join(LANGUAGES)}")
    return lang


def sample_words(language: str, seconds: float = 2.8) -> list[Word]:
    """The sample line of `language` with made-up, speech-like timings filling the clip (lead-in 0.15 s, tail 0.35 s)."""
    tokens = SAMPLES[check_gallery_language(language)]
    gap, t0, t1 = 0.04, 0.15, seconds - 0.35
    weights = [len(t) + (2.5 if language != "zh" else 1.0) for t in tokens]
    span = (t1 - t0) - gap * (len(tokens) - 1)
    words, t = [], t0
    for tok, w in zip(tokens, weights):
        d = span * w / sum(weights)
        words.append(Word(text=tok, start=round(t, 3), end=round(t + d, 3), timing="interpolated"))
        t += d + gap
    return words


def language_support(preset: Preset) -> list[LanguageSupport]:
    """Languages whose coverage text every character of is drawable by the preset's face (or a shipped fallback)."""
    from .layout import font_chain

    return [LanguageSupport(code, LANGUAGE_NAMES[code], via)
            for code, via in _coverage(tuple(font_chain(preset)), preset.uppercase)]


@lru_cache(maxsize=64)
def _coverage(chain: tuple[Path, ...], uppercase: bool) -> list[tuple[str, str]]:
    from .layout import uncovered

    out = []
    for code in LANGUAGES:
        text = COVERAGE_TEXT[code] + "".join(SAMPLES[code])
        text = text.upper() if uppercase else text  # as layout.display_text draws it
        if not uncovered(text, list(chain[:1])):
            out.append((code, "font"))
        elif not uncovered(text, list(chain)):
            out.append((code, "fallback"))
    return out


# --- cache keys -------------------------------------------------------------------------------------------


@lru_cache(maxsize=128)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    st = path.stat()
    return _file_digest(str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=1)
def renderer_fingerprint() -> str:
    """The code and tools that turn a preset into pictures: layout, the ASS writer, ffmpeg's build, RENDERER_VERSION.

    This module's own drawing choices (backdrop, filter graph, still frame) enter the key as values, so editing
    the gallery page does not invalidate the pictures."""
    import importlib.util

    h = hashlib.sha256(RENDERER_VERSION.encode())
    for mod in ("captioner.layout", "captioner.render.ass"):
        h.update(Path(importlib.util.find_spec(mod).origin).read_bytes())
    h.update(_ffmpeg_identity().encode())
    return h.hexdigest()


def _ffmpeg_identity() -> str:
    """Which ffmpeg draws the previews, without running it or importing `media` (numpy) on the warm path:
    $CAPTIONER_FFMPEG (path, size, mtime) when set, else the imageio-ffmpeg release that ships the static build."""
    env = os.environ.get("CAPTIONER_FFMPEG")
    if env:
        try:
            st = os.stat(env)
            return f"{env}:{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            return env
    import imageio_ffmpeg

    return "imageio-ffmpeg " + imageio_ffmpeg.__version__


def cache_key(preset: Preset, language: str, words: Sequence[Word], options: PreviewOptions) -> str:
    """Everything a preview depends on: preset content, sample line and timings, font bytes, options, renderer."""
    from .layout import font_chain

    blob = json.dumps({
        "preset": json.loads(preset.model_dump_json()),
        "language": language,
        "words": [[w.text, w.start, w.end] for w in words],
        "fonts": [[p.name, file_digest(p)] for p in font_chain(preset)],
        "options": options.fingerprint(),
        "backdrop": background_source(options),
        "graph": FILTER_GRAPH,
        "still_at": still_time(preset, words),
        "renderer": renderer_fingerprint(),
    }, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --- cache entries: <name>-<key16>.webp / .png and a manifest .json written last -----------------------------

_MAGIC = {"webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP", "png": lambda b: b[:8] == b"\x89PNG\r\n\x1a\n"}


def _entry_stem(preset: Preset, key: str) -> str:
    return f"{preset.name}-{key[:16]}"


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_entry(media: Path, preset: Preset, key: str) -> Optional[dict]:
    """The manifest of a complete, intact cache entry; None when missing; raises _Corrupt when damaged."""
    stem = _entry_stem(preset, key)
    manifest = media / f"{stem}.json"
    if not manifest.exists():
        if any((media / f"{stem}.{ext}").exists() for ext in _MAGIC):
            raise _Corrupt("media without a manifest (an interrupted build)")
        return None
    try:
        m = json.loads(manifest.read_text(encoding="utf-8"))
        if m.get("key") != key:
            raise _Corrupt("manifest is for another key")
        langs = m["languages"]
        if not all(isinstance(d, dict) and set(d) == {"code", "name", "via"} and d["code"] in LANGUAGES
                   and d["via"] in ("font", "fallback") for d in langs):
            raise _Corrupt("manifest has an invalid language list")
        for ext, check in _MAGIC.items():
            info = m["files"][ext]
            if info["name"] != f"{stem}.{ext}":  # never follow a name out of the entry
                raise _Corrupt(f"manifest names {info['name']!r}, expected {stem}.{ext}")
            data = (media / info["name"]).read_bytes()
            if len(data) != info["size"] or _sha256_bytes(data) != info["sha256"] or not check(data):
                raise _Corrupt(f"{info['name']} does not match its manifest (size/hash)")
        return m
    except _Corrupt:
        raise
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise _Corrupt(f"unreadable entry: {e}") from e


class _Corrupt(Exception):
    pass


def _remove_entry(media: Path, stem: str) -> None:
    for ext in ("json", *_MAGIC):
        (media / f"{stem}.{ext}").unlink(missing_ok=True)


def _prune_stale(media: Path, preset: Preset, language: str, key: str) -> None:
    """Drop older entries of the same preset and language (the preset or renderer changed since)."""
    keep = _entry_stem(preset, key)
    for m in media.glob(f"{preset.name}-*.json"):
        stem = m.stem
        if stem == keep or not re.fullmatch(re.escape(preset.name) + r"-[0-9a-f]{16}", stem):
            continue
        try:
            info = json.loads(m.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {"language": language}
        if info.get("language") == language:
            _remove_entry(media, stem)


# --- rendering --------------------------------------------------------------------------------------------


FILTER_GRAPH = ("[0:v]trim=end_frame=1,loop=loop={repeats}:size=1,format=rgb24,"
                "ass=captions.ass:fontsdir=fonts:shaping=complex,split=2[anim][one];[one]select=eq(n\\,{frame})[still]")
"""Backdrop (drawn once, repeated: `gradients` costs more per frame than libass) → libass → two outputs:
every frame (animated WebP) and one frame (still PNG)."""


def background_source(options: PreviewOptions) -> str:
    """A neutral 9:16 backdrop (diagonal slate → warm grey, static) as an ffmpeg lavfi source.

    `seed` is pinned: unseeded, `gradients` draws a different picture on every run (and every preset)."""
    w, h = options.width, options.height
    return (f"gradients=s={w}x{h}:r={options.fps}:d={options.seconds}:c0=0x2E3642:c1=0xA39E97:"
            f"x0=0:y0=0:x1={w}:y1={h}:nb_colors=2:speed=0:seed=1")


def still_time(preset: Preset, words: Sequence[Word]) -> float:
    """The still shows the second word lit (first page), after an entry animation has settled."""
    w = words[1] if len(words) > 1 else words[0]
    t = max((w.start + w.end) / 2, w.start + preset.animation.duration_ms / 1000 + 0.02)
    return min(t, w.end - 0.01)


def render_preview(preset: Preset, words: Sequence[Word], language: str, media: Path, key: str,
                   options: PreviewOptions) -> dict:
    """Draw one preset (one ffmpeg pass: backdrop → libass → animated WebP + still PNG) and write its cache entry."""
    from .layout import font_chain, paginate
    from .media import run_ffmpeg
    from .render.ass import to_ass

    track = paginate(list(words), preset, options.width, options.height, language=language,
                     safe_zone=options.safe_zone, duration=options.seconds)
    ass_text = to_ass(track, preset)
    stem = _entry_stem(preset, key)
    tag = secrets.token_hex(4)
    tmp_webp, tmp_png = media / f".{stem}.webp.{tag}.part", media / f".{stem}.png.{tag}.part"
    n_frames = int(round(options.seconds * options.fps))
    frame = min(int(round(still_time(preset, words) * options.fps)), n_frames - 1)
    try:
        with tempfile.TemporaryDirectory(prefix="captioner-preview-") as tmp:
            Path(tmp, "captions.ass").write_text(ass_text, encoding="utf-8")
            # only the faces this preset can use: libass reads every file in fontsdir into memory at start-up
            # (the 11 MB colour-emoji font alone cost more than drawing the whole preview)
            Path(tmp, "fonts").mkdir()
            for face in font_chain(preset):
                os.symlink(face, Path(tmp, "fonts", face.name))
            graph = FILTER_GRAPH.format(frame=frame, repeats=n_frames - 1)
            run_ffmpeg(["-threads", "1", "-filter_threads", "1", "-f", "lavfi", "-i", background_source(options),
                        "-filter_complex", graph,
                        "-map", "[anim]", "-c:v", "libwebp_anim", "-quality", str(options.quality),
                        "-compression_level", str(options.compression_level), "-loop", "0", "-an", "-f", "webp",
                        str(tmp_webp),
                        "-map", "[still]", "-frames:v", "1", "-c:v", "png", "-f", "image2", "-update", "1", str(tmp_png)],
                       f"rendering the preview of preset {preset.name}", cwd=tmp)
        files = {}
        for ext, tmp_path in (("webp", tmp_webp), ("png", tmp_png)):
            data = tmp_path.read_bytes()
            if not _MAGIC[ext](data):
                raise OutputError(f"ffmpeg wrote an invalid {ext} preview for preset {preset.name}")
            name = f"{stem}.{ext}"
            files[ext] = {"name": name, "size": len(data), "sha256": _sha256_bytes(data)}
            os.replace(tmp_path, media / name)
        manifest = {"key": key, "preset": preset.name, "language": language, "files": files,
                    "languages": [ls.__dict__ for ls in language_support(preset)], "renderer": RENDERER_VERSION}
        tmp_manifest = media / f".{stem}.json.{tag}.part"
        tmp_manifest.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp_manifest, media / f"{stem}.json")  # the manifest lands last: its presence means complete
        return manifest
    except OSError as e:
        raise OutputError(f"cannot write the preview of preset {preset.name} into {media}: {e.strerror or e}; "
                          "pick a writable --out") from e
    finally:
        for p in (tmp_webp, tmp_png):
            try:
                p.unlink(missing_ok=True)
            except OSError:
                pass


# --- the gallery ------------------------------------------------------------------------------------------


def prepare_out_dir(out_dir: str | os.PathLike) -> Path:
    """Create OUT and OUT/media, and prove both are writable by writing a file (os.access lies to root)."""
    out = Path(out_dir).expanduser().absolute()  # ffmpeg runs in a temp folder: a relative path would land there
    media = out / "media"
    try:
        media.mkdir(parents=True, exist_ok=True)
        probe_file = media / f".write-test-{secrets.token_hex(4)}"
        probe_file.write_bytes(b"ok")
        probe_file.unlink()
    except OSError as e:
        raise OutputError(f"cannot write the gallery into {out}: {e.strerror or e}; pick a writable --out folder") from e
    return out


def price_label(milli: int) -> str:
    from .billing import format_credits

    if milli == 0:
        return "free"
    return f"{format_credits(milli)} credits / render"


def _template_path() -> Path:
    return Path(__file__).parent / "templates" / "gallery.html"


def _index_inputs(language: str, previews: list[PresetPreview]) -> str:
    """A digest of everything index.html shows: rebuilt only when it changes (saves importing jinja2 when warm)."""
    blob = json.dumps({"template": _sha256_bytes(_template_path().read_bytes()), "language": language,
                       "tiles": [[p.name, p.tier, p.description, p.font, p.price_label, p.key,
                                  [[lang.code, lang.via] for lang in p.languages]] for p in previews]},
                      ensure_ascii=False, sort_keys=True)
    return _sha256_bytes(blob.encode("utf-8"))


def render_index(out: Path, language: str, previews: list[PresetPreview]) -> Path:
    """Write OUT/index.html (jinja2, autoescaped) grouping the tiles by tier; relative media paths, inline CSS.

    OUT/media/index.json records the page's inputs and hash: an unchanged, intact page is left as it is."""
    index, stamp = out / "index.html", out / "media" / "index.json"
    inputs = _index_inputs(language, previews)
    try:
        s = json.loads(stamp.read_text(encoding="utf-8"))
        if s.get("inputs") == inputs and s.get("sha256") == _sha256_bytes(index.read_bytes()):
            return index
    except (OSError, ValueError, AttributeError):
        pass
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_template_path().parent)),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    groups = []
    for tier in TIER_ORDER:
        tiles = [p for p in previews if p.tier == tier]
        if tiles:
            groups.append({"tier": tier, "title": TIER_TITLES[tier], "price": tiles[0].price_label, "tiles": tiles})
    html = env.get_template("gallery.html").render(
        groups=groups, total=len(previews), language=language, language_name=LANGUAGE_NAMES[language],
        sample=(" " if language != "zh" else "").join(SAMPLES[language]), all_languages=LANGUAGES,
        relpath=lambda p: p.relative_to(out).as_posix())
    tmp = out / f".index.html.{secrets.token_hex(4)}.part"
    try:
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, index)
        stamp.write_text(json.dumps({"inputs": inputs, "sha256": _sha256_bytes(html.encode("utf-8"))}), encoding="utf-8")
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {index}: {e.strerror or e}; pick a writable --out folder") from e
    return index


def build_gallery(out_dir: str | os.PathLike, language: str = "en", *, presets: Optional[Sequence[Preset]] = None,
                  options: Optional[PreviewOptions] = None,
                  progress: Optional[Callable[[PresetPreview], None]] = None) -> GalleryResult:
    """Previews of every preset (cached by content hash; corrupt entries rebuilt) and OUT/index.html."""
    t0 = time.perf_counter()
    o = options or PreviewOptions()
    lang = check_gallery_language(language)
    items = list(presets) if presets is not None else list_presets()
    if not items:
        raise InputError("no presets to preview")
    names = [p.name for p in items]
    if len(set(names)) != len(names):
        raise InputError(f"duplicate preset names: {sorted({n for n in names if names.count(n) > 1})}")
    out = prepare_out_dir(out_dir)
    media = out / "media"
    words = sample_words(lang, o.seconds)

    def one(preset: Preset) -> PresetPreview:
        key = cache_key(preset, lang, words, o)
        status = "cached"
        try:
            manifest = read_entry(media, preset, key)
        except _Corrupt:
            try:
                _remove_entry(media, _entry_stem(preset, key))
            except OSError as e:
                raise OutputError(f"cannot replace the corrupt preview of {preset.name} in {media}: {e.strerror or e}") from e
            manifest, status = None, "rebuilt"
        if manifest is None:
            manifest = render_preview(preset, words, lang, media, key, o)
            status = "built" if status == "cached" else status
            _prune_stale(media, preset, lang, key)
        tile = PresetPreview(
            name=preset.name, tier=preset.tier, description=preset.description, font=preset.font,
            price_milli=preset.credits_milli, price_label=price_label(preset.credits_milli),
            languages=[LanguageSupport(**d) for d in manifest["languages"]],
            animated=media / manifest["files"]["webp"]["name"], still=media / manifest["files"]["png"]["name"],
            key=key, status=status)
        if progress:
            progress(tile)
        return tile

    workers = max(1, min(o.workers, len(items)))
    if workers == 1:
        previews = [one(p) for p in items]
    else:
        # threads are enough: the heavy part of each preview is its own ffmpeg process
        with ThreadPoolExecutor(max_workers=workers) as pool:
            previews = list(pool.map(one, items))
    index = render_index(out, lang, previews)
    counts = {s: sum(1 for p in previews if p.status == s) for s in ("cached", "built", "rebuilt")}
    return GalleryResult(out_dir=out, index=index, language=lang, previews=previews,
                         seconds=round(time.perf_counter() - t0, 3), counts=counts)


# --- a preview of one preset on the user's own ad ---------------------------------------------------------


def preview_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """Scale so the shorter side is `short_side` (never upscale), both sides even (yuv420p)."""
    from .job import preview_size as size

    return size(width, height, short_side)


def preview_job(video: str | os.PathLike, preset: str | Preset = "karaoke", *, out: str | os.PathLike,
                seconds: float = 5.0, script: Optional[str | os.PathLike] = None, language: str = "en",
                asr: str = "whisper", short_side: int = 360, safe_zone: str = "tiktok",
                backend_options: Optional[dict] = None):
    """The `RenderJob` of a free preview: at most `job.PREVIEW_MAX_SECONDS` s and `PREVIEW_MAX_SHORT_SIDE` px,
    watermarked, the video only (no sidecars), never billed."""
    from .job import RenderJob, check_outputs
    from .pipeline import read_script
    from .presets import load_preset

    try:
        seconds = float(seconds)
        short_side = int(short_side)
    except (TypeError, ValueError):
        raise InputError(f"--seconds and --size must be numbers, not {seconds!r} / {short_side!r}") from None
    inputs = {"video": Path(video)}
    if isinstance(script, Path):
        inputs["script"] = script
    if not isinstance(preset, Preset) and Path(str(preset)).is_file():
        inputs["preset file"] = Path(str(preset))
    p = preset if isinstance(preset, Preset) else load_preset(preset)
    job = RenderJob.build(kind="preview", video=Path(video), inputs=inputs, language=language, asr=asr, safe_zone=safe_zone,
                          preset=p, out=Path(out), preview={"seconds": seconds, "short_side": short_side},
                          encode={"preset": "veryfast", "crf": 26, "audio_bitrate": "96k"},
                          backend_options=dict(backend_options or {}))
    check_outputs({k: Path(os.path.abspath(v)) for k, v in job.outputs.items()}, job.inputs)
    job.script = read_script(script)  # like caption(): a Path is a UTF-8 file, a str the text itself
    return job


def preview_video(video: str | os.PathLike, preset: str | Preset = "karaoke", *, out: str | os.PathLike,
                  seconds: float = 5.0, script: Optional[str | os.PathLike] = None, language: str = "en",
                  asr: str = "whisper", short_side: int = 360, safe_zone: str = "tiktok",
                  backend_options: Optional[dict] = None) -> dict:
    """Caption the first `seconds` of VIDEO with one preset at low resolution: free, watermarked, marked as a preview.

    Writes OUT.mp4 only (a preview has no sidecars: the captions are not the product's until paid for);
    returns the result as a dict with `"preview": true` and a receipt with `preview: true` and 0 credits.
    The ledger is never touched. Runs through `job.run_job` like `caption()`.
    """
    from .job import run_job
    from .media import probe

    job = preview_job(video, preset, out=out, seconds=seconds, script=script, language=language, asr=asr,
                      short_side=short_side, safe_zone=safe_zone, backend_options=backend_options)
    result = run_job(job)
    source = probe(video)
    return {"preview": True, "preview_seconds": round(result.media.duration, 3),
            "preview_size": [result.media.width, result.media.height], "source_size": [source.width, source.height],
            "watermark": job.preview.watermark, **result.model_dump(mode="json")}


__all__ = ["PreviewOptions", "PresetPreview", "GalleryResult", "build_gallery", "preview_video", "sample_words",
           "language_support", "cache_key", "check_gallery_language", "SAMPLES"]

"""Caption QA: check every page of a laid-out track against the subtitling rules, as findings with severities.

Per page: reading speed (characters per second, as displayed), duration, the gap to the next page, line length
in characters, protected units split across lines or pages, and lines that end on an article or preposition
where a better break exists. The limits are the preset's (`preset.reading`: Netflix/BBC figures, see
`presets.Reading`). Severity: a split protected unit is an `error` (it blocks `--strict`); the rest are
`warning`s. Where the voice itself is faster than the limit (characters of the page over the time its words are
spoken), no layout can fix it, and the finding says so (`qa_voice_too_fast`).

`write_report()` makes the HTML QA report a marketer reads: a contact sheet with one still per page taken from
the rendered video (the page's timing, its text, its findings framed in red or amber), self-contained.
"""
from __future__ import annotations

import base64
import html
import io
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from .errors import InputError, MediaError, OutputError
from .presets import Preset
from .types import CaptionResult, CaptionTrack, Finding, FindingKind, Severity

SPLIT_KINDS = ("brand", "name", "price", "percent", "number_unit", "promo_code", "word")


@dataclass
class PageCheck:
    """The measurements of one page and what is wrong with it."""

    index: int
    start: float
    end: float
    lines: list[str]
    chars: int
    cps: float  # characters / time on screen
    speech_cps: float  # characters / time the words are spoken (what the voice demands)
    gap_after: Optional[float]  # seconds to the next page (None: last page)
    findings: list[Finding] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def worst(self) -> Optional[Severity]:
        order = {Severity.info: 0, Severity.warning: 1, Severity.error: 2}
        return max((f.severity for f in self.findings), key=lambda s: order[s], default=None)


def _texts(track: CaptionTrack) -> list[str]:
    return [w.text for w in track.words]


def line_of(track: CaptionTrack) -> dict[int, tuple[int, int]]:
    """word index → (page index, line index)."""
    out = {}
    for p, page in enumerate(track.pages):
        for li, line in enumerate(page.lines):
            for i in line.words:
                out[i] = (p, li)
    return out


def split_units(track: CaptionTrack) -> list[tuple[str, int, int]]:
    """(kind, start, end) of the track's protected units whose words are not all on one line of one page."""
    where = line_of(track)
    out = []
    for u in track.units:
        if u.kind not in SPLIT_KINDS or u.end - u.start < 2:
            continue
        places = {where.get(i) for i in range(u.start, u.end)}
        if len(places) > 1:
            out.append((u.kind, u.start, u.end))
    return out


class _Widths:
    """Line widths as the layout measures them (display text, the preset's font, emphasis scale)."""

    def __init__(self, track: CaptionTrack, preset: Preset):
        from .layout import Spacing, display_text, emphasised, line_width_limit, metrics

        fm = metrics(preset, track.width, track.height)
        big = emphasised(track.units, preset)
        scale = preset.emphasis.scale if preset.emphasis is not None else 1.0
        self.w = [fm.width(display_text(w.text, preset)) * (scale if j in big else 1.0) for j, w in enumerate(track.words)]
        self.space = fm.width(" ")
        self.spacing = Spacing.of(track)
        self.limit = line_width_limit(preset, track.width, track.height, track.safe_zone)

    def fits(self, ids: Sequence[int]) -> bool:
        return sum(self.w[i] for i in ids) + self.space * self.spacing.spaces(ids) <= self.limit + 0.5


def better_break(track: CaptionTrack, preset: Preset, page: int, line: int, an=None, widths: Optional[_Widths] = None,
                 fps: float = 30.0, pager=None) -> bool:
    """Is there a break that avoids ending line `line` of page `page` on its last word, with every line still
    fitting, no protected unit split, no other line ending on an article or preposition and no page pushed over
    the maximum reading speed?"""
    from . import linebreak

    an = an or linebreak.analyse(_texts(track), track.language, track.terms)
    rules = linebreak.rules_for(track.language)
    widths = widths or _Widths(track, preset)
    texts = _texts(track)
    pg = track.pages[page]
    ids = pg.word_indices

    def ok_end(i: int) -> bool:  # the layout's own scale: no line may end where a word binds to the next one
        return not rules.ends_on_function_word(texts[i]) and an.cost(i) < linebreak.AFTER_BINDING

    if line < len(pg.lines) - 1:
        # inside a page: another split of the same words
        for k in range(1, len(ids)):
            a, b = ids[:k], ids[k:]
            if a == pg.lines[0].words:
                continue
            if widths.fits(a) and widths.fits(b) and ok_end(a[-1]):
                return True
        return False
    if page + 1 >= len(track.pages):
        return False
    nxt = track.pages[page + 1].word_indices
    if ids[-1] >= len(an.joints) or an.joints[ids[-1]].sentence_end:
        return False

    def fits_page(w: list[int]) -> bool:
        weights = an.word_weights(preset.max_words)
        if sum(weights[i] for i in w) > preset.max_words:
            return False
        if widths.fits(w):
            return True
        return preset.max_lines >= 2 and any(widths.fits(w[:k]) and widths.fits(w[k:]) and ok_end(w[k - 1])
                                             for k in range(1, len(w)))

    pager = pager or _pager_of(track, preset, fps)

    def readable(pages: list[list[int]]) -> bool:
        """The moved pages are no harder to read: none goes over the maximum reading speed that was not."""
        if pager is None:
            return True
        def cps(w: list[int]) -> float:
            return pager.chars(w[0], w[-1] + 1) / pager.shown(w[0], w[-1] + 1)

        before = [ids, nxt]
        return (sum(pager.over(w[0], w[-1] + 1) for w in pages) <= sum(pager.over(w[0], w[-1] + 1) for w in before)
                and max(pager.max_cps, *map(cps, pages)) <= max(pager.max_cps, *map(cps, before)) + 1e-6)

    # give the dangling word to the next page, or take the next page's first word
    if (len(ids) >= 2 and ok_end(ids[-2]) and fits_page(ids[:-1]) and fits_page([ids[-1]] + nxt)
            and readable([ids[:-1], [ids[-1]] + nxt])):
        return True
    if (len(nxt) >= 2 and ok_end(nxt[0]) and fits_page(ids + [nxt[0]]) and fits_page(nxt[1:])
            and readable([ids + [nxt[0]], nxt[1:]])):
        return True
    return False


def _pager_of(track: CaptionTrack, preset: Preset, fps: float = 30.0):
    """The layout's page model for this track (on-screen times as the layout would give them), or None."""
    from .layout import _pager

    if not track.words:
        return None
    return _pager(track.words, preset, track.width, track.height, track.language, track.safe_zone, track.terms, fps=fps)[0]


def _forced_over(track: CaptionTrack, preset: Preset, max_cps: float, spacing, texts: list[str], pager) -> dict[int, int]:
    """Pages over the reading-speed limit that no layout could avoid: page -> the fewest pages over the limit any
    layout of its sentence (run of words between hard breaks) must have, for the pages of runs where this
    layout has no more than that (`layout._Pager.fewest_over`, an exact dynamic programme over every page
    split within the preset's word limit that splits no protected unit or phrase)."""
    from .layout import hard_runs

    if pager is None:
        return {}
    out: dict[int, int] = {}
    for a, b in hard_runs(track.words, pager.an):
        pages = [p for p, pg in enumerate(track.pages) if pg.word_indices and a <= pg.word_indices[0] < b]
        over = [p for p in pages if spacing.chars(texts, track.pages[p].word_indices)
                / max(1e-3, track.pages[p].end - track.pages[p].start) > max_cps + 1e-6]
        if not over:
            continue
        least = pager.fewest_over(a, b, preset.max_words)
        if least is not None and least >= len(over):
            out.update({p: least for p in over})
    return out


def check_track(track: CaptionTrack, preset: Preset, *, fps: float = 30.0) -> list[PageCheck]:
    """Measure every page and list its findings (word_indices of a finding: the words concerned)."""
    from . import linebreak
    from .layout import Spacing, reading_limits

    spacing = Spacing.of(track)
    _, max_cps, max_chars, _ = reading_limits(preset, track.language)
    r = preset.reading
    texts = _texts(track)
    an = linebreak.analyse(texts, track.language, track.terms) if texts else None
    rules = linebreak.rules_for(track.language)
    widths = _Widths(track, preset) if texts else None
    split = split_units(track)
    checks: list[PageCheck] = []
    frame = 1.0 / (fps or 30.0)
    pager = _pager_of(track, preset, fps)
    forced = _forced_over(track, preset, max_cps, spacing, texts, pager)
    for p, page in enumerate(track.pages):
        ids = page.word_indices
        lines = [spacing.join([texts[i] for i in ln.words], ln.words) for ln in page.lines]
        chars = spacing.chars(texts, ids)
        dur = max(1e-3, page.end - page.start)
        spoken = max(frame, track.words[ids[-1]].end - track.words[ids[0]].start) if ids else dur
        gap = track.pages[p + 1].start - page.end if p + 1 < len(track.pages) else None
        c = PageCheck(index=p, start=page.start, end=page.end, lines=lines, chars=chars, cps=chars / dur,
                      speech_cps=chars / spoken, gap_after=gap)
        at = {"start": page.start, "end": page.end, "word_indices": ids}

        def add(kind: FindingKind, severity: Severity, message: str, **extra):
            c.findings.append(Finding(kind=kind, severity=severity, message=f"page {p + 1}: {message}", **{**at, **extra}))

        for kind, a, b in split:
            if a in ids:
                add(FindingKind.qa_split_unit, Severity.error,
                    f"the {kind.replace('_', ' ')} {spacing.join(texts[a:b], range(a, b))!r} is split across lines or pages: edit the "
                    "page breaks (captioner render --from OUT.json) or shorten the line", word_indices=list(range(a, b)))
        if c.cps > max_cps + 1e-6:
            if p in forced:
                add(FindingKind.qa_voice_too_fast, Severity.warning,
                    f"{c.cps:.0f} characters/s on screen: the voice speaks this sentence faster than pages of at most "
                    f"{preset.max_words} words can follow — no layout keeps more of its pages under {max_cps:g}/s "
                    f"(at least {forced[p]} must go over); slow the voice-over or shorten the script")
            else:
                add(FindingKind.qa_reading_speed, Severity.warning,
                    f"{c.cps:.1f} characters/s is over the reading-speed limit of {max_cps:g}")
        if dur < r.min_duration - frame / 2:
            add(FindingKind.qa_too_short, Severity.warning,
                f"on screen {dur:.2f} s, under the minimum of {r.min_duration:.2f} s (the next page follows at once)")
        if dur > r.max_duration + frame / 2:
            add(FindingKind.qa_too_long, Severity.warning, f"on screen {dur:.1f} s, over the maximum of {r.max_duration:g} s")
        if gap is not None and gap < r.min_gap_frames * frame - 1e-3:
            add(FindingKind.qa_gap, Severity.warning,
                f"{gap * 1000:.0f} ms before the next page: at least {r.min_gap_frames} frames "
                f"({r.min_gap_frames * frame * 1000:.0f} ms) make the change visible")
        for li, ln in enumerate(page.lines):
            n = len(lines[li])
            if n > max_chars:
                add(FindingKind.qa_line_length, Severity.warning, f"line {li + 1} has {n} characters (at most {max_chars})")
            last = ln.words[-1] if ln.words else None
            if last is not None and rules.ends_on_function_word(texts[last]) and not (
                    li == len(page.lines) - 1 and p == len(track.pages) - 1) and \
                    better_break(track, preset, p, li, an, widths, fps, pager):
                add(FindingKind.qa_line_end, Severity.warning,
                    f"line {li + 1} ends on {texts[last]!r} although a better break fits")
        checks.append(c)
    return checks


def qa_findings(checks: Sequence[PageCheck]) -> list[Finding]:
    return [f for c in checks for f in c.findings]


def strict_blockers(findings: Sequence[Finding]) -> list[Finding]:
    """The findings that stop a `--strict` render: every finding of severity error."""
    return [f for f in findings if f.severity == Severity.error]


# --- the HTML report --------------------------------------------------------------------------------------------


def page_stills(video: str | os.PathLike, times: Sequence[float], width: int = 270) -> list[bytes]:
    """PNG stills of `video` at `times` (seconds), scaled to `width` px wide, from one ffmpeg run."""
    from .media import ffmpeg_exe

    if not times:
        return []
    out = []
    with tempfile.TemporaryDirectory(prefix="captioner-qa-") as tmp:
        # one input per still, each seeked to its time: fast and exact for short ads
        args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error"]
        for t in times:
            args += ["-ss", f"{max(0.0, t):.3f}", "-i", str(Path(video).resolve())]
        for k in range(len(times)):
            args += ["-map", f"{k}:v:0", "-frames:v", "1", "-vf", f"scale={width}:-2", str(Path(tmp, f"s{k:04d}.png"))]
        proc = subprocess.run(args, capture_output=True, timeout=600)
        if proc.returncode != 0:
            raise MediaError(f"could not take stills from {video}: {proc.stderr.decode(errors='replace')[-300:]}")
        for k in range(len(times)):
            p = Path(tmp, f"s{k:04d}.png")
            out.append(p.read_bytes() if p.is_file() else b"")
    return out


def still_time(track: CaptionTrack, page_index: int) -> float:
    """When to take a page's still: just after its last word starts (the highlight on it), inside the page."""
    page = track.pages[page_index]
    last = track.words[page.word_indices[-1]]
    t = min(page.end - 0.05, max(page.start + 0.05, last.start + 0.1))
    return max(page.start, t)


def contact_sheet_png(stills: Sequence[bytes], checks: Sequence[PageCheck], *, columns: int = 6, title: str = "") -> bytes:
    """One PNG: a tile per page (its still, framed red for an error, amber for a warning), timing and findings."""
    from PIL import Image, ImageDraw, ImageFont

    ims = [Image.open(io.BytesIO(s)).convert("RGB") if s else Image.new("RGB", (270, 480), (40, 40, 40)) for s in stills]
    tw = max((im.width for im in ims), default=270)
    th = max((im.height for im in ims), default=480)
    pad, label = 8, 58
    cols = max(1, min(columns, len(ims)))
    rows = max(1, (len(ims) + cols - 1) // cols)
    head = 30 if title else 0
    sheet = Image.new("RGB", (cols * (tw + pad) + pad, head + rows * (th + label + pad) + pad), (24, 24, 24))
    d = ImageDraw.Draw(sheet)
    try:
        from .presets import fonts_dir

        font = ImageFont.truetype(str(fonts_dir() / "NotoSansCJKsc-Bold-GB2312.otf"), 13)
        big = ImageFont.truetype(str(fonts_dir() / "NotoSansCJKsc-Bold-GB2312.otf"), 16)
    except OSError:  # pragma: no cover - fonts are shipped
        font = big = ImageFont.load_default()
    if title:
        d.text((pad, 6), title, fill=(255, 255, 255), font=big)
    colour = {Severity.error: (230, 57, 70), Severity.warning: (245, 165, 36)}
    for k, (im, c) in enumerate(zip(ims, checks)):
        x = pad + (k % cols) * (tw + pad)
        y = head + pad + (k // cols) * (th + label + pad)
        sheet.paste(im, (x, y))
        sev = c.worst
        if sev in colour:
            for w in range(4):
                d.rectangle((x - 1 - w, y - 1 - w, x + im.width + w, y + im.height + w), outline=colour[sev])
        d.text((x, y + th + 3), f"{c.index + 1}  {c.start:.2f}–{c.end:.2f} s  {c.cps:.0f} cps", fill=(230, 230, 230), font=font)
        kinds = sorted({f.kind.value.removeprefix("qa_").replace("_", " ") for f in c.findings})
        if kinds:
            d.text((x, y + th + 21), ", ".join(kinds)[:40], fill=colour.get(sev, (200, 200, 200)), font=font)
    buf = io.BytesIO()
    sheet.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def report_html(result: CaptionResult, checks: Sequence[PageCheck], stills: Sequence[bytes], sheet_png: bytes) -> str:
    """A self-contained HTML page: summary, the contact sheet, one row per page (still, timing, text, findings)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("captioner", "templates"), autoescape=select_autoescape(["html"]))
    b64 = lambda b: base64.b64encode(b).decode("ascii") if b else ""  # noqa: E731
    page_findings = {id(f) for c in checks for f in c.findings}
    other = [f for f in result.findings if id(f) not in page_findings and f.kind.value not in {k.value for k in QA_KINDS}]
    counts = {s.value: sum(1 for c in checks for f in c.findings if f.severity == s) for s in (Severity.error, Severity.warning)}
    return env.get_template("qa_report.html").render(
        result=result, checks=checks, stills=[b64(s) for s in stills], sheet=b64(sheet_png), other=other, counts=counts,
        esc=html.escape)


QA_KINDS = (FindingKind.qa_split_unit, FindingKind.qa_reading_speed, FindingKind.qa_voice_too_fast,
            FindingKind.qa_too_short, FindingKind.qa_too_long, FindingKind.qa_gap, FindingKind.qa_line_length,
            FindingKind.qa_line_end)


def track_of(result: CaptionResult) -> CaptionTrack:
    """The caption track a result (JSON sidecar) describes."""
    from . import linebreak

    units = []
    if result.words:
        from .types import CaptionUnit

        an = linebreak.analyse([w.text for w in result.words], result.language, result.terms)
        units = [CaptionUnit(kind=str(u.kind), start=u.start, end=u.end) for u in an.units if u.kind != linebreak.UnitKind.phrase]
    return CaptionTrack(words=result.words, pages=result.pages, width=result.media.width, height=result.media.height,
                        safe_zone="tiktok", language=result.language, units=units, terms=result.terms)


REPORT_TITLE = "<title>Caption QA"  # how a report of ours begins (templates/qa_report.html): only such a file is replaced


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_report_paths(out_html: str | os.PathLike, protect: Sequence[str | os.PathLike] = ()) -> tuple[Path, Path]:
    """(report, contact sheet) paths for `out_html`, refused with one InputError line when writing them would replace a
    file that is not an earlier report of ours: one of `protect` (the result, its video and sidecars, the inputs), or any
    other file already there (a user's page or picture of the same name)."""
    out = Path(out_html)
    if out.suffix.lower() != ".html":
        raise InputError(f"the QA report path must end in .html: {out}")
    png = out.with_suffix(".png")
    if not out.parent.is_dir():  # made before any still is drawn, as `caption` makes its --out folder (it failed after
        try:  # 4 s of work, naming the .png)
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(f"cannot create the folder {out.parent} for the QA report: {e.strerror}") from None
    for path in (out, png):
        for q in protect:
            if Path(os.path.abspath(path)) == Path(os.path.abspath(q)) or _same(path, Path(q)):
                raise InputError(f"the QA report would overwrite {q}: choose another --out")
        if path.is_dir():
            raise InputError(f"{path} is a folder: choose another --out for the QA report")
    ours = False
    if out.is_file():
        try:
            with open(out, "rb") as f:
                ours = REPORT_TITLE.encode() in f.read(512)
        except OSError:
            ours = False
        if not ours:
            raise InputError(f"{out} exists and is not a captioner QA report: choose another --out (it is left as it is)")
    if png.is_file() and not ours:
        raise InputError(f"{png} exists (the report's contact sheet would replace it): choose another --out")
    return out, png


def _check_burned(src: Path, result: CaptionResult, video: Path) -> None:
    """Refuse a report whose stills would show other captions than its JSON: the JSON was edited after the render (the
    burned video's track name carries the captions' fingerprint, `media.captioned_handler`). A video without one (not
    ours, or rendered before the fingerprint) is taken as it is."""
    from .media import probe
    from .types import caption_fingerprint

    tag = probe(video).caption_tag
    if tag is not None and tag != caption_fingerprint(result.words, result.pages):
        raise InputError(f"{src.name} no longer matches the captions burned into {video.name} (it was edited after the "
                         f"render): the report's stills would show the old captions — render the edit first "
                         f"(captioner render --from {src} --out NEW.mp4), then run qa on NEW.json")


def write_report(result_json: str | os.PathLike, out_html: Optional[str | os.PathLike] = None, *,
                 preset: Optional[Preset] = None, video: Optional[str | os.PathLike] = None,
                 protect: Sequence[str | os.PathLike] = ()) -> Path:
    """Write OUT.qa.html (and OUT.qa.png, the contact sheet) for a rendered OUT.mp4 and its OUT.json. Never over the
    result, its video and sidecars, `protect` (the render's inputs) or a file that is not an earlier report of ours."""
    from .presets import load_preset

    from .edit import load_result

    src = Path(result_json)
    result = load_result(src)  # one line, exit 2, for a JSON that is not a render's (or was edited into a bad one)
    video = Path(video or result.outputs.get("video", ""))
    if not video.is_file():
        raise OutputError(f"the rendered video {video} is missing: render it again, or pass --video")
    _check_burned(src, result, video)
    out, png = check_report_paths(out_html if out_html else src.with_suffix(".qa.html"),
                                  [src, video, *result.outputs.values(), *protect])
    preset = preset or load_preset(result.preset)
    track = track_of(result)
    checks = check_track(track, preset, fps=result.media.fps)
    stills = page_stills(video, [still_time(track, k) for k in range(len(track.pages))])
    sheet = contact_sheet_png(stills, checks, title=f"{video.name} — {result.preset}, {result.language}")
    for path, data in ((png, sheet), (out, report_html(result, checks, stills, sheet).encode("utf-8"))):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise OutputError(f"cannot write {path}: {e.strerror}") from e
    return out

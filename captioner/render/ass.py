"""ASS (Advanced SubStation Alpha) writer: a caption track + preset → the script libass burns into frames."""
from __future__ import annotations

from dataclasses import dataclass

from ..layout import FontMetrics, display_text, joiner, metrics, outline_px, safe_box
from ..presets import Preset
from ..types import CaptionPage, CaptionTrack

WORD_JOINER = "\u2060"


def escape_text(text: str) -> str:
    """Make untrusted text inert in ASS: no override blocks, no \\N/\\h escapes, no line breaks."""
    text = text.replace("\r", " ").replace("\n", " ")
    text = text.replace("\\", "\\" + WORD_JOINER)  # a backslash can no longer start an escape
    return text.replace("{", "\\{").replace("}", "\\}")


def ass_color(hex_color: str) -> tuple[str, str]:
    """'#RRGGBB[AA]' (AA = opacity) → ('&HBBGGRR&', '&HAA&') with ASS alpha (00 = opaque)."""
    h = hex_color.lstrip("#")
    r, g, b = h[0:2], h[2:4], h[4:6]
    opacity = int(h[6:8], 16) if len(h) == 8 else 255
    return f"&H{b}{g}{r}&".upper(), f"&H{255 - opacity:02X}&"


def _style_color(hex_color: str) -> str:
    col, alpha = ass_color(hex_color)
    return "&H" + alpha[2:4] + col[2:8]


def ass_time(t: float) -> str:
    cs = max(0, int(round(t * 100)))
    h, cs = divmod(cs, 360000)
    m, cs = divmod(cs, 6000)
    s, cs = divmod(cs, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def rounded_rect(w: float, h: float, r: float) -> str:
    """An ASS drawing (\\p1) of a w×h rectangle with corner radius r, origin top-left."""
    r = max(0.0, min(r, w / 2, h / 2))
    if r < 0.5:
        return f"m 0 0 l {w:.0f} 0 {w:.0f} {h:.0f} 0 {h:.0f}"
    k = 0.4477 * r  # cubic Bézier handle length for a quarter circle (1 - 0.5523)
    return (f"m {r:.1f} 0 l {w - r:.1f} 0 b {w - k:.1f} 0 {w:.1f} {k:.1f} {w:.1f} {r:.1f} "
            f"l {w:.1f} {h - r:.1f} b {w:.1f} {h - k:.1f} {w - k:.1f} {h:.1f} {w - r:.1f} {h:.1f} "
            f"l {r:.1f} {h:.1f} b {k:.1f} {h:.1f} 0 {h - k:.1f} 0 {h - r:.1f} "
            f"l 0 {r:.1f} b 0 {k:.1f} {k:.1f} 0 {r:.1f} 0")


@dataclass
class LineGeometry:
    """Where one line of a page sits: bottom y (\\an2 anchor), centre x, and each word's left x and width."""

    bottom: float
    center_x: float
    width: float
    word_x: list[float]
    word_w: list[float]


def page_geometry(page: CaptionPage, track: CaptionTrack, preset: Preset, fm: FontMetrics) -> tuple[list[LineGeometry], float]:
    """Lines of a page positioned inside the safe box; returns them and the page's shrink factor (≤ 1)."""
    box = safe_box(track.width, track.height, track.safe_zone)
    pad = 2 * outline_px(preset, track.width, track.height)
    if preset.box != "none":
        pad += 2 * preset.box_padding * min(track.width, track.height)
    widest = max((ln.width for ln in page.lines), default=0.0)
    scale = min(1.0, (box.width - pad) / widest) if widest > 0 else 1.0
    lh = fm.ass_size * preset.line_spacing * scale
    n = len(page.lines)
    if preset.position == "bottom":
        anchor = box.bottom
    elif preset.position == "top":
        anchor = box.top + n * lh
    else:
        anchor = (box.top + box.bottom) / 2 + n * lh / 2
    anchor += preset.y_offset * track.height
    anchor = min(max(anchor, box.top + n * lh), box.bottom)  # clamp the block inside the box
    space = fm.width(" ") * scale if joiner(track.language) else 0.0
    out = []
    for i, line in enumerate(page.lines):
        widths = [fm.width(display_text(track.words[j].text, preset)) * scale for j in line.words]
        total = sum(widths) + space * max(0, len(widths) - 1)
        x = box.center_x - total / 2
        xs = []
        for w in widths:
            xs.append(x)
            x += w + space
        out.append(LineGeometry(bottom=anchor - (n - 1 - i) * lh, center_x=box.center_x, width=total, word_x=xs, word_w=widths))
    return out, scale


class ASSWriter:
    """Turns a CaptionTrack into ASS events for one preset (karaoke states; basic styling; dynamic animation)."""

    def __init__(self, track: CaptionTrack, preset: Preset):
        self.track = track
        self.preset = preset
        self.fm = metrics(preset, track.width, track.height)
        self.short = min(track.width, track.height)

    # --- header -------------------------------------------------------------------------
    def header(self) -> str:
        p, fm = self.preset, self.fm
        family = font_family(str(fm.path))
        out_c = _style_color(p.outline_color)
        shad_c = _style_color(p.shadow_color)
        text_c = _style_color(p.text_color)
        style = (
            f"Style: Caption,{family},{fm.ass_size:.1f},{text_c},{text_c},{out_c},{shad_c},0,0,0,0,100,100,"
            f"{p.letter_spacing * fm.ass_size:.1f},0,1,{outline_px(p, self.track.width, self.track.height):.1f},"
            f"{round(p.shadow * self.short, 1):.1f},2,0,0,0,1"
        )
        return (
            "[Script Info]\n"
            "; written by captioner\n"
            "ScriptType: v4.00+\n"
            f"PlayResX: {self.track.width}\n"
            f"PlayResY: {self.track.height}\n"
            "WrapStyle: 2\n"
            "ScaledBorderAndShadow: yes\n"
            "YCbCr Matrix: TV.709\n\n"
            "[V4+ Styles]\n"
            "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
            "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
            "MarginR, MarginV, Encoding\n"
            f"{style}\n\n"
            "[Events]\n"
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        )

    # --- events -------------------------------------------------------------------------
    def _event(self, layer: int, start: float, end: float, text: str) -> str:
        return f"Dialogue: {layer},{ass_time(start)},{ass_time(end)},Caption,,0,0,0,,{text}"

    def _word_color(self, state: str) -> str:
        p = self.preset
        if state == "active" and p.highlight == "color" and p.highlight_color:
            return p.highlight_color
        if state == "past" and p.past_color:
            return p.past_color
        if state == "future" and p.future_color:
            return p.future_color
        return p.text_color

    def _line_text(self, line_words: list[int], active: int | None, scale: float) -> str:
        p = self.preset
        sep = joiner(self.track.language)
        parts = []
        for j in line_words:
            state = "active" if j == active else ("past" if active is not None and j < active else "future")
            col, alpha = ass_color(self._word_color(state))
            tag = f"\\1c{col}\\1a{alpha}"
            if state == "active" and p.highlight == "underline":
                tag += "\\u1"
            elif p.highlight == "underline":
                tag += "\\u0"
            parts.append("{" + tag + "}" + escape_text(display_text(self.track.words[j].text, p)))
        return sep.join(parts)

    def page_events(self, page: CaptionPage) -> list[str]:
        p = self.preset
        geo, scale = page_geometry(page, self.track, p, self.fm)
        events = []
        ids = page.word_indices
        # time slices: before the first word and between words, the previous word stays active
        bounds = [page.start] + [max(page.start, min(self.track.words[j].start, page.end)) for j in ids[1:]] + [page.end]
        slices = [(bounds[k], bounds[k + 1], ids[k]) for k in range(len(ids)) if bounds[k + 1] > bounds[k]]
        sc = f"\\fscx{scale * 100:.0f}\\fscy{scale * 100:.0f}" if scale < 0.999 else ""
        if p.box != "none":
            events.extend(self._page_box(page, geo, scale))
        karaoke = p.highlight != "none" and (p.highlight_color or p.highlight in ("box", "underline"))
        if not karaoke:
            slices = [(page.start, page.end, None)]
        for t0, t1, active in slices:
            if p.highlight == "box" and active is not None:
                events.extend(self._word_box(t0, t1, active, page, geo))
            for li, line in enumerate(page.lines):
                g = geo[li]
                text = "{\\an2\\pos(%.1f,%.1f)%s}" % (g.center_x, g.bottom, sc) + self._line_text(line.words, active, scale)
                events.append(self._event(2, t0, t1, text))
        return events

    def _page_box(self, page: CaptionPage, geo: list[LineGeometry], scale: float) -> list[str]:
        p = self.preset
        padp = p.box_padding * self.short
        w = max(g.width for g in geo) + 2 * padp
        top = geo[0].bottom - self.fm.ass_size * scale - padp
        h = geo[-1].bottom - top + padp
        x = geo[0].center_x - w / 2
        col, alpha = ass_color(p.box_color)
        radius = h / 2 if p.box == "pill" and len(geo) == 1 else (padp * 1.2 if p.box == "pill" else padp * 0.35)
        draw = "{\\an7\\pos(%.1f,%.1f)\\bord0\\shad0\\1c%s\\1a%s\\p1}%s{\\p0}" % (x, top, col, alpha, rounded_rect(w, h, radius))
        return [self._event(0, page.start, page.end, draw)]

    def _word_box(self, t0: float, t1: float, j: int, page: CaptionPage, geo: list[LineGeometry]) -> list[str]:
        p = self.preset
        for li, line in enumerate(page.lines):
            if j in line.words:
                g = geo[li]
                k = line.words.index(j)
                padx = 0.15 * self.fm.ass_size
                pady = 0.06 * self.fm.ass_size
                x, w = g.word_x[k] - padx, g.word_w[k] + 2 * padx
                top = g.bottom - self.fm.ass_size * 0.98 - pady
                h = self.fm.ass_size * 0.98 + 2 * pady
                col, alpha = ass_color(p.highlight_box_color)
                draw = "{\\an7\\pos(%.1f,%.1f)\\bord0\\shad0\\1c%s\\1a%s\\p1}%s{\\p0}" % (
                    x, top, col, alpha, rounded_rect(w, h, h * 0.22))
                return [self._event(1, t0, t1, draw)]
        return []

    def render(self) -> str:
        lines = [self.header()]
        for page in self.track.pages:
            lines.extend(self.page_events(page))
        return "\n".join(lines) + "\n"


def font_family(path: str) -> str:
    """The family name libass matches on (name ID 1, preferring the Windows English record)."""
    from fontTools.ttLib import TTFont

    f = TTFont(path, lazy=True, fontNumber=0)
    name = f["name"]
    rec = name.getName(1, 3, 1, 0x409) or name.getName(1, 1, 0, 0)
    return str(rec) if rec else name.getDebugName(1)


def to_ass(track: CaptionTrack, preset: Preset) -> str:
    return ASSWriter(track, preset).render()

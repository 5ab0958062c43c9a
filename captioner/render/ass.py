"""ASS (Advanced SubStation Alpha) writer: a caption track + preset → the script libass burns into frames."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from ..layout import (FontMetrics, Spacing, clusters, display_text, emphasised, ink_margin, line_width_limit, metrics,
                      needs_shaping, outline_px, peak_scale, safe_box, split_runs, uncovered)
from ..presets import Preset
from ..text import clean_text
from ..types import CaptionPage, CaptionTrack, caption_fingerprint

WORD_JOINER = "\u2060"


def escape_text(text: str) -> str:
    """Make untrusted text inert in ASS: no override blocks, no \\N/\\h escapes, no line breaks, no bidi controls
    or zero-width characters (`text.clean_text`; the word joiner inserted below is ours)."""
    text = clean_text(text).replace("\n", " ")
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


def _reserves(preset: Preset, height: int) -> tuple[float, float]:
    """Extra room an animation needs above (bounce drops in from above) and below (slide-up rises from below)."""
    a = preset.animation
    dist = a.distance * height
    return (dist if a.type == "bounce" else 0.0), (dist if a.type == "slide_up" else 0.0)


def page_geometry(page: CaptionPage, track: CaptionTrack, preset: Preset, fm: FontMetrics,
                  spacing: Spacing | None = None) -> tuple[list[LineGeometry], float]:
    """Lines of a page positioned inside the safe box; returns them and the page's shrink factor (≤ 1).

    The block is placed so that every pixel of ink (outline, shadow, blur, box, the active word at its
    peak scale, the animation's travel) stays inside the safe box."""
    box = safe_box(track.width, track.height, track.safe_zone)
    margin = ink_margin(preset, track.width, track.height)
    peak = peak_scale(preset)
    limit = line_width_limit(preset, track.width, track.height, track.safe_zone)
    space = fm.width(" ")
    spacing = spacing or Spacing.of(track)  # the writer passes its own: one per track, not one per page
    raw = []
    big = emphasised(track.units, preset)
    esc = preset.emphasis.scale if preset.emphasis is not None else 1.0
    for line in page.lines:
        ws = [fm.width(display_text(track.words[j].text, preset)) * (esc if j in big else 1.0) for j in line.words]
        raw.append(ws)
    widest = max((sum(ws) + space * spacing.spaces(line.words) for ws, line in zip(raw, page.lines)), default=0.0)
    # a line wider than the box (one very long word) is shrunk; 3 % slack for libass's rounding at small \fscx
    scale = min(1.0, 0.97 * limit / widest) if widest > limit else 1.0
    lh = fm.ass_size * preset.line_spacing * scale
    n = len(page.lines)
    up, down = _reserves(preset, track.height)
    if preset.animation.type == "shake":  # the active word tilts by up to 6° about its bottom centre
        tilt = 0.5 * max((w for ws in raw for w in ws), default=0.0) * scale * preset.active_scale * math.sin(math.radians(6))
        up, down = up + tilt, down + tilt
    lo = box.top + margin + up + (n - 1) * lh + fm.ass_size * scale * peak  # lowest allowed anchor value (top edge)
    hi = box.bottom - margin - down
    if preset.position == "bottom":
        anchor = hi
    elif preset.position == "top":
        anchor = lo
    else:
        anchor = (box.top + box.bottom) / 2 + (n * lh) / 2
    anchor += preset.y_offset * track.height
    anchor = max(min(anchor, hi), lo) if lo <= hi else hi
    out = []
    for i, (ws, line) in enumerate(zip(raw, page.lines)):
        widths = [w * scale for w in ws]
        total = sum(widths) + space * scale * spacing.spaces(line.words)
        x = box.center_x - total / 2
        xs = []
        for k, w in enumerate(widths):
            if k and spacing.before[line.words[k]]:
                x += space * scale
            xs.append(x)
            x += w
        out.append(LineGeometry(bottom=anchor - (n - 1 - i) * lh, center_x=box.center_x, width=total, word_x=xs, word_w=widths))
    return out, scale


@dataclass
class EmojiPlacement:
    """A colour emoji the burner overlays: top-left corner and square size in frame pixels, shown start..end."""

    start: float
    end: float
    x: float
    y: float
    size: float
    text: str

    def comment(self) -> str:
        cps = "-".join(f"{ord(c):x}" for c in self.text)
        return (f"Comment: 0,{ass_time(self.start)},{ass_time(self.end)},Caption,,0,0,0,{EMOJI_EFFECT},"
                f"{self.x:.1f};{self.y:.1f};{self.size:.1f};{cps}")


EMOJI_EFFECT = "captioner-emoji"


def parse_emoji_comments(ass_text: str) -> list[EmojiPlacement]:
    """The emoji placements an ASS script written by `ASSWriter` carries as Comment events (libass ignores them)."""
    out = []
    for line in ass_text.splitlines():
        if not line.startswith("Comment:") or EMOJI_EFFECT not in line:
            continue
        fields = line[len("Comment:"):].split(",", 9)
        if len(fields) < 10 or fields[8].strip() != EMOJI_EFFECT:
            continue
        try:
            x, y, size, cps = fields[9].split(";")
            text = "".join(chr(int(c, 16)) for c in cps.split("-"))
            out.append(EmojiPlacement(_parse_time(fields[1]), _parse_time(fields[2]), float(x), float(y), float(size), text))
        except (ValueError, OverflowError):
            continue
    return out


def _parse_time(s: str) -> float:
    h, m, rest = s.strip().split(":")
    return int(h) * 3600 + int(m) * 60 + float(rest)


def _hidden() -> str:
    return "\\1a&HFF&\\3a&HFF&\\4a&HFF&"


class ASSWriter:
    """Turns a CaptionTrack into ASS events for one preset (karaoke states; basic styling; dynamic animation).

    Every line is its own event at a fixed `\\an2\\pos`, so line breaks and positions never change while
    the highlight moves or an animation plays; an animated word is hidden in its line and drawn by a
    separate event centred on its own slot. Characters the preset's font lacks switch to the Devanagari
    or Chinese fallback face (`\\fn`); colour emoji become an invisible spacer plus an overlay placement."""

    def __init__(self, track: CaptionTrack, preset: Preset):
        self.track = track
        self.preset = preset
        self.spacing = Spacing.of(track)
        self.fm = metrics(preset, track.width, track.height)
        self.short = min(track.width, track.height)
        self.families = [font_family(str(p)) for p in self.fm.chain]
        self.emoji: list[EmojiPlacement] = []
        self.emph = emphasised(track.units, preset)  # word indices drawn with the preset's emphasis
        self.emph_scale = preset.emphasis.scale if preset.emphasis is not None else 1.0
        self.uncovered: set[str] = set()
        for w in track.words:
            self.uncovered |= uncovered(display_text(w.text, preset), self.fm.chain)
        # the invisible spacer that holds an emoji's slot: a no-break space stretched with \fscx
        nb = [k for k, p in enumerate(self.fm.chain) if 0xA0 in _cmap_of(p)]
        self._spacer_face = nb[0] if nb else 0
        self._spacer_char = "\u00a0" if nb else " "
        face = self.fm.faces[self._spacer_face]
        self._spacer_w = max(1.0, float(face.font.getlength(self._spacer_char)))

    # --- header -------------------------------------------------------------------------
    def header(self) -> str:
        p, fm = self.preset, self.fm
        out_c = _style_color(p.outline_color)
        shad_c = _style_color(p.shadow_color)
        text_c = _style_color(p.text_color)
        style = (
            f"Style: Caption,{self.families[0]},{fm.ass_size:.1f},{text_c},{text_c},{out_c},{shad_c},0,0,0,0,100,100,"
            f"{p.letter_spacing * fm.ass_size:.1f},0,1,{outline_px(p, self.track.width, self.track.height):.1f},"
            f"{round(p.shadow * self.short, 1):.1f},2,0,0,0,1"
        )
        return (
            "[Script Info]\n"
            "; written by captioner\n"
            f"; captions {caption_fingerprint(self.track.words, self.track.pages)}\n"
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
        if state == "active" and p.highlight in ("color", "scale") and p.highlight_color:
            return p.highlight_color
        if state == "past" and p.past_color:
            return p.past_color
        if state == "future" and p.future_color:
            return p.future_color
        return p.text_color

    def _word_text(self, word: str, scale: float) -> str:
        """One word as ASS text: escaped runs, `\\fn` switches for fallback faces, spacers for emoji."""
        out = []
        for run, face in split_runs(word, self.fm.chain):
            if face < 0:
                target = self.fm.emoji_advance - self.fm.spacing_px
                fx = scale * 100 * target / self._spacer_w
                fn = "\\fn" + self.families[self._spacer_face] if self._spacer_face else ""
                back = "\\fn" + self.families[0] if self._spacer_face else ""
                out.append("{%s\\fscx%.1f}%s{\\fscx%.1f%s}" % (fn, fx, self._spacer_char, scale * 100, back))
            else:
                pre, post = "", ""
                if face:
                    pre, post = "\\fn" + self.families[face], "\\fn" + self.families[0]
                if self.fm.spacing_px and needs_shaping(run):
                    pre, post = pre + "\\fsp0", post + "\\fsp%.1f" % self.fm.spacing_px
                out.append(("{%s}" % pre if pre else "") + escape_text(run) + ("{%s}" % post if post else ""))
        return "".join(out)

    def _color_tags(self, state: str, hidden: bool = False, j: int | None = None) -> str:
        color = self._word_color(state)
        e = self.preset.emphasis
        if j is not None and j in self.emph and e is not None and e.color and (state != "active" or e.active_color
                                                                                or self.preset.highlight != "color"):
            color = e.color
        col, alpha = ass_color(color)
        if hidden:
            return f"\\1c{col}" + _hidden()
        o_alpha = ass_color(self.preset.outline_color)[1]
        s_alpha = ass_color(self.preset.shadow_color)[1]
        return f"\\1c{col}\\1a{alpha}\\3a{o_alpha}\\4a{s_alpha}"

    def _line_text(self, line_words: list[int], active: int | None, scale: float, hide: set[int]) -> str:
        p = self.preset
        parts = []
        for j in line_words:
            state = "active" if j == active else ("past" if active is not None and j < active else "future")
            tag = self._color_tags(state, hidden=j in hide, j=j)
            if p.highlight == "underline":
                tag += "\\u1" if state == "active" else "\\u0"
            if j in self.emph and self.emph_scale > 1.0:  # the emphasised word larger, then back to the page's scale
                k = scale * self.emph_scale * 100
                tag += "\\fscx%.1f\\fscy%.1f" % (k, k)
                back = "{\\fscx%.1f\\fscy%.1f}" % (scale * 100, scale * 100)
                parts.append("{" + tag + "}" + self._word_text(display_text(self.track.words[j].text, p), scale * self.emph_scale)
                             + back)
                continue
            parts.append("{" + tag + "}" + self._word_text(display_text(self.track.words[j].text, p), scale))
        return self.spacing.join(parts, line_words)

    def _word_slot(self, j: int, page: CaptionPage, geo: list[LineGeometry]) -> tuple[float, float, float] | None:
        for li, line in enumerate(page.lines):
            if j in line.words:
                k = line.words.index(j)
                g = geo[li]
                return g.word_x[k], g.word_w[k], g.bottom
        return None

    def page_events(self, page: CaptionPage) -> list[str]:
        p = self.preset
        a = p.animation
        d = a.duration_ms
        geo, scale = page_geometry(page, self.track, p, self.fm, self.spacing)
        events = []
        ids = page.word_indices
        words = self.track.words
        # time slices: before the first word and between words, the previous word stays active
        bounds = [page.start] + [max(page.start, min(words[j].start, page.end)) for j in ids[1:]] + [page.end]
        slices = [(bounds[k], bounds[k + 1], ids[k]) for k in range(len(ids)) if bounds[k + 1] > bounds[k]]
        sc = f"\\fscx{scale * 100:.1f}\\fscy{scale * 100:.1f}" if scale < 0.999 else ""
        blur = f"\\blur{p.blur:g}" if p.blur > 0 else ""
        word_anim = a.type in ("pop", "bounce", "zoom", "shake") or p.active_scale > 1.001 or p.highlight == "scale"
        hide_future = a.type in ("typewriter", "reveal")
        karaoke = (p.highlight != "none" and (p.highlight_color or p.highlight in ("box", "underline"))) \
            or word_anim or hide_future or a.type == "moving_box"
        if not karaoke:
            slices = [(page.start, page.end, None)]
        dist = a.distance * self.track.height
        if p.box != "none":
            events.extend(self._page_box(page, geo, scale))
        prev_active = None
        for n, (t0, t1, active) in enumerate(slices):
            first, last = n == 0, n == len(slices) - 1
            if (p.highlight == "box" or a.type == "moving_box") and active is not None:
                events.extend(self._word_box(t0, t1, active, prev_active, page, geo, scale))
            hide: set[int] = set()
            if hide_future and active is not None:
                hide |= {j for j in ids if j > active}
            overlay = active is not None and (word_anim or hide_future)
            if overlay:
                hide.add(active)
            for li, line in enumerate(page.lines):
                g = geo[li]
                if a.type == "slide_up" and first:
                    place = "\\move(%.1f,%.1f,%.1f,%.1f,0,%d)\\fad(%d,0)" % (g.center_x, g.bottom + dist, g.center_x, g.bottom, d, d)
                else:
                    place = "\\pos(%.1f,%.1f)" % (g.center_x, g.bottom)
                if a.type == "fade" and (first or last):
                    place += "\\fad(%d,%d)" % (d if first else 0, d if last else 0)
                text = "{\\an2%s%s%s}" % (place, sc, blur) + self._line_text(line.words, active, scale, hide)
                events.append(self._event(2, t0, t1, text))
                if p.gradient_color:
                    events.append(self._gradient_layer(t0, t1, g, line.words, active, scale, hide, place, sc))
            if overlay:
                events.append(self._active_word(t0, t1, active, page, geo, scale, blur))
            prev_active = active
        events.extend(e.comment() for e in self._emoji_events(page, geo, scale, slices if hide_future else None))
        return events

    def _gradient_layer(self, t0, t1, g: LineGeometry, line_words, active, scale, hide, place, sc) -> str:
        """The upper half of the line again in `gradient_color` without outline: a two-tone, gradient-like fill."""
        p = self.preset
        top = g.bottom - self.fm.ass_size * scale
        mid = top + self.fm.ass_size * scale * 0.52
        col, alpha = ass_color(p.gradient_color)
        parts = []
        for j in line_words:
            if j in hide or j == active or j in self.emph:
                tag = _hidden()
            else:
                tag = f"\\1c{col}\\1a{alpha}"
            parts.append("{" + tag + "}" + self._word_text(display_text(self.track.words[j].text, p), scale))
        clip = "\\clip(0,0,%d,%.0f)" % (self.track.width, mid)
        return self._event(3, t0, t1, "{\\an2%s%s\\bord0\\shad0%s}" % (place, sc, clip) + self.spacing.join(parts, line_words))

    def _active_word(self, t0, t1, j, page, geo, scale, blur) -> str:
        """The active word drawn alone, centred on its slot in the line, with the preset's word animation."""
        p = self.preset
        a = p.animation
        d = a.duration_ms
        x, w, bottom = self._word_slot(j, page, geo)
        cx = x + w / 2
        s = scale * 100 * (self.emph_scale if j in self.emph else 1.0)
        act = s * p.active_scale if p.highlight == "scale" or p.active_scale > 1.001 else s
        peak = s * a.scale
        text = display_text(self.track.words[j].text, p)
        col = self._color_tags("active", j=j)
        pos = "\\pos(%.1f,%.1f)" % (cx, bottom)
        if a.type == "pop":
            anim = "\\fscx%.1f\\fscy%.1f\\t(0,%d,\\fscx%.1f\\fscy%.1f)\\t(%d,%d,\\fscx%.1f\\fscy%.1f)" % (
                s * 0.6, s * 0.6, d * 0.6, peak, peak, d * 0.6, d, act, act)
        elif a.type == "zoom":
            anim = "\\fscx%.1f\\fscy%.1f\\t(0,%d,0.6,\\fscx%.1f\\fscy%.1f)" % (s, s, d, peak, peak)
        elif a.type == "bounce":
            dist = a.distance * self.track.height
            pos = "\\move(%.1f,%.1f,%.1f,%.1f,0,%d)" % (cx, bottom - dist, cx, bottom, d * 0.55)
            anim = "\\fscx%.1f\\fscy%.1f\\t(%d,%d,\\fscx%.1f\\fscy%.1f)\\t(%d,%d,\\fscx%.1f\\fscy%.1f)" % (
                act, act, d * 0.55, d * 0.75, act * 1.12, act * 0.86, d * 0.75, d, act, act)
        elif a.type == "shake":
            q = d / 4
            anim = "\\fscx%.1f\\fscy%.1f\\t(0,%d,\\frz6)\\t(%d,%d,\\frz-6)\\t(%d,%d,\\frz4)\\t(%d,%d,\\frz0)" % (
                act, act, q, q, 2 * q, 2 * q, 3 * q, 3 * q, d)
        elif a.type == "typewriter" and not any("\u0900" <= c <= "\u097f" for c in text):
            # each character appears in turn (\ko: hidden until its time, outline included)
            cl = clusters(text)
            span = max(1, min(d, int((t1 - t0) * 1000)) // 10)
            per = max(1, span // max(1, len(cl)))
            body = "".join("{\\ko%d}%s" % (per, self._word_text(c, s / 100)) for c in cl)
            return self._event(4, t0, t1, "{\\an2%s\\fscx%.1f\\fscy%.1f%s%s\\2a&HFF&}" % (pos, s, s, col, blur) + body)
        elif a.type in ("typewriter", "reveal"):
            anim = "\\fscx%.1f\\fscy%.1f\\alpha&HFF&\\t(0,%d,\\alpha&H00&)" % (act, act, d)
        else:
            anim = "\\fscx%.1f\\fscy%.1f" % (act, act)
        return self._event(4, t0, t1, "{\\an2%s%s%s%s}" % (pos, col, anim, blur) + self._word_text(text, s / 100))

    def _emoji_events(self, page: CaptionPage, geo: list[LineGeometry], scale: float, slices) -> list[EmojiPlacement]:
        out = []
        shown_from = {}
        if slices:
            for t0, _t1, j in slices:
                shown_from.setdefault(j, t0)
        for li, line in enumerate(page.lines):
            g = geo[li]
            for k, j in enumerate(line.words):
                x = g.word_x[k]
                ws = scale * (self.emph_scale if j in self.emph else 1.0)
                for run, face in split_runs(display_text(self.track.words[j].text, self.preset), self.fm.chain):
                    w = self.fm.run_width(run, face) * ws
                    if face < 0:
                        size = self.fm.emoji_px * ws
                        top = g.bottom - self.fm.ass_size * ws * 0.5 - size / 2
                        start = shown_from.get(j, page.start)
                        e = EmojiPlacement(start, page.end, x + (w - size) / 2, top, size, run)
                        out.append(e)
                        self.emoji.append(e)
                    x += w
        return out

    def _page_box(self, page: CaptionPage, geo: list[LineGeometry], scale: float) -> list[str]:
        p = self.preset
        a = p.animation
        padp = p.box_padding * self.short
        w = max(g.width for g in geo) + 2 * padp
        top = geo[0].bottom - self.fm.ass_size * scale - padp
        h = geo[-1].bottom - top + padp
        x = geo[0].center_x - w / 2
        col, alpha = ass_color(p.box_color)
        radius = h / 2 if p.box == "pill" and len(geo) == 1 else (padp * 1.2 if p.box == "pill" else padp * 0.35)
        if a.type == "slide_up":
            dist = a.distance * self.track.height
            place = "\\move(%.1f,%.1f,%.1f,%.1f,0,%d)\\fad(%d,0)" % (x, top + dist, x, top, a.duration_ms, a.duration_ms)
        else:
            place = "\\pos(%.1f,%.1f)" % (x, top)
        if a.type == "fade":
            place += "\\fad(%d,%d)" % (a.duration_ms, a.duration_ms)
        draw = "{\\an7%s\\bord0\\shad0\\1c%s\\1a%s\\p1}%s{\\p0}" % (place, col, alpha, rounded_rect(w, h, radius))
        return [self._event(0, page.start, page.end, draw)]

    def _word_box(self, t0: float, t1: float, j: int, prev: int | None, page: CaptionPage, geo: list[LineGeometry],
                  scale: float) -> list[str]:
        """A box behind the active word; for `moving_box` it glides from the previous word's slot."""
        p = self.preset
        a = p.animation
        slot = self._word_slot(j, page, geo)
        if slot is None:
            return []
        size = self.fm.ass_size * scale
        padx, pady = 0.15 * size, 0.06 * size

        def rect(s):
            x, w, bottom = s
            return x - padx, bottom - size * 0.98 - pady, w + 2 * padx

        x, top, w = rect(slot)
        h = size * 0.98 + 2 * pady
        col, alpha = ass_color(p.highlight_box_color)
        place = "\\pos(%.1f,%.1f)" % (x, top)
        if a.type == "moving_box" and prev is not None:
            px, ptop, pw = rect(self._word_slot(prev, page, geo))
            place = "\\move(%.1f,%.1f,%.1f,%.1f,0,%d)\\fscx%.1f\\t(0,%d,\\fscx100)" % (
                px, ptop, x, top, a.duration_ms, 100 * pw / w, a.duration_ms)
        draw = "{\\an7%s\\bord0\\shad0\\1c%s\\1a%s\\p1}%s{\\p0}" % (place, col, alpha, rounded_rect(w, h, h * 0.22))
        return [self._event(1, t0, t1, draw)]

    def render(self) -> str:
        lines = [self.header()]
        for page in self.track.pages:
            lines.extend(self.page_events(page))
        return "\n".join(lines) + "\n"


def _cmap_of(path) -> frozenset[int]:
    from ..layout import _cmap

    return _cmap(str(path))


@lru_cache(maxsize=64)
def font_family(path: str) -> str:
    """The family name libass matches on (name ID 1, preferring the Windows English record)."""
    from fontTools.ttLib import TTFont

    f = TTFont(path, lazy=True, fontNumber=0)
    name = f["name"]
    rec = name.getName(1, 3, 1, 0x409) or name.getName(1, 1, 0, 0)
    return str(rec) if rec else name.getDebugName(1)


def to_ass(track: CaptionTrack, preset: Preset) -> str:
    return ASSWriter(track, preset).render()

"""The reports' charts as data: a title, a size and an ordered list of SVG shapes.

Why data and not SVG strings: the template (``templates/charts.html.j2``) writes the markup with
autoescape, so a case id or an engine name in a label can never become markup, and a chart that
needs one more mark (the eval's threshold line) gets it from the same geometry that placed the bars,
not by parsing the SVG afterwards. Each builder returns ``None`` when there is nothing to draw.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

BAR_COLOR = "#3b6ea5"
MANAGEMENT_COLOR = "#3b6ea5"
LEADERSHIP_COLOR = "#8e44ad"


@dataclass
class Shape:
    """One SVG element: ``attrs`` in the order they are written, an optional hover ``tip`` and ``text``."""

    tag: str
    attrs: list[tuple[str, str]]
    text: str = ""
    tip: str = ""


@dataclass
class Chart:
    title: str
    width: int
    height: int
    shapes: list[Shape] = field(default_factory=list)

    def add(self, tag: str, text: str = "", tip: str = "", **attrs: object) -> None:
        """Attribute names come in as keywords (``font_size`` becomes ``font-size``), values as given."""
        self.shapes.append(Shape(tag, [(k.replace("_", "-"), str(v)) for k, v in attrs.items()], text, tip))


# Widths of characters in em, for the sans-serif fonts the reports name (system-ui, Helvetica, Arial): a
# label's width estimated from these is a little over what a browser draws, never under. One average width
# per character (6.6 px at 12 px) made "management" 66 px where it is drawn 75-80 px wide, so a label
# column sized by it cut the word off on the left (issue 31, item 11).
_NARROW, _WIDE = set("fijlrtI!.,:;'|()[]{} -"), set("mwMW@%…←→")


def text_width(text: object, font_px: float = 12.0) -> float:
    """About how wide ``text`` is drawn at ``font_px`` (generous, never narrower than a browser draws it)."""
    em = 0.0
    for ch in str(text):
        em += (0.36 if ch in _NARROW else 1.0 if ch in _WIDE else 0.76 if ch.isupper()
               else 0.64)  # DejaVu Sans, the widest of them (Linux's usual system-ui): "m" 0.97, "a" 0.61
    return em * font_px


def fit(label: object, width_px: float, char_px: float = 6.6) -> str:
    """A label cut with an ellipsis to fit ``width_px`` (SVG text does not wrap or clip by itself).
    ``char_px``: the font size as it used to be given, an average character of 0.55 em (6.6: 12 px text)."""
    text, font_px = str(label), char_px / 0.55
    if text_width(text, font_px) <= width_px:
        return text
    while len(text) > 1 and text_width(text + "…", font_px) > width_px:
        text = text[:-1]
    return text.rstrip() + "…"


def num(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}"


def bar_chart(items: Sequence[tuple[str, float]], *, title: str = "", width: int = 520,
              colors: Sequence[str] | dict[str, str] | None = None, value_format: Callable[[float], str] = num,
              max_value: float | None = None, threshold: float | None = None,
              threshold_tip: str = "") -> Chart | None:
    """Horizontal bars with a label on the left and the value at the bar's end; with ``threshold``,
    a dashed vertical line on the bars' own scale (a bar exactly at the threshold ends on it)."""
    if not items:
        return None
    row, label_w, pad = 24, min(220, max(60, int(max(text_width(k) for k, _ in items)) + 14)), 6
    height = row * len(items) + pad * 2
    top = max([max_value or 0.0] + [float(v) for _, v in items]) or 1.0
    bar_w = width - label_w - 60
    chart = Chart(title, width, height)
    for i, (label, value) in enumerate(items):
        y = pad + i * row
        w = max(0.0, float(value)) / top * bar_w
        color = (colors.get(label, BAR_COLOR) if isinstance(colors, dict)
                 else colors[i % len(colors)] if colors else BAR_COLOR)
        chart.add("text", fit(label, label_w - 8), str(label), x=label_w - 6, y=y + 16, text_anchor="end",
                  font_size=12)
        chart.add("rect", x=label_w, y=y + 4, width=f"{w:.1f}", height=row - 8, rx=2, fill=color)
        chart.add("text", value_format(value), x=f"{label_w + w + 4:.1f}", y=y + 16, font_size=12)
    if threshold is not None:
        x = f"{label_w + threshold / top * bar_w:.1f}"
        chart.add("line", "", threshold_tip, x1=x, y1=0, x2=x, y2=height, stroke="#1d232a", stroke_width=1.5,
                  stroke_dasharray="4 3")
    return chart


def columns(items: Sequence[tuple[str, float]], *, title: str = "", width: int = 520, height: int = 170,
            color: str = BAR_COLOR) -> Chart | None:
    """Vertical columns (a histogram), labels under each column, counts above."""
    if not items:
        return None
    base, top_pad, left = height - 22, 16, 6
    col = (width - 2 * left) / len(items)
    top = max(float(v) for _, v in items) or 1.0
    chart = Chart(title, width, height)
    chart.add("line", x1=left, y1=base, x2=width - left, y2=base, stroke="#999")
    for i, (label, value) in enumerate(items):
        h = float(value) / top * (base - top_pad)
        x = left + i * col
        chart.add("rect", x=f"{x + 2:.1f}", y=f"{base - h:.1f}", width=f"{col - 4:.1f}", height=f"{h:.1f}",
                  fill=color)
        if value:
            chart.add("text", num(value), x=f"{x + col / 2:.1f}", y=f"{base - h - 3:.1f}", text_anchor="middle",
                      font_size=11)
        chart.add("text", fit(label, col, 5.6), x=f"{x + col / 2:.1f}", y=height - 6, text_anchor="middle",
                  font_size=10)
    return chart


def stacked_bar(parts: Sequence[tuple[str, float, str]], *, title: str = "", width: int = 520) -> Chart | None:
    """One bar split into (label, value, color) parts, with a legend below."""
    total = sum(max(0.0, float(v)) for _, v, _ in parts)
    if not total:
        return None
    chart = Chart(title, width, 58)
    x = 0.0
    for label, value, color in parts:
        w = max(0.0, float(value)) / total * width
        if w:
            chart.add("rect", "", f"{label}: {num(value)}", x=f"{x:.1f}", y=0, width=f"{w:.1f}", height=24,
                      fill=color)
        x += w
    lx, ly = 0.0, 36
    for label, value, color in parts:
        text = f"{label} {num(value)}"
        need = 16 + text_width(text)
        if lx and lx + need > width:  # the legend goes on a new line rather than off the chart
            lx, ly = 0.0, ly + 20
        chart.add("rect", x=f"{lx:.0f}", y=ly, width=12, height=12, fill=color)
        chart.add("text", text, x=f"{lx + 16:.0f}", y=ly + 10, font_size=12)
        lx += need + 12
    chart.height = ly + 22
    return chart


def balance_bars(items: Sequence[tuple[str, float, float]], *, title: str = "", width: int = 520,
                 left_label: str = "management", right_label: str = "leadership",
                 left_color: str = MANAGEMENT_COLOR, right_color: str = LEADERSHIP_COLOR) -> Chart | None:
    """One 100% bar per (label, left share, right share): how far each row leans one way or the other."""
    if not items:
        return None
    row, label_w = 22, min(230, max(80, int(max(text_width(k) for k, _, _ in items)) + 14))
    bar_w = width - label_w - 10
    chart = Chart(title, width, row * len(items) + 22)
    chart.add("text", f"← {left_label}", x=label_w, y=12, font_size=11, fill=left_color)
    chart.add("text", f"{right_label} →", x=width - 10, y=12, font_size=11, text_anchor="end", fill=right_color)
    for i, (label, left, right) in enumerate(items):
        y = 18 + i * row
        tot = (float(left) + float(right)) or 1.0
        lw = float(left) / tot * bar_w
        mid = f"{label_w + bar_w / 2:.1f}"
        chart.add("text", fit(label, label_w - 8), str(label), x=label_w - 6, y=y + 14, text_anchor="end",
                  font_size=12)
        chart.add("rect", x=label_w, y=y + 3, width=f"{lw:.1f}", height=row - 7, fill=left_color)
        chart.add("rect", x=f"{label_w + lw:.1f}", y=y + 3, width=f"{bar_w - lw:.1f}", height=row - 7,
                  fill=right_color)
        chart.add("line", x1=mid, y1=y + 1, x2=mid, y2=y + row - 2, stroke="#fff", stroke_dasharray="2,2")
    return chart


def histogram(values: Iterable[float], bins: int = 10, lo: float = 0.0, hi: float = 1.0,
              percent_labels: bool = True) -> list[tuple[str, int]]:
    """Counts of ``values`` in ``bins`` equal bins over [lo, hi] (the top bin includes hi)."""
    counts = [0] * bins
    width = (hi - lo) / bins
    for v in values:
        i = int((float(v) - lo) / width) if width else 0
        counts[min(bins - 1, max(0, i))] += 1
    labels = []
    for i in range(bins):
        a, b = lo + i * width, lo + (i + 1) * width
        labels.append(f"{a * 100:.0f}–{b * 100:.0f}%" if percent_labels else f"{a:g}–{b:g}")
    return list(zip(labels, counts))


__all__ = ["Chart", "Shape", "bar_chart", "columns", "stacked_bar", "balance_bars", "histogram", "fit", "num",
           "text_width"]

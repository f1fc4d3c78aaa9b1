"""The little SVG the figures need: escaped elements, an accessible root, text widths.

Figures are drawn on the server so that they need no JavaScript, make no request, print,
and can be read by a screen reader: the root is ``role="img"`` named by its ``<title>``
and described by its ``<desc>`` (the page beside it lists the same things as text, with
links), and every mark has a ``<title>`` of its own for a pointer's tooltip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from markupsafe import Markup, escape

#: Average advance of a character of the sans-serif UI fonts, in ems: enough to decide
#: where a label must be shortened without a font metrics library.
CHAR_EM = 0.56

Attrs = Mapping[str, object]


def number(value: float) -> str:
    """Coordinates with one decimal and no ``-0``: compact and byte-for-byte stable."""
    text = f"{value:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text


def _attributes(attrs: Attrs) -> str:
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        name = name.rstrip("_").replace("_", "-")
        shown = number(value) if isinstance(value, float) else str(value)
        parts.append(f' {name}="{escape(shown)}"')
    return "".join(parts)


def element(tag: str, attrs: Attrs | None = None, *children: str | Markup) -> Markup:
    """``<tag attrs>children</tag>``; text children are escaped, Markup is kept."""
    inner = "".join(str(escape(child)) for child in children)
    if not inner:
        return Markup(f"<{tag}{_attributes(attrs or {})}/>")
    return Markup(f"<{tag}{_attributes(attrs or {})}>{inner}</{tag}>")


def title(text: str) -> Markup:
    return element("title", None, text)


def text_width(text: str, font_size: float) -> float:
    return len(text) * CHAR_EM * font_size


def shorten(text: str, width: float, font_size: float) -> str:
    """The label cut with an ellipsis to fit ``width``; the whole of it goes in a
    ``<title>`` and in the list beside the figure."""
    fits = int(width / (CHAR_EM * font_size))
    if len(text) <= fits:
        return text
    return text[: max(fits - 1, 1)].rstrip(" ,;:–-") + "…"


def figure(kind: str, figure_id: str, width: float, height: float, heading: str,
           description: str, style: str, body: Iterable[str | Markup]) -> Markup:
    """The root ``<svg>``: scalable (``viewBox``, no fixed size), named and described."""
    title_id, desc_id = f"{figure_id}-title", f"{figure_id}-desc"
    return element(
        "svg",
        {"xmlns": "http://www.w3.org/2000/svg", "class": f"figure {kind}", "id": figure_id,
         "viewBox": f"0 0 {number(width)} {number(height)}", "role": "img",
         "aria-labelledby": f"{title_id} {desc_id}", "preserveAspectRatio": "xMidYMin meet"},
        element("title", {"id": title_id}, heading),
        element("desc", {"id": desc_id}, description),
        element("style", None, Markup(style)),
        *body,
    )

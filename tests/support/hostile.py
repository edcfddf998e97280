"""Hostile and odd inputs, and how to recognise one that came back unescaped.

Every marker below is something an escaped page can never contain: Jinja turns `<`, `>`,
`"` and `'` into entities, so finding one of them raw means a value reached the page
as markup (XSS, attribute injection, htmx attribute injection).
"""

from __future__ import annotations

import io

from hypothesis import strategies as st

XSS = '<script>alert("xss-7f3")</script>'
ATTR = '" hx-get="/pwned-7f3" hx-trigger="load'
SQUOTE = "' onmouseover='alert(7)"
IMG = '<img src=x onerror=alert("xss-7f3")>'
SSTI = "{{7*7}}"
TEXTAREA = '</textarea><script>alert("xss-7f3")</script>'
HOSTILE = (
    XSS, ATTR, SQUOTE, IMG, SSTI, TEXTAREA, "{% for x in range(9) %}x{% endfor %}", "${7*7}", "#{7*7}",
    "javascript:alert(1)", "Robert'); DROP TABLE clients;--", "\r\nBcc: victim@example.com", "a\x00b",
    "\u202egnp.exe", "../../../../etc/passwd", "%00", "%s%s%n", "\ufeff", "𝕏 👷‍♀️ حرف 漢字",
)

# What must never appear raw in an HTML response.
RAW_MARKERS = ("<script>alert(", 'hx-get="/pwned-7f3"', "onmouseover='alert", "<img src=x")

NUMBERS = ("-1", "0", "-0", "1e309", "NaN", "inf", "-inf", "1,5", "12.345,67", "1 234,56", "0x10", "1_000", "٣",
           "9" * 400, "-" + "9" * 30, "99999999999999999999", "9223372036854775808", "2147483648", "0.0000001", "1e-7")
DATES = ("2026-02-30", "9999-12-31", "0001-01-01", "31/12/9999", "10000-01-01", "23/11/2026", "2026-13-01",
         "1970-01-01", "-1")
HUGE = ("x" * 100_000, "é" * 30_000, "9" * 5000, "<b>" * 10_000, ("ligne " * 50 + "\n") * 400)


def hostile_text(max_size: int = 40):
    """Random unicode text, a hostile payload, or both around each other."""
    text = st.text(max_size=max_size)
    return st.one_of(
        text,
        st.sampled_from(HOSTILE),
        st.tuples(text, st.sampled_from(HOSTILE), text).map("".join),
    )


def any_value():
    """What a fuzzed form field receives."""
    return st.one_of(
        hostile_text(),
        st.sampled_from(NUMBERS),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.sampled_from(DATES),
        st.sampled_from(HUGE),
    )


def upload():
    """A file field: nothing, random bytes, or markup pretending to be an image."""
    return st.one_of(
        st.just(""),
        st.binary(max_size=2000).map(lambda b: (io.BytesIO(b), "logo.png")),
        st.sampled_from([b"<svg onload=alert(1)>", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50]).map(
            lambda b: (io.BytesIO(b), 'lo"go<script>.png')),
    )


def raw_markers_in(html: str) -> list[str]:
    """The hostile markers found raw in a page (an empty list when everything was escaped)."""
    return [m for m in RAW_MARKERS if m in html]

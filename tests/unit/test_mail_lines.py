"""E-mail bodies never carry a line over the RFC 5322 limit (998 characters)."""

from output.mail import MAX_LINE, text_to_html, wrap_long_lines


def test_long_paragraph_is_wrapped_at_spaces():
    text = "mot " * 1000 + "\nfin"
    wrapped = wrap_long_lines(text)
    assert all(len(line) <= MAX_LINE for line in wrapped.split("\n"))
    assert wrapped.split() == text.split()  # same words, only line breaks added


def test_word_longer_than_limit_is_cut():
    wrapped = wrap_long_lines("x" * 2500)
    assert [len(line) for line in wrapped.split("\n")] == [900, 900, 700]


def test_html_has_one_line_per_source_line():
    html = text_to_html("Bonjour,\n\nligne 1\nligne 2 <b>")
    assert html == "<p>Bonjour,</p>\n<p>ligne 1<br>\nligne 2 &lt;b&gt;</p>"

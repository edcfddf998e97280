"""Small text helpers shared by the domain."""

import unicodedata


def fold(text: str) -> str:
    """Lower-case and strip accents: the key used for search-as-you-type."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def like_pattern(text: str) -> str:
    """A LIKE '%…%' pattern for folded text, with LIKE wildcards escaped (use escape='\\\\')."""
    folded = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{folded}%"

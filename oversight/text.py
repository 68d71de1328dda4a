"""Small text helpers shared by the unit tree and people: Vietnamese search keys."""

import unicodedata


def search_key(text: str) -> str:
    """Lower-case ``text`` and strip Vietnamese diacritics, so "lam binh" finds "Lâm Bình"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())

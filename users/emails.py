r"""One canonical form for email addresses, stored on the user and used by every comparison.

Uniqueness per tenant, sign-in, the lockout counter, password resets and confirmation
links all compare this stored form with plain equality, on every database. Comparing
"lower-cased" strings instead let look-alikes through: Python's ``lower()`` and
PostgreSQL's ``LOWER()`` disagree on some letters (the dotted capital I), and mail systems
map invisible and compatibility characters away (``acme\u200b.example`` and
``\uff41cme.example`` (fullwidth a) both reach ``acme.example``), so a second account could be registered
for somebody else's inbox.

The canonical form of ``Local@Domain``:

- no control, format or invisible character anywhere (zero-width spaces and joiners,
  soft hyphens, variation selectors, bidi controls, Hangul fillers, tags…): refused,
  not silently dropped, so nobody can hold two spellings of one address;
- Unicode compatibility normalisation (NFKC), so fullwidth letters are their ASCII selves;
- the local part is an ASCII dot-atom after that (letters, digits and ``!#$%&'*+/=?^_`{|}~-``,
  dots only between them) and is lower-cased: no mailbox provider treats case as significant.
  Quoted local parts (``"alice"@x``) are refused: a mail server delivers ``"alice"`` and
  ``"al\ice"`` to ``alice``, so they would be new spellings of an existing mailbox;
- the domain is a host name (no ``[127.0.0.1]`` literals), stored in its IDNA form
  (UTS #46 mapping, then ASCII: ``bücher.example`` is ``xn--bcher-kva.example``), which is
  what mail is delivered to.
"""

from __future__ import annotations

import re
import unicodedata

import idna

MAX_LENGTH = 254  # RFC 5321 path limit, and User.email's column
MAX_LOCAL_LENGTH = 64

# Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt): characters
# that render as nothing. Python's unicodedata does not expose the property itself.
_DEFAULT_IGNORABLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Control, format, surrogate, private-use and unassigned code points, and separators
# other than the plain space (which the validator refuses on its own).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})


# RFC 5322's dot-atom: the unquoted local part, the only one we accept.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")


class InvalidEmail(ValueError):
    """The address has no canonical form; ``code`` says why, for a field error."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _is_invisible(char: str) -> bool:
    point = ord(char)
    if any(low <= point <= high for low, high in _DEFAULT_IGNORABLE):
        return True
    return unicodedata.category(char) in _REFUSED_CATEGORIES


def canonical_email(value: str) -> str:
    """The stored, compared form of ``value``; raises ``InvalidEmail`` when it has none.

    Idempotent: the canonical form of a canonical address is itself.
    """
    text = value.strip()
    if any(_is_invisible(char) for char in text):
        raise InvalidEmail(
            "The address contains an invisible or control character; type it again.", code="invisible_character"
        )
    text = unicodedata.normalize("NFKC", text)
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise InvalidEmail("Enter a valid email address.")
    if not local.isascii():
        raise InvalidEmail("The part before the @ must use plain letters, digits and punctuation.", code="non_ascii")
    if not _DOT_ATOM.fullmatch(local):
        raise InvalidEmail(
            "The part before the @ may use letters, digits, dots between them and !#$%&'*+/=?^_`{|}~- "
            "(no quotes, spaces or other symbols).",
            code="invalid_local_part",
        )
    if len(local) > MAX_LOCAL_LENGTH:
        raise InvalidEmail(f"The part before the @ has at most {MAX_LOCAL_LENGTH} characters.", code="max_length")
    if domain.endswith(".") or domain.startswith("["):
        raise InvalidEmail("The domain must be a host name such as example.com.", code="invalid_domain")
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        raise InvalidEmail("The domain of this address is not valid.", code="invalid_domain") from None
    address = f"{local.lower()}@{ascii_domain}"
    if len(address) > MAX_LENGTH:
        raise InvalidEmail(f"An email address has at most {MAX_LENGTH} characters.", code="max_length")
    return address


def canonical_email_or_none(value: str | None) -> str | None:
    """For look-ups (sign-in, reset): an address without a canonical form matches nobody."""
    if not value:
        return None
    try:
        return canonical_email(value)
    except InvalidEmail:
        return None

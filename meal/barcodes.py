"""Retail barcodes: EAN-13, EAN-8 and UPC-A (GTIN-13/8/12), normalised and check-digit validated.

One spelling per product: a UPC-A code is an EAN-13 with a leading zero, so it is stored as
the 13-digit form and found by either. EAN-8 stays 8 digits (it is not a zero-padded EAN-13).
"""

from __future__ import annotations

VALID_LENGTHS = (8, 12, 13)


class BarcodeError(ValueError):
    """Why a string is not a barcode: ``code`` is ``invalid_format`` or ``invalid_check_digit``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_digit(body: str) -> int:
    """The GS1 check digit of ``body`` (the code without its last digit): weights 3,1,3,1... from the right."""
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize_barcode(value: str) -> str:
    """The stored form of ``value``, or ``BarcodeError``.

    Spaces and hyphens that scanners and labels print are dropped; anything else that is
    not an ASCII digit is refused (``str.isdigit`` alone would take superscripts and other
    scripts' digits).
    """
    code = value.strip().replace(" ", "").replace("-", "")
    if not (code.isascii() and code.isdigit()) or len(code) not in VALID_LENGTHS:
        raise BarcodeError("invalid_format", "A barcode is 8 (EAN-8), 12 (UPC-A) or 13 (EAN-13) digits.")
    if check_digit(code[:-1]) != int(code[-1]):
        raise BarcodeError("invalid_check_digit", "The barcode's check digit is wrong: check it for a typo.")
    return "0" + code if len(code) == 12 else code

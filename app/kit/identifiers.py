"""Check characters of Chinese identifiers: 统一社会信用代码 (GB 32100-2015) and
居民身份证号码 (GB 11643-1999)."""

from __future__ import annotations

from datetime import date

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """None when valid, else a stable reason code."""
    if len(code) != 18:
        return "credit_code.length"
    if any(c not in CREDIT_CODE_CHARSET for c in code):
        return "credit_code.charset"
    if credit_code_check_char(code[:17]) != code[17]:
        return "credit_code.check_char"
    return None


def _ascii_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def id_number_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def id_number_birth_date(id_number: str) -> date | None:
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def id_number_problem(id_number: str) -> str | None:
    """None when valid, else a stable reason code."""
    if len(id_number) != 18:
        return "id_number.length"
    # ASCII only: str.isdigit() also admits full-width digits, which would slip past the
    # look-up hash as a second registration of the same number.
    last = id_number[17]
    if not _ascii_digits(id_number[:17]) or not (_ascii_digits(last) or last == "X"):
        return "id_number.charset"
    if id_number_birth_date(id_number) is None:
        return "id_number.birth_date"
    if id_number_check_char(id_number[:17]) != id_number[17]:
        return "id_number.check_char"
    return None


def make_credit_code(body17: str) -> str:
    """Completes 17 characters with their check character (demo data and tests)."""
    return body17 + credit_code_check_char(body17)


def make_id_number(region: str, birth: date, sequence: int) -> str:
    """A well-formed ID number: 6-digit region, birth date, 3-digit sequence, check char."""
    first17 = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + id_number_check_char(first17)

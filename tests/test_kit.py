"""Unit tests for app/kit: identifier check characters, masks, field encryption, cursors."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest
from cryptography.exceptions import InvalidTag

from app.errors import Unprocessable
from app.kit.crypto import FieldCipher
from app.kit.identifiers import (
    CREDIT_CODE_CHARSET,
    credit_code_check_char,
    credit_code_problem,
    id_number_birth_date,
    id_number_check_char,
    id_number_problem,
    make_credit_code,
    make_id_number,
)
from app.kit.masking import mask_id_number, mask_phone
from app.kit.pagination import decode_cursor, encode_cursor
from app.kit.types import INT32_MAX

# Real-format examples whose check characters are published alongside them.
VALID_ID_NUMBERS = ["11010519491231002X", "440524188001010014", "110101199003070134"]
VALID_CREDIT_CODES = ["91350100M000100Y43", "91110000600037341L", "91440300708461136T"]

KEY = base64.b64encode(bytes(range(32))).decode()


# --- 居民身份证号码 (GB 11643-1999) -------------------------------------------------


@pytest.mark.parametrize("id_number", VALID_ID_NUMBERS)
def test_valid_id_numbers(id_number: str) -> None:
    assert id_number_problem(id_number) is None
    assert id_number_check_char(id_number[:17]) == id_number[17]


def test_id_number_check_char_x_stands_for_ten() -> None:
    assert id_number_check_char("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("id_number", "problem"),
    [
        ("110105194912310021", "id_number.check_char"),  # X replaced by a digit
        ("11010519491231002x", "id_number.charset"),  # lowercase x: the schema uppercases first
        ("1101051949123100", "id_number.length"),
        ("11010519491231002X1", "id_number.length"),
        ("1101051949123100AX", "id_number.charset"),
        ("110105194902300020", "id_number.birth_date"),  # 30 February
        ("110105194913010020", "id_number.birth_date"),  # month 13
        ("１１０１０５１９４９１２３１００２X", "id_number.charset"),  # full-width digits
        ("11010519491231002７", "id_number.charset"),
    ],
)
def test_invalid_id_numbers(id_number: str, problem: str) -> None:
    assert id_number_problem(id_number) == problem


def test_birth_date_from_id_number() -> None:
    assert id_number_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert id_number_birth_date("110105194902300020") is None


def test_make_id_number_is_valid_and_carries_the_birth_date() -> None:
    made = make_id_number("320102", date(2000, 2, 29), 17)
    assert len(made) == 18
    assert id_number_problem(made) is None
    assert id_number_birth_date(made) == date(2000, 2, 29)


# --- 统一社会信用代码 (GB 32100-2015) ------------------------------------------------


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_valid_credit_codes(code: str) -> None:
    assert credit_code_problem(code) is None
    assert credit_code_check_char(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91350100M000100Y44", "credit_code.check_char"),
        ("91350100M000100Y4", "credit_code.length"),
        ("91350100M000100Y433", "credit_code.length"),
        ("91350100I000100Y43", "credit_code.charset"),
        ("91350100O000100Y43", "credit_code.charset"),
        ("91350100Z000100Y43", "credit_code.charset"),
        ("91350100S000100Y43", "credit_code.charset"),
        ("91350100V000100Y43", "credit_code.charset"),
        ("91350100m000100y43", "credit_code.charset"),  # lowercase: the schema uppercases first
    ],
)
def test_invalid_credit_codes(code: str, problem: str) -> None:
    assert credit_code_problem(code) == problem


def test_credit_code_charset_excludes_confusable_letters() -> None:
    assert len(CREDIT_CODE_CHARSET) == 31
    assert not set("IOZSV") & set(CREDIT_CODE_CHARSET)


def test_make_credit_code_is_valid() -> None:
    for body in ("51320100000000001", "9135010000000000A", "12100000400000000"):
        made = make_credit_code(body)
        assert made.startswith(body)
        assert credit_code_problem(made) is None


def test_every_single_character_change_is_detected() -> None:
    code = VALID_CREDIT_CODES[0]
    for position in range(18):
        for char in CREDIT_CODE_CHARSET:
            if char == code[position]:
                continue
            altered = code[:position] + char + code[position + 1 :]
            assert credit_code_problem(altered) == "credit_code.check_char", altered


# --- masks --------------------------------------------------------------------------


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(None) is None
    assert mask_phone("") == ""
    assert mask_phone("12345") == "*****"


def test_mask_id_number() -> None:
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_id_number(None) is None
    masked = mask_id_number("440524188001010014")
    assert masked is not None
    assert len(masked) == 18
    assert "18800101" not in masked


# --- FieldCipher --------------------------------------------------------------------


def test_cipher_round_trip_hides_the_plaintext() -> None:
    cipher = FieldCipher(KEY, "hash-key")
    blob = cipher.encrypt("11010519491231002X", context=b"members.id_number")
    assert b"11010519491231002X" not in blob
    assert cipher.decrypt(blob, context=b"members.id_number") == "11010519491231002X"


def test_cipher_uses_a_fresh_nonce_each_time() -> None:
    cipher = FieldCipher(KEY, "hash-key")
    first = cipher.encrypt("same", context=b"ctx")
    second = cipher.encrypt("same", context=b"ctx")
    assert first != second
    assert cipher.decrypt(first, context=b"ctx") == cipher.decrypt(second, context=b"ctx") == "same"


def test_cipher_binds_the_context() -> None:
    cipher = FieldCipher(KEY, "hash-key")
    blob = cipher.encrypt("11010519491231002X", context=b"members.id_number")
    with pytest.raises(InvalidTag):
        cipher.decrypt(blob, context=b"members.phone")


def test_cipher_refuses_tampering_another_key_and_unknown_versions() -> None:
    cipher = FieldCipher(KEY, "hash-key")
    blob = cipher.encrypt("secret", context=b"ctx")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(InvalidTag):
        cipher.decrypt(tampered, context=b"ctx")
    other = FieldCipher(base64.b64encode(bytes(32)).decode(), "hash-key")
    with pytest.raises(InvalidTag):
        other.decrypt(blob, context=b"ctx")
    with pytest.raises(ValueError, match="version"):
        cipher.decrypt(b"\x02" + blob[1:], context=b"ctx")


def test_cipher_refuses_short_keys() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        FieldCipher(base64.b64encode(bytes(16)).decode(), "hash-key")


def test_lookup_hash_is_stable_and_keyed() -> None:
    cipher = FieldCipher(KEY, "hash-key")
    assert cipher.lookup_hash("11010519491231002X") == cipher.lookup_hash("11010519491231002X")
    assert cipher.lookup_hash("11010519491231002X") != cipher.lookup_hash("440524188001010014")
    other_key = FieldCipher(KEY, "another-hash-key")
    assert cipher.lookup_hash("x") != other_key.lookup_hash("x")
    assert "11010519491231002X" not in cipher.lookup_hash("11010519491231002X")


# --- cursors ------------------------------------------------------------------------


@pytest.mark.parametrize("last_id", [0, 1, 42, 2_147_483_647])
def test_cursor_round_trip(last_id: int) -> None:
    cursor = encode_cursor(last_id)
    assert "=" not in cursor  # safe in a query string without escaping
    assert decode_cursor(cursor) == last_id


def test_no_cursor_means_the_first_page() -> None:
    assert decode_cursor(None) is None


def _raw_cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64 !",
        "%%%",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        _raw_cursor({"after": -1}),
        _raw_cursor({"after": "5"}),
        _raw_cursor({"after": 1.5}),
        _raw_cursor({"after": True}),
        _raw_cursor({"after": None}),
        _raw_cursor({"before": 5}),
        _raw_cursor([5]),
        _raw_cursor(5),
        _raw_cursor(None),
        _raw_cursor({"after": INT32_MAX + 1}),
        _raw_cursor({"after": 10**30}),
    ],
)
def test_bad_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        decode_cursor(cursor)
    assert caught.value.code == "pagination.invalid_cursor"
    assert caught.value.status_code == 422

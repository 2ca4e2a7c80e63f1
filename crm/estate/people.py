"""How people's details are written down: phones normalised as Chinese numbers, ID numbers checked, names
keyed by their pinyin so that `zw` finds 张伟, and phones masked where the full number is not needed."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberType
from pypinyin import lazy_pinyin

from engine.errors import InvalidData

_FIXED = (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
_MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_phone(text: object) -> str:
    """A Chinese mobile as its 11 digits (13800000001), a landline as its digits with the area code's
    leading 0 (057188886666); +86, spaces and dashes are dropped. Raises InvalidData for anything else."""
    raw = text.strip() if isinstance(text, str) else ""
    if not raw:
        raise InvalidData("phone is required", {"phone": "required"})
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidData(
            "not a phone number", {"phone": "not a valid Chinese mobile or landline number"}
        ) from None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise InvalidData(
            "not a valid Chinese phone number", {"phone": "not a valid Chinese mobile or landline number"}
        )
    kind = phonenumbers.number_type(number)
    digits = str(number.national_number)
    if kind in _MOBILE and len(digits) == 11:
        return digits
    if kind in _FIXED:
        return "0" + digits
    raise InvalidData(
        "not a valid Chinese phone number", {"phone": "not a valid Chinese mobile or landline number"}
    )


def mask_phone(phone: str | None) -> str:
    """`138****0001`: enough to recognise a number read out on the phone, not enough to call it."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * (len(phone) - 2) + phone[-2:]
    return phone[:3] + "****" + phone[-4:]


def mask_id_number(id_number: str | None) -> str:
    if not id_number:
        return ""
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]


def normalise_id_number(text: object) -> str | None:
    """A resident ID number (居民身份证, 18 characters with its check digit) in upper case; None when blank.
    Other documents (passports, Hong Kong and Macao permits) are kept as written, 5–30 letters and digits."""
    raw = re.sub(r"\s+", "", text).upper() if isinstance(text, str) else ""
    if not raw:
        return None
    if re.fullmatch(r"\d{17}[\dX]", raw):
        total = sum(int(d) * w for d, w in zip(raw[:17], _ID_WEIGHTS, strict=True))
        if _ID_CHECK[total % 11] != raw[17]:
            raise InvalidData("the ID number's check digit is wrong", {"id_number": "not a valid ID number"})
        return raw
    if re.fullmatch(r"\d{15,17}", raw) or not re.fullmatch(r"[A-Z0-9()（）-]{5,30}", raw):
        raise InvalidData("not an ID number", {"id_number": "not a valid ID number"})
    return raw


def name_keys(name: str) -> tuple[str, str]:
    """The pinyin initials (`zw`) and the whole pinyin (`zhangwei`) of a name, lower case; letters in the
    name are kept as they are, other characters dropped."""
    syllables = [w for chunk in lazy_pinyin(name) for w in re.findall(r"[A-Za-z0-9]+", chunk)]
    initials = "".join(s[0] for s in syllables)
    return initials.lower()[:100], "".join(syllables).lower()[:400]

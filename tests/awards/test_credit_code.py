"""GB 32100-2015 check character and the rules a credit code must satisfy."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from awards.credit_code import (
    CHARSET,
    WEIGHTS,
    check_character,
    credit_code_errors,
    make_credit_code,
    validate_credit_code,
)
from awards.demo import demo_credit_code


def test_the_weights_are_powers_of_three_mod_31():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(CHARSET) == 31 and not set("IOSVZ") & set(CHARSET)


def test_check_character_of_the_standards_example_computed_by_hand():
    # 91350100M000100Y4 (the example code of GB 32100):
    #   values  9  1  3  5  0  1  0  0  M=21  0  0  0  1  0  0  Y=30  4
    #   weights 1  3  9 27 19 26 16 17  20   29 25 13  8 24 10  30   28
    #   9 + 3 + 27 + 135 + 0 + 26 + 0 + 0 + 420 + 0 + 0 + 0 + 8 + 0 + 0 + 900 + 112 = 1640
    #   1640 mod 31 = 28 (31 * 52 = 1612); 31 - 28 = 3 -> CHARSET[3] = "3"
    assert check_character("91350100M000100Y4") == "3"
    assert credit_code_errors("91350100M000100Y43") == []


def test_check_character_that_is_a_letter_computed_by_hand():
    # 91110000600037341:
    #   9*1 + 1*3 + 1*9 + 1*27 + 0 + 0 + 0 + 0 + 6*20 + 0 + 0 + 0 + 3*8 + 7*24 + 3*10 + 4*30 + 1*28
    #   = 9 + 3 + 9 + 27 + 120 + 24 + 168 + 30 + 120 + 28 = 538
    #   538 mod 31 = 11 (31 * 17 = 527); 31 - 11 = 20 -> CHARSET[20] = "L"
    assert check_character("91110000600037341") == "L"


def test_check_character_edges_computed_by_hand():
    # All zeros: sum 0, 31 - 0 = 31, and 31 stands for 0 -> "0".
    assert check_character("0" * 17) == "0"
    # A single 1 in position 1: sum 1, 31 - 1 = 30 -> CHARSET[30] = "Y" (the last character).
    assert check_character("1" + "0" * 16) == "Y"
    # A single 1 in position 2 (weight 3): sum 3, 31 - 3 = 28 -> CHARSET[28] = "W".
    assert check_character("01" + "0" * 15) == "W"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",
        "91110000600037341L",
        "000000000000000000",
        "10000000000000000Y",
        demo_credit_code("130528", 0),
        demo_credit_code("210703", 1),
    ],
)
def test_valid_codes_are_accepted(code):
    validate_credit_code(code)  # raises when invalid
    assert credit_code_errors(code) == []


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y431", "9135 0100M000100Y43"])
def test_wrong_length_is_rejected_naming_the_length_rule(code):
    errors = credit_code_errors(code)
    assert [rule for rule, _ in errors] == ["length"]
    assert f"须为 18 位，当前为 {len(code)} 位" in errors[0][1]


def test_lowercase_is_rejected_naming_the_character_rule():
    errors = credit_code_errors("91350100m000100y43")
    assert [rule for rule, _ in errors] == ["charset"]
    assert "大写" in errors[0][1] and "m、y" in errors[0][1]


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_forbidden_letters_are_rejected(letter):
    code = "91350100" + letter + "000100Y43"
    errors = credit_code_errors(code)
    assert [rule for rule, _ in errors] == ["charset"]
    assert "不使用字母 I、O、S、V、Z" in errors[0][1] and f"当前含 {letter}" in errors[0][1]


@pytest.mark.parametrize("char", ["-", "中", "*"])
def test_other_characters_are_rejected(char):
    # "中" is one character, so the length still is 18.
    errors = credit_code_errors("91350100M000100Y4" + char)
    assert [rule for rule, _ in errors] == ["charset"]
    assert f"不能含 {char}" in errors[0][1]


def test_a_wrong_check_character_is_rejected_naming_the_expected_one():
    errors = credit_code_errors("91350100M000100Y44")
    assert errors == [("check", "第 18 位校验码错误：按 GB 32100 计算应为 3，当前为 4")]


def test_the_division_code_must_be_six_digits():
    errors = credit_code_errors(make_credit_code("91AB0100M000100Y4"))
    assert [rule for rule, _ in errors] == ["division"]
    assert "AB0100" in errors[0][1]


def test_the_validator_raises_with_the_rule_in_the_code():
    with pytest.raises(ValidationError) as info:
        validate_credit_code("91350100M000100Y44")
    assert info.value.error_list[0].code == "credit_code_check"
    assert "校验码" in info.value.messages[0]


@given(st.text(alphabet=CHARSET, min_size=17, max_size=17), st.sampled_from(CHARSET))
def test_every_code_made_is_valid_and_any_other_last_character_is_not(first17, other):
    code = make_credit_code(first17[:2] + "130500" + first17[8:])
    assert credit_code_errors(code) == []
    if other != code[-1]:
        assert [rule for rule, _ in credit_code_errors(code[:-1] + other)] == ["check"]

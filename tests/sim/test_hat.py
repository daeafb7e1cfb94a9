"""The sorting hat: job rules, reasons, personal taglines, answer validation and the quiz data."""

import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clawtown.sim.hat import (
    DEFAULT_JOB_SKILLS,
    HAT_QUESTIONS,
    JOBS,
    TAGLINE_MAX,
    compute_hat_result,
    validate_answers,
)

GOALS = ("combat", "explore", "social", "build")
CONFLICTS = ("direct", "strategy", "empathy")
MAGICS = ("power", "wisdom", "speed", "guard")
ALL_ANSWERS = [
    {"goal": g, "conflict": c, "magic": m} for g, c, m in itertools.product(GOALS, CONFLICTS, MAGICS)
]


def job(goal, conflict, magic):
    return compute_hat_result({"goal": goal, "conflict": conflict, "magic": magic})["job"]


@pytest.mark.parametrize(
    ("goal", "conflict", "magic", "expected"),
    [
        ("combat", "strategy", "speed", "assassin"),
        ("combat", "empathy", "speed", "assassin"),
        ("combat", "direct", "speed", "knight"),
        ("combat", "direct", "power", "knight"),
        ("combat", "strategy", "power", "archer"),
        ("combat", "empathy", "guard", "archer"),
        ("explore", "strategy", "speed", "assassin"),
        ("explore", "direct", "speed", "archer"),
        ("explore", "direct", "wisdom", "archer"),
        ("explore", "empathy", "wisdom", "mage"),
        ("explore", "strategy", "guard", "mage"),
        ("social", "direct", "speed", "bard"),
        ("social", "empathy", "guard", "bard"),
        ("build", "direct", "power", "mage"),
        ("build", "strategy", "speed", "mage"),
        ("dance", "direct", "speed", "novice"),
        ("", "direct", "power", "novice"),
    ],
)
def test_job_rules(goal, conflict, magic, expected):
    assert job(goal, conflict, magic) == expected


def test_missing_goal_gives_a_novice():
    assert compute_hat_result({})["job"] == "novice"


def test_signature_follows_the_job():
    expected = {
        "mage": ("Starstep", "blink"),
        "archer": ("Hawkeye Mark", "mark"),
        "assassin": ("Shadow Puncture", "blink"),
        "bard": ("Echo Oath", "echo"),
        "knight": ("Aegis Roar", "guard"),
        "novice": ("Aegis Roar", "guard"),
    }
    for answers in [*ALL_ANSWERS, {"goal": "nothing"}]:
        result = compute_hat_result(answers)
        signature = result["signature"]
        assert (signature["name"], signature["effect"]) == expected[result["job"]]


def test_reasons_put_magic_first_then_conflict():
    result = compute_hat_result({"goal": "build", "conflict": "empathy", "magic": "speed"})
    assert result["reasons"] == [
        "You like agility and clever positioning.",
        "You prioritize understanding people first.",
    ]


@pytest.mark.parametrize(
    ("magic", "line"),
    [
        ("power", "You gravitate toward decisive impact."),
        ("wisdom", "You prefer understanding systems before acting."),
        ("speed", "You like agility and clever positioning."),
        ("guard", "You naturally protect and support others."),
    ],
)
def test_reason_for_each_magic(magic, line):
    assert compute_hat_result({"goal": "social", "conflict": "direct", "magic": magic})["reasons"][0] == line


@pytest.mark.parametrize(
    ("conflict", "line"),
    [
        ("direct", "You handle conflict head-on."),
        ("strategy", "You choose strategy and timing over force."),
        ("empathy", "You prioritize understanding people first."),
    ],
)
def test_reason_for_each_conflict(conflict, line):
    assert compute_hat_result({"goal": "social", "conflict": conflict, "magic": "power"})["reasons"][1] == line


def test_unknown_choices_give_no_reason_lines():
    assert compute_hat_result({"goal": "combat", "conflict": "shrug", "magic": "power"})["reasons"] == [
        "You gravitate toward decisive impact."
    ]
    assert compute_hat_result({"goal": "combat"})["reasons"] == []


def test_result_is_deterministic_and_json_ready():
    answers = {"goal": "explore", "conflict": "strategy", "magic": "wisdom", "free": "I collect maps"}
    first = compute_hat_result(answers)
    assert compute_hat_result(dict(answers)) == first
    assert json.loads(json.dumps(first)) == first
    assert answers == {"goal": "explore", "conflict": "strategy", "magic": "wisdom", "free": "I collect maps"}


def test_taglines_differ_for_every_combination_of_answers():
    taglines = {compute_hat_result(answers)["signature"]["tagline"] for answers in ALL_ANSWERS}
    assert len(taglines) == len(ALL_ANSWERS)


def test_tagline_is_the_same_for_the_same_answers():
    answers = {"goal": "social", "conflict": "empathy", "magic": "guard", "free": "I bake bread"}
    same = {"goal": "SOCIAL ", "conflict": "empathy", "magic": "guard", "free": " I bake bread\n"}
    assert compute_hat_result(answers)["signature"]["tagline"] == compute_hat_result(same)["signature"]["tagline"]


def test_tagline_quotes_the_free_text_cleaned():
    answers = {"goal": "combat", "conflict": "direct", "magic": "power", "free": "  I guard\n\tthe\r\nbridge  "}
    tagline = compute_hat_result(answers)["signature"]["tagline"]
    assert "“I guard the bridge”" in tagline
    assert compute_hat_result({**answers, "free": "I fish"})["signature"]["tagline"] != tagline


def test_long_free_text_is_cut_at_a_word_to_fit_the_tagline():
    free = "I want to map every single cave under the northern mountains and name each after a friend"
    answers = {"goal": "explore", "conflict": "strategy", "magic": "guard", "free": free}
    tagline = compute_hat_result(answers)["signature"]["tagline"]
    assert len(tagline) <= TAGLINE_MAX
    quoted = tagline.split("“", 1)[1]
    assert quoted.endswith("…”")
    assert free.startswith(quoted[: -len("…”")])
    assert free[len(quoted) - len("…”")] == " "


def test_empty_free_text_adds_no_quote():
    answers = {"goal": "build", "conflict": "direct", "magic": "wisdom"}
    plain = compute_hat_result(answers)["signature"]["tagline"]
    assert compute_hat_result({**answers, "free": " \n "})["signature"]["tagline"] == plain
    assert "“" not in plain


choices = st.one_of(st.sampled_from(GOALS + CONFLICTS + MAGICS), st.text(max_size=12))


@given(
    goal=st.sampled_from(GOALS),
    conflict=st.sampled_from(CONFLICTS),
    magic=st.sampled_from(MAGICS),
    free=st.one_of(st.none(), st.text(max_size=400)),
)
def test_valid_answers_always_give_a_known_job_and_a_bounded_result(goal, conflict, magic, free):
    answers = validate_answers({"goal": goal, "conflict": conflict, "magic": magic, "free": free})
    result = compute_hat_result(answers)
    assert result["job"] in JOBS
    assert 1 <= len(result["reasons"]) <= 3
    assert 0 < len(result["signature"]["tagline"]) <= TAGLINE_MAX
    assert result == compute_hat_result(answers)


@given(st.dictionaries(st.sampled_from(["goal", "conflict", "magic", "free", "other"]), choices))
def test_any_mapping_of_strings_gives_a_known_job(answers):
    assert compute_hat_result(answers)["job"] in JOBS


def test_validate_normalizes_case_and_spaces():
    assert validate_answers({"goal": " Combat ", "conflict": "DIRECT", "magic": "Speed\n", "extra": 1}) == {
        "goal": "combat",
        "conflict": "direct",
        "magic": "speed",
        "free": "",
    }


def test_validate_cleans_and_cuts_free_text():
    cleaned = validate_answers({"goal": "build", "conflict": "direct", "magic": "power", "free": " a\r\n\tb\x00c " + "x" * 300})
    assert cleaned["free"].startswith("a b c")
    assert len(cleaned["free"]) == 240
    assert "\n" not in cleaned["free"] and "\x00" not in cleaned["free"]


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"conflict": "direct", "magic": "power"}, "goal is required: choose one of combat, explore, social, build"),
        (
            {"goal": "fight", "conflict": "direct", "magic": "power"},
            "goal must be one of combat, explore, social, build (got 'fight')",
        ),
        ({"goal": "combat", "conflict": 3, "magic": "power"}, "conflict must be one of direct, strategy, empathy (got 3)"),
        ({"goal": "combat", "conflict": "direct", "magic": ""}, "magic must be one of power, wisdom, speed, guard (got '')"),
        ({"goal": "combat", "conflict": "direct"}, "magic is required: choose one of power, wisdom, speed, guard"),
        ({"goal": "combat", "conflict": "direct", "magic": "power", "free": 5}, "free must be a string (got int)"),
        (["combat"], "answers must be an object with goal, conflict and magic"),
    ],
)
def test_validate_rejects_with_a_clear_message(answers, message):
    with pytest.raises(ValueError) as caught:
        validate_answers(answers)
    assert str(caught.value) == message


def test_validate_keeps_error_messages_short():
    with pytest.raises(ValueError) as caught:
        validate_answers({"goal": "x" * 10_000, "conflict": "direct", "magic": "power"})
    assert len(str(caught.value)) < 120


def test_questions_cover_every_allowed_value_in_both_languages():
    by_id = {q["id"]: q for q in HAT_QUESTIONS}
    assert [q["id"] for q in HAT_QUESTIONS] == ["goal", "conflict", "magic", "free"]
    for qid, values in (("goal", GOALS), ("conflict", CONFLICTS), ("magic", MAGICS)):
        question = by_id[qid]
        assert question["required"] is True
        assert tuple(option["value"] for option in question["options"]) == values
        for option in question["options"]:
            assert option["en"].strip() and option["zh"].strip()
    assert by_id["free"]["required"] is False
    assert by_id["free"]["max_length"] == 240
    for question in HAT_QUESTIONS:
        assert question["prompt"]["en"].strip() and question["prompt"]["zh"].strip()
    json.dumps(HAT_QUESTIONS, ensure_ascii=False)


def test_chinese_labels_are_traditional():
    labels = {o["value"]: o["zh"] for q in HAT_QUESTIONS for o in q["options"]}
    assert (labels["combat"], labels["empathy"], labels["guard"]) == ("戰鬥", "先理解對方", "守護")


def test_every_question_value_is_accepted_by_validate():
    for answers in ALL_ANSWERS:
        assert validate_answers(answers) == {**answers, "free": ""}


def test_default_job_skills_and_jobs():
    assert JOBS == ("novice", "mage", "archer", "knight", "assassin", "bard")
    assert set(DEFAULT_JOB_SKILLS) == set(JOBS)
    assert DEFAULT_JOB_SKILLS["mage"] == ("Fire Rain", "fireball")
    assert DEFAULT_JOB_SKILLS["knight"] == ("Sweep", "cleave")
    assert {compute_hat_result(answers)["job"] for answers in ALL_ANSWERS} == set(JOBS) - {"novice"}

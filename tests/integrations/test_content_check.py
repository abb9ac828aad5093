"""The content check (issue 12, moderation) as a caller sees it: the verdict, and what WeChat
received. WeChat is faked at the HTTP boundary, so the real client, its token handling and
its errcode checks run; the adapter is the one the runtime builds from the settings."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Environment, Settings
from app.integrations.content_check import (
    Outcome,
    Scene,
    Verdict,
    WeChatContentCheck,
    WordListContentCheck,
    build_content_check,
)
from app.integrations.wechat.fake import fake_wechat_handler
from app.runtime import Runtime
from tests.fixtures.settings import settings_for
from tests.fixtures.wechat import FakeWeChat

SEC_CHECK = "/wxa/msg_sec_check"
STABLE_TOKEN = "/cgi-bin/stable_token"
OPENID = "fake-member-1"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url).model_copy(update={"content_check_backend": "wechat"})


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


def answering(result: dict[str, Any] | None, **extra: Any) -> Callable[[httpx.Request], Any]:
    body: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "trace_id": "t-1", **extra}
    if result is not None:
        body["result"] = result
    return lambda _request: httpx.Response(200, json=body)


def bodies(wechat: FakeWeChat) -> list[dict[str, Any]]:
    return [json.loads(request.content) for request in wechat.calls_to(SEC_CHECK)]


async def test_the_runtime_checks_with_wechat_when_the_setting_says_so(runtime: Runtime) -> None:
    assert isinstance(runtime.content_check, WeChatContentCheck)


async def test_a_clean_text_passes_and_wechat_is_asked_with_version_2(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    verdict = await runtime.content_check.check(
        "请问党费怎么交？", openid=OPENID, scene=Scene.FORUM, title="党费"
    )

    assert verdict == Verdict(Outcome.PASS, 100, "正常", "wechat_pass", "wechat")
    assert bodies(wechat) == [
        {"content": "请问党费怎么交？", "version": 2, "openid": OPENID, "scene": 3, "title": "党费"}
    ]
    [request] = wechat.calls_to(SEC_CHECK)
    assert request.method == "POST"
    assert request.url.params["access_token"].startswith("fake-access-token-")


async def test_a_follow_up_is_checked_as_a_comment_without_a_title(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    await runtime.content_check.check("还有一个问题", openid=OPENID, scene=Scene.COMMENT)

    assert bodies(wechat) == [
        {"content": "还有一个问题", "version": 2, "openid": OPENID, "scene": 2}
    ]


async def test_review_is_held_for_a_human(runtime: Runtime, wechat: FakeWeChat) -> None:
    wechat.overrides[SEC_CHECK] = answering({"suggest": "review", "label": 20002})

    verdict = await runtime.content_check.check("文本", openid=OPENID, scene=Scene.FORUM)

    assert verdict == Verdict(Outcome.REVIEW, 20002, "色情", "wechat_review", "wechat")


async def test_risky_is_refused_with_its_label(runtime: Runtime, wechat: FakeWeChat) -> None:
    wechat.overrides[SEC_CHECK] = answering({"suggest": "risky", "label": 20003})

    verdict = await runtime.content_check.check("文本", openid=OPENID, scene=Scene.FORUM)

    assert verdict == Verdict(Outcome.RISKY, 20003, "辱骂", "wechat_risky", "wechat")


async def test_a_political_review_stays_review(runtime: Runtime, wechat: FakeWeChat) -> None:
    wechat.overrides[SEC_CHECK] = answering({"suggest": "review", "label": 20001})

    verdict = await runtime.content_check.check("文本", openid=OPENID, scene=Scene.FORUM)

    assert verdict == Verdict(Outcome.REVIEW, 20001, "政治", "wechat_review", "wechat")


async def test_a_political_risky_goes_to_a_human_not_a_refusal(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    wechat.overrides[SEC_CHECK] = answering({"suggest": "risky", "label": 20001})

    verdict = await runtime.content_check.check("文本", openid=OPENID, scene=Scene.FORUM)

    assert verdict == Verdict(Outcome.REVIEW, 20001, "政治", "wechat_risky_political", "wechat")


def _connect_error(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


@pytest.mark.parametrize(
    "handler",
    [
        pytest.param(_connect_error, id="connect_error"),
        pytest.param(_timeout, id="timeout"),
        pytest.param(lambda _r: httpx.Response(502, text="bad gateway"), id="http_502"),
        pytest.param(lambda _r: httpx.Response(200, text="<html>gateway</html>"), id="not_json"),
        pytest.param(answering(None), id="no_result"),
        pytest.param(
            lambda _r: httpx.Response(200, json={"errcode": -1, "errmsg": "busy"}), id="busy"
        ),
    ],
)
async def test_wechat_down_or_answering_nonsense_holds_the_text_for_review(
    runtime: Runtime, wechat: FakeWeChat, handler: Callable[[httpx.Request], httpx.Response]
) -> None:
    wechat.overrides[SEC_CHECK] = handler

    verdict = await runtime.content_check.check("文本", openid=OPENID, scene=Scene.FORUM)

    assert verdict == Verdict(Outcome.REVIEW, None, "未检测", "wechat_unavailable", "wechat")
    assert len(wechat.calls_to(SEC_CHECK)) == 1  # asked, and not retried into a storm


async def test_the_token_service_down_holds_the_text_for_review(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    wechat.overrides[STABLE_TOKEN] = _connect_error

    verdict = await runtime.content_check.check("文本", openid=OPENID, scene=Scene.FORUM)

    assert verdict.outcome is Outcome.REVIEW
    assert verdict.reason == "wechat_unavailable"
    assert wechat.calls_to(SEC_CHECK) == []


async def test_a_failure_nobody_foresaw_holds_the_text_not_raises(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    def broken(_request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug between us and WeChat")

    wechat.overrides[SEC_CHECK] = broken

    verdict = await runtime.content_check.check("文本", openid=OPENID, scene=Scene.FORUM)

    assert verdict == Verdict(Outcome.REVIEW, None, "未检测", "content_check_failed", "wechat")


@pytest.mark.parametrize("errcode", [61010, 87014, 40003])
async def test_an_errcode_in_a_200_holds_the_text_for_review(
    runtime: Runtime, wechat: FakeWeChat, errcode: int
) -> None:
    wechat.overrides[SEC_CHECK] = lambda _r: httpx.Response(
        200, json={"errcode": errcode, "errmsg": "refused"}
    )

    verdict = await runtime.content_check.check("文本", openid=OPENID, scene=Scene.FORUM)

    assert verdict == Verdict(Outcome.REVIEW, None, "未检测", f"wechat_errcode_{errcode}", "wechat")
    assert len(wechat.calls_to(STABLE_TOKEN)) == 1  # not a token problem: no refresh


async def test_an_unknown_suggest_is_held_for_review(runtime: Runtime, wechat: FakeWeChat) -> None:
    wechat.overrides[SEC_CHECK] = answering({"suggest": "block", "label": 20006})

    verdict = await runtime.content_check.check("文本", openid=OPENID, scene=Scene.FORUM)

    assert verdict == Verdict(Outcome.REVIEW, 20006, "违法犯罪", "wechat_unknown_suggest", "wechat")


async def test_without_an_openid_wechat_is_not_asked_and_the_text_is_held(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    verdict = await runtime.content_check.check("文本", openid=None, scene=Scene.FORUM)

    assert verdict == Verdict(Outcome.REVIEW, None, "未检测", "no_openid", "wechat")
    assert wechat.requests == []


async def test_a_long_text_is_checked_in_parts_and_the_worst_kept(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    first = "党" * 2500
    second = "费" * 100 + "[违规]"

    verdict = await runtime.content_check.check(
        first + second, openid=OPENID, scene=Scene.FORUM, title="标题"
    )

    assert verdict == Verdict(Outcome.RISKY, 20003, "辱骂", "wechat_risky", "wechat")
    assert bodies(wechat) == [
        {"content": first, "version": 2, "openid": OPENID, "scene": 3, "title": "标题"},
        {"content": second, "version": 2, "openid": OPENID, "scene": 3},
    ]


async def test_a_risky_first_part_is_refused_without_asking_about_the_rest(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    verdict = await runtime.content_check.check(
        "[违规]" + "学" * 5000, openid=OPENID, scene=Scene.FORUM
    )

    assert verdict.outcome is Outcome.RISKY
    assert len(wechat.calls_to(SEC_CHECK)) == 1


async def test_an_empty_text_passes_without_asking(runtime: Runtime, wechat: FakeWeChat) -> None:
    verdict = await runtime.content_check.check("  ", openid=None, scene=Scene.COMMENT)

    assert verdict == Verdict(Outcome.PASS, None, "正常", "empty", "wechat")
    assert wechat.requests == []


async def test_a_long_text_with_one_part_unchecked_is_held(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    answers = iter(
        [
            httpx.Response(200, json={"errcode": 0, "result": {"suggest": "pass", "label": 100}}),
            httpx.Response(503, text="unavailable"),
            httpx.Response(200, json={"errcode": 0, "result": {"suggest": "pass", "label": 100}}),
        ]
    )
    wechat.overrides[SEC_CHECK] = lambda _r: next(answers)

    verdict = await runtime.content_check.check("学" * 6000, openid=OPENID, scene=Scene.FORUM)

    assert verdict.outcome is Outcome.REVIEW
    assert verdict.reason == "wechat_unavailable"
    assert [len(body["content"]) for body in bodies(wechat)] == [2500, 2500, 1000]


async def test_a_refused_token_is_refreshed_once_and_the_check_retried(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    refused: list[str] = []

    def refuse_the_first_token(request: httpx.Request) -> httpx.Response:
        token = request.url.params["access_token"]
        if not refused or refused == [token]:
            refused.append(token)
            return httpx.Response(200, json={"errcode": 40001, "errmsg": "invalid credential"})
        return fake_wechat_handler(request)

    wechat.overrides[SEC_CHECK] = refuse_the_first_token

    verdict = await runtime.content_check.check("文本", openid=OPENID, scene=Scene.FORUM)

    assert verdict.outcome is Outcome.PASS
    calls = wechat.calls_to(SEC_CHECK)
    assert len(calls) == 2  # one try, one retry
    assert calls[0].url.params["access_token"] != calls[1].url.params["access_token"]
    assert bodies(wechat)[0] == bodies(wechat)[1]
    token_calls = wechat.calls_to(STABLE_TOKEN)
    assert len(token_calls) == 2
    assert json.loads(token_calls[1].content)["force_refresh"] is True


async def test_a_token_refused_again_is_held_for_review_not_a_loop(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    wechat.overrides[SEC_CHECK] = lambda _r: httpx.Response(
        200, json={"errcode": 40001, "errmsg": "invalid credential"}
    )

    verdict = await runtime.content_check.check("文本", openid=OPENID, scene=Scene.FORUM)

    assert verdict.reason == "wechat_errcode_40001"
    assert verdict.outcome is Outcome.REVIEW
    assert len(wechat.calls_to(SEC_CHECK)) == 2


@pytest.mark.parametrize(
    ("text", "outcome"),
    [("请问[审核]", Outcome.REVIEW), ("请问[违规]", Outcome.RISKY), ("请问", Outcome.PASS)],
)
async def test_the_development_fake_answers_every_outcome(
    runtime: Runtime, text: str, outcome: Outcome
) -> None:
    verdict = await runtime.content_check.check(text, openid=OPENID, scene=Scene.FORUM)

    assert verdict.outcome is outcome


# --- the word list ---


def listed(outcome: Outcome, label: int | None, name: str, reason: str) -> Verdict:
    return Verdict(outcome, label, name, reason, "wordlist")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("请问党费按月交还是按季度交？", listed(Outcome.PASS, None, "正常", "no_match")),
        ("你这个傻逼", listed(Outcome.RISKY, 20003, "辱骂", "matched '傻逼'")),
        ("优惠多多 加 ＶＸ 详聊", listed(Outcome.RISKY, 10001, "广告", "matched '加vx'")),
        ("加Vx", listed(Outcome.RISKY, 10001, "广告", "matched '加vx'")),
        ("关于台独的问题", listed(Outcome.REVIEW, 20001, "政治", "matched '台独'")),
        # risky outranks review in one text
        ("台独 傻逼", listed(Outcome.RISKY, 20003, "辱骂", "matched '傻逼'")),
        ("ＳＰＡＭ ｌｉｎｋ", listed(Outcome.RISKY, None, "其他", "matched 'spam link'")),
        ("Ｆoo 话题", listed(Outcome.REVIEW, None, "其他", "matched 'FOO'")),
    ],
)
async def test_the_word_list(text: str, expected: Verdict) -> None:
    check = WordListContentCheck(risky_words=["spam link"], review_words=["FOO", "  "])

    assert await check.check(text, openid=None, scene=Scene.FORUM) == expected


async def test_the_word_list_reads_the_title_too() -> None:
    check = WordListContentCheck()

    verdict = await check.check("正文", openid=None, scene=Scene.FORUM, title="代开发票")

    assert verdict.outcome is Outcome.RISKY


def test_the_factory_picks_the_word_list_with_the_words_of_the_settings(
    database_url: str, runtime: Runtime
) -> None:
    settings = settings_for(database_url).model_copy(update={"content_check_risky_words": ["坏词"]})

    check = build_content_check(settings, runtime.wechat)

    assert isinstance(check, WordListContentCheck)
    assert settings_for(database_url).content_check_backend == "wordlist"  # the default


async def test_the_factory_word_list_uses_the_setting_words(
    database_url: str, runtime: Runtime
) -> None:
    settings = settings_for(database_url).model_copy(
        update={"content_check_risky_words": ["坏词"], "content_check_review_words": ["待议"]}
    )
    check = build_content_check(settings, runtime.wechat)

    assert (await check.check("一个坏词", openid=None, scene=Scene.FORUM)).outcome is Outcome.RISKY
    assert (await check.check("待议", openid=None, scene=Scene.FORUM)).outcome is Outcome.REVIEW


def test_production_on_the_word_list_warns_at_start(
    database_url: str, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    production = settings_for(database_url).model_copy(update={"env": Environment.PRODUCTION})

    with caplog.at_level(logging.WARNING, logger="app.content_check"):
        check = build_content_check(production, runtime.wechat)

    assert isinstance(check, WordListContentCheck)
    assert "word list" in caplog.text

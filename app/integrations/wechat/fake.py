"""A fake WeChat for development and tests, plugged in at the HTTP boundary so that the
real client code runs. Login code ``X`` becomes openid ``fake-X``; a phone code of eleven
digits binds that number, and any other phone code is refused as WeChat refuses one it
never issued (40029).

msg_sec_check (v2) answers pass unless the content or title holds a marker: ``[审核]`` gives
review with label 20001 (政治, as WeChat often answers political topics) and ``[违规]`` risky
with label 20003 (辱骂); content over 2,500 characters or without an openid is refused as
WeChat refuses it (47001, 40003). So `make run` with ``APP_CONTENT_CHECK_BACKEND=wechat``
shows every outcome offline."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging

import httpx

FAKE_OPENID_PREFIX = "fake-"
FAKE_UNIONID_PREFIX = "fake-union-"
logger = logging.getLogger("app.wechat.fake")
_token_counter = itertools.count(1)
REVIEW_MARKER = "[审核]"
RISKY_MARKER = "[违规]"


def fake_openid(code: str) -> str:
    return FAKE_OPENID_PREFIX + code


def _json(body: dict[str, object]) -> httpx.Response:
    return httpx.Response(200, json=body)


def fake_wechat_handler(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/sns/jscode2session":
        code = request.url.params.get("js_code", "")
        if not code or code.startswith("invalid"):
            return _json({"errcode": 40029, "errmsg": "invalid code"})
        return _json(
            {
                "openid": fake_openid(code),
                "session_key": hashlib.sha256(code.encode()).hexdigest()[:24],
                "unionid": FAKE_UNIONID_PREFIX + code,
            }
        )
    if path == "/cgi-bin/stable_token":
        return _json(
            {"access_token": f"fake-access-token-{next(_token_counter)}", "expires_in": 7200}
        )
    if path == "/wxa/business/getuserphonenumber":
        phone = str(json.loads(request.content or b"{}").get("code", ""))
        if not (len(phone) == 11 and phone.isdigit()):
            # What WeChat answers for a code it never issued: nothing to bind.
            return _json({"errcode": 40029, "errmsg": "invalid code"})
        return _json(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": phone,
                    "purePhoneNumber": phone,
                    "countryCode": "86",
                },
            }
        )
    if path == "/wxa/getwxacodeunlimit":
        scene = str(json.loads(request.content or b"{}").get("scene", ""))
        if not scene or len(scene) > 32:
            return _json({"errcode": 40169, "errmsg": "invalid length for scene"})
        # Not a real QR code: a tiny JPEG-marked payload carrying the scene, enough to test with.
        return httpx.Response(
            200,
            content=b"\xff\xd8\xff\xe0FAKEQR:" + scene.encode(),
            headers={"content-type": "image/jpeg"},
        )
    if path == "/wxa/msg_sec_check":
        return _msg_sec_check(json.loads(request.content or b"{}"))
    if path == "/cgi-bin/message/subscribe/send":
        return _subscribe_send(json.loads(request.content or b"{}"))
    return _json({"errcode": 40066, "errmsg": f"fake WeChat has no {path}"})


def _subscribe_send(body: dict[str, object]) -> httpx.Response:
    data = body.get("data")
    if not body.get("touser"):
        return _json({"errcode": 40003, "errmsg": "invalid openid"})
    if not body.get("template_id"):
        return _json({"errcode": 40037, "errmsg": "invalid template_id"})
    if not isinstance(data, dict) or not data:
        return _json({"errcode": 47003, "errmsg": "argument invalid! data is empty"})
    # Development has no phone to show it on: the log line is the delivered message.
    logger.info("fake WeChat subscribe message to %s: %s", body["touser"], data)
    return _json({"errcode": 0, "errmsg": "ok"})


def _msg_sec_check(body: dict[str, object]) -> httpx.Response:
    content = str(body.get("content", ""))
    if body.get("version") != 2 or len(content) > 2500:
        return _json({"errcode": 47001, "errmsg": "data format error"})
    if not body.get("openid"):
        return _json({"errcode": 40003, "errmsg": "invalid openid"})
    seen = content + str(body.get("title") or "")
    suggest, label = "pass", 100
    if RISKY_MARKER in seen:
        suggest, label = "risky", 20003
    elif REVIEW_MARKER in seen:
        suggest, label = "review", 20001
    detail = {"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}
    return _json(
        {
            "errcode": 0,
            "errmsg": "ok",
            "detail": [detail],
            "trace_id": f"fake-trace-{next(_token_counter)}",
            "result": {"suggest": suggest, "label": label},
        }
    )


def fake_transport() -> httpx.MockTransport:
    return httpx.MockTransport(fake_wechat_handler)

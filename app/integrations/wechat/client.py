"""The one httpx client for WeChat's server APIs. Every answer's ``errcode`` is checked,
HTTP 200 included; the access token is shared through a :class:`TokenStore`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from app.integrations.wechat.token_store import TokenStore

logger = logging.getLogger("app.wechat")

# The token was revoked or expired on WeChat's side: refresh once and retry once.
TOKEN_INVALID_CODES = frozenset({40001, 42001, 40014})
SUBSCRIBE_SEND_PATH = "/cgi-bin/message/subscribe/send"
MSG_SEC_CHECK_PATH = "/wxa/msg_sec_check"


class WeChatError(Exception):
    """WeChat answered with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(f"wechat errcode {errcode}: {errmsg}")


class WeChatUnavailable(Exception):
    """Network failure, timeout, 5xx, or errcode -1 (system busy): worth retrying later."""


@dataclass(frozen=True)
class WeChatSession:
    openid: str
    session_key: str
    unionid: str | None


@dataclass(frozen=True)
class PhoneInfo:
    phone_number: str
    pure_phone_number: str
    country_code: str


@dataclass(frozen=True)
class SecCheckResult:
    """msg_sec_check v2's ``result``: ``suggest`` as WeChat wrote it (pass, review, risky;
    the caller decides what anything else means) and the label it names."""

    suggest: str
    label: int | None
    trace_id: str | None


class WeChatClient:
    def __init__(
        self, http: httpx.AsyncClient, *, appid: str, secret: str, token_store: TokenStore
    ) -> None:
        self._http = http
        self._appid = appid
        self._secret = secret
        self._tokens = token_store

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise WeChatUnavailable(f"timeout calling {path}") from exc
        except httpx.TransportError as exc:
            raise WeChatUnavailable(f"transport error calling {path}: {exc}") from exc
        if response.status_code >= 500:
            raise WeChatUnavailable(f"HTTP {response.status_code} from {path}")
        if response.status_code >= 400:
            raise WeChatError(-response.status_code, f"HTTP {response.status_code} from {path}")
        return response

    @staticmethod
    def _checked_json(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise WeChatUnavailable("WeChat answered something that is not JSON") from exc
        if not isinstance(body, dict):
            raise WeChatUnavailable("WeChat answered JSON that is not an object")
        errcode = body.get("errcode", 0)
        if errcode == -1:
            raise WeChatUnavailable(f"WeChat busy: {body.get('errmsg', '')}")
        if errcode:
            raise WeChatError(int(errcode), str(body.get("errmsg", "")))
        return body

    async def code2session(self, js_code: str) -> WeChatSession:
        response = await self._request(
            "GET",
            "/sns/jscode2session",
            params={
                "appid": self._appid,
                "secret": self._secret,
                "js_code": js_code,
                "grant_type": "authorization_code",
            },
        )
        body = self._checked_json(response)
        openid = body.get("openid")
        if not isinstance(openid, str) or not openid:
            raise WeChatUnavailable("code2Session answered without an openid")
        return WeChatSession(openid, str(body.get("session_key", "")), body.get("unionid"))

    async def fetch_stable_token(self, *, force_refresh: bool = False) -> tuple[str, int]:
        response = await self._request(
            "POST",
            "/cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self._appid,
                "secret": self._secret,
                "force_refresh": force_refresh,
            },
        )
        body = self._checked_json(response)
        return str(body["access_token"]), int(body.get("expires_in", 7200))

    async def call_with_token(
        self, method: str, path: str, *, json: dict[str, Any] | None = None
    ) -> httpx.Response:
        """Calls an API that takes ``access_token``; on an invalid-token answer refreshes
        the shared token once and retries once."""
        token = await self._tokens.get_token(self.fetch_stable_token)
        response = await self._request(method, path, params={"access_token": token}, json=json)
        if not _is_token_invalid(response):
            return response
        logger.warning("WeChat refused the access token; refreshing once")
        # Forced: without it stable_token hands back the token WeChat just refused. The
        # store replaces a rejected token once, however many callers saw it rejected.
        token = await self._tokens.replace_token(
            token, lambda: self.fetch_stable_token(force_refresh=True)
        )
        return await self._request(method, path, params={"access_token": token}, json=json)

    async def get_phone_number(self, code: str) -> PhoneInfo:
        response = await self.call_with_token(
            "POST", "/wxa/business/getuserphonenumber", json={"code": code}
        )
        info = self._checked_json(response).get("phone_info") or {}
        pure = str(info.get("purePhoneNumber") or "")
        if not pure:
            raise WeChatUnavailable("getuserphonenumber answered without a phone number")
        return PhoneInfo(
            phone_number=str(info.get("phoneNumber") or pure),
            pure_phone_number=pure,
            country_code=str(info.get("countryCode") or "86"),
        )

    async def send_subscribe_message(
        self,
        *,
        touser: str,
        template_id: str,
        data: dict[str, str],
        page: str | None,
        miniprogram_state: str,
        lang: str,
    ) -> None:
        """subscribeMessage.send: one message against one of the user's one-time accepts."""
        body: dict[str, Any] = {
            "touser": touser,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
            "miniprogram_state": miniprogram_state,
            "lang": lang,
        }
        if page:
            body["page"] = page
        response = await self.call_with_token("POST", SUBSCRIBE_SEND_PATH, json=body)
        self._checked_json(response)

    async def msg_sec_check(
        self, *, content: str, openid: str, scene: int, title: str | None = None
    ) -> SecCheckResult:
        """msg_sec_check v2 for one text of at most 2,500 characters; the user must have
        opened the mini-program in the last two hours (61010 otherwise)."""
        body: dict[str, Any] = {
            "content": content,
            "version": 2,
            "openid": openid,
            "scene": scene,
        }
        if title:
            body["title"] = title
        response = await self.call_with_token("POST", MSG_SEC_CHECK_PATH, json=body)
        answer = self._checked_json(response)
        result = answer.get("result")
        if not isinstance(result, dict):
            raise WeChatUnavailable("msg_sec_check answered without a result")
        label = result.get("label")
        trace_id = answer.get("trace_id")
        return SecCheckResult(
            suggest=str(result.get("suggest", "")),
            label=label if isinstance(label, int) and not isinstance(label, bool) else None,
            trace_id=str(trace_id) if trace_id else None,
        )

    async def get_unlimited_qr_code(
        self, *, scene: str, page: str, env_version: str, width: int = 430
    ) -> bytes:
        """getwxacodeunlimit: a JPEG on success, JSON on error (branch on Content-Type)."""
        response = await self.call_with_token(
            "POST",
            "/wxa/getwxacodeunlimit",
            json={
                "scene": scene,
                "page": page,
                "check_path": False,
                "env_version": env_version,
                "width": width,
            },
        )
        if response.headers.get("content-type", "").startswith("image/"):
            return response.content
        self._checked_json(response)
        raise WeChatUnavailable("getwxacodeunlimit answered neither an image nor an error")


def _is_token_invalid(response: httpx.Response) -> bool:
    if not response.headers.get("content-type", "").startswith(("application/json", "text/")):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("errcode") in TOKEN_INVALID_CODES

"""SMS through Aliyun's dysmsapi SendSms, signed with the RPC signature (HMAC-SHA1 over the
sorted, RFC 3986-encoded parameters). Templates and the sign name are approved in Aliyun's
console beforehand; settings say which template and what fills its variables."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from app.kit.clock import Clock
from app.models import Channel
from app.notify.channels.base import (
    Message,
    Recipient,
    SendResult,
    delivered,
    not_subscribed,
    permanent,
    retry,
)
from app.notify.channels.fields import as_text, shorten, source_value
from app.notify.channels.http import json_object, request, status_failure

API_VERSION = "2017-05-25"
# Flow control (per number per minute/hour/day), throttling, a busy or failing gateway, and
# an account out of balance: all pass with time or a top-up.
RETRY_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "isp.UNKNOWN",
        "Throttling",
        "Throttling.User",
        "ServiceUnavailable",
        "InternalError",
    }
)
# The number, the template, the sign name or the credentials are wrong: sending again fails.
PERMANENT_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.PRODUCT_UN_SUBSCRIPT",
        "isv.ACCOUNT_NOT_EXISTS",
        "isv.ACCOUNT_ABNORMAL",
        "isv.DENY_IP_RANGE",
        "isp.RAM_PERMISSION_DENY",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId.NotFound",
        "InvalidAccessKeyId.Inactive",
        "MissingParameter",
    }
)
# Codes about one number of the request (or their count): in a batch, the other numbers
# are not at fault, so the batch is sent again one number at a time.
PER_NUMBER_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
    }
)
_VARIABLE_CHARS = 35  # a notification template's variable
# SendSms takes up to 1,000 comma-separated numbers for one template and its variables.
MAX_NUMBERS_PER_REQUEST = 1000
_SINGLE_SENDS_IN_FLIGHT = 8
_NO_PHONE = not_subscribed("sms: member has no phone number")


def percent_encode(value: str) -> str:
    """RFC 3986: only A-Z a-z 0-9 - _ . ~ stay; a space is %20, never +."""
    return quote(value, safe="-_.~")


def rpc_signature(method: str, params: dict[str, str], secret: str) -> str:
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
    )
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_form(params: dict[str, str], secret: str) -> str:
    """The POST body: the parameters plus their Signature, form-encoded the same way."""
    signed = {**params, "Signature": rpc_signature("POST", params, secret)}
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in signed.items())


class AliyunSmsAdapter:
    channel = Channel.SMS
    max_batch = MAX_NUMBERS_PER_REQUEST

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        endpoint: str,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        template_params: dict[str, str],
        clock: Clock,
        zone: ZoneInfo,
        timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._endpoint = endpoint.rstrip("/") + "/"
        self._key_id = access_key_id
        self._secret = access_key_secret
        self._sign_name = sign_name
        self._template_code = template_code
        self._template_params = template_params
        self._clock = clock
        self._zone = zone
        self._timeout = timeout

    def _params(self, message: Message, phones: str) -> dict[str, str]:
        variables = {
            name: shorten(as_text(source_value(message, source), self._zone), _VARIABLE_CHARS)
            for name, source in self._template_params.items()
        }
        return {
            "AccessKeyId": self._key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,  # Aliyun refuses a replayed nonce
            "SignatureVersion": "1.0",
            "Timestamp": self._clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
            "PhoneNumbers": phones,
            "SignName": self._sign_name,
            "TemplateCode": self._template_code,
            "TemplateParam": json.dumps(variables, ensure_ascii=False),
            "OutId": str(message.notification_id),
        }

    async def send(self, message: Message, recipient: Recipient) -> SendResult:
        phone = (recipient.phone or "").strip()
        if not phone:
            return _NO_PHONE
        return classify(await self._post(message, phone))

    async def send_many(
        self, message: Message, recipients: Sequence[Recipient]
    ) -> list[SendResult]:
        """One SendSms for every recipient with a number; the text is the message's, the
        same for all. When the answer blames one number, each is sent on its own."""
        phones = [(r.phone or "").strip() for r in recipients]
        numbered = [phone for phone in phones if phone]
        if len(numbered) > self.max_batch:
            raise ValueError(f"sms: {len(numbered)} numbers, at most {self.max_batch}")
        shared: SendResult | None = None
        if len(numbered) > 1:
            answer = await self._post(message, ",".join(numbered))
            if isinstance(answer, SendResult) or answer_code(answer) not in PER_NUMBER_CODES:
                shared = classify(answer)
        if shared is not None:
            return [shared if phone else _NO_PHONE for phone in phones]
        alone = asyncio.Semaphore(_SINGLE_SENDS_IN_FLIGHT)

        async def send_alone(recipient: Recipient) -> SendResult:
            async with alone:
                return await self.send(message, recipient)

        return list(await asyncio.gather(*(send_alone(r) for r in recipients)))

    async def _post(self, message: Message, phones: str) -> httpx.Response | SendResult:
        return await request(
            self._http,
            "sms",
            "POST",
            self._endpoint,
            content=signed_form(self._params(message, phones), self._secret),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=self._timeout,
        )


def answer_code(response: httpx.Response) -> str:
    answer = json_object(response)
    return str(answer.get("Code", "")) if answer else ""


def classify(response: httpx.Response | SendResult) -> SendResult:
    if isinstance(response, SendResult):  # no answer at all: the transport's verdict
        return response
    # Aliyun answers its errors with a 4xx and a JSON Code too: read the Code first.
    answer = json_object(response)
    code = answer_code(response)
    if not code:
        return status_failure("sms", response) or retry("sms: answer without a Code")
    if code == "OK" and response.is_success:
        return delivered(str(answer.get("BizId", "")) if answer else "")
    detail = f"sms {code}: {answer.get('Message', '') if answer else ''}"[:300]
    if code in PERMANENT_CODES:
        return permanent(detail)
    if code in RETRY_CODES or response.status_code >= 500:
        return retry(detail, retry_after=60.0 if "LIMIT" in code or "Throttling" in code else None)
    return retry(detail)  # unknown: the worker's attempt limit bounds it

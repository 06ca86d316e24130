"""The AWS event-stream encoding (``application/vnd.amazon.eventstream``), as Bedrock sends its streams.

botocore ships only the decoder; the fakes of Bedrock (``bedrock_fakes``, boto3) and of the Anthropic SDK's
``AnthropicBedrock`` client (``anthropic_fakes``) both answer with messages encoded here. No dependency
beyond the standard library, so a test without boto3 can use it.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from collections.abc import Mapping
from typing import Any

_STRING_HEADER = 7  # the header value type botocore decodes as a UTF-8 string


def encode_message(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude (total length, headers length, CRC32), headers, payload, CRC32.

    Header values are strings (type 7: 2-byte length + UTF-8), the only type Bedrock's events use.
    """
    encoded_headers = b""
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        encoded_headers += struct.pack("!B", len(raw_name)) + raw_name
        encoded_headers += struct.pack("!BH", _STRING_HEADER, len(raw_value)) + raw_value
    total = 12 + len(encoded_headers) + len(payload) + 4
    prelude = struct.pack("!II", total, len(encoded_headers))
    prelude += struct.pack("!I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + encoded_headers + payload
    return message + struct.pack("!I", binascii.crc32(message) & 0xFFFFFFFF)


def event_message(event_type: str, payload: Mapping[str, Any]) -> bytes:
    """An ``event`` message whose JSON payload is the event member (``contentBlockDelta``, ``chunk``, ...)."""
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, json.dumps(payload).encode())


def exception_message(exception_type: str, message: str = "The stream failed.") -> bytes:
    """A modelled exception inside the stream (``modelStreamErrorException``, ``throttlingException``...)."""
    headers = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, json.dumps({"message": message}).encode())


def chunk_message(body: Mapping[str, Any] | bytes) -> bytes:
    """An ``invoke_model_with_response_stream`` chunk: the model's JSON, base64 in ``{"bytes": ...}``."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return event_message("chunk", {"bytes": base64.b64encode(raw).decode()})

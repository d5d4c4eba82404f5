"""A local server that speaks the OpenAI HTTP protocol, for tests and the benchmark.

It is a real HTTP server (stdlib `ThreadingHTTPServer` on 127.0.0.1, a free port,
in a thread), so the real `openai` client talks to it exactly as it talks to
OpenAI, Ollama or vLLM: nothing is mocked and nothing leaves the machine.

Endpoints: `POST /v1/chat/completions` (plain and SSE streaming, `response_format`
json_schema / json_object), `POST /v1/moderations`, `GET /v1/models`, and
`POST /v1/images/generations` (PNG images as `b64_json`, of the requested size,
in a colour derived from the prompt; `image_models` lists the models it knows).

Each test scripts what the next requests get with `server.enqueue(kind, ...)`; an
empty queue answers "ok". Kinds:

- `ok`: a JSON answer built from the request (the schema's name and channels, or
  the channels and counts named in the prompt), or `content=` if given.
- `rate_limit`: 429 with `Retry-After: <retry_after>`.
- `server_error`: 500.
- `hang`: answer nothing for `hang_seconds` (past the client's timeout).
- `malformed`: 200 whose content is not JSON (`content=` overrides, e.g. JSON
  that breaks the schema).
- `refusal`: 200 whose message is a refusal.
- `bad_key`: 401 whose message echoes the key it got (to prove callers redact).
- `unknown_model`: 404 model_not_found.
- `no_json_schema`: 400 saying response_format json_schema is unsupported
  (`supports_json_schema = False` does this for every json_schema request).
- `bad_request`: 400 with a content-policy message (a refused image prompt).

The images endpoint takes the same queue: `ok`, `rate_limit`, `server_error`,
`hang`, `bad_key`, `unknown_model`, `bad_request`, and `malformed` (200 whose
`b64_json` is not an image).

`latency` (seconds) delays every answer; `chunk_delay` spaces streamed chunks.
Every request is recorded in `requests` (headers with the key redacted, body).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

KINDS = {
    "ok",
    "rate_limit",
    "server_error",
    "hang",
    "malformed",
    "refusal",
    "bad_key",
    "unknown_model",
    "no_json_schema",
    "bad_request",
}


@dataclass
class Behaviour:
    kind: str = "ok"
    retry_after: float | None = None
    content: str | dict[str, Any] | None = None
    hang_seconds: float = 5.0


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    at: float  # time.monotonic() when it arrived
    behaviour: str = "ok"


@dataclass
class LLMServer:
    """The scriptable state of one running server (see the module docstring)."""

    latency: float = 0.0
    chunk_delay: float = 0.0
    models: list[str] = field(default_factory=lambda: ["test-model"])
    image_models: list[str] = field(
        default_factory=lambda: ["test-image-model", "gpt-image-1", "dall-e-3"]
    )
    supports_json_schema: bool = True
    accepts_stream_options: bool = True
    flag_words: tuple[str, ...] = ("attack", "hate")
    usage: tuple[int, int] = (120, 80)  # prompt, completion tokens per answer
    requests: list[Recorded] = field(default_factory=list)
    base_url: str = ""
    _queue: deque[Behaviour] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------
    def enqueue(self, kind: str, count: int = 1, **options: Any) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown behaviour {kind!r}; one of {sorted(KINDS)}")
        with self._lock:
            for _ in range(count):
                self._queue.append(Behaviour(kind=kind, **options))

    def _next(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else Behaviour()

    def _record(self, rec: Recorded) -> None:
        with self._lock:
            self.requests.append(rec)

    def chat_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def image_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/images/generations")]

    # -- lifecycle -------------------------------------------------------
    def start(self) -> LLMServer:
        handler = type("Handler", (_Handler,), {"server_state": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="llm-test-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases handlers that "hang"
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def llm_server() -> Iterator[LLMServer]:
    """A fresh OpenAI-protocol server per test; `llm_server.base_url` ends in /v1."""
    with LLMServer() as server:
        yield server


# -- answers -------------------------------------------------------------

_CHANNELS = re.compile(r"channels:\s*([a-z0-9_]+(?:\s*,\s*[a-z0-9_]+)*)", re.I)
_VARIANTS = re.compile(r"(\d+)\s+variants?", re.I)
_ANGLES = re.compile(r"(\d+)\s+angles?", re.I)


def _prompt_text(body: dict[str, Any]) -> str:
    parts = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
    return "\n".join(parts)


def _schema(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    rf = body.get("response_format") or {}
    if rf.get("type") == "json_schema":
        js = rf.get("json_schema") or {}
        return js.get("name", ""), js.get("schema") or {}
    return "", {}


def build_answer(body: dict[str, Any]) -> dict[str, Any]:
    """A JSON answer that matches what the request asked for."""
    name, schema = _schema(body)
    prompt = _prompt_text(body)
    wants_angles = "angle" in name or (not name and '"angles"' in prompt)
    if wants_angles:
        m = _ANGLES.search(prompt)
        count = int(m.group(1)) if m else 3
        return {
            "angles": [
                {
                    "topic": f"Topic {i + 1}",
                    "angle": f"Angle {i + 1} from the test server",
                    "rationale": "scripted",
                }
                for i in range(count)
            ]
        }
    channels: list[str] = []
    try:
        texts = schema["properties"]["variants"]["items"]["properties"]["texts"]
        channels = list(texts.get("properties", {}))
    except (KeyError, TypeError):
        pass
    if not channels:
        m = _CHANNELS.search(prompt)
        channels = [c.strip() for c in m.group(1).split(",")] if m else ["x"]
    m = _VARIANTS.search(prompt)
    count = int(m.group(1)) if m else 2
    variants = []
    for i in range(count):
        label = chr(ord("A") + i)
        variants.append(
            {
                "label": label,
                "texts": {
                    c: f"Variant {label} for {c}: try it today." for c in channels
                },
                "hashtags": ["#test"],
                "link_placement": "end",
                "alt_text": f"Illustration {label}",
                "image_prompt": f"A picture for variant {label}",
                "rationale": "from the test server",
            }
        )
    return {"variants": variants}


def _png_b64(width: int, height: int, seed_text: str) -> str:
    """A solid PNG in a colour derived from the text (same prompt, same image)."""
    from PIL import Image

    digest = hashlib.sha256(seed_text.encode()).digest()
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), tuple(digest[:3])).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _error(message: str, type_: str, code: str | None, param: str | None = None):
    return {"error": {"message": message, "type": type_, "code": code, "param": param}}


class _Handler(BaseHTTPRequestHandler):
    server_state: LLMServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # -- plumbing --------------------------------------------------------
    def _read_body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return {"_raw": raw.decode("utf-8", "replace")}

    def _headers_without_key(self) -> dict[str, str]:
        out = {}
        for k, v in self.headers.items():
            if k.lower() in {"authorization", "api-key"}:
                out[k] = "Bearer ***" if v.lower().startswith("bearer") else "***"
            else:
                out[k] = v
        return out

    def _key(self) -> str:
        auth = self.headers.get("Authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else auth

    def _send_json(
        self, status: int, payload: Any, headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.server_state._stopping.wait(seconds)

    # -- routes ----------------------------------------------------------
    def do_GET(self) -> None:
        state = self.server_state
        state._record(
            Recorded(
                "GET", self.path, self._headers_without_key(), None, time.monotonic()
            )
        )
        if self.path.rstrip("/").endswith("/models"):
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": "test"}
                for m in state.models
            ]
            self._send_json(200, {"object": "list", "data": data})
        else:
            self._send_json(404, _error("Not found", "invalid_request_error", None))

    def do_POST(self) -> None:
        state = self.server_state
        body = self._read_body() or {}
        rec = Recorded(
            "POST", self.path, self._headers_without_key(), body, time.monotonic()
        )
        state._record(rec)
        path = self.path.split("?")[0].rstrip("/")
        if path.endswith("/moderations"):
            self._wait(state.latency)
            self._moderations(body)
            return
        if path.endswith("/images/generations"):
            behaviour = state._next()
            rec.behaviour = behaviour.kind
            self._wait(state.latency)
            self._images(body, behaviour)
            return
        if not path.endswith("/chat/completions"):
            self._send_json(404, _error("Not found", "invalid_request_error", None))
            return
        behaviour = state._next()
        rec.behaviour = behaviour.kind
        self._wait(state.latency)
        self._chat(body, behaviour)

    def _moderations(self, body: dict[str, Any]) -> None:
        inputs = body.get("input", "")
        texts = inputs if isinstance(inputs, list) else [inputs]
        results = []
        for text in texts:
            lowered = str(text).lower()
            violence = "attack" in lowered and "attack" in self.server_state.flag_words
            hate = "hate" in lowered and "hate" in self.server_state.flag_words
            categories = {
                "harassment": False,
                "hate": hate,
                "self-harm": False,
                "sexual": False,
                "violence": violence,
            }
            results.append(
                {
                    "flagged": violence or hate,
                    "categories": categories,
                    "category_scores": {k: float(v) for k, v in categories.items()},
                }
            )
        self._send_json(
            200,
            {
                "id": f"modr-{uuid.uuid4().hex[:8]}",
                "model": body.get("model", "omni-moderation-latest"),
                "results": results,
            },
        )

    def _chat(self, body: dict[str, Any], b: Behaviour) -> None:
        kind = b.kind
        if kind == "hang":
            self._wait(b.hang_seconds)
            kind = "ok"
        if self._refused_as_told(b, kind) or self._refused_request(body, kind):
            return

        refusal = None
        if kind == "refusal":
            content = None
            refusal = "I'm sorry, I can't help with that request."
        elif kind == "malformed":
            c = b.content if b.content is not None else '{"variants": [ {"label": "A",'
            content = c if isinstance(c, str) else json.dumps(c)
        elif b.content is not None:
            content = b.content if isinstance(b.content, str) else json.dumps(b.content)
        else:
            content = json.dumps(build_answer(body))
        if body.get("stream"):
            self._stream(body, content, refusal)
        else:
            self._send_json(200, self._completion(body, content, refusal))

    def _refused_as_told(self, b: Behaviour, kind: str) -> bool:
        """The failures a test queues (bad key, rate limit, server error),
        answered before the request is even read; True once answered."""
        if kind == "bad_key":
            key = self._key()
            # Echo the key back like a careless server would: callers must redact.
            self._send_json(
                401,
                _error(
                    f"Incorrect API key provided: {key}.",
                    "invalid_request_error",
                    "invalid_api_key",
                ),
            )
            return True
        if kind == "rate_limit":
            headers = {}
            if b.retry_after is not None:
                headers["Retry-After"] = f"{b.retry_after:g}"
            self._send_json(
                429,
                _error("Rate limit reached, slow down.", "requests", "rate_limit"),
                headers,
            )
            return True
        if kind == "server_error":
            self._send_json(
                500, _error("The server had an error.", "server_error", None)
            )
            return True
        return False

    def _refused_request(self, body: dict[str, Any], kind: str) -> bool:
        """What the real API refuses in the request itself (an unknown model, a
        response_format or stream_options this server plays as unsupported);
        True once answered."""
        state = self.server_state
        model = body.get("model")
        if kind == "unknown_model" or model not in state.models:
            self._send_json(
                404,
                _error(
                    f"The model `{model}` does not exist or you do not have access.",
                    "invalid_request_error",
                    "model_not_found",
                ),
            )
            return True
        rf_type = (body.get("response_format") or {}).get("type")
        if kind == "no_json_schema" or (
            rf_type == "json_schema" and not state.supports_json_schema
        ):
            self._send_json(
                400,
                _error(
                    "response_format of type json_schema is not supported "
                    "by this model.",
                    "invalid_request_error",
                    None,
                    "response_format",
                ),
            )
            return True
        if body.get("stream_options") and not state.accepts_stream_options:
            self._send_json(
                400,
                _error(
                    "Unrecognized request argument supplied: stream_options",
                    "invalid_request_error",
                    None,
                    "stream_options",
                ),
            )
            return True
        return False

    def _images(self, body: dict[str, Any], b: Behaviour) -> None:
        kind = b.kind
        if kind == "hang":
            self._wait(b.hang_seconds)
            kind = "ok"
        if kind in {"bad_key", "rate_limit", "server_error"}:
            self._chat(body, Behaviour(kind=kind, retry_after=b.retry_after))
            return
        model = body.get("model")
        if kind == "unknown_model" or model not in self.server_state.image_models:
            self._send_json(
                404,
                _error(
                    f"The model `{model}` does not exist or you do not have access.",
                    "invalid_request_error",
                    "model_not_found",
                ),
            )
            return
        if kind == "bad_request":
            self._send_json(
                400,
                _error(
                    "Your request was rejected as a result of our safety system.",
                    "invalid_request_error",
                    "content_policy_violation",
                    "prompt",
                ),
            )
            return
        prompt = str(body.get("prompt", ""))
        try:
            w, h = (int(v) for v in str(body.get("size", "")).split("x"))
        except ValueError:
            w = h = 1024  # "auto" or absent
        n = int(body.get("n") or 1)
        data = []
        for i in range(n):
            b64 = (
                base64.b64encode(b"not an image").decode()
                if kind == "malformed"
                else _png_b64(w, h, f"{prompt}#{i}")
            )
            data.append({"b64_json": b64, "revised_prompt": f"revised: {prompt}"})
        self._send_json(200, {"created": int(time.time()), "data": data})

    def _usage(self) -> dict[str, int]:
        p, c = self.server_state.usage
        return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}

    def _completion(
        self, body: dict[str, Any], content: str | None, refusal: str | None
    ) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": content,
                        "refusal": refusal,
                    },
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": self._usage(),
        }

    def _stream(
        self, body: dict[str, Any], content: str | None, refusal: str | None
    ) -> None:
        state = self.server_state
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        cid = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        base = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model"),
        }

        def send(choices: list[dict[str, Any]], **extra: Any) -> None:
            chunk = {**base, "choices": choices, **extra}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()

        def delta(d: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"index": 0, "delta": d, "finish_reason": finish, "logprobs": None}

        try:
            send([delta({"role": "assistant", "content": ""})])
            text = content if content is not None else refusal or ""
            field_name = "content" if content is not None else "refusal"
            for i in range(0, len(text), 24):
                self._wait(state.chunk_delay)
                send([delta({field_name: text[i : i + 24]})])
            send([delta({}, "stop")])
            if (body.get("stream_options") or {}).get("include_usage"):
                send([], usage=self._usage())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

"""A local stand-in for Slack's Web API, for tests that drive the real slack_sdk client.

Point ``slack_sdk.WebClient(token=..., base_url=fake.base_url)`` at it.  It speaks
HTTP on 127.0.0.1 so the client's whole stack (urllib, JSON/form encoding, retry
handlers, files_upload_v2's three steps) runs for real, while the fake records
what arrived and can be told to fail in the ways Slack does (429 with
Retry-After, 5xx, a response lost after the message was posted).

Stdlib only, so the test suite needs nothing beyond slack_sdk itself.
"""

from __future__ import annotations

import base64
import copy
import email.parser
import email.policy
import json
import threading
from http import HTTPStatus
from collections import defaultdict, deque
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

#: Pseudo method name under which POSTs to an ``upload_url`` are recorded.
UPLOAD = "upload"

#: Form fields that Slack receives as JSON text; decoded so tests see structures.
_JSON_FIELDS = ("blocks", "attachments", "metadata", "files", "user_auth_blocks")

_KEPT_HEADERS = ("authorization", "content-type", "user-agent")

_BOT_USER_ID = "U0FAKEBOT"
_BOT_ID = "B0FAKEBOT"
_APP_ID = "A0FAKEAPP"
_TEAM_ID = "T0FAKETEAM"


@dataclass
class RecordedRequest:
    """One request the fake answered (or dropped), kept so tests can assert on traffic."""

    method: str  # API method ("chat.postMessage"), or UPLOAD for upload_url POSTs
    args: dict[str, Any]  # query string + body (JSON or form), JSON-ish form fields decoded
    headers: dict[str, str]  # Authorization, Content-Type, User-Agent (as sent)
    status: int | None  # HTTP status sent; None when the connection was dropped
    ok: bool | None = None  # the "ok" of the JSON body produced (None for non-JSON answers)
    error: str | None = None  # the "error" of the JSON body, if any
    dropped: bool = False  # processed, but the response was never sent

    @property
    def succeeded(self) -> bool:
        """What the client saw as success: HTTP 200 and not ok=false (uploads answer plain text)."""
        return self.status == 200 and self.ok is not False


@dataclass
class UploadedFile:
    """A file announced by files.getUploadURLExternal, filled in by the upload POST."""

    file_id: str
    filename: str
    length: int | None  # as declared to getUploadURLExternal
    size: int | None = None  # bytes actually received by the upload POST
    data: bytes | None = None
    title: str | None = None
    completed: bool = False
    channels: list[str] = field(default_factory=list)
    shares: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel -> [{ts}]


@dataclass
class _Failure:
    status: int
    retry_after: int | float | None
    body: dict[str, Any] | str | None


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    payload: dict[str, Any] | None = None  # the JSON object, for recording ok/error


class _ApiError(Exception):
    """Raised by handlers to answer Slack-style: HTTP 200 with {"ok": false, "error": ...}."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


def _json_response(payload: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> _Response:
    return _Response(
        status=status,
        body=json.dumps(payload).encode("utf-8"),
        content_type="application/json; charset=utf-8",
        headers=headers or {},
        payload=payload,
    )


def _text_response(text: str, status: int = 200) -> _Response:
    return _Response(status=status, body=text.encode("utf-8"), content_type="text/plain; charset=utf-8")


def _ts_key(value: Any) -> Decimal | None:
    """Slack timestamps compare numerically ("1700000000.000100"); None if absent/garbled."""
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes")


class FakeSlack:
    """Threaded local HTTP server answering the Slack Web API methods csc-monitor uses.

    Usage::

        with FakeSlack() as slack:
            client = WebClient(token="xoxb-test", base_url=slack.base_url)
            client.chat_postMessage(channel="C123", text="hi")
            assert slack.calls("chat.postMessage")[0]["text"] == "hi"

    Any channel id is accepted (channels spring into existence on first post).
    Messages keep their ``metadata`` and conversations.history always returns it:
    Slack returns an app's own metadata to that app, and there is only one app here.
    """

    def __init__(self, token: str = "xoxb-test", *, start_ts: str = "1700000000.000100") -> None:
        self.token = token
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._history: dict[str, list[dict[str, Any]]] = defaultdict(list)  # oldest first
        self._uploads: dict[str, UploadedFile] = {}
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._drops: dict[str, int] = defaultdict(int)
        secs, _, frac = start_ts.partition(".")
        self._next_ts_us = int(secs) * 1_000_000 + int((frac or "0").ljust(6, "0")[:6])
        self._file_seq = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "files.info": self._files_info,
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        """Bind an ephemeral port on 127.0.0.1 and serve from a daemon thread."""
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        # A short poll interval keeps shutdown() (and so every test teardown) fast.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; use it as a context manager or call start()")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """The value for ``WebClient(base_url=...)``; ends in ``/api/`` like Slack's."""
        return f"{self.root_url}/api/"

    # ------------------------------------------------------------------ inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request answered or dropped, in arrival order (a snapshot copy)."""
        with self._lock:
            return list(self._requests)

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Arguments of the calls to ``method`` that got HTTP 200 with ok=true, in order.

        Failed, scripted-failure and dropped calls are excluded: this is what the
        client saw succeed.  Use ``requests`` to see everything.
        """
        with self._lock:
            return [copy.deepcopy(r.args) for r in self._requests if r.method == method and r.succeeded]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Everything stored for ``channel`` (thread replies included), oldest first."""
        with self._lock:
            return copy.deepcopy(self._history.get(channel, []))

    @property
    def uploads(self) -> dict[str, UploadedFile]:
        """Files by id, as announced/uploaded/completed through the v2 upload flow."""
        with self._lock:
            return copy.deepcopy(self._uploads)

    # ------------------------------------------------------------------ scripting

    def fail_next(
        self,
        method: str,
        status: int,
        times: int = 1,
        retry_after: int | float | None = None,
        body: dict[str, Any] | str | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with ``status`` instead of processing them.

        ``body`` may be a dict (sent as JSON) or a str (sent as text/plain).  By
        default a 429 gets Slack's ``{"ok": false, "error": "ratelimited"}`` and
        other statuses a plain-text reason, as Slack's edge does.  ``retry_after``
        adds a ``Retry-After`` header (slack_sdk sleeps that many seconds + jitter).
        ``method`` may be UPLOAD to fail the upload_url POST.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            for _ in range(times):
                self._failures[method].append(_Failure(status, retry_after, body))

    def fail_after_processing_next(self, method: str, times: int = 1) -> None:
        """Process the next ``times`` calls to ``method`` fully, then close the connection unanswered.

        Simulates a response lost after Slack acted (e.g. the message IS posted).
        slack_sdk sees ``http.client.RemoteDisconnected``, which its default
        ConnectionErrorRetryHandler retries once, so a plain WebClient would post twice.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._drops[method] += times

    # ------------------------------------------------------------------ dispatch (server threads)

    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> _Response | None:
        """Route one HTTP request; returns the response, or None to drop the connection."""
        parts = urlsplit(path)
        if parts.path.startswith("/upload/"):  # raw file bytes: never decoded as a form
            method = UPLOAD
            args = {"file_id": parts.path[len("/upload/"):], "size": len(body)}
        else:
            method = parts.path[len("/api/"):] if parts.path.startswith("/api/") else parts.path
            args = dict(parse_qsl(parts.query, keep_blank_values=True))
            args.update(_parse_body(headers.get("Content-Type", ""), body))

        kept_headers = {k: v for k, v in headers.items() if k.lower() in _KEPT_HEADERS}
        with self._lock:
            failures = self._failures.get(method)
            failure = failures.popleft() if failures else None
            drop = False
            if failure is None and self._drops.get(method, 0) > 0:
                self._drops[method] -= 1
                drop = True

            if failure is not None:
                response = _failure_response(failure)
            elif method == UPLOAD:
                response = self._receive_upload(args, body)
            elif parts.path.startswith("/api/"):
                response = self._call_api(method, args, headers)
            else:
                response = _text_response("Not Found", status=404)

            payload = response.payload or {}
            self._requests.append(
                RecordedRequest(
                    method=method,
                    args=copy.deepcopy(args),
                    headers=kept_headers,
                    status=None if drop else response.status,
                    ok=payload.get("ok") if response.payload is not None else None,
                    error=payload.get("error"),
                    dropped=drop,
                )
            )
        return None if drop else response

    def _call_api(self, method: str, args: dict[str, Any], headers: dict[str, str]) -> _Response:
        """Slack answers API-level errors as HTTP 200 with ok=false."""
        handler = self._methods.get(method)
        if handler is None:
            return _json_response({"ok": False, "error": "unknown_method", "req_method": method})
        auth_error = self._check_token(args, headers)
        if auth_error is not None:
            return _json_response({"ok": False, "error": auth_error})
        try:
            return _json_response({"ok": True, **handler(args)})
        except _ApiError as exc:
            return _json_response({"ok": False, "error": exc.error})

    def _check_token(self, args: dict[str, Any], headers: dict[str, str]) -> str | None:
        """Slack says not_authed when no token came, invalid_auth when it is wrong."""
        auth = headers.get("Authorization", "")
        token = auth[len("Bearer "):].strip() if auth.startswith("Bearer ") else args.pop("token", None)
        if not token:
            return "not_authed"
        return None if token == self.token else "invalid_auth"

    def _new_ts(self) -> str:
        us = self._next_ts_us
        self._next_ts_us += 100
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _store_message(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        """Append to the channel; a reply also updates its parent's thread fields like Slack."""
        thread_ts = message.get("thread_ts")
        if thread_ts:
            parent = self._find(channel, thread_ts)
            if parent is None:
                # Slack accepts a reply to an unknown ts as a top-level message.
                message.pop("thread_ts")
            else:
                parent["thread_ts"] = parent["ts"]
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = message["ts"]
        self._history[channel].append(message)
        return message

    def _find(self, channel: str, ts: str) -> dict[str, Any] | None:
        return next((m for m in self._history.get(channel, []) if m["ts"] == ts), None)

    # ------------------------------------------------------------------ API methods (lock held)

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://fake-workspace.slack.com/",
            "team": "Fake Workspace",
            "user": "csc-monitor",
            "team_id": _TEAM_ID,
            "user_id": _BOT_USER_ID,
            "bot_id": _BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            raise _ApiError("channel_not_found")
        text, blocks, attachments = args.get("text"), args.get("blocks"), args.get("attachments")
        if not text and not blocks and not attachments:
            raise _ApiError("no_text")
        if blocks is not None and not (
            isinstance(blocks, list) and all(isinstance(b, dict) and "type" in b for b in blocks)
        ):
            raise _ApiError("invalid_blocks")
        metadata = args.get("metadata")
        if metadata is not None and not (
            isinstance(metadata, dict)
            and isinstance(metadata.get("event_type"), str)
            and isinstance(metadata.get("event_payload", {}), dict)
        ):
            raise _ApiError("invalid_metadata_format")

        message: dict[str, Any] = {
            "type": "message",
            "user": _BOT_USER_ID,
            "bot_id": _BOT_ID,
            "app_id": _APP_ID,
            "team": _TEAM_ID,
            "ts": self._new_ts(),
            "text": text or "",
            "blocks": copy.deepcopy(blocks) if blocks else [],
        }
        if attachments:
            message["attachments"] = copy.deepcopy(attachments)
        if metadata is not None:
            message["metadata"] = {
                "event_type": metadata["event_type"],
                "event_payload": metadata.get("event_payload", {}),
            }
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
            if _truthy(args.get("reply_broadcast", False)):
                message["reply_broadcast"] = True
        stored = self._store_message(channel, message)
        return {"channel": channel, "ts": stored["ts"], "message": copy.deepcopy(stored)}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            raise _ApiError("channel_not_found")
        # Thread replies live in conversations.replies unless broadcast to the channel.
        visible = [
            m for m in self._history.get(channel, [])
            if m.get("thread_ts") in (None, m["ts"]) or m.get("reply_broadcast")
        ]
        return _page(list(reversed(visible)), args, default_limit=100, key="messages")

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = args.get("channel"), args.get("ts")
        if not channel:
            raise _ApiError("channel_not_found")
        if not ts:
            raise _ApiError("invalid_arguments")
        parent = self._find(channel, str(ts))
        if parent is None:
            raise _ApiError("thread_not_found")
        replies = [m for m in self._history[channel] if m.get("thread_ts") == parent["ts"] and m is not parent]
        thread = [parent, *replies]
        return _page(thread, args, default_limit=1000, key="messages")

    def _files_get_upload_url_external(self, args: dict[str, Any]) -> dict[str, Any]:
        filename, length = args.get("filename"), args.get("length")
        if not filename or length in (None, ""):
            raise _ApiError("invalid_arguments")
        try:
            declared = int(length)
        except (TypeError, ValueError):
            raise _ApiError("invalid_arguments") from None
        self._file_seq += 1
        file_id = f"F{self._file_seq:010d}"
        self._uploads[file_id] = UploadedFile(file_id=file_id, filename=str(filename), length=declared)
        return {"upload_url": f"{self.root_url}/upload/{file_id}", "file_id": file_id}

    def _receive_upload(self, args: dict[str, Any], body: bytes) -> _Response:
        upload = self._uploads.get(args["file_id"])
        if upload is None:
            return _text_response("Not Found", status=404)
        upload.data, upload.size = body, len(body)
        args["filename"] = upload.filename
        return _text_response(f"OK - {len(body)}")

    def _files_complete_upload_external(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise _ApiError("invalid_arguments")
        uploads = []
        for entry in files:
            upload = self._uploads.get(entry.get("id")) if isinstance(entry, dict) else None
            if upload is None or upload.data is None:
                raise _ApiError("file_not_found")
            upload.title = entry.get("title") or upload.filename
            upload.completed = True
            uploads.append(upload)

        channels = [args["channel_id"]] if args.get("channel_id") else []
        if args.get("channels"):
            channels += [c for c in str(args["channels"]).split(",") if c]
        thread_ts = args.get("thread_ts")
        for channel in channels:
            # Slack shares the files as one message carrying the initial comment.
            message: dict[str, Any] = {
                "type": "message",
                "subtype": "file_share",
                "user": _BOT_USER_ID,
                "ts": self._new_ts(),
                "text": args.get("initial_comment") or "",
                "files": [{"id": u.file_id, "name": u.filename, "title": u.title} for u in uploads],
                "upload": True,
            }
            if thread_ts:
                message["thread_ts"] = str(thread_ts)
            stored = self._store_message(channel, message)
            for upload in uploads:
                upload.channels.append(channel)
                upload.shares.setdefault(channel, []).append({"ts": stored["ts"]})
        return {"files": [{"id": u.file_id, "title": u.title} for u in uploads]}

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        upload = self._uploads.get(args.get("file", ""))
        if upload is None or not upload.completed:
            raise _ApiError("file_not_found")
        public = {c: s for c, s in upload.shares.items() if c.startswith("C")}
        private = {c: s for c, s in upload.shares.items() if not c.startswith("C")}
        return {
            "file": {
                "id": upload.file_id,
                "name": upload.filename,
                "title": upload.title,
                "size": upload.size,
                "user": _BOT_USER_ID,
                "channels": [c for c in upload.channels if c.startswith("C")],
                "groups": [c for c in upload.channels if not c.startswith("C")],
                "shares": {k: v for k, v in (("public", public), ("private", private)) if v},
            },
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }


def _page(messages: list[dict[str, Any]], args: dict[str, Any], *, default_limit: int, key: str) -> dict[str, Any]:
    """Apply Slack's oldest/latest (exclusive unless inclusive), limit and cursor paging."""
    oldest, latest = _ts_key(args.get("oldest")), _ts_key(args.get("latest"))
    inclusive = _truthy(args.get("inclusive", False))

    def in_window(message: dict[str, Any]) -> bool:
        ts = Decimal(message["ts"])
        if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
            return False
        if latest is not None and (ts > latest or (ts == latest and not inclusive)):
            return False
        return True

    selected = [m for m in messages if in_window(m)]
    try:
        limit = int(args.get("limit") or default_limit)
    except ValueError:
        raise _ApiError("invalid_limit") from None
    limit = max(1, min(limit, 1000))
    start = 0
    if args.get("cursor"):
        try:
            start = int(base64.b64decode(str(args["cursor"])).decode().removeprefix("offset:"))
        except ValueError:
            raise _ApiError("invalid_cursor") from None
    chunk = selected[start:start + limit]
    has_more = start + limit < len(selected)
    next_cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if has_more else ""
    return {key: copy.deepcopy(chunk), "has_more": has_more, "response_metadata": {"next_cursor": next_cursor}}


def _failure_response(failure: _Failure) -> _Response:
    headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
    body = failure.body
    if body is None:
        body = {"ok": False, "error": "ratelimited"} if failure.status == 429 else _reason(failure.status)
    if isinstance(body, dict):
        return _json_response(body, status=failure.status, headers=headers)
    response = _text_response(body, status=failure.status)
    response.headers.update(headers)
    return response


def _reason(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Decode JSON, urlencoded or multipart bodies into a flat dict, as Slack reads them."""
    if not body:
        return {}
    mime = content_type.split(";")[0].strip().lower()
    if mime == "application/json":
        data = json.loads(body.decode("utf-8"))
        return data if isinstance(data, dict) else {"_json": data}
    if mime == "multipart/form-data":
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            fields[name] = payload if part.get_filename() else payload.decode("utf-8")
        return _decode_json_fields(fields)
    # slack_sdk's default (and Slack's) is application/x-www-form-urlencoded.
    return _decode_json_fields(dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)))


def _decode_json_fields(fields: dict[str, Any]) -> dict[str, Any]:
    for name in _JSON_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                fields[name] = json.loads(value)
            except ValueError:
                pass  # leave as sent; the method handler will reject it like Slack would
    return fields


class _Handler(BaseHTTPRequestHandler):
    """Reads the whole request, hands it to FakeSlack, writes (or withholds) the answer."""

    server_version = "FakeSlack/1.0"

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        self._serve()

    def do_GET(self) -> None:  # noqa: N802
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake: FakeSlack = self.server.fake  # type: ignore[attr-defined]
        try:
            response = fake._handle(self.path, dict(self.headers.items()), body)
        except Exception as exc:  # a bug in the fake should surface as a 500, not a hang
            response = _text_response(f"fake slack error: {exc!r}", status=500)
        if response is None:
            # Body fully read, nothing written: the client reads EOF -> RemoteDisconnected.
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Keep pytest output clean; the requests are recorded instead."""

"""`networks.apicall.multipart`: the one multipart/form-data body
the connectors send (Mastodon and Facebook uploads), read back the way a
server's parser reads it; and the credential reading every connector shares."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from types import SimpleNamespace

import pytest

from networks import apicall
from networks.base import ConnectorError, MediaItem, credentials_of


def parts(body: bytes, content_type: str) -> list[tuple[str, str | None, bytes]]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    assert message.is_multipart()
    return [
        (
            str(part.get_param("name", header="content-disposition")),
            part.get_filename(),
            part.get_payload(decode=True) or b"",
        )
        for part in message.iter_parts()
    ]


def test_fields_then_files_in_one_body_with_a_fresh_boundary() -> None:
    body, content_type = apicall.multipart(
        {"description": "A red bike, ünïcode", "published": "true"},
        [("source", "bike.jpg", "image/jpeg", b"\xff\xd8\x00\r\n--x")],
    )
    assert content_type.startswith("multipart/form-data; boundary=adloop-")
    assert parts(body, content_type) == [
        ("description", None, "A red bike, ünïcode".encode()),
        ("published", None, b"true"),
        ("source", "bike.jpg", b"\xff\xd8\x00\r\n--x"),
    ]
    assert apicall.multipart({})[1] != content_type


def test_a_file_name_cannot_break_out_of_its_header() -> None:
    body, content_type = apicall.multipart(
        {}, [("file", 'a"b\r\nX-Evil: 1.png', "image/png", b"png")]
    )
    assert b"X-Evil: 1" not in body.split(b"\r\n")
    [(name, filename, data)] = parts(body, content_type)
    assert (name, filename, data) == ("file", "a%22b%0D%0AX-Evil: 1.png", b"png")


def test_a_media_item_is_sent_as_its_stored_file(tmp_path: Path) -> None:
    path = tmp_path / "rendition.webp"
    path.write_bytes(b"RIFF....WEBP")
    item = MediaItem(path=str(path), content_type="image/webp", alt_text="alt")
    assert apicall.media_file("file", item) == (
        "file",
        "rendition.webp",
        "image/webp",
        b"RIFF....WEBP",
    )


@pytest.mark.parametrize("stored", [None, {}, "not a dict", ["a"]])
def test_missing_or_malformed_credentials_read_as_empty(stored: object) -> None:
    assert credentials_of(SimpleNamespace(credentials=stored)) == {}
    assert credentials_of(object()) == {}


def test_no_access_token_asks_for_a_reconnect() -> None:
    account = SimpleNamespace(credentials={"access_token": ""})
    with pytest.raises(ConnectorError) as caught:
        apicall.access_token(account, network="X")
    assert (caught.value.kind, caught.value.reconnect) == ("permanent", True)
    assert caught.value.message == (
        "This X account has no access token: connect it again."
    )
    account.credentials["access_token"] = "tok"
    assert apicall.access_token(account, network="X") == "tok"

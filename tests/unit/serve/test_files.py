"""The build's files over HTTP with byte ranges (what pages drawn from vector tiles read)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import pytest

from arealkart.errors import ServiceError
from arealkart.serve.files import file_server, parse_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 9)),
        ("bytes=10-", (10, 99)),
        ("bytes=-5", (95, 99)),
        ("bytes=90-500", (90, 99)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
        ("items=0-1", None),
        ("bytes=-", None),
    ],
)
def test_a_range_header_gives_its_first_and_last_byte(header, expected):
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=50-40"])
def test_a_range_outside_the_file_is_refused(header):
    with pytest.raises(ValueError, match="outside a file of 100 bytes"):
        parse_range(header, 100)


@pytest.fixture
def served(tmp_path):
    data = bytes(range(256)) * 40
    (tmp_path / "kart").mkdir()
    (tmp_path / "kart" / "r.pmtiles").write_bytes(data)
    server = file_server(tmp_path, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/kart/r.pmtiles", data
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def get(url: str, range_: str | None = None):
    request = urllib.request.Request(url, headers={"Range": range_} if range_ else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_a_range_is_answered_with_just_those_bytes(served):
    url, data = served
    status, headers, body = get(url, "bytes=100-226")
    assert status == 206 and body == data[100:227]
    assert headers["Content-Range"] == f"bytes 100-226/{len(data)}"
    assert headers["Content-Type"] == "application/vnd.pmtiles"


def test_without_a_range_the_whole_file_is_sent(served):
    url, data = served
    status, _, body = get(url)
    assert status == 200 and body == data


def test_a_range_past_the_end_is_416(served):
    url, data = served
    with pytest.raises(urllib.error.HTTPError) as caught:
        get(url, f"bytes={len(data)}-")
    with caught.value as answer:
        assert answer.code == 416
        assert answer.headers["Content-Range"] == f"bytes */{len(data)}"


def test_a_missing_folder_is_a_service_error(tmp_path):
    with pytest.raises(ServiceError, match="no such folder"):
        file_server(tmp_path / "nowhere")

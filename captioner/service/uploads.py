"""Uploads: multipart bodies streamed straight to the data folder under a random name, capped while they arrive.

The body is parsed as it streams in (python-multipart's push parser), not read into memory or spooled to /tmp
first: a file part is written to `DATA/media/<random id>/source.part` with its SHA-256 and size counted on the way,
and the request fails with 413 the moment the file passes `max_upload_bytes` (or a text field passes its cap),
without reading the rest. A `Content-Length` above the cap is refused before a byte is read. The client's file
name is never used: it is not even kept. Then the file is probed (`media.probe`: a video stream, its duration, not
truncated) before any job exists: not a video → 415, longer than `max_seconds` → 413, damaged → 422.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from python_multipart.multipart import MultipartParser, parse_options_header

from ..errors import InputError

MAX_PARTS = 64
MAX_FIELD_BYTES = 256 * 1024  # a script is a few hundred characters; 256 kB of text fields is already absurd


class UploadError(Exception):
    """An upload refused with an HTTP status (413, 415, 422) and one actionable line."""

    def __init__(self, status: int, message: str, code: str):
        super().__init__(message)
        self.status, self.code = status, code


@dataclass
class UploadedFile:
    field: str
    path: Path
    bytes: int = 0
    sha256: str = ""
    content_type: Optional[str] = None


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)

    def discard(self) -> None:
        for f in self.files.values():
            shutil.rmtree(f.path.parent, ignore_errors=True)


async def body_chunks(request, idle_s: float):
    """The request body as it streams, refused (408) when no data comes for `idle_s` seconds: a client that declares
    a 50 MB body, sends 200 kB and stops held its connection and its half-written upload open indefinitely."""
    import asyncio

    it = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(it.__anext__(), idle_s)
        except StopAsyncIteration:
            return
        except asyncio.TimeoutError:
            raise UploadError(408, f"the upload stalled: no data for {idle_s:g} s — send it again "
                                   "(nothing was kept)", "upload_stalled") from None
        yield chunk


async def read_multipart(request, make_dir, *, max_file_bytes: int, file_fields: set[str],
                         text_file_fields: set[str] = frozenset(), max_files: int = 1, idle_s: float = 60.0) -> Form:
    """Parse a multipart/form-data request as it streams. `make_dir()` gives a fresh folder per file part.
    Parts named in `file_fields` are stored as files; those in `text_file_fields` may be a file but are read as
    text (a script uploaded as a .txt); anything else must be a small text field."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in params:
        raise UploadError(415, "send multipart/form-data (fields: video, script, language, preset) or application/json "
                               "with a media_id", "unsupported_media_type")
    limit = max_file_bytes * max(1, max_files) + MAX_FIELD_BYTES + 64 * 1024
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise UploadError(413, f"the upload is {int(length)} bytes; the limit is {max_file_bytes} bytes per video "
                               "(ask the operator to raise --max-upload-mb)", "too_large")
    form = Form()
    state: dict = {"headers": {}, "hname": b"", "hval": b"", "name": None, "file": None, "buf": None, "hash": None,
                   "size": 0, "parts": 0, "error": None, "field_bytes": 0}

    def on_part_begin():
        state.update(headers={}, hname=b"", hval=b"", name=None, file=None, buf=None, hash=None, size=0)
        state["parts"] += 1
        if state["parts"] > MAX_PARTS:
            raise UploadError(413, f"too many form fields (more than {MAX_PARTS})", "too_many_parts")

    def on_header_field(data, start, end):
        state["hname"] += data[start:end]

    def on_header_value(data, start, end):
        state["hval"] += data[start:end]

    def on_header_end():
        state["headers"][state["hname"].decode("latin-1").lower()] = state["hval"]
        state["hname"], state["hval"] = b"", b""

    def on_headers_finished():
        disp, opts = parse_options_header(state["headers"].get("content-disposition", b""))
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        is_file = b"filename" in opts  # the file name itself is ignored: it never reaches a path
        state["name"] = name
        if name in file_fields:
            if not is_file:
                raise UploadError(422, f"field {name!r} must be a file upload", "invalid_field")
            if name in form.files or len(form.files) >= max_files:
                raise UploadError(422, f"one file per field, at most {max_files} files", "invalid_field")
            folder = make_dir()
            path = folder / "source.part"
            ct = state["headers"].get("content-type")
            form.files[name] = UploadedFile(field=name, path=path, content_type=ct.decode("latin-1") if ct else None)
            state["file"], state["hash"] = open(path, "wb"), hashlib.sha256()
        elif is_file and name not in text_file_fields:
            raise UploadError(422, f"unexpected file field {name!r}: upload the video as 'video'", "invalid_field")
        else:
            state["buf"] = bytearray()

    def on_part_data(data, start, end):
        chunk = data[start:end]
        if state["file"] is not None:
            state["size"] += len(chunk)
            if state["size"] > max_file_bytes:
                raise UploadError(413, f"the video is larger than the limit of {max_file_bytes} bytes "
                                       "(ask the operator to raise --max-upload-mb)", "too_large")
            state["file"].write(chunk)
            state["hash"].update(chunk)
        elif state["buf"] is not None:
            state["field_bytes"] += len(chunk)
            if state["field_bytes"] > MAX_FIELD_BYTES:
                raise UploadError(413, f"text fields are limited to {MAX_FIELD_BYTES} bytes in all", "too_large")
            state["buf"] += chunk

    def on_part_end():
        name = state["name"]
        if state["file"] is not None:
            f = state["file"]
            f.flush()
            os.fsync(f.fileno())
            f.close()
            up = form.files[name]
            up.bytes, up.sha256 = state["size"], state["hash"].hexdigest()
            state["file"] = None
        elif state["buf"] is not None and name:
            if name in form.fields:
                raise UploadError(422, f"field {name!r} given twice", "invalid_field")
            try:
                form.fields[name] = bytes(state["buf"]).decode("utf-8")
            except UnicodeDecodeError:
                if name in text_file_fields:
                    form.fields[name] = _decode_script(bytes(state["buf"]))
                else:
                    raise UploadError(422, f"field {name!r} is not UTF-8 text", "invalid_field") from None
            state["buf"] = None

    callbacks = {"on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
                 "on_header_end": on_header_end, "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
                 "on_part_end": on_part_end}
    parser = MultipartParser(params[b"boundary"], callbacks)
    received = 0
    try:
        async for chunk in body_chunks(request, idle_s):
            received += len(chunk)
            if received > limit:
                raise UploadError(413, f"the upload is larger than the limit of {max_file_bytes} bytes per video",
                                  "too_large")
            parser.write(chunk)
        parser.finalize()
    except UploadError:
        _close(state)
        form.discard()
        raise
    except Exception as e:  # a malformed body
        _close(state)
        form.discard()
        raise UploadError(422, f"the multipart body could not be parsed ({type(e).__name__}): send multipart/form-data",
                          "invalid_body") from None
    if state["file"] is not None:  # the body ended inside a file part
        _close(state)
        form.discard()
        raise UploadError(422, "the upload ended before the file was complete", "invalid_body")
    return form


def _close(state: dict) -> None:
    f = state.get("file")
    if f is not None:
        try:
            f.close()
        except OSError:
            pass
        state["file"] = None


def _decode_script(data: bytes) -> str:
    """A script uploaded as a file in another encoding: the CLI's reader (BOMs, UTF-16/32, named cp1252)."""
    import tempfile

    from ..hint import load_script

    with tempfile.NamedTemporaryFile(suffix=".txt") as t:
        t.write(data)
        t.flush()
        try:
            return load_script(Path(t.name))
        except InputError as e:
            raise UploadError(422, str(e).replace(t.name, "the script"), "invalid_script") from None


def probe_upload(path: Path, max_seconds: float):
    """Probe an uploaded file before any work: 415 if it is not a video with sound, 413 if too long, 422 if damaged."""
    import av

    try:
        with av.open(str(path)) as c:
            has_video = any(s.type == "video" for s in c.streams)
    except (av.error.FFmpegError, OSError, ValueError) as e:
        from ..media import _magic, unreadable_message

        if _magic(path) == "MP4/MOV":  # a video container cut short or damaged (its index lost): the CLI's reason
            raise UploadError(422, unreadable_message(path).replace(str(path), "the upload"), "invalid_media") from None
        raise UploadError(415, f"the upload is not a video file ffmpeg can read ({type(e).__name__}): send an MP4, MOV or "
                               "WebM ad", "unsupported_media_type") from None
    if not has_video:
        raise UploadError(415, "the upload has no video stream: send the ad's video file (MP4, MOV, WebM)",
                          "unsupported_media_type")
    from ..media import probe

    try:
        info = probe(path)
    except InputError as e:
        msg = str(e).replace(str(path), "the upload")
        status = 415 if "audio only" in msg or "no video stream" in msg else 422
        raise UploadError(status, msg, "unsupported_media_type" if status == 415 else "invalid_media") from None
    if not info.has_audio:
        raise UploadError(422, "the video has no audio stream: captions need the voice-over", "invalid_media")
    if info.captioned:
        raise UploadError(422, "the video already has captions burned in by captioner (it is a captioned output): upload "
                               "the original video — new captions would be drawn over the old ones", "invalid_media")
    from ..media import check_voice_track

    try:  # a silent first track with the voice on another: refused here, not after the job has queued and started
        check_voice_track(path)
    except InputError as e:
        raise UploadError(422, str(e).replace(str(path), "the upload").replace(path.name, "your-ad.mp4"),
                          "invalid_media") from None
    if info.duration > max_seconds:
        raise UploadError(413, f"the video is {info.duration:.1f} s long; the limit is {max_seconds:g} s "
                               "(ask the operator to raise --max-seconds)", "too_long")
    return info

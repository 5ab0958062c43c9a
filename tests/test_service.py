"""The caption service over real HTTP: `captioner serve` in a subprocess on 127.0.0.1, httpx as the client.

One server (2 render workers) for the module; keys and credits made with the CLI like an operator would. The
shipped example ad goes through the whole flow; the error statuses, isolation, idempotency, cancel, rate limit,
webhooks (signed, retried, verified by a local receiver) and batches are checked against it.
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import httpx
import pytest

from captioner.types import CaptionResult

from .conftest import EXAMPLE, ffmpeg, make_video, run_cli
from .example_ad import price_outcome
from .service_util import Receiver, Server, add_credits, cli, client, create_key, ledger_entries, wait_stage, wait_state

SCRIPT = (EXAMPLE / "script.txt").read_text(encoding="utf-8")
VIDEO = EXAMPLE / "video.mp4"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("service")
    data = root / "data"
    keys = {"acme": create_key(data, "acme"), "rival": create_key(data, "rival"), "broke": create_key(data, "broke"),
            "spammer": create_key(data, "acme")}
    add_credits(data, "acme", "10")
    add_credits(data, "rival", "10")
    server = Server(data, "--workers", "2", "--max-upload-mb", "5", "--max-seconds", "30", "--rate", "20", "--burst", "60",
                    "--upload-idle-s", "3",
                    "--webhook-allow", "127.0.0.1/32", "--webhook-backoff", "0.3", "--webhook-attempts", "4").start()
    receiver = Receiver(fail_first=1)
    # a 4 s cut of the example (short renders for the cheaper tests)
    short = root / "short.mp4"
    ffmpeg("-i", str(VIDEO), "-t", "4", "-c", "copy", str(short))
    yield {"root": root, "data": data, "keys": keys, "server": server, "receiver": receiver, "short": short}
    server.stop()
    receiver.close()


def submit(c: httpx.Client, video: Path = VIDEO, *, headers=None, **fields) -> httpx.Response:
    fields = {"script": SCRIPT, "language": "en", "preset": "karaoke", **fields}
    with open(video, "rb") as f:
        return c.post("/v1/jobs", files={"video": ("my ad.mp4", f, "video/mp4")}, data=fields, headers=headers or {})


# --- the full flow -------------------------------------------------------------------------------------------


def test_full_job_flow_on_the_example(env, tmp_path):
    srv, data, rec = env["server"], env["data"], env["receiver"]
    c = client(srv, env["keys"]["acme"])
    before = c.get("/v1/account").json()
    secret = before["webhook_secret"]
    r = submit(c, preset="bounce", client_reference="campaign-7/variant-a", webhook_url=rec.url)
    assert r.status_code in (201, 202), r.text
    job = r.json()
    assert job["id"].startswith("job_") and job["state"] in ("queued", "running")
    assert job["client_reference"] == "campaign-7/variant-a" and job["price_credits"] == 0.8

    seen_stages: set[str] = set()
    deadline = time.monotonic() + 420
    while True:
        j = c.get(f"/v1/jobs/{job['id']}").json()
        if j["progress"]["stage"]:
            seen_stages.add(j["progress"]["stage"])
        if j["state"] in ("done", "failed", "canceled") or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert j["state"] == "done", j
    assert j["progress"]["percent"] == 100 and len(seen_stages) >= 2, seen_stages
    assert all(s["state"] in ("done", "skipped") for s in j["progress"]["stages"])
    assert {s["name"] for s in j["progress"]["stages"] if s["state"] == "done"} >= {"plan", "asr", "render", "charge", "commit"}
    # findings: the example says "forty dollars" where the script says $49 (checked with the SRT below)
    assert j["receipt"] == {**j["receipt"], "charged": True, "credits": 0.8, "account": "acme", "tier": "dynamic"}

    # outputs: a real H.264 video of the input's size and length, the sidecars, the JSON = the CLI's sidecar
    mp4 = c.get(j["outputs"]["mp4"])
    assert mp4.status_code == 200 and mp4.headers["content-type"] == "video/mp4"
    (tmp_path / "out.mp4").write_bytes(mp4.content)
    from captioner.media import probe

    got, src = probe(tmp_path / "out.mp4"), probe(VIDEO)
    assert (got.width, got.height) == (src.width, src.height) and abs(got.duration - src.duration) < 0.2
    srt, vtt, ass = (c.get(j["outputs"][k]) for k in ("srt", "vtt", "ass"))
    assert srt.status_code == vtt.status_code == ass.status_code == 200
    assert "-->" in srt.text and vtt.text.startswith("WEBVTT") and "[Events]" in ass.text
    price_outcome(j["findings"], srt.text)  # $40 with an error, or $49 with a warning naming $40 — never silent
    side = c.get(j["outputs"]["json"])
    assert side.status_code == 200 and side.headers["content-type"].startswith("application/json")
    result = CaptionResult.model_validate_json(side.content)
    assert result.receipt.charged and result.receipt.idempotency_key == f"svc-{job['id']}"
    qa = c.get(j["outputs"]["qa"])
    assert qa.status_code == 200 and qa.text.startswith("# Caption QA report") and "$49" in qa.text

    # the CLI on the same input and preset writes the same sidecar (same schema, same words, same findings)
    cli_out = tmp_path / "cli" / "ad.mp4"
    p = run_cli("caption", str(VIDEO), "--script", str(EXAMPLE / "script.txt"), "--language", "en", "--preset", "bounce",
                "--out", str(cli_out), "--quiet")
    assert p.returncode == 0, p.stderr
    cli_json = json.loads(cli_out.with_suffix(".json").read_text(encoding="utf-8"))
    svc_json = json.loads(side.content)
    assert set(cli_json) == set(svc_json)
    assert [w["text"] for w in cli_json["words"]] == [w["text"] for w in svc_json["words"]]
    assert sorted(f["kind"] for f in cli_json["findings"]) == sorted(f["kind"] for f in svc_json["findings"])
    assert len(cli_json["pages"]) == len(svc_json["pages"])
    # no path on this server in what the client reads (the stored sidecar named the data folder's layout)
    assert str(data.resolve()) not in side.text and "/media/med_" not in side.text and "/jobs/job_" not in side.text
    assert svc_json["video"] == "the uploaded video" and svc_json["outputs"]["video"].endswith(".mp4")
    assert "/" not in "".join(svc_json["outputs"].values())

    # billed once through the same ledger the CLI uses
    after = c.get("/v1/account").json()
    assert after["balance_millicredits"] == before["balance_millicredits"] - 800
    charges = [e for e in ledger_entries(data, "acme") if e["idempotency_key"] == f"svc-{job['id']}"]
    assert len(charges) == 1 and charges[0]["millicredits"] == -800
    hist = c.get("/v1/account/history").json()["data"]
    assert any(e["idempotency_key"] == f"svc-{job['id']}" for e in hist) and all("output" not in e for e in hist)
    assert any(x["id"] == job["id"] for x in c.get("/v1/jobs").json()["data"])

    # the webhook: first attempt answered 500, retried, signed with the account's secret, client_reference echoed
    from captioner.service.webhooks import verify_signature

    reqs = [q for q in rec.wait(2) if json.loads(q["body"])["job"]["id"] == job["id"]]
    assert len(reqs) >= 2, "the failed first delivery was not retried"
    last = reqs[-1]
    h = {k.lower(): v for k, v in last["headers"].items()}
    assert verify_signature(secret, last["body"], h["x-captioner-timestamp"], h["x-captioner-signature"])
    assert not verify_signature(secret, last["body"] + b" ", h["x-captioner-timestamp"], h["x-captioner-signature"])
    assert not verify_signature("whsec_other", last["body"], h["x-captioner-timestamp"], h["x-captioner-signature"])
    event = json.loads(last["body"])
    assert event["event"] == "job.done" and event["client_reference"] == "campaign-7/variant-a"
    assert event["job"]["state"] == "done" and event["job"]["receipt"]["charged"] is True
    assert reqs[1]["at"] - reqs[0]["at"] >= 0.25  # backoff, not a hot loop
    assert h["x-captioner-delivery"] == {k.lower(): v for k, v in reqs[0]["headers"].items()}["x-captioner-delivery"]
    # nothing of the client's file name reached the data folder
    assert not list(data.rglob("*my ad*"))


# --- idempotency and cancel ------------------------------------------------------------------------------------


def test_idempotent_post_and_cancel_of_a_queued_job(env):
    srv, data = env["server"], env["data"]
    c = client(srv, env["keys"]["rival"])
    bal0 = c.get("/v1/account").json()["balance_millicredits"]
    # keep both workers busy so the next job stays queued
    busy = [submit(c, env["short"], preset="classic").json()["id"] for _ in range(2)]
    key = {"Idempotency-Key": "order-1234"}
    a = submit(c, env["short"], preset="classic", headers=key)
    b = submit(c, env["short"], preset="classic", headers=key)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"] and b.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in a.headers
    other = submit(c, env["short"], preset="pop-in", headers=key)  # same key, another request
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    jobs = [j for j in c.get("/v1/jobs", params={"limit": 50}).json()["data"]]
    assert sum(1 for j in jobs if j["id"] == a.json()["id"]) == 1
    assert len(jobs) == 3  # the two busy jobs and one idempotent job
    # what the account can still spend counts every unfinished job once, at its price, running (holding) or queued:
    # /v1/account and /v1/quote showed the balance minus the running jobs' holds only (a quote said "enough" and
    # the submission was then refused), and the 402 check counted a running job twice (its hold and its price)
    if all(j["state"] in ("queued", "running") for j in jobs):
        acct = c.get("/v1/account").json()
        q = c.get("/v1/quote", params={"preset": "classic"}).json()
        from captioner.billing import format_credits

        assert acct["available_credits"] == q["available_credits"] == format_credits(bal0 - 1200), (acct, q, jobs)
    jid = a.json()["id"]
    d = c.delete(f"/v1/jobs/{jid}")
    assert d.status_code in (200, 202), d.text
    final = wait_state(c, jid)
    assert final["state"] == "canceled" and final["receipt"] is None
    assert c.delete(f"/v1/jobs/{jid}").status_code == 409
    assert c.get(f"/v1/jobs/{jid}/outputs/mp4").status_code == 404
    for b_id in busy:
        assert wait_state(c, b_id)["state"] == "done"
    # the two busy jobs were charged 0.4 each; the canceled one nothing
    assert c.get("/v1/account").json()["balance_millicredits"] == bal0 - 800
    assert not [e for e in ledger_entries(data, "rival") if e["idempotency_key"] == f"svc-{jid}"]


def test_cancel_a_running_job_charges_nothing_and_leaves_nothing(env):
    srv, data = env["server"], env["data"]
    c = client(srv, env["keys"]["acme"])
    bal0 = c.get("/v1/account").json()["balance_millicredits"]
    jid = submit(c, preset="pop-in").json()["id"]
    wait_stage(c, jid, {"asr", "correct", "align", "layout", "render"})
    d = c.delete(f"/v1/jobs/{jid}")
    assert d.status_code in (200, 202) and d.json()["cancel_requested"] is True
    t0 = time.monotonic()
    final = wait_state(c, jid, timeout=60)
    assert final["state"] == "canceled", final
    assert time.monotonic() - t0 < 30, "a running job took too long to stop"
    assert c.get("/v1/account").json()["balance_millicredits"] == bal0
    assert not [e for e in ledger_entries(data, "acme") if e["idempotency_key"] == f"svc-{jid}"]
    out = data / "jobs" / jid
    assert not out.exists(), list(out.iterdir())  # not even an empty folder (failed and canceled jobs left one)
    assert "canceled at the " in final["error"]["message"] and "stage" in final["error"]["message"], final["error"]
    import sqlite3

    con = sqlite3.connect(str(data / "ledger.sqlite3"))
    assert con.execute("SELECT COUNT(*) FROM holds WHERE idempotency_key = ?", (f"svc-{jid}",)).fetchone()[0] == 0
    con.close()


# --- isolation, auth and bad input ------------------------------------------------------------------------------


def test_isolation_between_two_keys(env):
    srv = env["server"]
    a, b = client(srv, env["keys"]["acme"]), client(srv, env["keys"]["rival"])
    up = a.post("/v1/media", files={"video": ("x.mp4", env["short"].read_bytes(), "video/mp4")})
    assert up.status_code == 201, up.text
    mid = up.json()["id"]
    jid = a.post("/v1/jobs", json={"media_id": mid, "script": SCRIPT, "language": "en", "preset": "karaoke"}).json()["id"]
    for method, path in (("GET", f"/v1/jobs/{jid}"), ("DELETE", f"/v1/jobs/{jid}"), ("GET", f"/v1/jobs/{jid}/outputs/json"),
                         ("GET", f"/v1/jobs/{jid}/outputs/mp4")):
        r = b.request(method, path)
        assert r.status_code == 404, (method, path, r.status_code)
        missing = b.request(method, path.replace(jid, "job_doesnotexist"))
        assert missing.status_code == 404 and r.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert b.post("/v1/jobs", json={"media_id": mid, "preset": "karaoke"}).status_code == 404
    assert all(j["id"] != jid for j in b.get("/v1/jobs", params={"limit": 200}).json()["data"])
    assert b.get("/v1/account").json()["account"] == "rival"
    assert a.get(f"/v1/jobs/{jid}").status_code == 200
    assert wait_state(a, jid)["state"] == "done"


def test_401_without_or_with_a_bad_or_revoked_key(env):
    srv, data = env["server"], env["data"]
    anon = client(srv)
    for path in ("/v1/jobs", "/v1/account", "/v1/jobs/job_x"):
        r = anon.get(path)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert client(srv, "cap_not-a-real-key").get("/v1/account").status_code == 401
    assert anon.get("/v1/jobs", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}).status_code == 401
    assert submit(anon).status_code == 401
    key = create_key(data, "temp")
    assert client(srv, key).get("/v1/account").status_code == 200
    listed = cli("keys", "list", "--data", str(data), "--json")
    rows = json.loads(listed.stdout)
    assert key not in listed.stdout and all("hash" not in json.dumps(r) for r in rows)
    kid = next(r["id"] for r in rows if r["account"] == "temp")
    assert cli("keys", "revoke", kid, "--data", str(data)).returncode == 0
    assert client(srv, key).get("/v1/account").status_code == 401
    # keys are stored hashed: the key itself is nowhere in the store (database file and its write-ahead log)
    stored = b"".join(p.read_bytes() for p in data.glob("service.sqlite3*"))
    assert key.encode() not in stored
    assert hashlib.sha256(key.encode()).hexdigest().encode() in stored


def test_413_too_large_or_too_long(env, tmp_path):
    c = client(env["server"], env["keys"]["acme"])
    big = tmp_path / "big.mp4"
    big.write_bytes(VIDEO.read_bytes() + b"\0" * (5 * 1024 * 1024))
    r = submit(c, big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large", r.text

    def chunks():  # no Content-Length: the cap is enforced while the body streams in
        boundary = b"XbOuNdArY"
        yield b"--" + boundary + b'\r\nContent-Disposition: form-data; name="video"; filename="a.mp4"\r\n\r\n'
        for _ in range(7):
            yield b"\0" * (1024 * 1024)
        yield b"\r\n--" + boundary + b"--\r\n"

    r = c.post("/v1/jobs", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=XbOuNdArY"})
    assert r.status_code == 413, r.text
    long = make_video(tmp_path / "long.mp4", seconds=40, size="160x284", extra=[])
    long_a = tmp_path / "long_a.mp4"
    ffmpeg("-i", str(long), "-f", "lavfi", "-i", "sine=frequency=300:duration=40", "-shortest", "-c:v", "copy", "-c:a", "aac",
           str(long_a))
    r = submit(c, long_a)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_long" and "30 s" in r.json()["error"]["message"]
    r = c.post("/v1/jobs", json={"media_id": "x", "script": "x" * 30_000})
    assert r.status_code in (404, 413)
    # refused uploads leave nothing in the data folder
    media = env["data"] / "media"
    assert not list(media.rglob("*.part"))


def test_415_not_a_video(env, tmp_path):
    c = client(env["server"], env["keys"]["acme"])
    txt = tmp_path / "notes.mp4"
    txt.write_text("this is not a video\n" * 50)
    r = submit(c, txt)
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type", r.text
    audio = tmp_path / "voice.m4a"
    ffmpeg("-i", str(VIDEO), "-vn", "-c:a", "aac", str(audio))
    assert submit(c, audio).status_code == 415
    r = c.post("/v1/jobs", content=b"video=1", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_422_at_upload_for_a_silent_first_track_and_a_cut_off_index(env, tmp_path):
    """A video whose first audio track is silent (the voice on the second) was accepted (201) and failed inside the job
    ("InputError", its ffmpeg hint naming a file without an extension); an MP4 cut off before its index (the 'moov' box
    at the end) was "not a video file" (415). Both are refused at upload with the CLI's reasons, nothing kept."""
    c = client(env["server"], env["keys"]["acme"])
    two = tmp_path / "two-tracks.mp4"
    ffmpeg("-i", str(env["short"]), "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-map", "0:v", "-map", "1:a",
           "-map", "0:a", "-c:v", "copy", "-c:a", "aac", "-shortest", str(two))
    r = submit(c, two)
    err = r.json()["error"]
    assert r.status_code == 422 and err["code"] == "invalid_media", r.text
    assert "first audio track" in err["message"] and "track 2 has sound" in err["message"]
    assert "-map 0:a:1" in err["message"] and "voice-first.mp4" in err["message"] and str(env["data"]) not in err["message"]
    late = tmp_path / "late-index.mp4"
    ffmpeg("-i", str(env["short"]), "-c", "copy", "-movflags", "-faststart", str(late))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(late.read_bytes()[: late.stat().st_size // 2])
    r = submit(c, cut)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_media", r.text
    assert "index" in r.json()["error"]["message"] and "cut off" in r.json()["error"]["message"]
    assert not list((env["data"] / "media").rglob("*.part"))


def test_a_stalled_upload_is_refused_and_nothing_kept(env):
    """A client that declares a 4 MB body, sends 200 kB and stops: the server held the connection and the half-written
    upload (`source.part`) for as long as the client stayed connected. It answers 408 after --upload-idle-s of silence
    and removes the part."""
    import socket

    srv = env["server"]
    boundary = "xyzBOUNDARY"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"video\"; filename=\"ad.mp4\"\r\n"
            "Content-Type: video/mp4\r\n\r\n").encode()
    body = head + env["short"].read_bytes()[:200_000]
    req = (f"POST /v1/media HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {env['keys']['acme']}\r\n"
           f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {4_000_000}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as sock:
        sock.sendall(req + body)
        time.sleep(1.0)
        assert list((env["data"] / "media").rglob("*.part"))  # the upload is being written
        reply = b""  # the server answers once the body stalls for 3 s; headers and body may come in two packets
        while b"upload_stalled" not in reply:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        reply = reply.decode("utf-8", "replace")
    assert reply.startswith("HTTP/1.1 408") and "upload_stalled" in reply, reply[:300]
    deadline = time.time() + 5
    while list((env["data"] / "media").rglob("*.part")) and time.time() < deadline:
        time.sleep(0.2)
    assert not list((env["data"] / "media").rglob("*.part"))


def test_422_bad_fields(env):
    c = client(env["server"], env["keys"]["acme"])
    bad = [({"preset": "no-such-preset"}, "preset"), ({"language": "xx"}, "language"),
           ({"options": '{"safe_zone": "moon"}'}, "safe-zone"), ({"options": '{"rm": "-rf"}'}, "option"),
           ({"options": "not json"}, "options"), ({"preset": "../../etc/passwd"}, "preset"),
           ({"webhook_url": "http://10.0.0.1/hook"}, "private"), ({"webhook_url": "http://127.0.0.2:9/x"}, "private"),
           ({"webhook_url": "ftp://example.com/x"}, "http"), ({"webhook_url": "http://u:p@127.0.0.1/x"}, "credentials"),
           ({"client_reference": "x" * 500}, "client_reference")]
    for fields, word in bad:
        r = submit(c, env["short"], **fields)
        assert r.status_code == 422, (fields, r.status_code, r.text)
        assert word in r.json()["error"]["message"], (fields, r.json())
    r = c.post("/v1/jobs", files={"script": (None, SCRIPT)})
    assert r.status_code == 422 and r.json()["error"]["code"] == "missing_video"
    assert c.post("/v1/jobs", content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 422
    # nothing was queued for any of them, and their uploads were removed
    assert not [j for j in c.get("/v1/jobs", params={"limit": 200}).json()["data"] if j["state"] == "queued"]


def test_hostile_bodies_and_unknown_routes_answer_in_the_error_shape(env):
    """Deeply nested JSON (a RecursionError: a plain-text 500 that kept the upload), a JSON body over 1 MB (read whole
    into memory first), unknown routes and methods ({"detail": …}): each one line in the API's error shape."""
    c = client(env["server"], env["keys"]["acme"])
    deep = b'{"media_id": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    r = c.post("/v1/jobs", content=deep, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_json", r.text
    folder = env["data"] / "media"
    before = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    r = submit(c, env["short"], options="[" * 50_000 + "]" * 50_000)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_field"
    assert (sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []) == before  # its upload removed
    r = c.post("/v1/jobs", content=b" " * (2 * 1024 * 1024), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    r = c.get("/v1/no-such-thing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found" and "/v1/no-such-thing" in r.json()["error"]["message"]
    r = c.put("/v1/jobs")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_402_when_the_account_cannot_pay(env):
    c = client(env["server"], env["keys"]["broke"])
    r = submit(c, env["short"], preset="bounce")
    msg = r.json()["error"]["message"]
    assert r.status_code == 402 and "add at least 0.8 credits" in msg and "operator" in msg, msg
    assert c.get("/v1/jobs").json()["data"] == []


def test_concurrent_requests_share_the_ledger_safely(env):
    """The API's threads each read the ledger (balance, quote, the credit check of a submission) at once."""
    from concurrent.futures import ThreadPoolExecutor

    srv = env["server"]
    acme, broke = client(srv, env["keys"]["acme"]), client(srv, env["keys"]["broke"])
    short = env["short"].read_bytes()

    def account(_):
        return acme.get("/v1/account").status_code

    def quote(_):
        return acme.get("/v1/quote", params={"preset": "bounce"}).json().get("enough")

    def refused(_):
        r = broke.post("/v1/jobs", files={"video": ("a.mp4", short, "video/mp4")}, data={"preset": "bounce"})
        return r.status_code, r.json()["error"]["code"]

    with ThreadPoolExecutor(12) as pool:
        assert set(pool.map(account, range(24))) == {200}
        assert set(pool.map(quote, range(24))) == {True}
        assert set(pool.map(refused, range(12))) == {(402, "payment_required")}


def test_simultaneous_submissions_never_queue_more_than_the_account_can_pay(env):
    """An account with credit for one animated render, four submissions at once: 201, 201, 402, 402 before (the check
    and the insert were two steps), and the second job failed at render. Now exactly one is queued."""
    from concurrent.futures import ThreadPoolExecutor

    key = create_key(env["data"], "poor")
    add_credits(env["data"], "poor", "0.8")
    c = client(env["server"], key)
    short = env["short"].read_bytes()

    def go(_):
        return c.post("/v1/jobs", files={"video": ("a.mp4", short, "video/mp4")},
                      data={"preset": "bounce", "script": SCRIPT}).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(go, range(4)))
    assert codes == [201, 402, 402, 402], codes
    for j in c.get("/v1/jobs").json()["data"]:
        c.delete(f"/v1/jobs/{j['id']}")  # cancel it: the module's other tests need the workers


def test_rate_limit_per_key(env):
    c = client(env["server"], env["keys"]["spammer"])
    codes = [c.get("/v1/account") for _ in range(90)]
    limited = [r for r in codes if r.status_code == 429]
    assert limited, "no request was rate limited"
    assert int(limited[0].headers["retry-after"]) >= 1
    # another key of the same server is not affected
    assert client(env["server"], env["keys"]["acme"]).get("/v1/account").status_code == 200


# --- presets, quote, batches -------------------------------------------------------------------------------


def test_presets_quote_and_gallery_preview(env):
    c = client(env["server"])
    presets = c.get("/v1/presets").json()["data"]
    names = {p["name"]: p for p in presets}
    assert len(presets) >= 30 and names["karaoke"]["credits"] == 0 and names["bounce"]["tier"] == "dynamic"
    img = c.get(names["bounce"]["preview"])
    assert img.status_code == 200 and img.content[:4] == b"RIFF" and img.content[8:12] == b"WEBP"
    assert c.get("/v1/presets/../../etc/preview.webp").status_code == 404
    q = c.get("/v1/quote", params=[("preset", "karaoke"), ("preset", "classic"), ("preset", "bounce")]).json()
    assert q["millicredits"] == 1200 and q["renders"] == 3
    qa = client(env["server"], env["keys"]["acme"]).get("/v1/quote", params={"preset": "bounce"}).json()
    assert qa["account"] == "acme" and qa["enough"] is True
    assert c.get("/v1/quote", params={"preset": "nope"}).status_code == 422
    assert c.get("/openapi.json").json()["paths"]["/v1/jobs"]["post"]


def test_batch_of_variants(env):
    srv, data = env["server"], env["data"]
    c = client(srv, env["keys"]["rival"])
    bal0 = c.get("/v1/account").json()["balance_millicredits"]
    manifest = {"client_reference": "cycle-12", "defaults": {"script": SCRIPT, "language": "en"},
                "variants": [{"video": "video0", "presets": ["karaoke", "classic"], "client_reference": "hook-a"}]}
    with open(env["short"], "rb") as f:
        r = c.post("/v1/batches", files={"video0": ("a.mp4", f, "video/mp4")}, data={"manifest": json.dumps(manifest)},
                   headers={"Idempotency-Key": "batch-1"})
    assert r.status_code == 201, r.text
    batch = r.json()
    assert len(batch["jobs"]) == 2 and batch["client_reference"] == "cycle-12"
    for j in batch["jobs"]:
        assert wait_state(c, j["id"])["state"] == "done"
    b = c.get(f"/v1/batches/{batch['id']}").json()
    assert b["state"] == "done" and b["counts"] == {"done": 2}
    assert client(srv, env["keys"]["acme"]).get(f"/v1/batches/{batch['id']}").status_code == 404
    assert c.get("/v1/account").json()["balance_millicredits"] == bal0 - 400
    # a batch the account cannot pay for is refused whole, nothing queued
    poor = client(srv, env["keys"]["broke"])
    mid = poor.post("/v1/media", files={"video": ("a.mp4", env["short"].read_bytes(), "video/mp4")}).json()["id"]
    r = poor.post("/v1/batches", json={"variants": [{"media_id": mid, "script": SCRIPT, "presets": ["karaoke", "bounce"]}]})
    assert r.status_code == 402 and poor.get("/v1/jobs").json()["data"] == []
    r = poor.post("/v1/batches", json={"variants": [{"media_id": mid, "preset": "nope"}]})
    assert r.status_code == 422


# --- units: webhook policy and signatures (no network) ----------------------------------------------------------


def test_webhook_targets_are_restricted_before_any_connection():
    from captioner.service.webhooks import WebhookPolicy, WebhookTargetError, parse_networks

    strict = WebhookPolicy()
    for url in ("http://127.0.0.1/x", "http://localhost/x", "http://10.1.2.3/x", "http://192.168.0.1/x",
                "http://172.16.0.1/x", "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://0.0.0.0/x",
                "http://100.64.0.1/x", "http://[::ffff:10.0.0.1]/x", "http://224.0.0.1/x", "file:///etc/passwd",
                "gopher://127.0.0.1/x", "http://user:pw@8.8.8.8/x", "http:///nohost"):
        with pytest.raises(WebhookTargetError):
            strict.check(url)
    assert strict.check("http://8.8.8.8:8080/hook?a=1").address == "8.8.8.8"  # a literal: nothing is sent
    loop = WebhookPolicy(allow=parse_networks(["127.0.0.1/32"]))
    assert loop.check("http://127.0.0.1:9/x").address == "127.0.0.1"
    with pytest.raises(WebhookTargetError):
        loop.check("http://127.0.0.2/x")


def test_signature_roundtrip_and_replay_window():
    from captioner.service.webhooks import sign, verify_signature

    body, secret = b'{"event":"job.done"}', "whsec_test"
    ts = int(time.time())
    sig = sign(secret, ts, body)
    assert sig.startswith("v1=") and verify_signature(secret, body, str(ts), sig)
    assert not verify_signature(secret, body, str(ts - 3600), sign(secret, ts - 3600, body))  # stale
    assert not verify_signature(secret, body, str(ts + 1), sig)  # the timestamp is signed too
    assert not verify_signature(secret, body, "x", sig)


def test_a_job_error_names_no_server_path_or_decoder_internals(tmp_path):
    """A corrupt upload that passes the probe fails in the worker; its message quoted the server's media path and
    ffmpeg's log lines ("[aist#0:1/aac @ 0x55a8d409be80]")."""
    from captioner.service.config import ServiceConfig
    from captioner.service.jobs import public_message

    cfg = ServiceConfig(data=tmp_path / "svc")
    raw = (f"ffmpeg failed while extracting audio from {tmp_path / 'svc'}/media/med_n9Q494GL83BpXghH3zr8LA/source: "
           "[aist#0:1/aac @ 0x55a8d409be80] [dec:aac @ 0x55a8d409c000] Decode error rate 0.989 exceeds maximum 0.667 "
           f"(see {tmp_path / 'svc'}/jobs/x.log)")
    msg = public_message(raw, cfg)
    assert "the uploaded video" in msg and "Decode error rate" in msg
    assert str(tmp_path) not in msg and "0x55a8" not in msg and "med_" not in msg and "DATA/jobs/x.log" in msg
    assert public_message("price mismatch: run with --on-mismatch flag to caption it", cfg) == \
        'price mismatch: run with options {"on_mismatch": "flag"} to caption it'

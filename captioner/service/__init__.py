"""The caption service: `captioner serve` — an HTTP API (jobs, batches, accounts, webhooks) and a web app, one process.

Modules: `config` (settings), `store` (SQLite: keys, media, jobs, deliveries), `auth` (hashed API keys, rate
limits), `uploads` (streamed, capped multipart), `jobs` (stored job → `RenderJob` → `job.run_job`), `worker`
(render processes), `webhooks` (restricted targets, HMAC signatures, retries), `app` (the FastAPI routes), `cli`
(`serve`, `keys`). Only `app` and `cli serve` need the `service` extra (FastAPI, uvicorn); docs/SERVICE.md.
"""

"""Copy (LLM) and image providers, their limits, and the images queue."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_int, env_json, env_str

# LLM: copy and plan angles (content/llm.py; README, "Copywriting providers").
# "offline" (default) writes rule-based drafts with no network and no key;
# "openai" talks to any OpenAI-compatible server (OpenAI, Azure OpenAI, Ollama,
# vLLM, llama.cpp server, LM Studio) through the official client.
# https://platform.openai.com/docs/api-reference/chat
LLM_PROVIDER = env_str("LLM_PROVIDER", "offline") or "offline"
if LLM_PROVIDER not in {"offline", "openai"}:
    raise ImproperlyConfigured(
        f"LLM_PROVIDER must be 'offline' or 'openai', got {LLM_PROVIDER!r}"
    )
# The model (Azure: the deployment name). Required once the provider is "openai".
LLM_MODEL = env_str("LLM_MODEL", "")
if LLM_PROVIDER == "openai" and not LLM_MODEL:
    raise ImproperlyConfigured(
        "LLM_MODEL must be set when LLM_PROVIDER is 'openai' "
        "(e.g. gpt-4o-mini, llama3.1, or the Azure deployment name)"
    )
# Unset: the client's default, https://api.openai.com/v1.
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
# One HTTP attempt's limit; the retries of transient errors (429, 5xx, timeouts)
# stop after LLM_MAX_ATTEMPTS attempts or LLM_RETRY_DEADLINE_SECONDS in all.
LLM_TIMEOUT_SECONDS = env_float("LLM_TIMEOUT_SECONDS", 60.0)
LLM_RETRY_DEADLINE_SECONDS = env_float("LLM_RETRY_DEADLINE_SECONDS", 180.0)
LLM_MAX_ATTEMPTS = env_int("LLM_MAX_ATTEMPTS", 4)
# First backoff; doubled per attempt, full jitter, capped at 30 s. A Retry-After
# header from the server takes precedence.
LLM_BACKOFF_SECONDS = env_float("LLM_BACKOFF_SECONDS", 1.0)
# Calls in flight at once per provider (the generation service's limit).
LLM_CONCURRENCY = env_int("LLM_CONCURRENCY", 8)
# The most tokens one answer may have; sent as `max_tokens` and used by the
# budget's estimate before a job is accepted.
LLM_MAX_OUTPUT_TOKENS = env_int("LLM_MAX_OUTPUT_TOKENS", 1200)
# USD per 1M tokens per model, JSON: {"gpt-4o-mini": {"in": 0.15, "out": 0.6}}.
# A model not listed costs 0 (local servers). https://openai.com/api/pricing/
LLM_PRICES = env_json("LLM_PRICES", {})
if not isinstance(LLM_PRICES, dict) or not all(
    isinstance(p, dict) and {"in", "out"} <= p.keys() for p in LLM_PRICES.values()
):
    raise ImproperlyConfigured(
        'LLM_PRICES must be a JSON object: {"<model>": {"in": 0.15, "out": 0.6}}'
    )
# "auto": json_schema, falling back to json_object (+ our own validation) when the
# server rejects it; "json_schema" never falls back; "json_object" never tries it.
# https://platform.openai.com/docs/guides/structured-outputs
LLM_STRUCTURED = env_str("LLM_STRUCTURED", "auto") or "auto"
if LLM_STRUCTURED not in {"auto", "json_schema", "json_object"}:
    raise ImproperlyConfigured(
        "LLM_STRUCTURED must be auto, json_schema or json_object, "
        f"got {LLM_STRUCTURED!r}"
    )
# Ask the provider's /moderations endpoint in the brand-safety gate.
# https://platform.openai.com/docs/api-reference/moderations
LLM_MODERATION = env_bool("LLM_MODERATION", False)
LLM_MODERATION_MODEL = env_str("LLM_MODERATION_MODEL", "omni-moderation-latest")

# Images (content/images.py, content/image_providers/; README, "Images").
# "template" (default) draws a branded card with Pillow: no model, no network.
# "diffusers" runs a text-to-image pipeline on this machine (GPU if present);
# "openai" calls an OpenAI-compatible images API.
# https://huggingface.co/docs/diffusers/api/pipelines/auto_pipeline
IMAGE_PROVIDER = env_str("IMAGE_PROVIDER", "template") or "template"
if IMAGE_PROVIDER not in {"template", "diffusers", "openai"}:
    raise ImproperlyConfigured(
        f"IMAGE_PROVIDER must be 'template', 'diffusers' or 'openai', "
        f"got {IMAGE_PROVIDER!r}"
    )
# A hub id (stabilityai/sd-turbo, stabilityai/sdxl-turbo,
# stable-diffusion-v1-5/stable-diffusion-v1-5, black-forest-labs/FLUX.1-schnell)
# or a folder written by save_pretrained. With HF_HUB_OFFLINE=1 (or a folder)
# nothing is downloaded. https://huggingface.co/docs/huggingface_hub/package_reference/environment_variables
IMAGE_MODEL = env_str("IMAGE_MODEL", "")
if IMAGE_PROVIDER == "diffusers" and not IMAGE_MODEL:
    raise ImproperlyConfigured(
        "IMAGE_MODEL must be set when IMAGE_PROVIDER is 'diffusers' "
        "(a hub id such as stabilityai/sd-turbo, or a local folder)"
    )
# "fp16" for a folder or repository that has only *.fp16.* weight files; empty:
# detected for folders.
IMAGE_VARIANT = env_str("IMAGE_VARIANT", "")
# "auto": cuda (float16; FLUX bfloat16), else mps (float16), else cpu (float32).
IMAGE_DEVICE = env_str("IMAGE_DEVICE", "auto") or "auto"
IMAGE_DTYPE = env_str("IMAGE_DTYPE", "auto") or "auto"
if IMAGE_DTYPE not in {"auto", "float16", "bfloat16", "float32"}:
    raise ImproperlyConfigured(
        f"IMAGE_DTYPE must be auto, float16, bfloat16 or float32, got {IMAGE_DTYPE!r}"
    )
# Steps and guidance for every image; 0 / empty: the model family's defaults
# (Turbo: 1 step, guidance 0; SD 1.5: 25, 7.5; SDXL: 30, 5; FLUX-schnell: 4, 0).
IMAGE_STEPS = env_int("IMAGE_STEPS", 0)
IMAGE_GUIDANCE = env_float("IMAGE_GUIDANCE", 0.0) if env_str("IMAGE_GUIDANCE") else None
# "tiny" decodes with a tiny autoencoder (TAESD family, AutoencoderTiny): much
# faster on CPU, slightly softer; for previews. IMAGE_TINY_VAE: its hub id or
# folder (empty: madebyollin/taesd, taesdxl or taef1 by model family).
# https://huggingface.co/docs/diffusers/api/models/autoencoder_tiny
IMAGE_VAE = env_str("IMAGE_VAE", "full") or "full"
if IMAGE_VAE not in {"full", "tiny"}:
    raise ImproperlyConfigured(f"IMAGE_VAE must be 'full' or 'tiny', got {IMAGE_VAE!r}")
IMAGE_TINY_VAE = env_str("IMAGE_TINY_VAE", "")
# Draw the brand's AI-disclosure label ("AI-generated") visibly on the
# renditions of generated images where its policy labels them (always, or on the
# policy's networks). Off: the label lives in the provenance note only.
IMAGE_VISIBLE_AI_LABEL = env_bool("IMAGE_VISIBLE_AI_LABEL", False)
# The remote images API (IMAGE_PROVIDER=openai); base URL and key default to the
# copy provider's. https://platform.openai.com/docs/api-reference/images/create
IMAGE_REMOTE_MODEL = env_str("IMAGE_REMOTE_MODEL", "gpt-image-1") or "gpt-image-1"
IMAGE_REMOTE_BASE_URL = env_str("IMAGE_REMOTE_BASE_URL", "")
IMAGE_REMOTE_API_KEY = env_str("IMAGE_REMOTE_API_KEY", "")
# Per request, and for all retries together (429/5xx/timeouts are retried within
# LLM_MAX_ATTEMPTS with LLM_BACKOFF_SECONDS, as for copy).
IMAGE_TIMEOUT_SECONDS = env_float("IMAGE_TIMEOUT_SECONDS", 120.0)
IMAGE_RETRY_DEADLINE_SECONDS = env_float("IMAGE_RETRY_DEADLINE_SECONDS", 300.0)
# Media library: the largest upload (bytes, checked by content.uploads before
# anything is kept) and the most images one generation request may ask for.
IMAGE_UPLOAD_MAX_BYTES = env_int("IMAGE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
IMAGE_MAX_PER_REQUEST = env_int("IMAGE_MAX_PER_REQUEST", 4)
# Upload work per workspace per minute (content.upload_budget): uploads, and
# the megapixels their renditions will cost the images worker. Past either the
# upload answers 429 with Retry-After.
MEDIA_UPLOADS_PER_MINUTE = env_int("MEDIA_UPLOADS_PER_MINUTE", 30)
MEDIA_MEGAPIXELS_PER_MINUTE = env_int("MEDIA_MEGAPIXELS_PER_MINUTE", 200)
# Image generation runs on its own queue so copy and publishing never wait
# behind it: `celery -A config worker -Q images -c 1` per GPU.
# https://docs.celeryq.dev/en/stable/userguide/routing.html
# An upload's thumbnail and renditions are made there too (content.tasks.render_asset).
CELERY_TASK_ROUTES = {
    "content.tasks.generate_image*": {"queue": "images"},
    "content.tasks.render_asset": {"queue": "images"},
}

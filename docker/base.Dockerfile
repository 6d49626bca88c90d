# The container base image when python:3.11-slim-bookworm can be pulled (scripts/base-image.sh).
# The context holds only the uv stand-in (docker/uv.sh). ORT_DISABLE_TELEMETRY: see the script.
FROM python:3.11-slim-bookworm
ENV ORT_DISABLE_TELEMETRY=1
COPY uv /usr/local/bin/uv

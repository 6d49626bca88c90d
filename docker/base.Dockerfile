# The container base image when python:3.11-slim-bookworm can be pulled (scripts/base-image.sh).
# The context holds only the uv binary, downloaded by the host.
FROM python:3.11-slim-bookworm
COPY uv /usr/local/bin/uv

# One image; its commands: serve (default), worker (when there is work for it), migrate.
# Untested here: no Docker engine runs on the development machines.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv

COPY pyproject.toml constraints.txt ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-cache-dir -c constraints.txt . \
    && useradd --system --uid 10001 --home /srv app \
    && mkdir -p /srv/data && chown app /srv/data

USER app
EXPOSE 8000
ENTRYPOINT ["python", "-m", "app"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]

# AMAL under gunicorn, for docker-compose.yml (see docs/operations.md).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# pg_dump/pg_restore for `amal backup` / `amal restore` on PostgreSQL.
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/amal
COPY pyproject.toml README.md ./
COPY core core
COPY plugins plugins
RUN pip install --no-cache-dir '.[postgres]' ./plugins/*/
RUN useradd --system --home /srv/amal amal && mkdir /srv/amal/instance && chown amal /srv/amal/instance
USER amal
ENV AMAL_INSTANCE=/srv/amal/instance AMAL_ENV=production
EXPOSE 8000
CMD ["amal", "serve", "--production", "--host", "0.0.0.0", "--port", "8000"]

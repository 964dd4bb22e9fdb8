# laborwatch API image: a non-editable install, run as a non-root user, SQLite data in the /data volume.
#   docker build -t laborwatch .
#   docker run --rm -p 8000:8000 -v laborwatch-data:/data laborwatch
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system laborwatch \
    && useradd --system --gid laborwatch --home-dir /app --no-create-home --shell /usr/sbin/nologin laborwatch

# The dependencies come from the lock file that `make run` installs (exact versions, hashes checked), in a
# layer of their own that a change of code does not rebuild.
COPY requirements/run.txt /tmp/run.txt
RUN pip install --no-cache-dir --require-hashes -r /tmp/run.txt \
    && rm /tmp/run.txt

# Build from a scratch folder and delete it afterwards, so the installed package in site-packages
# (which carries models/migrations) is the only copy of the code in the image. --no-deps: every
# dependency is already there, at the locked version.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY models ./models
RUN pip install --no-cache-dir --no-deps . \
    && cd / && rm -rf /src

# The seed bundles and their documents are data, read at start-up when the database is empty.
WORKDIR /app
COPY seeds ./seeds

RUN mkdir -p /data && chown laborwatch:laborwatch /data
VOLUME /data

# `next` links are absolute; inside a container the socket's own address (the container's) is not where
# clients are, so the image says where `docker run -p 8000:8000` puts it. Override with `-e`.
ENV LABORWATCH_SEEDS_DIR=/app/seeds \
    DATABASE_URL=sqlite:////data/laborwatch.db \
    LABORWATCH_PUBLIC_URL=http://localhost:8000

USER laborwatch
EXPOSE 8000
CMD ["laborwatch", "serve", "--host", "0.0.0.0"]

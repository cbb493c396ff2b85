# Amphi in a container: the locked dependencies, a non-root user, a health check.
# docker build -t amphi . && docker run --env-file .env -v amphi-data:/data amphi
FROM python:3.11-slim AS build
WORKDIR /src
COPY requirements.lock ./
RUN python -m venv /venv \
    && /venv/bin/pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY fake_discord ./fake_discord
RUN /venv/bin/pip install --no-cache-dir --no-deps . && rm -rf /venv/lib/python3.11/site-packages/pip*

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 amphi && mkdir /data && chown amphi /data
COPY --from=build /venv /venv
COPY --chown=amphi data/meetings /meetings
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/amphi.sqlite3 \
    AMPHI_MEETINGS=/meetings \
    AMPHI_HEALTH_FILE=/tmp/amphi-health \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080
USER amphi
WORKDIR /home/amphi
VOLUME /data
# The web pages (public page, room screen, dashboard); set PUBLIC_URL and WEB_SECRET in .env.
EXPOSE 8080
# Healthy while the bot is connected to Discord or stands by for another instance (it writes its
# role to AMPHI_HEALTH_FILE every 30 s).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["amphi", "health"]
# Stop as Ctrl-C does: the bot finishes what it is sending.
STOPSIGNAL SIGINT
CMD ["amphi", "run"]

# syntax=docker/dockerfile:1
# One image for every orgpulse service; the command picks which runs:
#   orgpulse <command>                      (e.g. `orgpulse migrate`, `orgpulse ingest watch --once`)
#   node services/<service>/dist/main.js    (api, transformer, ingest-jira, ingest-linear, …)
# The build steps are scripts/build-image.sh, which test/deploy/image.kafka.test.ts also runs (on
# the files this build context holds, .dockerignore applied) and whose output it starts.
#   docker build -t orgpulse:VERSION .

FROM node:20-bookworm-slim AS build
WORKDIR /src
ENV CI=true
COPY . .
# the pnpm store as a build cache: a rebuild installs without downloading again
RUN --mount=type=cache,id=orgpulse-pnpm-store,target=/root/.local/share/pnpm/store \
    sh scripts/build-image.sh /app

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PATH=/app/bin:$PATH \
    ORGPULSE_DATA_DIR=/data \
    ORGPULSE_CONFIG=/etc/orgpulse/orgpulse.yaml
# owned by root, read-only for the service user: a compromised process cannot rewrite the code
COPY --from=build /app /app
# the `node` user (uid 1000) of the base image; /data holds the embedded engine's data and the
# CLI's lock in embedded mode only (full mode keeps nothing on the container's disk). An empty
# orgpulse.yaml (every key defaulted) until compose or Kubernetes mounts the deployment's own:
# a named config file that is missing is an error, not a silent default
RUN mkdir -p /data /etc/orgpulse && : > /etc/orgpulse/orgpulse.yaml && chown node:node /data
USER node
WORKDIR /app
VOLUME ["/data"]
EXPOSE 3000
# /healthz on the port the process serves (PORT, else ORGPULSE_METRICS_PORT, else ORGPULSE_PORT)
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "/app/bin/healthcheck.mjs"]
CMD ["orgpulse", "--help"]

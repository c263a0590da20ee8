# syntax=docker/dockerfile:1.7
#
# One image per process, all from this file:
#   docker build --build-arg SERVICE=ticket -t servicedesk/ticket .
# SERVICE is `gateway` or the name of a folder under services/. Every image carries the whole
# compiled workspace tree (shared libraries, each service's migrations), so any of them can run
# `node services/<name>/dist/migrate.js`; SERVICE only chooses what the container starts.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
RUN npm run build
# Runtime needs the compiled JavaScript and the files read at start-up (services/*/src/schema.graphql,
# gateway/supergraph.graphql, gateway/subgraphs.json), not the TypeScript sources.
RUN npm prune --omit=dev --no-audit --no-fund \
 && find shared services gateway -name node_modules -prune -o -type f \
      \( -name '*.ts' ! -name '*.d.ts' -o -name '*.tsbuildinfo' \) -print0 \
    | xargs -0 rm -f

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production \
    SERVICE=${SERVICE}
WORKDIR /app
# Owned by root and only readable by the process: the app cannot rewrite its own code, and the
# root filesystem can be mounted read-only (OpenShift, compose `read_only`).
COPY --from=build /app /app
# Fails the build on an unknown SERVICE instead of producing an image that cannot start.
RUN dir="services/${SERVICE}"; if [ "${SERVICE}" = gateway ]; then dir=gateway; fi; \
    if [ -z "${SERVICE}" ] || [ ! -f "/app/${dir}/dist/main.js" ]; then \
      echo "SERVICE must be 'gateway' or a folder under services/ (got '${SERVICE}')" >&2; exit 1; \
    fi; \
    ln -s "/app/${dir}" /app/service

# The slim image has no curl: probe the readiness endpoint with Node itself. The URL defaults to
# this process's own port (<SERVICE>_PORT, else its fixed default) and can be passed explicitly.
COPY <<'EOF' /app/healthcheck.js
const defaultPorts = { user: 3001, ticket: 3002, audit: 3003, notification: 3004, appointment: 3005, gateway: 8080 };
const service = process.env.SERVICE;
const port = process.env[`${service.toUpperCase()}_PORT`] || defaultPorts[service];
const url = process.argv[2] || `http://127.0.0.1:${port}/health/ready`;
fetch(url, { signal: AbortSignal.timeout(2500) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
EOF

# Numeric, so Kubernetes can verify runAsNonRoot; it is the image's `node` user. OpenShift
# replaces it with an arbitrary non-root UID, which can still read the files copied above.
USER 1000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "/app/healthcheck.js"]
# Node is PID 1 and handles SIGTERM itself (graceful shutdown), so no shell in between.
CMD ["node", "--enable-source-maps", "/app/service/dist/main.js"]

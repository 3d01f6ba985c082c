# One image recipe for every logfaas component. faas-cli (stack.yml) and docker-compose pick the
# component with a build arg: FUNCTION=parse-log -> dist/functions/parse-log.mjs, or ENTRY=gateway,
# ENTRY=connector, ENTRY=syslog-connector, ENTRY=dashboard-server. Builds offline from the lock file; no template pull needed.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN node build.mjs

FROM node:20-bookworm-slim
ARG FUNCTION=parse-log
ARG ENTRY=functions/${FUNCTION}
# Memory settings shared with `logfaas up` (NODE_ARGS and RUNTIME_ENV in runner/processes.ts say why).
ENV NODE_ENV=production \
    PORT=8080 \
    MALLOC_MMAP_THRESHOLD_=4194304 \
    LOGFAAS_ENTRY=${ENTRY}
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY stack.yml ./
# No credentials are baked in: passwords arrive as secret files under /var/openfaas/secrets.
USER node
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --retries=10 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/_/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["sh", "-c", "exec node --max-semi-space-size=16 --heap-growing-percent=30 --single-threaded-gc dist/${LOGFAAS_ENTRY}.mjs"]

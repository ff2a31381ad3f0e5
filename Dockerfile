# syntax=docker/dockerfile:1
# `npm run lint:docker` lints this file; `npm run docker:replay` replays the runtime stage
# without Docker (scripts/replay-docker-runtime.mjs) and proves the result serves.

# Node.js LTS on Alpine: about 158 MB unpacked against 219 MB for Debian slim, and every native
# package here (sharp in the image; rolldown, oxc, lightningcss and esbuild for the build) publishes
# musl binaries. One place to move every stage to another Node version or base.
ARG NODE_IMAGE=node:24-alpine

# Build: every dependency, then the Nuxt app (.output/) and the compiled API and server (dist/).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# Production dependencies only, straight from the lockfile. sharp's native binaries come as
# optional npm packages for the platform, so no install scripts and no build tools are needed.
# Then only what runs stays: TensorFlow.js and face-api keep the one bundle Node loads, the face
# models and the WASM binaries (scripts/prune-production-deps.mjs says what goes and why).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY scripts/prune-production-deps.mjs ./scripts/
RUN node scripts/prune-production-deps.mjs

# Runtime: production dependencies (the face models and WASM binaries are inside them), the
# built output (the Nuxt app runs from .output/, which carries its own node_modules) and PM2's
# config. Root owns the code; the app runs as `node` and writes only /app/data.
FROM ${NODE_IMAGE} AS runtime
# docker stop waits 10 s before it kills: requests get 7 s to finish, PM2's kill_timeout is 9 s.
# Logs go to stdout only (see ecosystem.config.js): `docker logs` has them.
# Reached by a name, not an IP address or localhost? Pass it: -e ALLOWED_HOSTS=facer.example.com (README: Security).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data \
    SHUTDOWN_TIMEOUT_MS=7000 \
    PM2_LOG_FILES=off
WORKDIR /app
COPY package.json ecosystem.config.js ./
# npm start and npm run train run through it: `docker exec <container> npm run train` trains without a browser.
COPY scripts/start.mjs ./scripts/
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/.output ./.output
COPY --from=build /app/dist ./dist
# The PostgreSQL backend's schema (DATABASE_URL), applied at start-up from these files.
COPY api/storage/postgres/migrations ./api/storage/postgres/migrations
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/api/health').then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node_modules/.bin/pm2-runtime", "ecosystem.config.js"]

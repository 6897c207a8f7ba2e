# The ZEGO token service. Build: docker build -t zego-token-service .
# NODE_IMAGE is the base of every stage; the tests build with a stand-in of it (see test/image).
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Build: all dependencies, compile TypeScript and bundle the pages.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# 2. Production dependencies only (no workspace link: the server does not import the client package).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
RUN npm ci --omit=dev --no-audit --no-fund \
  && rm -f node_modules/zego-token-service-client

# 3. Runtime: node, production dependencies and the build; read-only for the user it runs as.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json schema.graphql ./
# The node image's unprivileged user (uid 1000).
USER node
EXPOSE 4000
# Liveness only; point a readiness probe at /readyz (Redis reachable).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself: it stops accepting, closes sockets with 1001 and exits.
STOPSIGNAL SIGTERM
CMD ["node", "dist/cli/start.js"]

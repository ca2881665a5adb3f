# syntax=docker/dockerfile:1
# Multi-stage: dependencies are built once (pkcs11js is a native addon), the runtime image has no
# compiler. Node 24 runs the TypeScript sources directly; the one build is the approver app's
# static files (Vite, a dev dependency), made in a stage of its own.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# npm's prepare builds the approver app, which needs the dev dependencies: the app stage does that.
RUN npm pkg delete scripts.prepare && npm ci --omit=dev

FROM node:24-bookworm-slim AS app
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY web ./web
RUN npm run build:app

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 DATA_DIR=/var/lib/analog-firewall
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY hsm-sim ./hsm-sim
COPY clients ./clients
COPY examples ./examples
COPY docs/privacy.md ./docs/privacy.md
COPY --from=app /app/web/app/dist ./web/app/dist
RUN mkdir -p /var/lib/analog-firewall/shared && chown -R node:node /var/lib/analog-firewall
USER node
VOLUME ["/var/lib/analog-firewall"]

# The development PKI for a shared hsm-sim over mutual TLS (docker-compose.yml's hsm-pki service):
# openssl and scripts/hsm-sim-dev-pki.sh, run as the same uid as the runtime image's `node` user so
# the replicas can read the keys it writes. For trying the topology; production certificates come
# from the operator's own CA.
FROM debian:bookworm-slim AS dev-pki
RUN apt-get update && apt-get install -y --no-install-recommends openssl && rm -rf /var/lib/apt/lists/* \
  && mkdir /pki && chown 1000:1000 /pki
COPY scripts/hsm-sim-dev-pki.sh /usr/local/bin/hsm-sim-dev-pki.sh
USER 1000:1000
ENTRYPOINT ["bash", "/usr/local/bin/hsm-sim-dev-pki.sh"]

# The simulated HSM as its own image target: run it in a separate container sharing a volume
# for its socket (HSM_SOCKET), so the gateway container never holds key material.
# It needs HSM_SIM_MASTER_SECRET (or _FILE) and the PINs from the operator (docs/hsm.md).
FROM runtime AS hsm-sim
ENV HSM_SIM_DATA_DIR=/var/lib/analog-firewall/hsm-sim
HEALTHCHECK --interval=15s --timeout=3s CMD ["node", "-e", "require('net').connect(process.env.HSM_SIM_DATA_DIR + '/hsm.sock').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"]
CMD ["node", "hsm-sim/main.ts"]

# Without HSM_SIM_SOCKET the gateway starts hsm-sim as its own child process (embedded defaults);
# with HSM_SIM_SOCKET + HSM_SIM_USER_PIN it uses the hsm-sim container through a shared volume.
FROM runtime AS gateway
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--max-semi-space-size=12", "src/cli/main.ts", "start"]

# Flotilla ACS image: build in one stage, run in a small one as a non-root user.
#   docker build -t flotilla .
#   docker run -p 7547:7547 -p 7557:7557 -p 7567:7567 -v flotilla-data:/var/lib/flotilla flotilla
# Secrets printed at the first start go to stderr: `docker logs <container>` shows them once.

# --- build: compilers for better-sqlite3, the TypeScript build, then production modules only
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY models ./models
COPY scripts ./scripts
COPY bench ./bench
RUN npm rebuild better-sqlite3 && npm run build && npm prune --omit=dev --no-audit --no-fund

# --- run: node, the built code, production modules; nothing else
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    FLOTILLA_DATA_DIR=/var/lib/flotilla \
    FLOTILLA_HOST=0.0.0.0
WORKDIR /opt/flotilla
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/ui ./dist/ui
COPY --from=build /src/models ./models
RUN mkdir -p /var/lib/flotilla && chown node:node /var/lib/flotilla
USER node
VOLUME ["/var/lib/flotilla"]
# CWMP, REST API and console, file transfers, STUN (UDP)
EXPOSE 7547 7557 7567 3478/udp
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD ["node", "-e", "fetch('http://127.0.0.1:7557/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]

# One image for api, proxy and worker; docker-compose.yml picks the entry point per service.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install without running `prepare` (it builds, and the sources are not copied yet); chDB ships its engine as a prebuilt optional package, no script needed.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY scripts ./scripts
COPY libs ./libs
COPY apps ./apps
COPY migrations ./migrations
COPY test ./test
COPY bench ./bench
RUN node scripts/build.mjs && npm prune --omit=dev --ignore-scripts

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/migrations ./migrations
# The data dir exists in the image, owned by the app's user, so the named volumes mounted on it (proxy spool, billing
# work files) start out writable by that user instead of root-owned.
RUN mkdir -p /var/lib/tollgate/billing/work && chown -R node:node /var/lib/tollgate
USER node
EXPOSE 4000 4001 4002
CMD ["node", "dist/apps/platform/src/main.js"]

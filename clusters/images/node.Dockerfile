# The reference node as a container: one esbuild bundle of harness/node/process.ts with every
# npm dependency inside (made by clusters/images/images.ts, which puts it next to this file in
# a throw-away build context as node.mjs). No RUN steps, so the base needs no shell: on a stock
# Docker host it is the official image; offline, setup.sh imports a stand-in under its tag.
FROM node:20-bookworm-slim
WORKDIR /app
COPY node.mjs /app/node.mjs
USER node
# 7000: protocol (--listen); 8000: control API (--control), as docker-compose.yml uses them.
EXPOSE 7000 8000
ENTRYPOINT ["node", "--enable-source-maps", "/app/node.mjs", "node"]

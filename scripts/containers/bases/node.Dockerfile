# Local stand-in for node:20-bookworm-slim (no registry reachable here): the machine's
# own Node 20 binary, npm and pnpm on the locally built Debian bookworm image, at the
# paths the official image uses. Built by scripts/containers/prepare.sh.
ARG DEBIAN_IMAGE=localhost/debian:bookworm
FROM ${DEBIAN_IMAGE}
COPY node /usr/local/bin/node
# The machine's CA bundle: where registry traffic passes a TLS-inspecting proxy (ours
# does), node, npm and pnpm inside the build must trust what the machine trusts.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
COPY npm /usr/local/lib/node_modules/npm
COPY pnpm /usr/local/lib/node_modules/pnpm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && ln -s ../lib/node_modules/pnpm/bin/pnpm.cjs /usr/local/bin/pnpm \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version
CMD ["node"]

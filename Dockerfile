# syntax=docker/dockerfile:1
# The Galaxy admin dashboard image: the app built with the same pinned toolchain
# as scripts/bootstrap.sh, served by nginx-unprivileged as UID 101 from a
# read-only root filesystem (only /tmp is writable: an emptyDir in Kubernetes).
#
# Build with scripts/build-image.sh. PREVIOUS_IMAGE names the release this one
# replaces: its hashed files are carried over, so that old index.html pages still
# find them on new pods during a rolling update.
ARG PREVIOUS_IMAGE=no-previous-release

# The app is WebAssembly, the same bytes for every platform: node and the Rust build stage
# run on the build machine's own platform (BUILDPLATFORM), so an arm64 image does not
# compile trunk and the app under emulation. Only the final nginx stage is per platform.
FROM --platform=$BUILDPLATFORM node:22-bookworm-slim@sha256:43ac6c60b8f89723f746e8a92ce91abd5017e627ce1ddfe4238355d3a30b772c AS node

FROM nginxinc/nginx-unprivileged:1.29-alpine-slim@sha256:59678856b05324b7f6371f26eb1520be7fcd8bdc8ab380fc4913db8503e5a842 AS no-previous-release

FROM ${PREVIOUS_IMAGE} AS previous

# ngx_brotli's static module (brotli_static: serve the build's .br files), compiled for the
# very nginx of the final image, as the nginx image maintainers build extra modules: that
# version's own sources (NGINX_VERSION is set by the base image) configured --with-compat,
# and the module's source pinned by commit. Only the .so leaves this stage.
FROM nginxinc/nginx-unprivileged:1.29-alpine-slim@sha256:59678856b05324b7f6371f26eb1520be7fcd8bdc8ab380fc4913db8503e5a842 AS brotli-module
ARG NGX_BROTLI_COMMIT=a71f9312c2deb28875acc7bacfdd5695a111aa53
# Root in a build stage only: the final image runs as 101.
# hadolint ignore=DL3002
USER 0
SHELL ["/bin/ash", "-eo", "pipefail", "-c"]
WORKDIR /tmp/module
# Build tools of a throw-away stage, unpinned: nothing of them ships.
# hadolint ignore=DL3003,DL3018
RUN apk add --no-cache gcc libc-dev make linux-headers openssl-dev pcre2-dev zlib-dev curl git \
    && curl -fsSL "https://nginx.org/download/nginx-${NGINX_VERSION}.tar.gz" | tar -xz \
    && git init -q ngx_brotli \
    && git -C ngx_brotli fetch -q --depth 1 https://github.com/google/ngx_brotli "${NGX_BROTLI_COMMIT}" \
    && git -C ngx_brotli checkout -q FETCH_HEAD \
    && cd "nginx-${NGINX_VERSION}" \
    && ./configure --with-compat --add-dynamic-module=../ngx_brotli/static \
    && make modules \
    && install -m 0644 objs/ngx_http_brotli_static_module.so /tmp/ngx_http_brotli_static_module.so

FROM --platform=$BUILDPLATFORM rust:1.95-bookworm@sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1 AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# zopfli and brotli pre-compress the assets (scripts/build-dashboard.sh), as in the bootstrap.
RUN apt-get update \
    && apt-get install -y --no-install-recommends zopfli=1.0.3-1 brotli=1.0.9-2+deb12u1 \
    && rm -rf /var/lib/apt/lists/*
# wasm-opt (npm binaryen) and the CSP hash script run on node.
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
WORKDIR /src
# The toolchain first, from the manifests alone, so source changes reuse this layer.
COPY Cargo.toml Cargo.lock Trunk.toml rust-toolchain.toml ./
COPY scripts/ scripts/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && scripts/bootstrap.sh --build-tools
COPY . .
COPY --from=previous /usr/share/nginx/html /previous
RUN scripts/build-dashboard.sh \
    && scripts/carry-previous-assets.sh /previous/admin dist \
    && node scripts/csp-hashes.mjs dist/index.html > /csp-hashes.conf

FROM nginxinc/nginx-unprivileged:1.29-alpine-slim@sha256:59678856b05324b7f6371f26eb1520be7fcd8bdc8ab380fc4913db8503e5a842
ARG VERSION
ARG REVISION
ARG CREATED
LABEL org.opencontainers.image.title="Galaxy admin dashboard" \
      org.opencontainers.image.description="Operator console of the Galaxy space game, served at /admin/" \
      org.opencontainers.image.source="https://github.com/erikevenson/galaxy" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
USER 0
# Nothing of the stock configuration runs: its server listens on 8080.
RUN rm -f /etc/nginx/conf.d/default.conf
COPY nginx/nginx.conf nginx/security-headers.conf /etc/nginx/
COPY nginx/admin.conf nginx/status.conf /etc/nginx/conf.d/
COPY --from=brotli-module /tmp/ngx_http_brotli_static_module.so /usr/lib/nginx/modules/
COPY --from=build /csp-hashes.conf /etc/nginx/csp-hashes.conf
COPY --from=build /src/dist /usr/share/nginx/html/admin
# /etc/nginx/galaxy (config.js, csp.conf, edge.conf) comes from the ConfigMap and /etc/nginx/tls
# from the galaxy-tls secret; without them nginx refuses to start, on purpose.
USER 101
EXPOSE 8443
STOPSIGNAL SIGQUIT
# nginx itself, without the stock entrypoint scripts: nothing to tweak at run time.
ENTRYPOINT ["nginx", "-g", "daemon off;"]
CMD []

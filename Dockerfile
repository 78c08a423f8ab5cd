# syntax=docker/dockerfile:1
# member-sync as a container image: the static (musl) binary on an empty image, run as a
# non-root user, with no shell or package manager in it.
#
#   docker build -t member-sync .                  (or: podman build -t member-sync .)
#   docker run --rm member-sync --version
#   docker run --rm -v "$PWD/samples:/data/exports:ro" member-sync apply /data/exports/hr-export.csv --sandbox --yes
#
# The build stage runs what scripts/release runs for the same target. A Kubernetes CronJob that
# uses the image: packaging/kubernetes/cronjob.yaml. docs/install.md says what was verified.

ARG RUST_VERSION=1.95

FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS build
# musl-gcc compiles the C parts (ring, mimalloc) for the static target.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The image's architecture decides the target (x86_64 or aarch64, both musl). The binary is
# laid out with the few files the empty image needs (packaging/container/rootfs.sh: a user
# 65532 with a home, /tmp, /data) inside this step: target/ is a cache, gone after it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    target="$(uname -m)-unknown-linux-musl" \
 && rustup target add "$target" \
 && TARGET_CC=musl-gcc cargo build --release --locked --target "$target" \
 && sh packaging/container/rootfs.sh "target/$target/release/member-sync" /rootfs

FROM scratch
COPY --from=build /rootfs/ /
USER 65532:65532
ENV HOME=/home/member-sync \
    MEMBER_SYNC_STATE_DIR=/data/state
WORKDIR /data
# Exec form: member-sync is PID 1 and handles SIGTERM itself (docs/operations.md).
ENTRYPOINT ["/usr/local/bin/member-sync"]
CMD ["--help"]

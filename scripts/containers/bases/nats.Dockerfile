# Local stand-in for the official nats image (no registry reachable here): Debian's
# nats-server (2.9) on the locally built Debian image; wget for the Compose health check
# (the official Alpine image has busybox wget). Arguments starting with "-" go to
# nats-server, as with the official image. Built by scripts/containers/prepare.sh.
ARG DEBIAN_IMAGE=localhost/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nats-server wget \
 && rm -rf /var/lib/apt/lists/*
EXPOSE 4222 8222
ENTRYPOINT ["nats-server"]
CMD ["-js", "-sd", "/tmp/nats", "-m", "8222"]

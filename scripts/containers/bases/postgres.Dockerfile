# Local stand-in for the official postgres image (no registry reachable here): Debian's
# PostgreSQL on the locally built Debian image, with an entrypoint that honours the
# official image's contract our Compose files use — POSTGRES_USER / POSTGRES_PASSWORD /
# POSTGRES_DB, /docker-entrypoint-initdb.d/*.sh|*.sql on first start, PGDATA at
# /var/lib/postgresql/data, pg_isready on PATH. Built by scripts/containers/prepare.sh.
ARG DEBIAN_IMAGE=localhost/debian:bookworm
FROM ${DEBIAN_IMAGE}
ARG PG_MAJOR=15
ARG PG_PACKAGES="postgresql-15"
# No cluster at install time: the entrypoint creates one in PGDATA on first start.
RUN mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${PG_PACKAGES} \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/lib/postgresql/${PG_MAJOR}/bin/* /usr/local/bin/ \
 && mkdir -p /docker-entrypoint-initdb.d /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PGDATA=/var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]

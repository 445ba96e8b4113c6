#!/bin/sh
# Runs once, when the Postgres volume is first initialised (docker-entrypoint-initdb.d):
# creates the LiteLLM proxy's own role and database next to the LumiKB database, so the
# proxy's tables never mix with LumiKB's schemas. The password comes from the
# environment (LITELLM_DB_PASSWORD) and is passed to psql as a variable, never pasted
# into SQL text.
set -eu
: "${LITELLM_DB_PASSWORD:?LITELLM_DB_PASSWORD must be set for the postgres container}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v litellm_password="$LITELLM_DB_PASSWORD" <<'SQL'
CREATE ROLE litellm LOGIN PASSWORD :'litellm_password';
CREATE DATABASE litellm OWNER litellm;
SQL

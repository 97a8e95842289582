#!/bin/sh
# The official image's RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS, for the Debian-built one:
# the credentials come from the environment, never from the image.
set -eu
if [ -n "${RABBITMQ_DEFAULT_USER:-}" ]; then
  {
    echo "default_user = ${RABBITMQ_DEFAULT_USER}"
    echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-}"
  } >/etc/rabbitmq/conf.d/10-credentials.conf
fi
exec "$@"

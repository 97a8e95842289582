# RabbitMQ with its management plugin, from Debian's package, for machines where the official
# `rabbitmq:3.13-management` image cannot be pulled (compose: BOCAGE_RABBITMQ_IMAGE).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rabbitmq-server \
    && rm -rf /var/lib/apt/lists/* \
    && rabbitmq-plugins enable --offline rabbitmq_management >/dev/null \
    && mkdir -p /etc/rabbitmq/conf.d
COPY infra/docker/rabbitmq-entrypoint.sh /usr/local/bin/rabbitmq-entrypoint
EXPOSE 5672 15672
ENTRYPOINT ["/usr/local/bin/rabbitmq-entrypoint"]
CMD ["rabbitmq-server"]

# Debian's HAProxy 2.6, laid out as the official haproxy:2.6 image: the configuration at
# /usr/local/etc/haproxy/haproxy.cfg, run in the foreground by the haproxy user.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y haproxy && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /usr/local/etc/haproxy /var/lib/haproxy && chown haproxy /var/lib/haproxy
USER haproxy
STOPSIGNAL SIGUSR1
CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]

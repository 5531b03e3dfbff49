# Node from the npm registry's binary package on the local Debian image: the same layout as the
# official node images (/usr/local/bin/node, npm, npx).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY node/ /usr/local/
RUN node --version && npm --version
CMD ["node"]

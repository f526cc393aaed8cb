# bomiljo in a container: a Rust build stage, then a small Debian runtime with the binary, the
# prebuilt libduckdb and the configuration (bomiljo.toml, layers/, rules/, texts/, web/).
#
#   docker build -t bomiljo .
#   docker run --read-only --tmpfs /tmp -v bomiljo-data:/data -p 8080:8080 \
#     -e BOMILJO_OIDC_CLIENT_SECRET=... bomiljo
#
# The database lives on the /data volume (one DuckDB file, one writer: see docs/operations.md).
# Everything else is read-only; uploads pass through /tmp.

FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN ./scripts/setup.sh && cargo build --release --locked \
 && mkdir -p /out/bin /out/lib /out/config \
 && cp target/release/bomiljo /out/bin/ \
 && cp .deps/duckdb/libduckdb.so /out/lib/ \
 && cp -r bomiljo.toml layers rules texts web /out/config/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data bomiljo && mkdir /data && chown bomiljo /data
COPY --from=build /out/lib/libduckdb.so /usr/local/lib/
RUN ldconfig
COPY --from=build /out/bin/bomiljo /usr/local/bin/bomiljo
COPY --from=build /out/config/ /etc/bomiljo/
ENV \
    BOMILJO_CONFIG=/etc/bomiljo \
    BOMILJO_DB=/data/bomiljo.duckdb \
    BOMILJO_HOST=0.0.0.0 \
    BOMILJO_PORT=8080 \
    BOMILJO_LOG_FORMAT=json
VOLUME /data
USER bomiljo
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=6s --start-period=60s CMD ["bomiljo", "health"]
CMD ["bomiljo", "serve"]

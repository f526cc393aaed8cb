# The two README commands: `make demo` and `make test`. Everything else is a step of theirs.
SHARED ?= ../shared/data/oslo
DEMO_DB ?= data/demo.duckdb
PORT ?= 8080
CARGO ?= cargo

# Real Oslo polygons and population when the shared data is there; a fictional city otherwise.
DEMO_ARGS := $(if $(wildcard $(SHARED)/delbydeler.geojson),--areas $(SHARED)/delbydeler.geojson) \
             $(if $(wildcard $(SHARED)/befolkning_250m_2023.geojson),--population $(SHARED)/befolkning_250m_2023.geojson) \
             $(if $(wildcard $(SHARED)/bydeler_befolkning_2024.geojson),--import bydeler=$(SHARED)/bydeler_befolkning_2024.geojson) \
             $(if $(wildcard $(SHARED)/marka.geojson),--import marka=$(SHARED)/marka.geojson) \
             $(if $(wildcard $(SHARED)/osm_roads_sentrum.geojson),--import roads=$(SHARED)/osm_roads_sentrum.geojson)

.PHONY: setup build demo test proof distributed cost lint ci bench bench-peers

setup:
	./scripts/setup.sh

build: setup
	$(CARGO) build --release

demo: build
	./target/release/bomiljo --db $(DEMO_DB) demo $(DEMO_ARGS) --port $(PORT) --basemap local

test: setup
	./scripts/setup-test.sh
	$(CARGO) test --no-fail-fast
	./scripts/web-test.sh

# Heavy proofs, kept out of `make test`: SIGKILL crashes during imports, the load test, the
# importers fuzzed with 1,000 cases a test (100 in `make test`), the
# statistics against PySAL (esda, libpysal from PyPI: space-time Gi*, Local Moran's I), the street
# network against networkx, the GeoParquet export against its schema, the indicators on Spark
# and SedonaDB, the OGC API and vector tiles in GDAL and QGIS (Debian packages, headless), and
# the CPU cost of every public request.
proof: setup distributed cost
	$(CARGO) test --no-fail-fast --test integration -- --ignored
	BOMILJO_FUZZ_CASES=1000 $(CARGO) test --test integration -- fuzz_import
	./scripts/crosscheck.sh
	./scripts/gis-clients.sh

# Every public request over the parameters the public may send, on a fresh server, in a release
# build: fails when one costs more than MAX_CPU_S CPU-seconds (0.19 at most on the 2-core
# development machine; the limit leaves room for a slower CI machine).
MAX_CPU_S ?= 0.4
cost: build
	./target/release/bomiljo bench cost --max-cpu-s $(MAX_CPU_S) $(if $(wildcard $(SHARED)/delbydeler.geojson),--areas $(SHARED)/delbydeler.geojson)

# The per-delbydel indicators from the GeoParquet export in Apache Spark and SedonaDB, checked
# against `bomiljo measure` (pyspark and sedonadb from PyPI, a Debian JRE).
distributed: setup
	./scripts/distributed.sh

# Formatting and lints, as CI checks them (skipped with a note where the toolchain lacks the tool).
lint: setup
	@if $(CARGO) fmt --version >/dev/null 2>&1; then $(CARGO) fmt --check; else echo "lint: rustfmt not installed, formatting not checked"; fi
	@if $(CARGO) clippy --version >/dev/null 2>&1; then $(CARGO) clippy --all-targets -- -D warnings; else echo "lint: clippy not installed, lints not checked"; fi

# What CI runs on a fresh clone.
ci: lint test proof

bench: build
	./target/release/bomiljo bench import

# bomiljo beside geopandas, DuckDB spatial, numpy, scikit-learn and shapely, in one run of the shared harness.
bench-peers: build
	BOMILJO_BENCH="$(CURDIR)/scripts/bench-peers.sh" bash ../shared/peers/run_all.sh

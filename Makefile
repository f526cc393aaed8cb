# The two README commands: `make demo` and `make test`. Everything else is a step of theirs.
SHARED ?= ../shared/data/oslo
DEMO_DB ?= data/demo.duckdb
PORT ?= 8080
CARGO ?= cargo

# Real Oslo polygons and population when the shared data is there; a fictional city otherwise.
DEMO_ARGS := $(if $(wildcard $(SHARED)/delbydeler.geojson),--areas $(SHARED)/delbydeler.geojson) \
             $(if $(wildcard $(SHARED)/befolkning_250m_2023.geojson),--population $(SHARED)/befolkning_250m_2023.geojson) \
             $(if $(wildcard $(SHARED)/bydeler_befolkning_2024.geojson),--import bydeler=$(SHARED)/bydeler_befolkning_2024.geojson) \
             $(if $(wildcard $(SHARED)/marka.geojson),--import marka=$(SHARED)/marka.geojson)

.PHONY: setup build demo test bench

setup:
	./scripts/setup.sh

build: setup
	$(CARGO) build --release

demo: build
	./target/release/bomiljo --db $(DEMO_DB) demo $(DEMO_ARGS) --port $(PORT)

test: setup
	./scripts/setup-test.sh
	$(CARGO) test --no-fail-fast
	./scripts/web-test.sh

bench: build
	./target/release/bomiljo bench import

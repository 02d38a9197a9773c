# Mission Studio — the two commands of the README:
#   make run    install what is missing, build the UI and the app, open the window
#   make test   install what is missing, then run every check and test (CI runs exactly this)
SHELL := /bin/bash
.DEFAULT_GOAL := help

export TAURI_APP_PATH := $(CURDIR)
export TAURI_FRONTEND_PATH := $(CURDIR)/ui
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: help run test setup setup-test ui app dev lint test-rust test-ui test-e2e fmt gen

help:
	@echo "make run    build and open Mission Studio (installs what is missing)"
	@echo "make test   run every check and test, GUI included (installs what is missing)"
	@echo "make dev    run with hot reload of the UI"
	@echo "make gen    regenerate committed generated files (TS types, JSON Schemas)"

setup:
	@bash .ci/setup-debian.sh

setup-test:
	@bash .ci/setup-debian.sh --test

# The app embeds ui/dist, so the UI is built before any compile of the app crate.
ui:
	cd ui && npm run build

app: ui
	cargo build -p mission-studio -p studio-cli

run: setup app
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
	  echo "No display found: Mission Studio is a desktop app and needs one."; \
	  echo "  - on a desktop, run 'make run' from a terminal inside your session;"; \
	  echo "  - over SSH, use 'ssh -X' (X forwarding);"; \
	  echo "  - on a headless machine: 'xvfb-run -a make run' (apt-get install xvfb) and take screenshots."; \
	  exit 1; \
	fi
	./target/debug/mission-studio

dev: setup
	cd ui && npx tauri dev --config '{"build":{"devUrl":"http://localhost:1420"}}'

test: setup-test ui lint test-rust test-ui test-e2e
	@echo "All checks and tests passed."

lint:
	cargo fmt --all --check
	bash .ci/check-core-deps.sh
	bash .ci/check-file-sizes.sh
	cargo deny --locked check licenses bans sources
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cd ui && npm run typecheck && npm run lint

test-rust:
	cargo test --workspace --locked
	cargo test -p studio-cli --features crash-points --test crash_every_event --locked

test-ui:
	cd ui && npm test

test-e2e: app
	bash tests/e2e/run.sh

fmt:
	cargo fmt --all

gen:
	UPDATE_GENERATED=1 cargo test -p studio-api --test generated_ts

# The README's two commands, and the steps behind them.
.PHONY: dev test bootstrap build
.DEFAULT_GOAL := test

dev: ## Run the dashboard and the reference gateway locally with TLS
	@scripts/dev.sh

test: ## Run every test: lint, unit, integration, contract, browser
	@scripts/test.sh

bootstrap: ## Install the build and test tools that are missing
	@scripts/bootstrap.sh

build: ## Release build of the dashboard into dist/
	@scripts/build-dashboard.sh

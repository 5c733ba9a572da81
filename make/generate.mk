# Protobuf code generation (design guide §7). Included from the top-level Makefile.
#   make generate        regenerate src/interface/ops/*/*.pb.go from src/interface/proto
#   make generate-check  regenerate and fail if the committed output is stale

GEN_OPS_DIR := src/interface/ops

.PHONY: generate generate-check

generate:
	./$(GEN_OPS_DIR)/gen.sh

generate-check: generate
	@git diff --exit-code -- $(GEN_OPS_DIR) || { \
		echo "generate-check: committed code in $(GEN_OPS_DIR) is stale; run 'make generate' and commit" >&2; \
		exit 1; }
	@untracked=$$(git status --porcelain --untracked-files=all -- $(GEN_OPS_DIR) | grep '^??' || true); \
	if [ -n "$$untracked" ]; then \
		echo "generate-check: untracked files in $(GEN_OPS_DIR):" >&2; \
		echo "$$untracked" >&2; \
		exit 1; \
	fi

# cloudqe build: one library of every module, the `cloudqe` binary, unit tests,
# sanitizer and fuzz builds. `make help` lists the targets.
CC      ?= gcc
PKGS    := rdkafka jansson libzstd hiredis
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral
ifeq ($(CI),true)
WARN    += -Werror
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Layers, lowest first. A file sees the headers of its own layer and of the layers below
# it, never above, so an upward include does not compile (ARCHITECTURE.md, "Modules").
# The tools (generator, mock broker) sit on top, each beside the others.
LAYERS  := core ingest processors/state processors/families processors/evaluate \
           sinks/state sinks pipeline cmd
TOOLS   := tools/gen tools/mock_kafka
INC_ACC :=
define layer_inc
INC_$(1) := $$(INC_ACC) -I$(1)
INC_ACC := $$(INC_$(1))
endef
$(foreach l,$(LAYERS),$(eval $(call layer_inc,$(l))))
$(foreach t,$(TOOLS),$(eval INC_$(t) := $(INC_ACC) -I$(t)))
INCLUDES := $(addprefix -I,$(LAYERS) $(TOOLS))
$(foreach d,tests/unit tests/fuzz bench,$(eval INC_$(d) := $(INCLUDES)))
inc_of = $(INC_$(patsubst %/,%,$(dir $(1))))
BASE_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L $(WARN) $(PKG_CFLAGS)
OPT     ?= -O2 -g
LIBS    := $(PKG_LIBS) -lm -lpthread

LIB_SRC  := $(filter-out cmd/main.c,$(foreach d,$(LAYERS) $(TOOLS),$(wildcard $(d)/*.c)))
UNIT_SRC := $(wildcard tests/unit/*.c)

# build variants: build/rel (optimised) and build/san (ASan + UBSan)
REL := build/rel
SAN := build/san
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all build san demo test check bench fuzz clean help setup format format-check print-inc

all: build
build: $(REL)/cloudqe
san: $(SAN)/cloudqe $(SAN)/unit_tests

define variant
$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $$(call inc_of,$$<) $(2) -MMD -MP -c $$< -o $$@
$(1)/libcqe.a: $$(patsubst %.c,$(1)/%.o,$$(LIB_SRC))
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/cloudqe: $(1)/cmd/main.o $(1)/libcqe.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS)
$(1)/unit_tests: $$(patsubst %.c,$(1)/%.o,$$(UNIT_SRC)) $(1)/libcqe.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS)
endef
$(eval $(call variant,$(REL),$(OPT)))
$(eval $(call variant,$(SAN),$(SAN_FLAGS)))

-include $(shell find build -name '*.d' 2>/dev/null)

setup:
	@bash scripts/setup.sh

demo: setup
	@$(MAKE) --no-print-directory build
	@bash scripts/demo.sh

# Every test, against the sanitizer build (ASan + UBSan), as CI runs them.
test: setup
	@$(MAKE) --no-print-directory build san
	@CLOUDQE=$(SAN)/cloudqe UNIT=$(SAN)/unit_tests CLOUDQE_REL=$(REL)/cloudqe \
	  /usr/bin/python3 tests/run.py

# Fails on a clang-format difference, a cppcheck error (a false positive is suppressed
# inline, `cppcheck-suppress id` with the reason) or a failing test (CI=true: -Werror).
check: format-check
	@echo "== cppcheck"
	@cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr --library=scripts/cppcheck-jansson.cfg \
	  $(INCLUDES) --suppress=missingIncludeSystem $(LAYERS) $(TOOLS) tests/unit tests/fuzz bench
	@$(MAKE) --no-print-directory test

bench: setup
	@$(MAKE) --no-print-directory build
	@bash bench/run.sh

# libFuzzer: every tests/fuzz/fuzz_<name>.c is a target, run FUZZ_SECONDS each (default
# 120) from its seeds in tests/fuzz/seeds_<name>/ (when present) into build/fuzz/<name>/.
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz: setup
	@mkdir -p build/fuzz
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$t"; \
	  clang -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
	    $(INCLUDES) $(PKG_CFLAGS) tests/fuzz/fuzz_$$t.c $(LIB_SRC) -o build/fuzz/fuzz_$$t $(LIBS); \
	  mkdir -p build/fuzz/$$t; \
	  seeds=; [ -d tests/fuzz/seeds_$$t ] && seeds=tests/fuzz/seeds_$$t; \
	  build/fuzz/fuzz_$$t -artifact_prefix=build/fuzz/$$t- -max_total_time=$${FUZZ_SECONDS:-120} \
	    -max_len=$${FUZZ_MAX_LEN:-4096} build/fuzz/$$t $$seeds; \
	done

# Every C file of the layers, the tools, the tests and the benchmarks, in .clang-format style.
FORMAT_SRC = $(shell find $(LAYERS) $(TOOLS) tests bench -name '*.[ch]' | sort -u)
format:
	clang-format -i $(FORMAT_SRC)

# Fails when clang-format would change a file (FILES="a.c b.h" checks only those).
format-check: setup
	@echo "== clang-format"
	@clang-format --dry-run --Werror $(or $(FILES),$(FORMAT_SRC))

# The -I flags a directory's files are compiled with (all layers without DIR).
print-inc:
	@echo $(if $(DIR),$(INC_$(DIR)),$(INCLUDES))

clean:
	rm -rf build

help:
	@echo "make            build build/rel/cloudqe"
	@echo "make demo       install what is missing, build, run the main job, print the result"
	@echo "make test       install what is missing, build (also with ASan+UBSan), run every test"
	@echo "make check      clang-format check, tests under sanitizers, cppcheck: any finding fails"
	@echo "make format-check  clang-format differences fail (FILES=... for some files only)"
	@echo "make bench      throughput benchmarks (pinned core)"
	@echo "make fuzz       libFuzzer on every tests/fuzz/fuzz_*.c (FUZZ_SECONDS each, default 120)"
	@echo "make clean      remove build/"

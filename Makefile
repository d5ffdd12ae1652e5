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
INCLUDES   := -Isrc -Iingest -Iprocessors -Isinks
BASE_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L $(WARN) $(INCLUDES) $(PKG_CFLAGS)
OPT     ?= -O2 -g
LIBS    := $(PKG_LIBS) -lm -lpthread

LIB_SRC  := $(filter-out src/main.c,$(wildcard src/*.c ingest/*.c processors/*.c sinks/*.c))
UNIT_SRC := $(wildcard tests/unit/*.c)

# build variants: build/rel (optimised) and build/san (ASan + UBSan)
REL := build/rel
SAN := build/san
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all build san demo test check bench fuzz clean help setup format

all: build
build: $(REL)/cloudqe
san: $(SAN)/cloudqe $(SAN)/unit_tests

define variant
$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $(2) -MMD -MP -c $$< -o $$@
$(1)/libcqe.a: $$(patsubst %.c,$(1)/%.o,$$(LIB_SRC))
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/cloudqe: $(1)/src/main.o $(1)/libcqe.a
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

check: test
	@command -v cppcheck >/dev/null && cppcheck --quiet --error-exitcode=1 --std=c11 \
	  $(INCLUDES) --suppress=missingIncludeSystem src ingest processors sinks || true

bench: setup
	@$(MAKE) --no-print-directory build
	@bash bench/run.sh

fuzz: setup
	@mkdir -p build/fuzz
	clang -std=c11 -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined $(INCLUDES) \
	  $(PKG_CFLAGS) tests/fuzz/fuzz_decode.c $(LIB_SRC) -o build/fuzz/fuzz_decode $(LIBS)
	@mkdir -p build/fuzz/corpus
	build/fuzz/fuzz_decode -artifact_prefix=build/fuzz/ -max_total_time=$${FUZZ_SECONDS:-300} -max_len=4096 \
	  build/fuzz/corpus tests/fuzz/seeds

format:
	clang-format -i $$(find src ingest processors sinks tests -name '*.[ch]')

clean:
	rm -rf build

help:
	@echo "make            build build/rel/cloudqe"
	@echo "make demo       install what is missing, build, run the main job, print the result"
	@echo "make test       install what is missing, build (also with ASan+UBSan), run every test"
	@echo "make check      tests under sanitizers plus cppcheck"
	@echo "make bench      throughput benchmarks (pinned core)"
	@echo "make fuzz       libFuzzer on the decoder (FUZZ_SECONDS, default 300)"
	@echo "make clean      remove build/"

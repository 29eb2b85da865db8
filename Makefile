# SPDX-License-Identifier: GPL-2.0-only
# kasou — build, test, demo. `make` builds build/kasou.

CC      ?= gcc
BUILD   ?= build
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CFLAGS  += -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc -MMD -MP
LDLIBS  += -lpthread -luring -lslirp -ljansson -lmicrohttpd -lcurl -lseccomp

SRCS    := $(shell find src -name '*.c' | sort)
LIBSRCS := $(filter-out src/main.c,$(SRCS))
OBJS    := $(SRCS:%.c=$(BUILD)/obj/%.o)
LIBOBJS := $(LIBSRCS:%.c=$(BUILD)/obj/%.o)

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
SAN_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit-san/%)
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all clean unit unit-san check lab demo deps bench fuzz fuzz-build
all: $(BUILD)/kasou

$(BUILD)/kasou: $(OBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	@$(CC) $(CFLAGS) $(SANFLAGS) -c -o $@ $<

$(BUILD)/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIBOBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIBOBJS) $(LDFLAGS) $(LDLIBS)

$(BUILD)/unit-san/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIBSRCS:%.c=$(BUILD)/san/%.o)
	@mkdir -p $(dir $@)
	@echo "  LD-SAN  $@"
	@$(CC) $(CFLAGS) $(SANFLAGS) -Itests/unit -o $@ $< $(LIBSRCS:%.c=$(BUILD)/san/%.o) $(LDFLAGS) $(LDLIBS)

# Unit tests: each binary prints PASS/FAIL lines; tests/run.sh counts them.
unit: $(UNIT_BINS) $(SAN_BINS)
	@tests/run.sh --unit-only

# libFuzzer targets (clang): tests/fuzz/fuzz_*.c against every library source
FUZZ_CC    ?= clang
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_FLAGS := -g -O1 -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -Isrc \
	      -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 60

$(BUILD)/fuzz-obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC-FUZZ $<"
	@$(FUZZ_CC) $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h tests/unit/*.h) $(LIBSRCS:%.c=$(BUILD)/fuzz-obj/%.o)
	@mkdir -p $(dir $@)
	@echo "  LD-FUZZ $@"
	@$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(LIBSRCS:%.c=$(BUILD)/fuzz-obj/%.o) $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

# make fuzz FUZZ_SECONDS=N: every target for N seconds from its committed corpus
fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

deps:
	@scripts/deps.sh build

check:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(SAN_BINS) $(FUZZ_BINS)
	@tests/run.sh

lab: all
	@tests/lab/run.sh

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@tests/lab/run.sh --demo

# kasou against QEMU (-accel kvm) in the lab: boot time, memory overhead, block I/O.
# Results: build/bench/results.md (printed), raw numbers: build/bench/raw.txt.
bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all
	@tests/lab/bench/bench.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# bindwatch build: clang -> BPF object -> bpftool skeleton -> agent.
OUTPUT ?= .output
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
ARCH ?= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
VMLINUX_DIR := vmlinux/$(shell uname -m)
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WERROR := $(if $(CI),-Werror,)
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes $(WERROR)
CFLAGS ?= -O2 -g
override CFLAGS += $(WARNINGS) -Iinclude -Iuser -I$(OUTPUT) -DBW_VERSION='"$(VERSION)"' -D_GNU_SOURCE
LDLIBS := -lbpf -lelf -lz -lcrypto -ljansson -lmicrohttpd -lpthread
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall $(WERROR) \
	-I$(VMLINUX_DIR) -Iinclude -Ibpf

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all clean test unit-test kernel-test vm-test bench bench-guard vmlinux install image \
	fleet-test sanitize fuzz

# The agent: every user/*.c.  The unit tests link everything but the parts
# that need a BPF skeleton (loader.o, guard.o, and what sits above them),
# so they build without clang or bpftool.
USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
SKEL_OBJS := $(OUTPUT)/user/loader.o $(OUTPUT)/user/guard.o $(OUTPUT)/user/guard_watch.o \
	     $(OUTPUT)/user/monitor.o $(OUTPUT)/user/main.o
LIB_OBJS := $(filter-out $(SKEL_OBJS),$(USER_OBJS))
REGISTRY_FILES := $(sort $(wildcard registry/*.conf))

all: bindwatch

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/bindwatch.bpf.o: bpf/bindwatch.bpf.c | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/bindwatch.skel.h: $(OUTPUT)/bindwatch.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# The port guard: its own object and skeleton (user/guard.c), loaded only
# with a policy.
$(OUTPUT)/guard.bpf.o: bpf/guard.bpf.c | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/guard.skel.h: $(OUTPUT)/guard.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name guard_bpf > $@

# The registry is embedded: one C file generated from registry/*.conf.
$(OUTPUT)/registry_data.c: $(REGISTRY_FILES) tools/embed.sh | $(OUTPUT)
	$(call msg,EMBED,$@)
	$(Q)sh tools/embed.sh $(REGISTRY_FILES) > $@

$(OUTPUT)/registry_data.o: $(OUTPUT)/registry_data.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -w -c $< -o $@

$(OUTPUT)/user/%.o: user/%.c | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# only the loader and the guard include a skeleton
$(OUTPUT)/user/loader.o: $(OUTPUT)/bindwatch.skel.h
$(OUTPUT)/user/guard.o: $(OUTPUT)/guard.skel.h

bindwatch: $(USER_OBJS) $(OUTPUT)/registry_data.o
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# ---- tests
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))

$(OUTPUT)/tests/test_%: tests/unit/test_%.c tests/unit/tap.h $(LIB_OBJS) $(OUTPUT)/registry_data.o | $(OUTPUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(LIB_OBJS) $(OUTPUT)/registry_data.o $(LDLIBS) -o $@

$(OUTPUT)/tests/ktest: tests/kernel/ktest.c $(wildcard tests/kernel/*.h tests/kernel/t_*.c) | $(OUTPUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/kernel $< -lz -o $@

# tests/fleet: Prometheus, the HTTP endpoint under abuse, the image under podman
$(OUTPUT)/tests/fleet-binder: tests/fleet/binder.c | $(OUTPUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

test-bins: bindwatch $(UNIT_BINS) $(OUTPUT)/tests/ktest $(OUTPUT)/tests/fleet-binder
.PHONY: test-bins

unit-test: $(UNIT_BINS)
	$(Q)tests/run-unit.sh $(UNIT_BINS)

kernel-test: bindwatch $(OUTPUT)/tests/ktest
	$(Q)$(OUTPUT)/tests/ktest ./bindwatch

# ---- sanitizers: the agent and the unit tests again, with ASan + UBSan, any
# report fatal; self-contained (own objects in $(SAN)) so the normal build is untouched.
SAN := $(OUTPUT)/san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_OBJS := $(patsubst user/%.c,$(SAN)/user/%.o,$(USER_SRCS))
SAN_LIB_OBJS := $(filter-out $(SAN)/user/main.o,$(SAN_OBJS))
SAN_UNIT_BINS := $(patsubst tests/unit/%.c,$(SAN)/tests/%,$(UNIT_SRCS))

$(SAN)/user $(SAN)/tests:
	$(Q)mkdir -p $@

$(SAN)/user/%.o: user/%.c $(OUTPUT)/bindwatch.skel.h $(OUTPUT)/guard.skel.h | $(SAN)/user
	$(call msg,SAN-CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(SAN)/registry_data.o: $(OUTPUT)/registry_data.c | $(SAN)/user
	$(Q)$(CC) $(CFLAGS) -w -c $< -o $@

$(SAN)/bindwatch: $(SAN_OBJS) $(SAN)/registry_data.o
	$(call msg,SAN-LD,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $^ $(LDLIBS) -o $@

$(SAN)/tests/test_%: tests/unit/test_%.c tests/unit/tap.h $(SAN_LIB_OBJS) $(SAN)/registry_data.o | $(SAN)/tests
	$(call msg,SAN-TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -Itests/unit $< $(SAN_LIB_OBJS) $(SAN)/registry_data.o $(LDLIBS) -o $@

sanitize-bins: $(SAN)/bindwatch $(SAN_UNIT_BINS) $(OUTPUT)/tests/ktest
sanitize: sanitize-bins
	$(Q)tests/sanitize.sh $(SAN)
.PHONY: sanitize-bins

# ---- fuzzing: every fuzz/fuzz_*.c is a libFuzzer target, linked against the
# agent's sources (all of user/*.c but main.c and loader.c, compiled here with
# clang into an archive, so a target pulls only what it calls).
FUZZ := $(OUTPUT)/fuzz
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst fuzz/%.c,$(FUZZ)/%,$(FUZZ_SRCS))
FUZZ_LIB_SRCS := $(filter-out user/main.c user/loader.c,$(USER_SRCS))
FUZZ_LIB_OBJS := $(patsubst user/%.c,$(FUZZ)/user/%.o,$(FUZZ_LIB_SRCS))
# no -Werror here: clang warns where gcc (the build that gates) does not
FUZZ_FLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Iinclude -Iuser -I$(OUTPUT) -D_GNU_SOURCE \
	-DBW_VERSION='"$(VERSION)"' -Wall -Werror=incompatible-pointer-types -Werror=implicit-function-declaration
# per target; the default keeps all targets together near 75 s
FUZZ_SECONDS ?= $(shell n=$(words $(FUZZ_SRCS)); s=$$((75 / ($$n ? $$n : 1))); echo $$((s < 5 ? 5 : s)))

$(FUZZ)/user:
	$(Q)mkdir -p $@

$(FUZZ)/user/%.o: user/%.c $(OUTPUT)/bindwatch.skel.h $(OUTPUT)/guard.skel.h | $(FUZZ)/user
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ)/registry_data.o: $(OUTPUT)/registry_data.c | $(FUZZ)/user
	$(Q)$(CLANG) -w -c $< -o $@

$(FUZZ)/libbw.a: $(FUZZ_LIB_OBJS) $(FUZZ)/registry_data.o
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ)/fuzz_%: fuzz/fuzz_%.c $(FUZZ)/libbw.a
	$(call msg,FUZZ-LD,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ)/libbw.a $(LDLIBS) -o $@

fuzz-bins: $(FUZZ_BINS)
fuzz: fuzz-bins
	$(Q)tests/fuzz.sh $(FUZZ) $(FUZZ_SECONDS) $(FUZZ_BINS)
.PHONY: fuzz-bins

# The whole suite: unit, fuzz, sanitize, then kernel tests on every backend
# this kernel allows, the fleet stage (Prometheus, the image) and the VM.
test: bindwatch $(UNIT_BINS) $(OUTPUT)/tests/ktest $(OUTPUT)/tests/fleet-binder sanitize-bins fuzz-bins
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run-all.sh

fleet-test: bindwatch $(OUTPUT)/tests/fleet-binder
	$(Q)tests/fleet/run.sh

vm-test: bindwatch $(OUTPUT)/tests/ktest
	$(Q)tests/vm/run.sh

bench: bindwatch
	$(Q)$(MAKE) -s -C bench OUTPUT=$(abspath $(OUTPUT))/bench
	$(Q)bench/run.sh
	$(Q)bench/guard.sh

# The port guard's cost on unguarded ports alone (also the end of `make bench`).
bench-guard: bindwatch
	$(Q)$(MAKE) -s -C bench OUTPUT=$(abspath $(OUTPUT))/bench
	$(Q)bench/guard.sh

# The container image, from scratch: the agent and the shared libraries ldd
# names, nothing pulled from a registry (deploy/stage.sh, deploy/Containerfile).
IMAGE ?= localhost/bindwatch:$(VERSION)
image: bindwatch
	$(Q)deploy/stage.sh bindwatch $(OUTPUT)/image
	$(Q)podman build -q -t $(IMAGE) -f deploy/Containerfile $(OUTPUT)/image

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_DIR)/vmlinux.h

clean:
	$(Q)rm -rf $(OUTPUT) bindwatch

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/user/*.d $(SAN)/user/*.d $(FUZZ)/user/*.d)

# ---- install
PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR := $(PREFIX)/sbin
UNITDIR ?= $(PREFIX)/lib/systemd/system

install: bindwatch
	install -D -m 0755 bindwatch $(DESTDIR)$(SBINDIR)/bindwatch
	install -d -m 0755 $(DESTDIR)/etc/bindwatch/registry.d
	install -D -m 0644 registry/README.md $(DESTDIR)$(PREFIX)/share/doc/bindwatch/registry.md
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/bindwatch/README.md
	sed 's|@SBINDIR@|$(SBINDIR)|' dist/bindwatch.service > bindwatch.service.tmp
	install -D -m 0644 bindwatch.service.tmp $(DESTDIR)$(UNITDIR)/bindwatch.service
	rm -f bindwatch.service.tmp

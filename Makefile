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
	fleet-test

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

# The whole suite: unit, then kernel tests on every backend this kernel allows.
test: bindwatch $(UNIT_BINS) $(OUTPUT)/tests/ktest $(OUTPUT)/tests/fleet-binder
	$(Q)tests/run-all.sh

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

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/user/*.d)

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

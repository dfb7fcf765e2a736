#ifndef BW_REGISTRY_CMD_H
#define BW_REGISTRY_CMD_H

#ifndef BW_REGISTRY_DIR
#define BW_REGISTRY_DIR "/etc/bindwatch/registry.d"
#endif

/* bindwatch registry [--json] [--registry FILE]... VERB ARGS: the embedded
 * registry, the *.conf of BW_REGISTRY_DIR and the --registry files.  0, 1 or 2. */
int cmd_registry(int argc, char **argv);

#endif

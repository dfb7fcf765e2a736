#ifndef BW_REGISTRY_CMD_H
#define BW_REGISTRY_CMD_H

#ifndef BW_REGISTRY_DIR
#define BW_REGISTRY_DIR "/etc/bindwatch/registry.d"
#endif

/* bindwatch registry ...; files are the --registry FILEs.  0, 1 or 2. */
int cmd_registry(int argc, char **argv, const char *const *files, int nfiles);

#endif

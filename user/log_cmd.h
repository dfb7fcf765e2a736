/* The subcommands that read the sealed log back. */
#ifndef BW_LOG_CMD_H
#define BW_LOG_CMD_H

/* Where the daemon writes and these read, unless --log-dir says otherwise. */
#define BW_LOG_DIR_DEFAULT "/var/log/bindwatch"

/* bindwatch log verify [DIR] [--key-file F] [--anchor SEQ:HASH]: 0 intact, 1 not, 2 usage */
int cmd_log(int argc, char **argv);
/* bindwatch history PORT [--since T] [--until T] [--json] [--log-dir DIR] */
int cmd_history(int argc, char **argv);

#endif

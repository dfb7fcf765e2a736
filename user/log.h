/* One logging module: diagnostics to stderr, data never goes through here. */
#ifndef BW_LOG_H
#define BW_LOG_H

enum bw_log_level { BW_LOG_ERR, BW_LOG_WARN, BW_LOG_INFO, BW_LOG_DEBUG, BW_LOG_LIBBPF };

/* Raise or read the level; -v gives DEBUG, -vv also libbpf's own output. */
void log_set_level(int level);
int log_level(void);

void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

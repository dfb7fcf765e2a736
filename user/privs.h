/* After the programs are attached, keep only the capabilities the agent
 * still uses. */
#ifndef BW_PRIVS_H
#define BW_PRIVS_H

/*
 * Kept: CAP_BPF (reading the drop counters is a bpf() call),
 * CAP_SYS_ADMIN (setns into a netns to ask sock_diag who holds a port),
 * CAP_SYS_PTRACE (/proc/PID/exe and /proc/PID/fd of other users),
 * CAP_DAC_READ_SEARCH (open_by_handle_at for cgroup ids, /proc reads).
 * Everything else leaves the effective, permitted, inheritable and bounding
 * sets.  0 or -errno.
 */
int drop_privileges(void);

#endif

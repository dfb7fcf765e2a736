#include "holder.h"
#include "json_writer.h"

static void proc_json(struct jw *w, const struct bw_proc *p)
{
	jw_start_object(w);
	jw_uint_field(w, "pid", p->pid);
	jw_name(w, "comm");
	jw_string_n(w, p->comm, sizeof(p->comm));
	jw_bool_field(w, "exited", p->exited);
	jw_end_object(w);
}

void holder_json_procs(struct jw *w, const struct bw_holder *h)
{
	jw_bool_field(w, "exited", h->exited);
	jw_name(w, "owners");
	jw_start_array(w);
	for (int i = 0; i < h->nowners && i < BW_MAX_OWNERS; i++)
		proc_json(w, &h->owners[i]);
	jw_end_array(w);
	if (h->more_owners)
		jw_bool_field(w, "more_owners", 1);
	jw_name(w, "bound_by");
	if (h->bound_by.pid)
		proc_json(w, &h->bound_by);
	else
		jw_null(w);
}

void container_text(struct sbuf *sb, const struct container_info *ci)
{
	if (!ci->runtime[0] || (!ci->id[0] && !ci->name[0]))
		return;
	sbuf_printf(sb, " in %s container ", ci->runtime);
	if (ci->name[0]) {
		sbuf_term_str(sb, ci->name, sizeof(ci->name));
		if (ci->id[0])
			sbuf_printf(sb, " (%.12s)", ci->id);
	} else {
		sbuf_printf(sb, "%.12s", ci->id);
	}
	if (ci->proxy_ip[0])
		sbuf_puts(sb, " through docker-proxy");
}

void holder_text_procs(struct sbuf *sb, const struct bw_holder *h)
{
	if (h->exited)
		sbuf_puts(sb, " (exited)");
	for (int i = 1; i < h->nowners && i < BW_MAX_OWNERS; i++) {
		sbuf_puts(sb, i == 1 ? ", also " : ", ");
		sbuf_term_str(sb, h->owners[i].comm, sizeof(h->owners[i].comm));
		sbuf_printf(sb, "[%u]", h->owners[i].pid);
	}
	if (h->more_owners)
		sbuf_puts(sb, " and more");
	if (h->bound_by.pid) {
		sbuf_puts(sb, ", bound by ");
		sbuf_term_str(sb, h->bound_by.comm, sizeof(h->bound_by.comm));
		sbuf_printf(sb, "[%u]%s", h->bound_by.pid, h->bound_by.exited ? " (exited)" : "");
	}
	container_text(sb, &h->container);
}

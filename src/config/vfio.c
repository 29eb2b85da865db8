// SPDX-License-Identifier: GPL-2.0-only
/* --device vfio=DDDD:BB:DD.F|/sys/bus/pci/devices/...[,id=NAME][,rombar=on|off][,x-no-mmap=on] */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "config/kv.h"
#include "host/hostpci.h"

static int parse_pair(struct vfio_config *v, const struct kv_pair *p, bool first, char *err)
{
	const char *k = p->key, *x = p->value;
	char why[HOSTPCI_ERR_LEN];

	if (p->bare)
		return config_err(err, "'%s': expected key=value", k);
	if (!strcmp(k, "vfio")) {
		if (!first)
			return config_err(err, "vfio= must come first");
		if (hostpci_parse_addr(x, v->addr, why))
			return config_err(err, "vfio='%s': not a PCI address (DDDD:BB:DD.F, BB:DD.F or "
					    "/sys/bus/pci/devices/DDDD:BB:DD.F)", x);
	} else if (first) {
		return config_err(err, "'%s': the device kind comes first (vfio=ADDRESS)", k);
	} else if (!strcmp(k, "id")) {
		if (!*x || strlen(x) >= sizeof(v->id) || strspn(x, "abcdefghijklmnopqrstuvwxyz"
								    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
								    "0123456789_-") != strlen(x))
			return config_err(err, "id='%s': 1-31 letters, digits, '-' or '_'", x);
		snprintf(v->id, sizeof(v->id), "%s", x);
	} else if (!strcmp(k, "rombar")) {
		return config_onoff(k, x, &v->rombar, err);
	} else if (!strcmp(k, "x-no-mmap")) {
		return config_onoff(k, x, &v->no_mmap, err);
	} else {
		return config_err(err, "unknown key '%s' (vfio, id, rombar, x-no-mmap)", k);
	}
	return 0;
}

int config_parse_device(const char *s, unsigned int index, struct vfio_config *v, char *err)
{
	struct kv kv;
	int rc;

	memset(v, 0, sizeof(*v));
	v->rombar = true;
	rc = kv_parse(&kv, s);
	if (rc || kv.nr == 0) {
		kv_free(&kv);
		return config_err(err, rc == -E2BIG ? "too many keys" : "malformed option string");
	}
	for (unsigned int i = 0; i < kv.nr && !rc; i++)
		rc = parse_pair(v, &kv.pairs[i], i == 0, err);
	kv_free(&kv);
	if (rc)
		return rc;
	if (!v->id[0])
		snprintf(v->id, sizeof(v->id), "vfio%u", index);
	return 0;
}

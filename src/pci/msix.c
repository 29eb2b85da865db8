// SPDX-License-Identifier: GPL-2.0-only
#include "pci/msix.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"

uint32_t msix_table_size(unsigned int nr)
{
	return nr * MSIX_ENTRY_SIZE;
}

uint32_t msix_pba_size(unsigned int nr)
{
	return ((nr + 63) / 64) * 8;
}

/* Vectors, masked as after reset, each with an eventfd and an MSI GSI. */
static int msix_alloc(struct msix *m, struct pci_dev *pci, struct irq_router *router,
		      unsigned int nr, int bar, uint32_t table_off, uint32_t pba_off, bool direct)
{
	if (nr == 0 || nr > MSIX_MAX_VECTORS || (table_off & 7) || (pba_off & 7))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->pci = pci;
	m->router = router;
	m->nr = nr;
	m->bar = bar;
	m->table_off = table_off;
	m->pba_off = pba_off;
	m->direct = direct;
	m->v = calloc(nr, sizeof(*m->v));
	if (!m->v)
		return -ENOMEM;
	for (unsigned int i = 0; i < nr; i++) {
		m->v[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		m->v[i].gsi = -1;
		m->v[i].efd = -1;
	}
	for (unsigned int i = 0; i < nr; i++) {
		m->v[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (m->v[i].efd < 0)
			return -errno;
		if (router) {
			int gsi = irq_router_alloc_msi(router), err;

			if (gsi < 0)
				return gsi;
			m->v[i].gsi = gsi;
			if (direct)
				continue; /* bound when the guest unmasks it */
			err = irq_router_irqfd(router, (unsigned int)gsi, m->v[i].efd, -1, true);
			if (err)
				return err;
			m->v[i].bound = true;
		}
	}
	return 0;
}

int msix_init(struct msix *m, struct pci_dev *pci, struct irq_router *router, unsigned int nr,
	      int bar, uint32_t table_off, uint32_t pba_off)
{
	uint8_t cap[12] = { 0 };
	uint16_t ctrl = (uint16_t)(nr - 1);
	uint32_t table = table_off | (uint32_t)bar, pba = pba_off | (uint32_t)bar;
	int err = msix_alloc(m, pci, router, nr, bar, table_off, pba_off, false);

	if (err)
		return err;
	memcpy(cap + 2, &ctrl, 2);
	memcpy(cap + 4, &table, 4);
	memcpy(cap + 8, &pba, 4);
	m->cap = pci_dev_add_cap(pci, PCI_CAP_ID_MSIX, cap, sizeof(cap));
	if (!m->cap)
		return -ENOSPC;
	/* the guest may write Enable and Function Mask, nothing else */
	pci->wmask[m->cap + PCI_MSIX_FLAGS + 1] =
		(uint8_t)((PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8);
	return 0;
}

int msix_attach(struct msix *m, struct pci_dev *pci, struct irq_router *router, uint8_t cap)
{
	uint16_t ctrl = pci_cfg_get16(pci, cap + PCI_MSIX_FLAGS);
	uint32_t table = pci_cfg_get32(pci, cap + PCI_MSIX_TABLE);
	uint32_t pba = pci_cfg_get32(pci, cap + PCI_MSIX_PBA);
	int err;

	if ((table & PCI_MSIX_TABLE_BIR) >= PCI_NUM_BARS)
		return -EINVAL;
	err = msix_alloc(m, pci, router, (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1u,
			 (int)(table & PCI_MSIX_TABLE_BIR), table & PCI_MSIX_TABLE_OFFSET,
			 pba & PCI_MSIX_PBA_OFFSET, true);
	if (err)
		return err;
	m->cap = cap;
	pci_cfg_set16(pci, cap + PCI_MSIX_FLAGS, ctrl & PCI_MSIX_FLAGS_QSIZE);
	memset(pci->wmask + cap, 0, 12);
	pci->wmask[cap + PCI_MSIX_FLAGS + 1] =
		(uint8_t)((PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8);
	return 0;
}

void msix_destroy(struct msix *m)
{
	if (!m->v)
		return;
	for (unsigned int i = 0; i < m->nr; i++) {
		if (m->v[i].efd < 0)
			continue;
		if (m->router && m->v[i].gsi >= 0 && m->v[i].bound)
			irq_router_irqfd(m->router, (unsigned int)m->v[i].gsi, m->v[i].efd, -1, false);
		close(m->v[i].efd);
	}
	free(m->v);
	m->v = NULL;
	pthread_mutex_destroy(&m->lock);
}

static void fire(struct msix *m, struct msix_vector *v)
{
	uint64_t one = 1;

	if (write(v->efd, &one, sizeof(one)) < 0)
		log_guest("MSI-X: eventfd write failed");
	m->delivered++;
}

static bool vec_masked(const struct msix *m, const struct msix_vector *v)
{
	return !m->enabled || m->fn_masked || (v->ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

/* Direct mode: attach or detach the vector's irqfd. Lock held. */
static void vec_bind(struct msix *m, struct msix_vector *v, bool on)
{
	if (!m->direct || !m->router || v->gsi < 0 || v->bound == on)
		return;
	if (irq_router_irqfd(m->router, (unsigned int)v->gsi, v->efd, -1, on) == 0)
		v->bound = on;
	else
		log_guest("MSI-X: irqfd %s failed for GSI %d", on ? "assign" : "deassign", v->gsi);
}

/* Route and, if it became deliverable, flush a pending interrupt. Lock held. */
static void vec_update(struct msix *m, struct msix_vector *v)
{
	if (vec_masked(m, v)) {
		vec_bind(m, v, false);
		return;
	}
	if (m->router && v->gsi >= 0)
		irq_router_set_msi(m->router, (unsigned int)v->gsi,
				   (uint64_t)v->addr_hi << 32 | v->addr_lo, v->data);
	vec_bind(m, v, true);
	if (v->pending) {
		v->pending = false;
		fire(m, v);
	}
}

bool msix_notify(struct msix *m, unsigned int vec)
{
	struct msix_vector *v;
	bool sent = false;

	if (vec >= m->nr)
		return false;
	v = &m->v[vec];
	pthread_mutex_lock(&m->lock);
	if (vec_masked(m, v)) {
		v->pending = true;
		m->masked_hits++;
	} else {
		fire(m, v);
		sent = true;
	}
	pthread_mutex_unlock(&m->lock);
	return sent;
}

bool msix_enabled(struct msix *m)
{
	bool e;

	pthread_mutex_lock(&m->lock);
	e = m->enabled;
	pthread_mutex_unlock(&m->lock);
	return e;
}

void msix_cfg_written(struct msix *m, uint32_t off, unsigned int size)
{
	uint32_t ctrl_off = m->cap + PCI_MSIX_FLAGS;
	uint16_t ctrl;

	if (off > ctrl_off + 1 || off + size <= ctrl_off)
		return;
	ctrl = pci_cfg_get16(m->pci, ctrl_off);
	pthread_mutex_lock(&m->lock);
	m->enabled = ctrl & PCI_MSIX_FLAGS_ENABLE;
	m->fn_masked = ctrl & PCI_MSIX_FLAGS_MASKALL;
	for (unsigned int i = 0; i < m->nr; i++)
		vec_update(m, &m->v[i]);
	pthread_mutex_unlock(&m->lock);
}

bool msix_bar_read(struct msix *m, uint64_t off, uint8_t *data, unsigned int size)
{
	uint64_t tend = m->table_off + msix_table_size(m->nr);
	uint64_t pend = m->pba_off + msix_pba_size(m->nr);

	if (off >= m->table_off && off + size <= tend) {
		uint64_t o = off - m->table_off;
		uint32_t words[4];
		struct msix_vector *v = &m->v[o / MSIX_ENTRY_SIZE];

		if ((o & 3) && size == 4) /* unaligned dword: not allowed by the spec */
			return memset(data, 0xff, size), true;
		pthread_mutex_lock(&m->lock);
		words[0] = v->addr_lo;
		words[1] = v->addr_hi;
		words[2] = v->data;
		words[3] = v->ctrl;
		pthread_mutex_unlock(&m->lock);
		if ((o % MSIX_ENTRY_SIZE) + size > MSIX_ENTRY_SIZE)
			return memset(data, 0xff, size), true;
		memcpy(data, (uint8_t *)words + o % MSIX_ENTRY_SIZE, size);
		return true;
	}
	/* direct: the PBA is the device's (maybe in another BAR), forwarded */
	if (!m->direct && off >= m->pba_off && off + size <= pend) {
		uint64_t bits[MSIX_MAX_VECTORS / 64] = { 0 };

		pthread_mutex_lock(&m->lock);
		for (unsigned int i = 0; i < m->nr; i++)
			if (m->v[i].pending)
				bits[i / 64] |= 1ULL << (i % 64);
		pthread_mutex_unlock(&m->lock);
		memcpy(data, (uint8_t *)bits + (off - m->pba_off), size);
		return true;
	}
	return false;
}

bool msix_bar_write(struct msix *m, uint64_t off, const uint8_t *data, unsigned int size)
{
	uint64_t tend = m->table_off + msix_table_size(m->nr);
	uint64_t pend = m->pba_off + msix_pba_size(m->nr);
	struct msix_vector *v;
	uint32_t words[4];
	uint64_t o;

	if (!m->direct && off >= m->pba_off && off + size <= pend)
		return true; /* PBA is read-only */
	if (off < m->table_off || off + size > tend)
		return false;
	o = off - m->table_off;
	if ((o % MSIX_ENTRY_SIZE) + size > MSIX_ENTRY_SIZE)
		return true; /* straddles two entries: ignore */
	v = &m->v[o / MSIX_ENTRY_SIZE];
	pthread_mutex_lock(&m->lock);
	words[0] = v->addr_lo;
	words[1] = v->addr_hi;
	words[2] = v->data;
	words[3] = v->ctrl;
	memcpy((uint8_t *)words + o % MSIX_ENTRY_SIZE, data, size);
	v->addr_lo = words[0];
	v->addr_hi = words[1];
	v->data = words[2];
	v->ctrl = words[3] & PCI_MSIX_ENTRY_CTRL_MASKBIT;
	vec_update(m, v);
	pthread_mutex_unlock(&m->lock);
	return true;
}

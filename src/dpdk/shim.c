/* See shim.h: each function forwards to a DPDK static inline function or
 * macro so that Rust can call it. */
#include <rte_config.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "shim.h"

int dpsw_errno(void) { return rte_errno; }

unsigned int dpsw_lcore_id(void) { return rte_lcore_id(); }

int dpsw_log_line(uint32_t level, uint32_t logtype, const char *line)
{
	return rte_log(level, logtype, "%s\n", line);
}

uint64_t dpsw_get_tsc_cycles(void) { return rte_get_tsc_cycles(); }

uint16_t dpsw_eth_rx_burst(uint16_t port_id, uint16_t queue_id,
			   struct rte_mbuf **rx_pkts, uint16_t nb_pkts)
{
	return rte_eth_rx_burst(port_id, queue_id, rx_pkts, nb_pkts);
}

uint16_t dpsw_eth_tx_burst(uint16_t port_id, uint16_t queue_id,
			   struct rte_mbuf **tx_pkts, uint16_t nb_pkts)
{
	return rte_eth_tx_burst(port_id, queue_id, tx_pkts, nb_pkts);
}

struct rte_mbuf *dpsw_pktmbuf_alloc(struct rte_mempool *mp)
{
	return rte_pktmbuf_alloc(mp);
}

void dpsw_pktmbuf_free(struct rte_mbuf *m) { rte_pktmbuf_free(m); }

char *dpsw_pktmbuf_prepend(struct rte_mbuf *m, uint16_t len)
{
	return rte_pktmbuf_prepend(m, len);
}

char *dpsw_pktmbuf_append(struct rte_mbuf *m, uint16_t len)
{
	return rte_pktmbuf_append(m, len);
}

char *dpsw_pktmbuf_adj(struct rte_mbuf *m, uint16_t len)
{
	return rte_pktmbuf_adj(m, len);
}

int dpsw_pktmbuf_trim(struct rte_mbuf *m, uint16_t len)
{
	return rte_pktmbuf_trim(m, len);
}

void *dpsw_pktmbuf_mtod(const struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, void *);
}

uint16_t dpsw_pktmbuf_data_len(const struct rte_mbuf *m)
{
	return rte_pktmbuf_data_len(m);
}

uint32_t dpsw_pktmbuf_pkt_len(const struct rte_mbuf *m)
{
	return rte_pktmbuf_pkt_len(m);
}

uint16_t dpsw_pktmbuf_headroom(const struct rte_mbuf *m)
{
	return rte_pktmbuf_headroom(m);
}

uint16_t dpsw_pktmbuf_tailroom(const struct rte_mbuf *m)
{
	return rte_pktmbuf_tailroom(m);
}

uint16_t dpsw_mbuf_refcnt_read(const struct rte_mbuf *m)
{
	return rte_mbuf_refcnt_read(m);
}

void dpsw_pktmbuf_refcnt_update(struct rte_mbuf *m, int16_t v)
{
	rte_pktmbuf_refcnt_update(m, v);
}

/* A full copy of every segment, from the pool the original came from. */
struct rte_mbuf *dpsw_pktmbuf_copy(const struct rte_mbuf *m)
{
	return rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
}

void dpsw_rcu_qsbr_thread_online(struct rte_rcu_qsbr *v, unsigned int thread_id)
{
	rte_rcu_qsbr_thread_online(v, thread_id);
}

void dpsw_rcu_qsbr_thread_offline(struct rte_rcu_qsbr *v, unsigned int thread_id)
{
	rte_rcu_qsbr_thread_offline(v, thread_id);
}

void dpsw_rcu_qsbr_quiescent(struct rte_rcu_qsbr *v, unsigned int thread_id)
{
	rte_rcu_qsbr_quiescent(v, thread_id);
}

uint64_t dpsw_rcu_qsbr_start(struct rte_rcu_qsbr *v)
{
	return rte_rcu_qsbr_start(v);
}

int dpsw_rcu_qsbr_check(struct rte_rcu_qsbr *v, uint64_t t, bool wait)
{
	return rte_rcu_qsbr_check(v, t, wait);
}

unsigned int dpsw_ring_enqueue_burst(struct rte_ring *r, void *const *obj_table,
				     unsigned int n, unsigned int *free_space)
{
	return rte_ring_enqueue_burst(r, obj_table, n, free_space);
}

unsigned int dpsw_ring_dequeue_burst(struct rte_ring *r, void **obj_table,
				     unsigned int n, unsigned int *available)
{
	return rte_ring_dequeue_burst(r, obj_table, n, available);
}

unsigned int dpsw_ring_count(const struct rte_ring *r)
{
	return rte_ring_count(r);
}

uint32_t dpsw_hash_crc(const void *data, uint32_t data_len, uint32_t init_val)
{
	return rte_hash_crc(data, data_len, init_val);
}

uint32_t dpsw_jhash(const void *data, uint32_t data_len, uint32_t init_val)
{
	return rte_jhash(data, data_len, init_val);
}

/* Out-of-line entry points for DPDK's static inline functions and macros,
 * which Rust cannot call directly. Each one only forwards. */
#ifndef DPSWITCH_DPDK_SHIM_H
#define DPSWITCH_DPDK_SHIM_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;
struct rte_mempool;
struct rte_rcu_qsbr;
struct rte_ring;

/* errno and lcore id are per-thread variables behind macros. */
int dpsw_errno(void);
unsigned int dpsw_lcore_id(void);

/* One log line through rte_log, which is variadic: `line` is written
 * as it is, with a newline after it. */
int dpsw_log_line(uint32_t level, uint32_t logtype, const char *line);

/* Cycle counter. */
uint64_t dpsw_get_tsc_cycles(void);

/* Ethernet device fast path. */
uint16_t dpsw_eth_rx_burst(uint16_t port_id, uint16_t queue_id,
			   struct rte_mbuf **rx_pkts, uint16_t nb_pkts);
uint16_t dpsw_eth_tx_burst(uint16_t port_id, uint16_t queue_id,
			   struct rte_mbuf **tx_pkts, uint16_t nb_pkts);

/* Packet buffers. */
struct rte_mbuf *dpsw_pktmbuf_alloc(struct rte_mempool *mp);
void dpsw_pktmbuf_free(struct rte_mbuf *m);
char *dpsw_pktmbuf_prepend(struct rte_mbuf *m, uint16_t len);
char *dpsw_pktmbuf_append(struct rte_mbuf *m, uint16_t len);
char *dpsw_pktmbuf_adj(struct rte_mbuf *m, uint16_t len);
int dpsw_pktmbuf_trim(struct rte_mbuf *m, uint16_t len);
void *dpsw_pktmbuf_mtod(const struct rte_mbuf *m);
uint16_t dpsw_pktmbuf_data_len(const struct rte_mbuf *m);
uint32_t dpsw_pktmbuf_pkt_len(const struct rte_mbuf *m);
uint16_t dpsw_pktmbuf_headroom(const struct rte_mbuf *m);
uint16_t dpsw_pktmbuf_tailroom(const struct rte_mbuf *m);
uint16_t dpsw_mbuf_refcnt_read(const struct rte_mbuf *m);
void dpsw_pktmbuf_refcnt_update(struct rte_mbuf *m, int16_t v);
struct rte_mbuf *dpsw_pktmbuf_copy(const struct rte_mbuf *m);

/* RCU QSBR reader and writer inline calls. */
void dpsw_rcu_qsbr_thread_online(struct rte_rcu_qsbr *v, unsigned int thread_id);
void dpsw_rcu_qsbr_thread_offline(struct rte_rcu_qsbr *v, unsigned int thread_id);
void dpsw_rcu_qsbr_quiescent(struct rte_rcu_qsbr *v, unsigned int thread_id);
uint64_t dpsw_rcu_qsbr_start(struct rte_rcu_qsbr *v);
int dpsw_rcu_qsbr_check(struct rte_rcu_qsbr *v, uint64_t t, bool wait);

/* Rings of pointers. */
unsigned int dpsw_ring_enqueue_burst(struct rte_ring *r, void *const *obj_table,
				     unsigned int n, unsigned int *free_space);
unsigned int dpsw_ring_dequeue_burst(struct rte_ring *r, void **obj_table,
				     unsigned int n, unsigned int *available);
unsigned int dpsw_ring_count(const struct rte_ring *r);

/* Hash functions, with rte_hash_function's signature so they can also be
 * handed to rte_hash_create. */
uint32_t dpsw_hash_crc(const void *data, uint32_t data_len, uint32_t init_val);
uint32_t dpsw_jhash(const void *data, uint32_t data_len, uint32_t init_val);

#endif

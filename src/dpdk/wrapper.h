/* Every DPDK header the bindings are generated from, plus the shim's
 * prototypes; build.rs narrows the result with an allowlist. */
#include <rte_config.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_log.h>
#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_mbuf.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_malloc.h>
#include <rte_dev.h>
#include <rte_telemetry.h>
#include <rte_pdump.h>

#include "shim.h"

/* A hook library with an empty callout at every DHCPv4 hook point, to
 * measure what the hook machinery costs per packet (bench/README.md).
 * Build: cc -O2 -shared -fPIC -I../../crates/ruru-hooks-sdk/include -o empty.so empty.c */
#include <stdint.h>
#include "ruru_hooks.h"

uint32_t ruru_hook_abi_version(void) { return RURU_HOOKS_ABI_VERSION; }
int32_t ruru_hook_load(const RuruApi *api, RuruLibrary *lib, const char *params) {
    (void)api; (void)lib; (void)params;
    return 0;
}
int32_t ruru_hook_unload(void) { return 0; }
int32_t ruru_hook_multi_threading_compatible(void) { return 1; }

#define EMPTY(name) int32_t name(RuruCallout *c) { (void)c; return RURU_CONTINUE; }
EMPTY(buffer4_receive)
EMPTY(pkt4_receive)
EMPTY(subnet4_select)
EMPTY(lease4_select)
EMPTY(lease4_renew)
EMPTY(leases4_committed)
EMPTY(pkt4_send)
EMPTY(buffer4_send)

/*
 * ruru_hooks.h: the C ABI between ruru and hook libraries.
 *
 * GENERATED from crates/ruru-hooks-sdk/src/abi.rs by cbindgen; do not edit.
 * Regenerate: RURU_UPDATE_HEADER=1 cargo test -p ruru-hooks-sdk --test header
 *
 * A hook library is a shared object that exports the functions declared at
 * the end of this file and calls back into ruru only through the RuruApi
 * table passed to ruru_hook_load. See the hooks developer guide
 * (docs/src/hooks.md) for the hook points and their fields.
 */

#ifndef RURU_HOOKS_H
#define RURU_HOOKS_H

#include <stddef.h>
#include <stdint.h>
/* Opaque handle of a loaded library (passed to ruru_hook_load). */
typedef struct RuruLibrary RuruLibrary;

/* Opaque handle of one callout invocation; valid only during the call. */
typedef struct RuruCallout RuruCallout;

// The ABI version this SDK implements. A library whose
// `ruru_hook_abi_version` returns anything else is refused at load.
#define RURU_HOOKS_ABI_VERSION 1

// Next step: go on as usual.
#define RURU_CONTINUE 0

// Next step: skip the server's own action at this hook point (Kea's SKIP).
#define RURU_SKIP 1

// Next step: drop the packet.
#define RURU_DROP 2

// Next step: park the packet until the library resumes it (Kea's PARK).
#define RURU_PARK 3

// The callout failed: the packet is dropped and counted as an error.
#define RURU_ERROR -1

// API result: success.
#define RURU_OK 0

// API result: no such field, option or context key at this hook point.
#define RURU_ENOFIELD -1

// API result: the buffer is too small; `*len` now holds the size needed.
#define RURU_ETOOSMALL -2

// API result: the value is invalid (length, address, UTF-8, ...).
#define RURU_EINVAL -3

// API result: the field cannot be changed at this hook point.
#define RURU_EREADONLY -4

// Log levels for [`RuruApi::log`].
#define RURU_LOG_ERROR 0

#define RURU_LOG_WARN 1

#define RURU_LOG_INFO 2

#define RURU_LOG_DEBUG 3

// A callout: returns a next-step status (`RURU_CONTINUE`, ...) or
// `RURU_ERROR`.
typedef int32_t (*RuruCalloutFn)(RuruCallout *callout);

// The function table ruru hands to `ruru_hook_load`. New functions are
// only ever appended; `struct_size` tells a library how many there are.
typedef struct {
  // [`RURU_HOOKS_ABI_VERSION`] of the server.
  uint32_t abi_version;
  // `sizeof(RuruApi)` as the server knows it.
  uint32_t struct_size;
  // Registers `callout` at the hook point named `hook_point` (only
  // during `ruru_hook_load`). Returns `RURU_OK` or `RURU_EINVAL` for an
  // unknown hook point.
  int32_t (*register_callout)(RuruLibrary *lib, const char *hook_point, RuruCalloutFn callout);
  // Logs `message` (UTF-8, NUL-terminated) under the `hooks` logger.
  void (*log)(RuruLibrary *lib, int32_t level, const char *message);
  // Name of the hook point of this invocation (static string).
  const char *(*hook_point)(RuruCallout *callout);
  // Reads a numeric field (`query4.xid`, `subnet4.id`, `lease4.address`, ...).
  int32_t (*get_u32)(RuruCallout *callout, const char *field, uint32_t *out);
  // Writes a numeric field where the hook point allows it.
  int32_t (*set_u32)(RuruCallout *callout, const char *field, uint32_t value);
  // Copies a byte field (`query4.hwaddr`, `buffer4`, `command.arguments`,
  // ...) into `buf`; `*len` is the buffer size in and the field size out.
  int32_t (*get_bytes)(RuruCallout *callout, const char *field, uint8_t *buf, size_t *len);
  // Replaces a byte field where the hook point allows it.
  int32_t (*set_bytes)(RuruCallout *callout, const char *field, const uint8_t *buf, size_t len);
  // Copies the payload of option `code` of `packet` (`"query4"` or
  // `"response4"`) into `buf` (same `len` protocol as `get_bytes`).
  int32_t (*get_option)(RuruCallout *callout,
                        const char *packet,
                        uint16_t code,
                        uint8_t *buf,
                        size_t *len);
  // Adds or replaces option `code` of the response (`"response4"`).
  int32_t (*set_option)(RuruCallout *callout,
                        const char *packet,
                        uint16_t code,
                        const uint8_t *buf,
                        size_t len);
  // Removes option `code` from the response.
  int32_t (*remove_option)(RuruCallout *callout, const char *packet, uint16_t code);
  // Per-packet context of this library: reads the value stored under `key`.
  int32_t (*context_get)(RuruCallout *callout, const char *key, uint8_t *buf, size_t *len);
  // Per-packet context of this library: stores `buf` under `key`; the
  // value is visible to this library's later callouts for the same packet.
  int32_t (*context_set)(RuruCallout *callout, const char *key, const uint8_t *buf, size_t len);
  // Reads a 64-bit field (`parking_id`, `lease4.expire`, `lease6.expire`).
  int32_t (*get_u64)(RuruCallout *callout, const char *field, uint64_t *out);
  // Finishes the reply parked under `parking_id`: `action`
  // `RURU_CONTINUE` sends it (the remaining hook points run first),
  // `RURU_DROP` drops it. Callable from any thread while the library is
  // loaded; never runs callouts on the caller's thread. Returns
  // `RURU_OK`, or `RURU_ENOFIELD` when no reply of this library is parked
  // under that id (already finished, or dropped at unload).
  int32_t (*unpark)(RuruLibrary *lib, uint64_t parking_id, int32_t action);
} RuruApi;

// `ruru_hook_abi_version`.
typedef uint32_t (*RuruVersionFn)(void);

// `ruru_hook_load`.
typedef int32_t (*RuruLoadFn)(const RuruApi *api, RuruLibrary *lib, const char *params_json);

// `ruru_hook_unload` and `ruru_hook_multi_threading_compatible`.
typedef int32_t (*RuruNoArgFn)(void);

/*
 * What a library exports (C linkage, these exact names).
 */

#ifdef __cplusplus
extern "C" {
#endif

/* Required: returns RURU_HOOKS_ABI_VERSION; any other value refuses the load. */
uint32_t ruru_hook_abi_version(void);

/*
 * Recommended: the same version as data, defined in the library as
 *     const uint32_t ruru_hook_abi = RURU_HOOKS_ABI_VERSION;
 * ruru reads it from the file before loading anything, so that a library
 * built for another ABI is refused without running any of its code, and
 * `ruru check` / `config-test` can check it without loading it at all.
 */
extern const uint32_t ruru_hook_abi;

/*
 * Required: called once per load (again after each unload, e.g. on reload).
 * api: the function table, valid until ruru_hook_unload returns (keep the
 * pointer). lib: this library's handle for api->log and api->register_callout,
 * valid as long as api. params_json: the "parameters" object of the library's
 * hooks-libraries entry as JSON text ("{}" when absent), valid during this
 * call only. Returns 0 on success; anything else fails the (re)configuration
 * (ruru then still calls ruru_hook_unload, if exported, to let it clean up).
 */
int32_t ruru_hook_load(const RuruApi *api, RuruLibrary *lib, const char *params_json);

/* Optional: called before the library is closed (shutdown or reload). 0 = ok. */
int32_t ruru_hook_unload(void);

/*
 * Optional: non-zero when callouts may run on several threads at once.
 * Absent or 0: ruru serialises this library's callouts.
 */
int32_t ruru_hook_multi_threading_compatible(void);

/*
 * Optional callouts, one per hook point, named after it; each returns
 * RURU_CONTINUE, RURU_SKIP, RURU_DROP, RURU_PARK (DROP where the point cannot park) or
 * RURU_ERROR (the packet is dropped and the error counted). Define only the
 * ones the library needs: ruru calls a hook point only when some library
 * defines it.
 */
int32_t buffer4_receive(RuruCallout *callout);
int32_t pkt4_receive(RuruCallout *callout);
int32_t subnet4_select(RuruCallout *callout);
int32_t host4_identifier(RuruCallout *callout);
int32_t lease4_select(RuruCallout *callout);
int32_t lease4_renew(RuruCallout *callout);
int32_t lease4_release(RuruCallout *callout);
int32_t lease4_decline(RuruCallout *callout);
int32_t leases4_committed(RuruCallout *callout);
int32_t pkt4_send(RuruCallout *callout);
int32_t buffer4_send(RuruCallout *callout);
int32_t lease4_expire(RuruCallout *callout);
int32_t lease4_recover(RuruCallout *callout);
int32_t dhcp4_srv_configured(RuruCallout *callout);
int32_t command_processed(RuruCallout *callout);
int32_t ddns4_update(RuruCallout *callout);
int32_t lease4_offer(RuruCallout *callout);
int32_t lease4_server_decline(RuruCallout *callout);
int32_t buffer6_receive(RuruCallout *callout);
int32_t pkt6_receive(RuruCallout *callout);
int32_t subnet6_select(RuruCallout *callout);
int32_t host6_identifier(RuruCallout *callout);
int32_t lease6_select(RuruCallout *callout);
int32_t lease6_renew(RuruCallout *callout);
int32_t lease6_rebind(RuruCallout *callout);
int32_t lease6_release(RuruCallout *callout);
int32_t lease6_decline(RuruCallout *callout);
int32_t leases6_committed(RuruCallout *callout);
int32_t pkt6_send(RuruCallout *callout);
int32_t buffer6_send(RuruCallout *callout);
int32_t lease6_expire(RuruCallout *callout);
int32_t lease6_recover(RuruCallout *callout);
int32_t dhcp6_srv_configured(RuruCallout *callout);
int32_t ddns6_update(RuruCallout *callout);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* RURU_HOOKS_H */

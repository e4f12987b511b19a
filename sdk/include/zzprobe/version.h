/* zzprobe plugin ABI — version numbers and struct-growth helpers.
 *
 * The ABI major is part of the exported entry symbol's name (zzp_plugin_entry_v1), so a host
 * can refuse a library built for another major before running any of its code. Minor versions
 * only append members to structs that start with `struct_size`. */
#ifndef ZZPROBE_VERSION_H
#define ZZPROBE_VERSION_H

#include <stddef.h>
#include <stdint.h>

#define ZZP_ABI_MAJOR 1
#define ZZP_ABI_MINOR 0

/* The exported entry symbol for this major, as a string (for dlsym / Boost.DLL). */
#define ZZP_ENTRY_SYMBOL "zzp_plugin_entry_v1"
/* Prefix shared by the entry symbols of every major; the host lists symbols with it. */
#define ZZP_ENTRY_SYMBOL_PREFIX "zzp_plugin_entry_v"

/* True when a struct whose first member is `uint32_t struct_size` is long enough to hold
 * MEMBER. Use it before reading any member that a later minor appended. */
#define ZZP_STRUCT_HAS(ptr, type, member) \
    ((ptr) != NULL && (size_t)(ptr)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))

#if defined(_WIN32)
#define ZZP_EXPORT __declspec(dllexport)
#else
#define ZZP_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
#define ZZP_EXTERN_C_BEGIN extern "C" {
#define ZZP_EXTERN_C_END }
#else
#define ZZP_EXTERN_C_BEGIN
#define ZZP_EXTERN_C_END
#endif

#endif

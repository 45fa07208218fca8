/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rmq_export.h
 * @brief Symbol visibility macro for the public API.
 *
 * The library is built with -fvisibility=hidden; every public declaration
 * carries RMQ_EXPORT so that only the documented API is exported.
 */
#ifndef RMQ_EXPORT_H
#define RMQ_EXPORT_H

#if defined(_WIN32) && !defined(RMQ_STATIC)
#ifdef RMQ_BUILDING
#define RMQ_EXPORT __declspec(dllexport)
#else
#define RMQ_EXPORT __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define RMQ_EXPORT __attribute__((visibility("default")))
#else
#define RMQ_EXPORT
#endif

#endif /* RMQ_EXPORT_H */

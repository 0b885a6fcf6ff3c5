// concur/detail/thread_annotations.hpp - Clang thread-safety annotations behind
// CONCUR_ macros. Not API. Under Clang with -Wthread-safety the compiler checks
// that every lock is released on every path; elsewhere the macros are empty.
#pragma once

#if defined(__clang__)
#define CONCUR_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define CONCUR_THREAD_ANNOTATION(x)
#endif

#define CONCUR_CAPABILITY(name) CONCUR_THREAD_ANNOTATION(capability(name))
#define CONCUR_SCOPED_CAPABILITY CONCUR_THREAD_ANNOTATION(scoped_lockable)
#define CONCUR_GUARDED_BY(x) CONCUR_THREAD_ANNOTATION(guarded_by(x))
#define CONCUR_REQUIRES(...) CONCUR_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define CONCUR_ACQUIRE(...) CONCUR_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define CONCUR_RELEASE(...) CONCUR_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define CONCUR_TRY_ACQUIRE(...) CONCUR_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define CONCUR_NO_THREAD_SAFETY_ANALYSIS CONCUR_THREAD_ANNOTATION(no_thread_safety_analysis)

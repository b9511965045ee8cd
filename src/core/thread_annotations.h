// Clang's thread-safety attributes, as macros that vanish under other compilers.
//
// The `thread-safety` CMake preset builds with clang and -Wthread-safety -Werror, so a member
// marked GUARDED_BY(mutex_) that is touched without holding mutex_ fails the build there. Only
// lock types that carry the attributes (core/sync.h) take part in the analysis; std::mutex
// does not, which is why shared state uses bh::Mutex and bh::SharedMutex.
#pragma once

#if defined(__clang__)
#define BH_THREAD_ATTRIBUTE(x) __attribute__((x))
#else
#define BH_THREAD_ATTRIBUTE(x)
#endif

#define CAPABILITY(x) BH_THREAD_ATTRIBUTE(capability(x))
#define SCOPED_CAPABILITY BH_THREAD_ATTRIBUTE(scoped_lockable)
#define GUARDED_BY(x) BH_THREAD_ATTRIBUTE(guarded_by(x))
#define PT_GUARDED_BY(x) BH_THREAD_ATTRIBUTE(pt_guarded_by(x))
#define REQUIRES(...) BH_THREAD_ATTRIBUTE(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) BH_THREAD_ATTRIBUTE(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) BH_THREAD_ATTRIBUTE(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) BH_THREAD_ATTRIBUTE(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) BH_THREAD_ATTRIBUTE(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) BH_THREAD_ATTRIBUTE(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) BH_THREAD_ATTRIBUTE(release_generic_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) BH_THREAD_ATTRIBUTE(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) BH_THREAD_ATTRIBUTE(locks_excluded(__VA_ARGS__))
#define RETURN_CAPABILITY(x) BH_THREAD_ATTRIBUTE(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS BH_THREAD_ATTRIBUTE(no_thread_safety_analysis)

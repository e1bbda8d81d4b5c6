#include "engine/common/malloc_policy.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace dbmazz {

bool ApplyMallocPolicy() {
#if defined(__GLIBC__)
  return mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThresholdBytes)) == 1;
#else
  return false;
#endif
}

}  // namespace dbmazz

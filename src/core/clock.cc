#include "core/clock.h"

namespace bh {

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace bh

#include "store/record_store.h"

#include <algorithm>

namespace bh {

Result<std::vector<InsertOutcome>> NotifyingRecordStore::commit_batch(const StoreBatch& batch) {
  auto outcomes = inner_->commit_batch(batch);
  if (!outcomes || outcomes->empty()) return outcomes;
  RecordId largest = 0;
  for (const InsertOutcome& o : *outcomes) largest = std::max(largest, o.id);
  for (const auto& listener : listeners_) listener(largest);
  return outcomes;
}

}  // namespace bh

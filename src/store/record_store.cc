#include "store/record_store.h"

#include <algorithm>

namespace bh {

Result<std::vector<InsertOutcome>> NotifyingRecordStore::insert_batch(std::span<const NewRecord> records) {
  auto outcomes = inner_->insert_batch(records);
  if (!outcomes || outcomes->empty()) return outcomes;
  RecordId largest = 0;
  for (const InsertOutcome& o : *outcomes) largest = std::max(largest, o.id);
  for (const auto& listener : listeners_) listener(largest);
  return outcomes;
}

}  // namespace bh

// Opens a RecordStore from a location string: the one place that knows the implementations.
//
//   sqlite:PATH           the SQLite file at PATH (created and migrated if needed)
//   sqlite:///abs/path    the same, URL-style
//   memory:               an in-memory store (nothing survives the process)
//   postgresql://...      refused until the PostgreSQL store exists (scale-out)
//   anything else         a data directory: DIR/buildhub.sqlite3
//
// A data directory whose name looks like a URL scheme ("x:y") must be written as "./x:y".
//
// Ownership: the caller owns the store. Thread safety: open_record_store may be called from any
// thread. Failure: kInvalidArgument for an unknown or unsupported scheme, else what the
// implementation's open returns (kIoError, kCorrupt, kConflict for a newer schema).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "store/record_store.h"

namespace bh {

struct StoreRequest {
  std::string location = "./data";
  // SQLite: commit without waiting for the disk (survives a process crash, not a power cut).
  bool fast_sync = false;
  const Clock* clock = nullptr;  // stamps created_at; nullptr: the system clock
};

Result<std::unique_ptr<RecordStore>> open_record_store(const StoreRequest& request);

// The directory an embedded store keeps its files in (the data directory, or the SQLite file's
// directory), where its neighbours live too (jobs.sqlite3, cache/); nullopt for memory:.
// kInvalidArgument for locations open_record_store refuses.
Result<std::optional<std::filesystem::path>> store_directory(const StoreRequest& request);

// The schema version of the embedded (SQLite) store this binary writes, for --version.
int embedded_store_schema_version();

}  // namespace bh
